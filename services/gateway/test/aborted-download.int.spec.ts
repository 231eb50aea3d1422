/**
 * A client that leaves in the middle of a download must cost only its own download. daprd
 * 1.17.2 to 1.18.x crashes when the caller of an invocation leaves while the body streams
 * (dapr/dapr#10371): the gateway, the sidecar's caller, reads the rest itself instead of cutting
 * the call, so its sidecar, and every other call through it, stays up. Also: a body sent with
 * `Expect: 100-continue` (curl's habit past 1 MiB) goes through.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client, sha256 } from '@strata/testing/client';
import { restartsOf } from '@strata/testing/harness';

const stack = inject('stack');

/** Starts a download and leaves after its first chunk, as a closed browser tab does. */
function leaveMidway(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.once('data', (chunk: Buffer) => {
        req.destroy();
        resolve(chunk.length);
      });
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    req.end();
  });
}

describe('downloads through the gateway', () => {
  it('survive clients that leave halfway: the next calls and downloads are served', async () => {
    const user = await Client.user(stack);
    const bytes = randomBytes(24 * 1024 * 1024);
    const up = await user.upload('large.bin', bytes);
    expect(up.status, up.text).toBe(201);
    // the bytes through the gateway (by redirect the gateway carries none)
    const url = `${stack.gatewayUrl}/api/v1/files/${up.json.id as string}/content?redirect=false`;
    const restarts = ['gateway:dapr', 'files:dapr', 'gateway', 'files'].map((name) => restartsOf(stack, name));
    for (let i = 0; i < 3; i++) expect(await leaveMidway(url, user.accessToken!)).toBeGreaterThan(0);
    // the gateway's sidecar is alive, and so is everything behind it
    await new Promise((r) => setTimeout(r, 1_000));
    const health = await fetch(`http://127.0.0.1:${stack.apps.gateway!.daprHttpPort}/v1.0/healthz`);
    expect(health.status).toBe(204);
    // and it never went down: the launcher would have restarted a crashed one
    expect(['gateway:dapr', 'files:dapr', 'gateway', 'files'].map((name) => restartsOf(stack, name))).toEqual(restarts);
    expect((await user.call('GET', '/api/v1/files')).status).toBe(200);
    const whole = await user.call('GET', `/api/v1/files/${up.json.id as string}/content`);
    expect(whole.status).toBe(200);
    expect(sha256(whole.bytes)).toBe(sha256(bytes));
  });

  it('takes a body sent with Expect: 100-continue', async () => {
    const user = await Client.user(stack);
    const bytes = randomBytes(2 * 1024 * 1024);
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'expected.bin');
    const body = new Response(form);
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${stack.gatewayUrl}/api/v1/files`,
        { method: 'POST', headers: { authorization: `Bearer ${user.accessToken!}`, 'content-type': body.headers.get('content-type')!, expect: '100-continue' } },
        (answer) => {
          let text = '';
          answer.setEncoding('utf8');
          answer.on('data', (c: string) => (text += c));
          answer.on('end', () => resolve({ status: answer.statusCode!, text }));
        },
      );
      req.on('error', reject);
      // the body waits for the gateway's 100 Continue, as curl does
      req.on('continue', () => void body.arrayBuffer().then((b) => req.end(Buffer.from(b))));
    });
    expect(res.status, res.text).toBe(201);
    expect(JSON.parse(res.text)).toMatchObject({ name: 'expected.bin', size: bytes.length });
  });
});
