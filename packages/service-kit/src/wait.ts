import type { FastifyBaseLogger } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { retryDelay } from '@strata/event-store';
import { dependencyFailureOf } from './dependencies.js';

/**
 * Start-up waits for a dependency the app cannot start without (its database for the migrations,
 * its blob container): `probe` is tried with backoff (up to 2 s apart) until it resolves or
 * `timeoutMs` has passed, then its last failure is thrown. A failure that is not a dependency
 * being away (a refused password, a missing database: see dependencyFailureOf) is thrown at once,
 * since waiting would not change it. Told once in the log, not at every try.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<unknown>,
  log: FastifyBaseLogger,
  options: { timeoutMs?: number; retryable?: (error: unknown) => boolean } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retryable = options.retryable ?? ((error: unknown) => dependencyFailureOf(error) !== undefined);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await probe();
      if (attempt > 0) log.info(`${what} answers`);
      return;
    } catch (error) {
      if (!retryable(error) || Date.now() > deadline) throw error;
      if (attempt === 0) log.warn({ err: error }, `waiting for ${what}`);
      await sleep(retryDelay({ initialDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: timeoutMs }, attempt));
    }
  }
}
