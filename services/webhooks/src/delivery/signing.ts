import { createHmac, randomBytes } from 'node:crypto';

// Standard Webhooks (standardwebhooks.com): the signed content is `${id}.${timestamp}.${body}`,
// HMAC-SHA256 with the secret's bytes (the base64 after `whsec_`), sent as `v1,<base64>`; several
// signatures are separated by spaces, so a receiver accepts a message during a rotation with
// either secret.

export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: 32 random bytes (the convention asks for 24 to 64), base64, prefixed. */
export function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three headers of one attempt, signed with every secret still in force (newest first). */
export function signedHeaders(secrets: readonly string[], id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}

export interface StoredSecret {
  secret: string;
  createdAt: string;
  /** Set on the previous secret at a rotation: it signs until then. */
  expiresAt: string | null;
}

/** The secrets that sign at `now`: the current one and any previous one inside its overlap. */
export function secretsInForce(secrets: readonly StoredSecret[], now: Date): string[] {
  return secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime()).map((s) => s.secret);
}

/** A rotation: a new current secret, the old current one kept until `now + overlapMs`, expired ones dropped. */
export function rotate(secrets: readonly StoredSecret[], now: Date, overlapMs: number, fresh: string = newSecret()): StoredSecret[] {
  const until = new Date(now.getTime() + overlapMs).toISOString();
  const kept = secrets
    .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime())
    .map((s) => (s.expiresAt === null ? { ...s, expiresAt: until } : s))
    .filter((s) => overlapMs > 0 && Date.parse(s.expiresAt!) > now.getTime());
  return [{ secret: fresh, createdAt: now.toISOString(), expiresAt: null }, ...kept];
}
