import { type RedisClient, duplicateRedis } from '@strata/service-kit';

const KEY = 'strata:revoked-sessions';
const CHANNEL = 'strata:revoked-sessions';

/**
 * Revoked sessions, known to every replica of every service within milliseconds: a sorted set in
 * Redis (member = session id, score = when its last token expires) is the shared truth, a Redis
 * pub/sub channel tells every replica at once, and each replica keeps a local copy so a request
 * costs no round trip. On every (re)connect the local copy is reloaded from the set, so nothing
 * revoked while a replica was cut off is missed once it is back.
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private subscriber: RedisClient | undefined;

  constructor(private readonly redis: RedisClient) {}

  async start(): Promise<void> {
    const subscriber = duplicateRedis(this.redis);
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      const [sid, until] = message.split(' ');
      if (sid && until) this.revoked.set(sid, Number(until));
    });
    subscriber.on('ready', () => void this.reload().catch(() => undefined));
    this.redis.on('ready', () => void this.reload().catch(() => undefined));
    await subscriber.connect().catch(() => undefined);
    await subscriber.subscribe(CHANNEL).catch(() => undefined);
    await this.reload().catch(() => undefined);
    this.pruneTimer = setInterval(() => this.prune(), 60_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.subscriber?.disconnect();
  }

  private async reload(): Promise<void> {
    const now = Date.now();
    const entries = await this.redis.zrangebyscore(KEY, now, '+inf', 'WITHSCORES');
    for (let i = 0; i + 1 < entries.length; i += 2) this.revoked.set(entries[i]!, Number(entries[i + 1]));
  }

  private prune(): void {
    const now = Date.now();
    for (const [sid, until] of this.revoked) if (until < now) this.revoked.delete(sid);
    void this.redis.zremrangebyscore(KEY, '-inf', now).catch(() => undefined);
  }

  /** Records a revocation; `untilMs` is when the session's last access token expires. */
  async revoke(sessionId: string, untilMs: number): Promise<void> {
    this.revoked.set(sessionId, untilMs);
    await this.redis.multi().zadd(KEY, untilMs, sessionId).publish(CHANNEL, `${sessionId} ${untilMs}`).exec();
  }

  isRevoked(sessionId: string): boolean {
    const until = this.revoked.get(sessionId);
    return until !== undefined && until >= Date.now();
  }
}
