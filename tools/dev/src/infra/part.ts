import { join } from 'node:path';
import { say } from '../log.js';
import { type Managed, startProcess, stopProcess } from '../proc.js';

/** What a stack gives each part of its infrastructure it starts. */
export interface PartContext {
  /** Where the part's logs go: files in this folder (tests), or the console when undefined. */
  logDir?: string | undefined;
  /** Records a process the moment it starts, so the watchdog stops it if the launcher dies. */
  track(proc: Managed): void;
}

/** A running part of the infrastructure: its processes, stopped together. */
export interface Part {
  name: string;
  processes: Managed[];
  stop(): Promise<void>;
}

/** Starts one of a part's processes (its own process group, labelled output) and tracks it. */
export function spawnTracked(
  ctx: PartContext,
  options: { name: string; command: string; args: string[]; cwd: string; env?: NodeJS.ProcessEnv },
): Managed {
  const proc = startProcess({
    name: options.name,
    command: options.command,
    args: options.args,
    cwd: options.cwd,
    env: options.env ?? process.env,
    ...(ctx.logDir ? { logFile: join(ctx.logDir, `${options.name.replace(/[^a-z0-9-]+/gi, '-')}.log`) } : {}),
  });
  ctx.track(proc);
  return proc;
}

export function partOf(name: string, processes: Managed[]): Part {
  return { name, processes, stop: async () => void (await Promise.all(processes.map((p) => stopProcess(p)))) };
}

/**
 * Polls `probe` until it answers yes; fails with what it waited for, and the last lines of a
 * process of the part that exited meanwhile (the reason, most of the time).
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, options: { timeoutMs: number; watch?: Managed[] }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const gone = options.watch?.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (gone) throw new Error(`${what}: ${gone.name} exited. Its last lines:\n${gone.tail().slice(-20).join('\n')}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${options.timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a part and says so, with how long it took, as the rest of the launcher reports progress. */
export async function announced<T>(what: string, start: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`starting ${what}`);
  const result = await start();
  say(`${what} is ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}
