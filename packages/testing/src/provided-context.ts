/**
 * What the integration test stack tells the tests (vitest `inject('stack')`). Test files bring the
 * typing in with `import type {} from '@strata/testing'`.
 */
import type {} from 'vitest';

export interface TestStackInfo {
  gatewayUrl: string;
  /**
   * `appPort`: the app's main listener (its API; the gateway's public entry), `internalPort`: its
   * probes, metrics and operator views.
   */
  apps: Record<string, { appPort: number; internalPort: number; daprHttpPort: number; daprGrpcPort: number; metricsPort: number }>;
  databaseUrl: string;
  redisUrl: string;
  /**
   * A three-master Redis Cluster over TLS with a password (the prod-like stack's own, or one
   * beside the local stack): apps given this URL with REDIS_MODE=cluster run as on Azure Cache for
   * Redis with clustering. The test workers trust its CA (NODE_EXTRA_CA_CERTS).
   */
  redisCluster: { url: string; caFile: string };
  blobConnectionString: string;
  runDir: string;
  /** What an extra sidecar needs to run as the stack's do (the test harness): */
  daprdPath: string;
  /** the stack's generated Dapr Configuration (its own name-resolution database), */
  daprConfigFile: string;
  /** its components and configuration folders, */
  resourcesPaths: string[];
  /** and the secrets file its secret store reads. */
  secretsFile: string;
  /**
   * The launcher's supervisor state (tools/dev's SupervisorState, read with @strata/testing's
   * `supervisorState`): each app's and sidecar's pid and restarts, and every restart.
   */
  supervisorFile: string;
  /**
   * The token each sidecar presents to its app (dapr-api-token): an app other than the gateway
   * answers its API only to callers that present it, so a test calling an app's port directly does.
   */
  appApiToken: string;
  /** `local`, or `prod-like` (STRATA_TEST_PROFILE): deploy/'s Dapr configuration on the stand-ins (tools/dev's PROFILES). */
  profile: 'local' | 'prod-like';
  /** The token of each app's sidecar, by app-id (all equal to appApiToken in the local profile). */
  appTokens: Record<string, string>;
  /** What the sidecars demand from callers of their API (prod-like only). */
  daprApiToken?: string;
  /** The CA of the stack's TLS services (prod-like only). */
  caFile?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStackInfo;
  }
}
