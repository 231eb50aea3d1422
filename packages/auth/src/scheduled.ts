/**
 * A value loaded on demand and again on a schedule, such as a key set. A failed load keeps the last
 * good value: keys must not vanish because a sidecar or a service blinked, and a load that fails
 * is reported, then tried again at the next tick.
 */
export class ScheduledValue<T> {
  private value: T | undefined;
  private loading: Promise<T> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      load: () => Promise<T>;
      intervalMs: number;
      /** A scheduled load failed; the last good value stays. */
      onError: (error: unknown) => void;
    },
  ) {}

  get current(): T | undefined {
    return this.value;
  }

  /** Loads now (one load at a time: callers during a load share it); throws when it fails. */
  load(): Promise<T> {
    this.loading ??= (async () => {
      try {
        this.value = await this.options.load();
        return this.value;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Loads again every interval; the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.load().catch(this.options.onError);
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
