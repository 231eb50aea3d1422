import { Components } from '@strata/contracts';
import type { DaprClient } from '@strata/dapr';
import type { FastifyBaseLogger } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';

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
      throw new Error(`the Dapr sidecar at ${dapr.baseUrl} did not become ready within ${timeoutMs / 1000} s`);
    }
    if (!told) log.info({ sidecar: dapr.baseUrl }, 'waiting for the Dapr sidecar');
    told = true;
    await sleep(250);
  }
}

/**
 * A secret's value: from the environment when an operator set it there explicitly (tests, a
 * service run alone), otherwise from the Dapr secret store, which is the normal path.
 */
export async function resolveSecret(
  dapr: DaprClient,
  log: FastifyBaseLogger,
  name: string,
  fromEnv: string | undefined,
): Promise<string> {
  if (fromEnv) return fromEnv;
  await waitForSidecar(dapr, log);
  const secret = await dapr.getSecret(Components.secretstore, name);
  const value = secret[name];
  if (!value) throw new Error(`secret "${name}" is missing from the "${Components.secretstore}" secret store`);
  return value;
}
