/**
 * deploy/'s Dapr Configurations allow each app exactly what it does (AppManifests in
 * packages/contracts, the list the apps themselves read at run time): its secret scope names the
 * secrets it reads, no more and no fewer, and each callee's accessControl lets in exactly the apps
 * of the namespace that invoke it, for the operations they call. Partners are outside this check:
 * they are not apps of this repository (consistency.unit.spec.ts names them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_APP_IDS, AppManifests, Components, type AppId, type InvokedOperation } from '@strata/contracts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_DIR } from '../src/versions.js';

interface Policy {
  appId: string;
  defaultAction: 'allow' | 'deny';
  namespace: string;
  trustDomain: string;
  operations?: { name: string; httpVerb: string[]; action: 'allow' | 'deny' }[];
}
interface Configuration {
  spec: {
    secrets: { scopes: { storeName: string; defaultAccess: string; allowedSecrets?: string[]; deniedSecrets?: string[] }[] };
    accessControl: { defaultAction: string; policies: Policy[] };
  };
}

const NAMESPACE = (parse(readFileSync(join(DEPLOY_DIR, 'k8s/base/kustomization.yaml'), 'utf8')) as { namespace: string }).namespace;
const configurationOf = (app: AppId) => parse(readFileSync(join(DEPLOY_DIR, 'dapr/config', `${app}.yaml`), 'utf8')) as Configuration;

/** What a callee's policies allow the apps of the namespace: by caller, '*' or its operations. */
function allowedCallers(config: Configuration): Map<string, '*' | InvokedOperation[]> {
  const allowed = new Map<string, '*' | InvokedOperation[]>();
  for (const policy of config.spec.accessControl.policies.filter((p) => p.namespace === NAMESPACE)) {
    const operations = policy.operations ?? [];
    if (policy.defaultAction === 'allow') {
      // an allow-by-default policy that denies some operations would be more than '*' can say
      expect(operations.filter((o) => o.action === 'deny'), `${policy.appId}: denied operations`).toEqual([]);
      allowed.set(policy.appId, '*');
    } else {
      allowed.set(
        policy.appId,
        operations.filter((o) => o.action === 'allow').map((o) => ({ name: o.name, httpVerb: [...o.httpVerb].sort() })),
      );
    }
  }
  return allowed;
}

/** What the manifests say each app invokes of `callee`. */
function declaredCallers(callee: AppId): Map<string, '*' | InvokedOperation[]> {
  const declared = new Map<string, '*' | InvokedOperation[]>();
  for (const caller of ALL_APP_IDS) {
    const calls = AppManifests[caller].invokes[callee];
    if (calls === undefined) continue;
    declared.set(caller, calls === '*' ? '*' : calls.map((o) => ({ name: o.name, httpVerb: [...o.httpVerb].sort() })));
  }
  return declared;
}

describe('secret scopes: exactly the secrets each app reads', () => {
  it.each(ALL_APP_IDS)('%s', (app) => {
    const scopes = configurationOf(app).spec.secrets.scopes;
    expect(scopes.map((s) => s.storeName)).toEqual([Components.secretstore]);
    const [scope] = scopes;
    expect(scope!.defaultAccess).toBe('deny');
    expect(scope!.deniedSecrets ?? []).toEqual([]);
    expect([...(scope!.allowedSecrets ?? [])].sort()).toEqual([...AppManifests[app].secrets].sort());
  });
});

describe('access control: exactly the apps that invoke each callee, for what they call', () => {
  it.each(ALL_APP_IDS)('%s', (callee) => {
    const config = configurationOf(callee);
    expect(config.spec.accessControl.defaultAction).toBe('deny');
    const allowed = allowedCallers(config);
    const declared = declaredCallers(callee);
    expect(Object.fromEntries(allowed)).toEqual(Object.fromEntries(declared));
  });
});

describe('the check itself', () => {
  const sessions = configurationOf('sessions');
  const withPolicies = (policies: Policy[]): Configuration => ({ spec: { ...sessions.spec, accessControl: { ...sessions.spec.accessControl, policies } } });
  const files: Policy = { appId: 'files', defaultAction: 'deny', namespace: NAMESPACE, trustDomain: 'public', operations: [{ name: '/.well-known/jwks.json', httpVerb: ['GET'], action: 'allow' }] };

  it('sees a caller the manifests do not name, and one they name that is missing', () => {
    const extra = allowedCallers(withPolicies([...sessions.spec.accessControl.policies, { ...files, appId: 'ratelimit' }]));
    expect(Object.fromEntries(extra)).not.toEqual(Object.fromEntries(declaredCallers('sessions')));
    const missing = allowedCallers(withPolicies(sessions.spec.accessControl.policies.filter((p) => p.appId !== 'files')));
    expect(Object.fromEntries(missing)).not.toEqual(Object.fromEntries(declaredCallers('sessions')));
  });

  it('sees an operation more than the caller calls, and a caller allowed everything', () => {
    const others = sessions.spec.accessControl.policies.filter((p) => p.appId !== 'files');
    const wider = allowedCallers(withPolicies([...others, { ...files, operations: [...files.operations!, { name: '/api/v1/auth/**', httpVerb: ['POST'], action: 'allow' }] }]));
    expect(Object.fromEntries(wider)).not.toEqual(Object.fromEntries(declaredCallers('sessions')));
    const open = allowedCallers(withPolicies([...others, { ...files, defaultAction: 'allow', operations: [] }]));
    expect(open.get('files')).toBe('*');
  });

  it('ignores partners: they are not apps of this repository', () => {
    expect([...allowedCallers(sessions).keys()]).not.toContain('partner-example');
  });
});
