import { BlobServiceClient } from '@azure/storage-blob';
import { AppIds, BLOB_CONTAINER, Components, Secrets } from '@strata/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { DaprClient, DaprError } from '../src/index.js';

// Every call below goes through a real daprd sidecar of the test stack to real Postgres, Redis and
// Azurite; nothing is mocked.
const stack = inject('stack');
const sidecar = (appId: string) => new DaprClient({ httpPort: stack.apps[appId]!.daprHttpPort });

describe('state store (state.postgresql v2) through the sessions sidecar', () => {
  const dapr = sidecar(AppIds.sessions);

  it('saves, reads and deletes, and detects an ETag conflict', async () => {
    const key = `wiring-${randomUUID()}`;
    await dapr.saveState(Components.statestore, [{ key, value: { n: 1 } }]);
    const first = await dapr.getState<{ n: number }>(Components.statestore, key);
    expect(first?.value).toEqual({ n: 1 });
    expect(first?.etag).toBeTruthy();

    await dapr.saveState(Components.statestore, [{ key, value: { n: 2 }, etag: first!.etag! }]);
    const second = await dapr.getState<{ n: number }>(Components.statestore, key);
    expect(second?.value).toEqual({ n: 2 });
    expect(second?.etag).not.toBe(first?.etag);

    // a writer still holding the first ETag loses: no lost update
    const stale = dapr.saveState(Components.statestore, [{ key, value: { n: 99 }, etag: first!.etag! }]);
    await expect(stale).rejects.toBeInstanceOf(DaprError);
    await expect(stale).rejects.toMatchObject({ status: 409 });
    expect((await dapr.getState<{ n: number }>(Components.statestore, key))?.value).toEqual({ n: 2 });

    await expect(dapr.deleteState(Components.statestore, key, first!.etag!)).rejects.toMatchObject({ status: 409 });
    await dapr.deleteState(Components.statestore, key, second!.etag!);
    expect(await dapr.getState(Components.statestore, key)).toBeUndefined();
  });

  it('is not reachable from an app outside its scopes', async () => {
    const gateway = sidecar(AppIds.gateway);
    await expect(gateway.getState(Components.statestore, 'anything')).rejects.toBeInstanceOf(DaprError);
  });
});

describe('blob binding (bindings.azure.blobstorage) through the files sidecar', () => {
  const dapr = sidecar(AppIds.files);

  it('creates, gets and deletes a blob that Azurite really holds', async () => {
    const blobName = `wiring/${randomUUID()}`;
    const content = `hello from the wiring test ${randomUUID()}`;
    await dapr.binding(Components.blobstore, 'create', content, { blobName, contentType: 'text/plain' });

    const azurite = BlobServiceClient.fromConnectionString(stack.blobConnectionString);
    const blob = azurite.getContainerClient(BLOB_CONTAINER).getBlobClient(blobName);
    expect((await blob.downloadToBuffer()).toString()).toBe(content);

    const got = await dapr.binding(Components.blobstore, 'get', null, { blobName });
    expect(got.body.toString()).toBe(content);

    // deleteSnapshots must be set: the binding otherwise sends an empty x-ms-delete-snapshots header,
    // which Azurite refuses with 400
    await dapr.binding(Components.blobstore, 'delete', null, { blobName, deleteSnapshots: 'include' });
    expect(await blob.exists()).toBe(false);
    await expect(dapr.binding(Components.blobstore, 'get', null, { blobName })).rejects.toBeInstanceOf(DaprError);
  });

  it('is not reachable from an app outside its scopes', async () => {
    await expect(sidecar(AppIds.sessions).binding(Components.blobstore, 'list', null)).rejects.toBeInstanceOf(DaprError);
  });
});

describe('secret store (secretstores.local.file)', () => {
  it('reads the generated secret through a sidecar', async () => {
    const file = JSON.parse(readFileSync(join(stack.runDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const expected = file[Secrets.wiringCheck];
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
    const secret = await sidecar(AppIds.sessions).getSecret(Components.secretstore, Secrets.wiringCheck);
    expect(secret).toEqual({ [Secrets.wiringCheck]: expected });
  });

  it('answers an unknown secret with an error, not an empty value', async () => {
    await expect(sidecar(AppIds.files).getSecret(Components.secretstore, 'no-such-secret')).rejects.toBeInstanceOf(DaprError);
  });
});
