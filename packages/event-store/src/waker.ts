/**
 * A sleep that a signal can cut short: followers of the log sleep on it between polls and wake at
 * once on a NOTIFY or an in-process append.
 */
export class Waker {
  private pending: (() => void) | undefined;
  private signalled = false;

  wake(): void {
    this.signalled = true;
    this.pending?.();
  }

  /** Resolves after `ms`, or earlier on wake(); a wake() that came while awake is not lost. */
  sleep(ms: number): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending = undefined;
        this.signalled = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending = done;
    });
  }
}

/**
 * Poll delays after empty reads: short at first (a NOTIFY may arrive before the events it
 * announces pass the reader's horizon), doubling up to a ceiling while the log stays quiet.
 */
export class IdleBackoff {
  private current: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.current = minMs;
  }

  next(): number {
    const delay = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.current = this.minMs;
  }
}
