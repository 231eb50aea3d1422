import type { FastifyBaseLogger } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { WebhookStore } from '../store.js';
import { type Backoff, nextAttemptAt } from './backoff.js';
import { type AttemptResult, send } from './send.js';
import { secretsInForce, signedHeaders } from './signing.js';
import type { Cidr, Resolver } from './targets.js';

export interface DispatcherOptions {
  store: WebhookStore;
  log: FastifyBaseLogger;
  metrics: Registry;
  backoff: Backoff;
  allow: readonly Cidr[];
  timeoutMs: number;
  pollMs: number;
  concurrency: number;
  /** How long a delivery waits for an earlier event of its file that was never received (lost), then goes. */
  gapTimeoutMs: number;
  now?: () => Date;
  random?: () => number;
  resolve?: Resolver;
}

/**
 * Sends what is due from the deliveries table, the only source of work: after a restart (or in
 * another replica) it picks up whatever is pending, a claimed delivery whose sender died falls due
 * again when its lease ends. Woken when the subscriber writes deliveries; else it polls.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;
  private lastCleanup = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.outcomes = new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: success (delivered), retry (failed, tried again later), dead (failed past the retry horizon).',
      labelNames: ['outcome'] as const,
      registers: [options.metrics],
    });
    this.latency = new Histogram({
      name: 'webhook_attempt_duration_seconds',
      help: 'Time of one webhook delivery attempt, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [options.metrics],
    });
    for (const outcome of ['success', 'retry', 'dead']) this.outcomes.inc({ outcome }, 0);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Runs a pass now (or right after the one running). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass()
      .catch((err: unknown) => this.options.log.warn({ err }, 'webhook dispatch pass failed; the next one tries again'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.wake());
        } else if (this.options.pollMs > 0) {
          this.timer = setTimeout(() => this.wake(), this.options.pollMs);
          this.timer.unref();
        }
      });
  }

  /** Claims what is due (up to the free slots) and sends it; returns when those sends have ended. */
  async pass(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = this.now();
    if (now.getTime() - this.lastCleanup > 3_600_000) {
      this.lastCleanup = now.getTime();
      await this.options.store.forgetSeen(new Date(now.getTime() - 7 * 24 * 3_600_000));
    }
    // the lease outlasts one attempt, so a live sender's claim is never taken over
    const claimed = await this.options.store.claim(now, this.options.timeoutMs * 2 + 5_000, free, this.options.gapTimeoutMs);
    const sends = claimed.map((delivery) => {
      const job = this.deliver(delivery).catch((err: unknown) => this.options.log.warn({ err, delivery: delivery.id }, 'a webhook attempt was not recorded; it falls due again after its lease'));
      this.inFlight.add(job);
      void job.finally(() => this.inFlight.delete(job));
      return job;
    });
    await Promise.all(sends);
    // more may have been due than the slots took
    if (claimed.length === free) this.again = true;
  }

  private async deliver(delivery: Awaited<ReturnType<WebhookStore['claim']>>[number]): Promise<void> {
    const at = this.now();
    const timestamp = Math.floor(at.getTime() / 1000);
    const headers = signedHeaders(secretsInForce(delivery.secrets, at), delivery.event_id, timestamp, delivery.body);
    const result: AttemptResult = await send(delivery.url, headers, delivery.body, {
      allow: this.options.allow,
      timeoutMs: this.options.timeoutMs,
      ...(this.options.resolve ? { resolve: this.options.resolve } : {}),
    });
    const ended = this.now();
    const next = result.ok ? null : nextAttemptAt(delivery.attempts + 1, delivery.started_at, ended, this.options.backoff, (this.options.random ?? Math.random)());
    const status = await this.options.store.record(delivery.id, { at, ...result }, next);
    const outcome = result.ok ? 'success' : next ? 'retry' : 'dead';
    this.outcomes.inc({ outcome });
    this.latency.observe({ outcome }, result.durationMs / 1000);
    if (status === 'dead') this.options.log.warn({ delivery: delivery.id, endpoint: delivery.endpoint_id, attempts: delivery.attempts + 1, error: result.error }, 'webhook delivery dead after its retry horizon');
    // a delivered or dead one may free the next event of its file
    if (status !== 'pending') this.again = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.inFlight);
  }
}
