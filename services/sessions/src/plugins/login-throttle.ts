import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { AppError, type RedisClient } from '@strata/service-kit';
import { normaliseEmail } from '../domain/account/account.js';

/**
 * Failed sign-ins counted per account and per address in Redis, each counter expiring with its
 * window. Past the limit, sign-in answers 429 with Retry-After before checking the password, so
 * guessing costs the attacker time and costs us no scrypt.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly limits: { perAccount: number; perAddress: number; windowSeconds: number },
  ) {}

  private keys(email: string, address: string) {
    const account = createHash('sha256').update(normaliseEmail(email)).digest('hex').slice(0, 32);
    return { account: `strata:login-failures:account:${account}`, address: `strata:login-failures:address:${address}` };
  }

  async check(email: string, address: string, reply: FastifyReply): Promise<void> {
    const keys = this.keys(email, address);
    // one transaction per counter: on a Redis Cluster the two keys live in different slots
    const [byAccount, byAddress] = await Promise.all([keys.account, keys.address].map((key) => this.redis.multi().get(key).pttl(key).exec()));
    const value = (results: typeof byAccount, i: number) => Number(results?.[i]?.[1] ?? 0);
    const blocked =
      value(byAccount, 0) >= this.limits.perAccount ? value(byAccount, 1)
      : value(byAddress, 0) >= this.limits.perAddress ? value(byAddress, 1)
      : 0;
    if (blocked > 0) {
      reply.header('retry-after', String(Math.ceil(blocked / 1000)));
      throw new AppError(429, 'too-many-sign-in-failures', 'Too many requests', 'Too many failed sign-ins; wait before trying again.');
    }
  }

  async failed(email: string, address: string): Promise<void> {
    const keys = this.keys(email, address);
    const window = this.limits.windowSeconds;
    await Promise.all([keys.account, keys.address].map((key) => this.redis.multi().incr(key).expire(key, window, 'NX').exec()));
  }

  async succeeded(email: string): Promise<void> {
    await this.redis.del(this.keys(email, '').account);
  }
}
