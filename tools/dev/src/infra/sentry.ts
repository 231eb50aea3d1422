/**
 * Dapr's Sentry, the certificate authority that gives each sidecar its mTLS identity. On AKS the
 * control plane runs it (helm, global.mtls); deploy/'s accessControl reads the caller's identity
 * from that certificate (pkg/acl: without one every call gets the global default action, "deny").
 *
 * Self-hosted, Sentry signs whatever a sidecar asks for (its "insecure" validator): app-id from
 * --app-id, namespace from the sidecar's NAMESPACE, trust domain "public" (what a sidecar that is
 * no control-plane service requests). So sidecars started with NAMESPACE=strata are
 * spiffe://public/ns/strata/<app-id>, which is what deploy/'s policies name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ensureSentry } from '../daprd.js';
import { REPO_ROOT } from '../paths.js';
import { type Part, type PartContext, partOf, spawnTracked, waitUntil } from './part.js';

export interface SentryOptions {
  port: number;
  healthzPort: number;
  /** ca.crt, issuer.crt and issuer.key (StackTls.sentryDir). */
  credentialsDir: string;
  /** Where Sentry's Configuration is written. */
  dir: string;
  startTimeoutMs?: number;
}

export interface Sentry extends Part {
  /** host:port for daprd's --sentry-address. */
  address: string;
  /** The PEM the sidecars trust (DAPR_TRUST_ANCHORS). */
  trustAnchors: string;
}

/**
 * The `daprsystem` Configuration Sentry reads, with the workload-certificate settings helm writes
 * into it on AKS from deploy/dapr/helm-values.yaml (global.mtls).
 */
export function sentryConfiguration(helmValues = join(REPO_ROOT, 'deploy', 'dapr', 'helm-values.yaml')): Record<string, unknown> {
  const values = parse(readFileSync(helmValues, 'utf8')) as { global?: { mtls?: { enabled?: boolean; workloadCertTTL?: string; allowedClockSkew?: string } } };
  const mtls = values.global?.mtls;
  if (!mtls?.enabled) throw new Error(`${helmValues}: global.mtls.enabled is not true; the production-like profile mirrors it`);
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: { name: 'daprsystem' },
    spec: { mtls: { enabled: true, workloadCertTTL: mtls.workloadCertTTL, allowedClockSkew: mtls.allowedClockSkew } },
  };
}

export async function startSentry(ctx: PartContext, options: SentryOptions): Promise<Sentry> {
  const binary = await ensureSentry();
  const config = join(options.dir, 'sentry-config.yaml');
  writeFileSync(config, stringify(sentryConfiguration()));
  const proc = spawnTracked(ctx, {
    name: 'sentry',
    command: binary,
    args: [
      '--config', config,
      '--issuer-credentials', options.credentialsDir,
      '--port', String(options.port),
      '--listen-address', '127.0.0.1',
      // Sentry 1.18 binds its health and metrics servers on every interface, whatever their
      // listen-address flags say: no metrics here, and health on a port of the stack's
      '--healthz-port', String(options.healthzPort),
      '--enable-metrics=false',
      '--log-level', 'warn',
    ],
    cwd: options.dir,
  });
  const part = partOf('Sentry', [proc]);
  try {
    await waitUntil(
      `Sentry on ${options.port}`,
      async () => (await fetch(`http://127.0.0.1:${options.healthzPort}/healthz`, { signal: AbortSignal.timeout(1_000) })).status === 200,
      { timeoutMs: options.startTimeoutMs ?? 20_000, watch: [proc] },
    );
  } catch (error) {
    await part.stop();
    throw error;
  }
  return { ...part, address: `127.0.0.1:${options.port}`, trustAnchors: readFileSync(join(options.credentialsDir, 'ca.crt'), 'utf8') };
}

/** What a sidecar needs to take part in mTLS: its flags and environment. */
export function mtlsSidecar(sentry: Pick<Sentry, 'address' | 'trustAnchors'>, namespace: string): { args: string[]; env: Record<string, string> } {
  return {
    args: ['--enable-mtls', '--sentry-address', sentry.address],
    env: { DAPR_TRUST_ANCHORS: sentry.trustAnchors, NAMESPACE: namespace },
  };
}
