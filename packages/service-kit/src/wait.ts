import type { FastifyBaseLogger } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError, retryDelay } from '@strata/event-store';

/**
 * Start-up waits for a dependency the app cannot start without (its database, for the
 * migrations): `probe` is tried with backoff (up to 2 s apart) until it resolves or `timeoutMs`
 * has passed, then its last failure is thrown; a failure that is not a lost or refused
 * connection is thrown at once. Told once in the log, not at every try.
 */
export async function waitFor(what: string, probe: () => Promise<unknown>, log: FastifyBaseLogger, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await probe();
      if (attempt > 0) log.info(`${what} answers`);
      return;
    } catch (error) {
      // a refused password or a missing database is not going to change by waiting
      if (!isConnectionError(error) || Date.now() > deadline) throw error;
      if (attempt === 0) log.warn({ err: error }, `waiting for ${what}`);
      await sleep(retryDelay({ initialDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: timeoutMs }, attempt));
    }
  }
}
