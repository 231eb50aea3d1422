import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { label } from './log.js';

export interface Managed {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The last lines it printed, to explain a failure. */
  tail(): string[];
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where output goes: the console (labelled) or a log file. */
  logFile?: string;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/**
 * Starts a process in its own process group, so that stopping it also stops anything it started,
 * and labels each line it prints.
 */
export function startProcess(options: SpawnOptions): Managed {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let file: WriteStream | undefined;
  if (options.logFile) file = createWriteStream(options.logFile, { flags: 'a' });
  const prefix = label(options.name);
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 60) lines.shift();
    if (file) {
      if (!file.writableEnded) file.write(`${line}\n`);
    }
    else process.stdout.write(`${prefix}${line}\n`);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      onLine(`failed to start ${options.command}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      options.onExit?.(code, signal);
      resolve(code);
    });
    // the last lines can arrive after 'exit'; the log file closes once the pipes have
    child.on('close', () => file?.end());
  });
  return { name: options.name, child, exited, tail: () => [...lines] };
}

/** Signals a process group (a process started here leads its own); nothing if it is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the group, then SIGKILL to whatever is left after the grace period. */
export async function stopProcess(proc: Managed, graceMs = 10_000): Promise<void> {
  const pid = proc.child.pid;
  if (pid === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null) {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    return;
  }
  signalGroup(pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([proc.exited, timer])) === 'timeout') signalGroup(pid, 'SIGKILL');
  await proc.exited;
  // children that outlived their leader
  signalGroup(pid, 'SIGKILL');
}
