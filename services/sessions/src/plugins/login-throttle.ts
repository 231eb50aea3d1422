import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FastifyReply } from 'fastify';
import { AppError } from '@strata/service-kit';
import { normaliseEmail } from '../domain/account/account.js';

/**
 * Failed sign-ins counted per account and per address in Redis, each counter expiring with its
 * window. Past the limit, sign-in answers 429 with Retry-After before checking the password, so
 * guessing costs the attacker time and costs us no scrypt.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: { perAccount: number; perAddress: number; windowSeconds: number },
  ) {}

  private keys(email: string, address: string) {
    const account = createHash('sha256').update(normaliseEmail(email)).digest('hex').slice(0, 32);
    return { account: `strata:login-failures:account:${account}`, address: `strata:login-failures:address:${address}` };
  }

  async check(email: string, address: string, reply: FastifyReply): Promise<void> {
    const keys = this.keys(email, address);
    const results = await this.redis.multi().get(keys.account).get(keys.address).pttl(keys.account).pttl(keys.address).exec();
    const value = (i: number) => Number(results?.[i]?.[1] ?? 0);
    const blocked =
      value(0) >= this.limits.perAccount ? value(2)
      : value(1) >= this.limits.perAddress ? value(3)
      : 0;
    if (blocked > 0) {
      reply.header('retry-after', String(Math.ceil(blocked / 1000)));
      throw new AppError(429, 'too-many-sign-in-failures', 'Too many requests', 'Too many failed sign-ins; wait before trying again.');
    }
  }

  async failed(email: string, address: string): Promise<void> {
    const keys = this.keys(email, address);
    const window = this.limits.windowSeconds;
    await this.redis
      .multi()
      .incr(keys.account)
      .expire(keys.account, window, 'NX')
      .incr(keys.address)
      .expire(keys.address, window, 'NX')
      .exec();
  }

  async succeeded(email: string): Promise<void> {
    await this.redis.del(this.keys(email, '').account);
  }
}
