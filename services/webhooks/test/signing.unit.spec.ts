import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newSecret, rotate, secretsInForce, sign, signedHeaders } from '../src/delivery/signing.js';

// the signatures are checked with the Standard Webhooks reference library, not with our own code
describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ type: 'FileUploaded', timestamp: '2026-12-02T05:00:00.000Z', data: { fileId: 'f' } });
  const now = Math.floor(Date.now() / 1000);

  it('a receiver verifies them with the reference library', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signedHeaders([secret], 'evt-1', now, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // and it signs as the library does
    expect(sign(secret, 'evt-1', now, body)).toBe(new Webhook(secret).sign('evt-1', new Date(now * 1000), body));
  });

  it('another secret, a changed body, id or timestamp fail', () => {
    const secret = newSecret();
    const headers = signedHeaders([secret], 'evt-1', now, body);
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(body.replace('f', 'g'), headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt-2' })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': String(now + 1) })).toThrow(WebhookVerificationError);
  });

  it('during a rotation both secrets sign, and a receiver with either verifies', () => {
    const t0 = new Date('2026-12-02T05:00:00Z');
    const first = [{ secret: newSecret(), createdAt: t0.toISOString(), expiresAt: null }];
    const rotated = rotate(first, t0, 60_000);
    expect(rotated).toHaveLength(2);
    const inForce = secretsInForce(rotated, new Date(t0.getTime() + 30_000));
    expect(inForce).toEqual([rotated[0]!.secret, first[0]!.secret]);
    const headers = signedHeaders(inForce, 'evt-1', now, body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(first[0]!.secret).verify(body, headers)).toBeTruthy();
    expect(new Webhook(rotated[0]!.secret).verify(body, headers)).toBeTruthy();
    // past the overlap only the new one signs
    const after = secretsInForce(rotated, new Date(t0.getTime() + 61_000));
    expect(after).toEqual([rotated[0]!.secret]);
    expect(() => new Webhook(first[0]!.secret).verify(body, signedHeaders(after, 'evt-1', now, body))).toThrow(WebhookVerificationError);
    // a second rotation drops what has expired and keeps one previous secret
    expect(rotate(rotated, new Date(t0.getTime() + 61_000), 60_000).map((s) => s.secret)).not.toContain(first[0]!.secret);
  });

  it('a rotation without overlap keeps only the new secret', () => {
    const t0 = new Date();
    expect(rotate([{ secret: newSecret(), createdAt: t0.toISOString(), expiresAt: null }], t0, 0)).toHaveLength(1);
  });
});
