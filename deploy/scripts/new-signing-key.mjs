#!/usr/bin/env node
// Prints one new token signing key as JSON, in the shape the secret token-signing-keys holds per
// key (packages/auth: a private P-256 JWK for ES256, a kid that sorts by creation time):
//   {"kid":"20260112100000-1a2b3c4d","privateJwk":{...},"createdAt":"2026-01-12T10:00:00.000Z"}
// Used by deploy/README.md (first key, rotation). Node's own crypto only: runs without npm install.
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const now = new Date();
const kid = `${now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomUUID().slice(0, 8)}`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256' };
process.stdout.write(`${JSON.stringify({ kid, privateJwk, createdAt: now.toISOString() })}\n`);
