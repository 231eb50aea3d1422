import { Components, type SecretName, manifestOf } from '@strata/contracts';
import { type DaprClient, DaprError } from '@strata/dapr';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Start-up cannot go on for a reason an operator fixes outside the code (a secret the app's Dapr
 * Configuration does not let it read, a secret that does not exist). `runServer` prints the
 * message alone and exits non-zero, once: no stack trace, no retry loop inside the process.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Waits until the sidecar serves its outbound API (components loaded). An app starts beside its
 * sidecar, so at boot it may be a few seconds early; past the deadline it fails with a message
 * that says which sidecar it waited for.
 */
export async function waitForSidecar(dapr: DaprClient, log: FastifyBaseLogger, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  while (!(await dapr.isOutboundReady())) {
    if (Date.now() > deadline) {
      throw new StartupError(`the Dapr sidecar at ${dapr.baseUrl} did not become ready within ${timeoutMs / 1000} s`);
    }
    if (!told) log.info({ sidecar: dapr.baseUrl }, 'waiting for the Dapr sidecar');
    told = true;
    await sleep(250);
  }
}

/**
 * Reads an app's secrets: from the environment when an operator set the variable explicitly (tests,
 * a service run alone), otherwise from the Dapr secret store, which is the normal path. Only the
 * secrets the app's manifest declares (AppManifests in @strata/contracts) can be read, so the
 * manifest, which deploy/'s secret scopes are checked against, is what the app really reads.
 */
export class SecretReader {
  constructor(
    private readonly dapr: DaprClient,
    private readonly log: FastifyBaseLogger,
    readonly appId: string,
  ) {}

  async read(name: SecretName, fromEnv: string | undefined): Promise<string> {
    const manifest = manifestOf(this.appId);
    if (manifest && !manifest.secrets.includes(name) && !manifest.localSecrets?.includes(name)) {
      throw new Error(`${this.appId} reads the secret "${name}", which its manifest (AppManifests in @strata/contracts) does not declare`);
    }
    if (fromEnv) return fromEnv;
    await waitForSidecar(this.dapr, this.log);
    const store = Components.secretstore;
    let secret: Record<string, string>;
    try {
      secret = await this.dapr.getSecret(store, name);
    } catch (error) {
      if (error instanceof DaprError && (error.status === 403 || error.errorCode === 'ERR_PERMISSION_DENIED')) {
        throw new StartupError(
          `the secret "${name}" is denied to app-id "${this.appId}" by the secret scope of its Dapr Configuration ` +
            `(store "${store}": allowedSecrets does not name it; on AKS deploy/dapr/config/${this.appId}.yaml). ` +
            `Dapr answered: ${error.message}`,
        );
      }
      if (error instanceof DaprError) {
        throw new StartupError(`the secret "${name}" could not be read from the "${store}" secret store for app-id "${this.appId}": ${error.message}`);
      }
      throw error;
    }
    const value = secret[name];
    if (!value) throw new StartupError(`the secret "${name}" is missing from the "${store}" secret store (app-id "${this.appId}")`);
    return value;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    secrets: SecretReader;
  }
}

/** `app.secrets`: the app's secret reader. Needs `app.dapr`. */
export const secretsPlugin = fp(
  async (app: FastifyInstance, opts: { appId: string }) => {
    app.decorate('secrets', new SecretReader(app.dapr, app.log, opts.appId));
  },
  { name: 'strata-secrets', dependencies: ['strata-dapr'] },
);
