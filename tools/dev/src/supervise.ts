import { type Managed, type SpawnOptions, signalGroup, startProcess, stopProcess } from './proc.js';

/**
 * How a crashed process is restarted, after the kubelet's CrashLoopBackOff: the first restart
 * waits `initialMs`, each next one twice as long up to `maxMs`, and a process that stayed up for
 * `resetAfterMs` starts again from `initialMs`.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

/** The wait before the next restart, given the last wait (none yet) and how long the process was up. */
export function nextDelay(policy: BackoffPolicy, lastDelayMs: number | undefined, upForMs: number): number {
  if (lastDelayMs === undefined || upForMs >= policy.resetAfterMs) return policy.initialMs;
  return Math.min(policy.maxMs, lastDelayMs * 2);
}

/** "code 1", "SIGKILL": how a process ended, as the launcher prints it. */
export function exitOf(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ?? `code ${code ?? '?'}`;
}

/** One exit the supervisor answered with a restart. */
export interface RestartRecord {
  /** The process's name: an app's key (`files`, `files#1`) or its sidecar's (`files:dapr`). */
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long it had run. */
  upForMs: number;
  /** How long the supervisor waited before starting it again. */
  delayMs: number;
  /** Restarts of this process so far, this one included. */
  count: number;
  /** When it exited (ISO 8601). */
  at: string;
}

export interface SuperviseHooks {
  /** Each process started: the first and every restart (the launcher records its pid). */
  onStart?(proc: Managed): void;
  /** An exit the launcher did not ask for; `restartInMs` is undefined when it stays down. */
  onExit?(exit: { code: number | null; signal: NodeJS.Signals | null; upForMs: number; restartInMs: number | undefined }): void;
  /** A restart has just been started. */
  onRestart?(record: RestartRecord, proc: Managed): void;
}

/**
 * A process the launcher keeps running: started at once, and once `arm`ed (after the stack is
 * ready: a failure during start-up is reported, not retried) restarted with backoff whenever it
 * exits without having been asked to. `stop` (and `disarm`) come first whatever is pending: a
 * stop is never fought, and a restart that was waiting is cancelled. It reads as a Managed of
 * whichever process runs now.
 */
export class Supervised implements Managed {
  readonly name: string;
  private current!: Managed;
  private armed = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastDelayMs: number | undefined;
  private startedAt = 0;
  private count = 0;

  constructor(
    private readonly spawnOptions: SpawnOptions,
    private readonly hooks: SuperviseHooks = {},
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
  ) {
    this.name = spawnOptions.name;
    this.launch();
  }

  get child() {
    return this.current.child;
  }

  get exited() {
    return this.current.exited;
  }

  tail(): string[] {
    return this.current.tail();
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.count;
  }

  /** Whether a restart is waiting for its backoff. */
  get restartPending(): boolean {
    return this.timer !== undefined;
  }

  /** From now on an exit is answered with a restart (unless disarmed or stopped). */
  arm(): void {
    if (!this.stopped) this.armed = true;
  }

  /** No more restarts; a pending one is cancelled. What runs keeps running. */
  disarm(): void {
    this.armed = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the process for good (SIGTERM to its group, SIGKILL after the grace). */
  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    this.disarm();
    await stopProcess(this.current, graceMs);
  }

  private launch(): void {
    const proc = startProcess({
      ...this.spawnOptions,
      onExit: (code, signal) => {
        this.spawnOptions.onExit?.(code, signal);
        this.exitedOnItsOwn(proc, code, signal);
      },
    });
    this.current = proc;
    this.startedAt = Date.now();
    this.hooks.onStart?.(proc);
  }

  private exitedOnItsOwn(proc: Managed, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc !== this.current || this.stopped) return;
    // what the crashed process started (its own group) goes with it, as a container's processes do
    if (proc.child.pid !== undefined) signalGroup(proc.child.pid, 'SIGKILL');
    const upForMs = Date.now() - this.startedAt;
    if (!this.armed) {
      this.hooks.onExit?.({ code, signal, upForMs, restartInMs: undefined });
      return;
    }
    const delayMs = nextDelay(this.policy, this.lastDelayMs, upForMs);
    this.lastDelayMs = delayMs;
    this.hooks.onExit?.({ code, signal, upForMs, restartInMs: delayMs });
    const at = new Date().toISOString();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || !this.armed) return;
      this.count++;
      this.launch();
      this.hooks.onRestart?.({ name: this.name, code, signal, upForMs, delayMs, count: this.count, at }, this.current);
    }, delayMs);
  }
}
