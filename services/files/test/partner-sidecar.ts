import type { TestStackInfo } from '@strata/testing';
import { startSidecar } from '@strata/testing/harness';

export { partnerToken, registerPartner } from '@strata/testing/harness';

/** A sidecar for a partner's own app-id, with no app behind it: the partner only calls out, through service invocation. */
export async function startPartnerSidecar(stack: TestStackInfo, appId = 'partner-example') {
  const sidecar = await startSidecar(stack, { appId });
  return {
    /** Calls the files service through this sidecar: /v1.0/invoke/files/method/<path>. */
    invokeFiles: (path: string, init: RequestInit = {}) => fetch(`${sidecar.url}/v1.0/invoke/files/method${path}`, init),
    stop: () => sidecar.stop(),
  };
}
