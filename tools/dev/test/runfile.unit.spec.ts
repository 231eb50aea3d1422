import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_APP_IDS, Components, DefaultPorts } from '@strata/contracts';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/paths.js';
import { readRunFile, shiftPorts } from '../src/runfile.js';
import { TEST_PORT_OFFSET } from '../src/test-stack.js';

// dapr.yaml, dapr/components and packages/contracts describe the same apps and components; these
// checks keep them in agreement.
describe('dapr.yaml', () => {
  const apps = readRunFile();

  it('runs exactly the apps the contracts name, on the default ports', () => {
    expect(apps.map((a) => a.appId).sort()).toEqual([...ALL_APP_IDS].sort());
    for (const app of apps) {
      const ports = DefaultPorts[app.appId as keyof typeof DefaultPorts];
      expect({
        app: app.port,
        internal: app.internalPort,
        daprHttp: app.daprHttpPort,
        daprGrpc: app.daprGrpcPort,
        daprInternalGrpc: app.daprInternalGrpcPort,
        metrics: app.metricsPort,
      }).toEqual(ports);
      // the sidecar talks to the gateway's internal listener (its main one is public), to every other app's main one
      expect(app.appPort).toBe(app.appId === 'gateway' ? app.internalPort : app.port);
    }
  });

  it('gives every app and sidecar its own ports, also in the shifted test stack', () => {
    for (const offset of [0, TEST_PORT_OFFSET]) {
      const ports = apps.map((a) => shiftPorts(a, offset)).flatMap((a) => [a.port, a.internalPort, a.daprHttpPort, a.daprGrpcPort, a.daprInternalGrpcPort, a.metricsPort]);
      expect(new Set(ports).size).toBe(ports.length);
    }
  });

  it('keeps a second local stack 1,000 apart clear of the first, replicas included', () => {
    const ports = (offset: number) =>
      apps.flatMap((a) => [0, 100, 200].map((r) => shiftPorts(a, offset + r)))
        .flatMap((a) => [a.port, a.internalPort, a.daprHttpPort, a.daprGrpcPort, a.daprInternalGrpcPort, a.metricsPort]);
    for (const [one, other] of [[0, 1000], [TEST_PORT_OFFSET, TEST_PORT_OFFSET + 1000], [0, TEST_PORT_OFFSET]]) {
      const all = [...ports(one!), ...ports(other!)];
      expect(new Set(all).size, `${one} and ${other}`).toBe(all.length);
    }
  });

  it('refuses an offset that leaves the port range', () => {
    expect(() => shiftPorts(apps[0]!, 60_000)).toThrow(/outside 1-65535/);
  });
});

describe('dapr/components', () => {
  const dir = join(REPO_ROOT, 'dapr', 'components');
  const components = readdirSync(dir).map(
    (f) => parse(readFileSync(join(dir, f), 'utf8')) as { kind: string; metadata: { name: string }; spec: { type: string }; scopes?: string[] },
  );

  it('defines the components the code names, and only those', () => {
    expect(components.map((c) => c.metadata.name).sort()).toEqual(Object.values(Components).sort());
  });

  it('scopes every component to known app-ids', () => {
    for (const c of components) {
      expect(c.scopes?.length, `${c.metadata.name} has scopes`).toBeGreaterThan(0);
      for (const scope of c.scopes ?? []) expect(ALL_APP_IDS).toContain(scope);
    }
  });

  it('uses the component types the design names', () => {
    const types = Object.fromEntries(components.map((c) => [c.metadata.name, c.spec.type]));
    expect(types).toEqual({
      pubsub: 'pubsub.redis',
      statestore: 'state.postgresql',
      blobstore: 'bindings.azure.blobstorage',
      secretstore: 'secretstores.local.file',
      // a stand-in: answers with its prompt (deploy/ has Azure OpenAI under the same name)
      llm: 'conversation.echo',
      // a stand-in: one file per mail in the stack's mail/ folder (deploy/ has an SMTP relay)
      mail: 'bindings.localstorage',
    });
  });
});
