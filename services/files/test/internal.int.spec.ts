/**
 * Files' internal route (a version's bytes for insights) answers insights only: not the public
 * entry, not another app through Dapr, not a caller of files' own port without a caller app-id.
 */
import { AppIds, INSIGHTS_CONTENT_PATH } from '@strata/contracts';
import { DaprClient } from '@strata/dapr';
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client, sha256 } from './support.js';

const stack = inject('stack');

describe("files' content route for insights", () => {
  it('gives insights the bytes of a version, and nobody else anything', async () => {
    const a = await Client.user(stack);
    const bytes = Buffer.from('bytes only insights may read through this route');
    const up = await a.upload('internal.txt', bytes);
    expect(up.status, up.text).toBe(201);
    const path = INSIGHTS_CONTENT_PATH(up.json.id as string, 1);

    const asInsights = await new DaprClient({ httpPort: stack.apps[AppIds.insights]!.daprHttpPort }).invoke(AppIds.files, path);
    expect(asInsights.status).toBe(200);
    expect(sha256(Buffer.from(await asInsights.arrayBuffer()))).toBe(sha256(bytes));

    for (const caller of [AppIds.gateway, AppIds.sessions, AppIds.ratelimit]) {
      const res = await new DaprClient({ httpPort: stack.apps[caller]!.daprHttpPort }).invoke(AppIds.files, path);
      expect(res.status, caller).toBe(404);
      expect(await res.text(), caller).not.toContain('only insights');
    }
    // the public entry has no route there, however it is spelt
    for (const spelling of [path, path.toUpperCase(), path.replace('/internal/', '/internal//'), `/api/v1/..${path}`]) {
      const res = await a.call('GET', spelling);
      expect(res.status, spelling).toBe(404);
    }
    // files' own port with the sidecar's token but no caller app-id (not an invocation)
    const direct = await Client.direct(stack, AppIds.files).call('GET', path);
    expect(direct.status).toBe(404);
    // a version that does not exist, asked by insights itself
    const none = await new DaprClient({ httpPort: stack.apps[AppIds.insights]!.daprHttpPort }).invoke(AppIds.files, INSIGHTS_CONTENT_PATH(up.json.id as string, 2));
    expect(none.status).toBe(404);
  });
});
