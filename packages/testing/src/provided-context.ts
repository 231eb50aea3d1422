/**
 * What the integration test stack tells the tests (vitest `inject('stack')`). Test files bring the
 * typing in with `import type {} from '@strata/testing'`.
 */
import type {} from 'vitest';

export interface TestStackInfo {
  gatewayUrl: string;
  apps: Record<string, { appPort: number; daprHttpPort: number; daprGrpcPort: number; metricsPort: number }>;
  databaseUrl: string;
  redisUrl: string;
  blobConnectionString: string;
  runDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStackInfo;
  }
}
