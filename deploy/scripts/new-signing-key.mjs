#!/usr/bin/env node
// Prints one new token signing key as JSON, in the shape the secret token-signing-keys holds per
// key (packages/auth: a private P-256 JWK for ES256, a kid that sorts by creation time):
//   {"kid":"20260112100000-1a2b3c4d","privateJwk":{...},"createdAt":"2026-01-12T10:00:00.000Z"}
// createdAt is when the key starts signing; it verifies as soon as it is in the set. A rotation
// dates it ahead, so that every verifier has it before its first token:
//   node deploy/scripts/new-signing-key.mjs --signs-in-minutes 15
// Used by deploy/README.md (first key, rotation). Node's own crypto only: runs without npm install.
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const flag = process.argv.indexOf('--signs-in-minutes');
const minutes = flag === -1 ? 0 : Number(process.argv[flag + 1]);
if (!Number.isInteger(minutes) || minutes < 0) {
  process.stderr.write('usage: new-signing-key.mjs [--signs-in-minutes <whole minutes, 0 or more>]\n');
  process.exit(2);
}
const signsFrom = new Date(Date.now() + minutes * 60_000);
const kid = `${signsFrom.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomUUID().slice(0, 8)}`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256' };
process.stdout.write(`${JSON.stringify({ kid, privateJwk, createdAt: signsFrom.toISOString() })}\n`);
