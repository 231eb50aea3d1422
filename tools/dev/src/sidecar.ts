/** What one daprd needs to know: who it is, where its app is, its own ports and resources. */
export interface SidecarSpec {
  appId: string;
  /** Where the sidecar talks to its app; none for a sidecar that only calls out (a partner). */
  appPort?: number;
  httpPort: number;
  grpcPort: number;
  internalGrpcPort: number;
  metricsPort: number;
  configFile: string;
  resourcesPaths: string[];
  logLevel?: string;
  maxBodyMiB?: number | undefined;
  healthCheckPath?: string | undefined;
}

/**
 * daprd's command line for one sidecar on 127.0.0.1 (every listener of its own: the defaults
 * would clash between sidecars), written once for the launcher and the tests' extra sidecars.
 */
export function daprdArgs(spec: SidecarSpec): string[] {
  return [
    '--app-id', spec.appId,
    ...(spec.appPort !== undefined ? ['--app-port', String(spec.appPort), '--app-protocol', 'http'] : []),
    '--dapr-http-port', String(spec.httpPort),
    '--dapr-grpc-port', String(spec.grpcPort),
    '--dapr-internal-grpc-port', String(spec.internalGrpcPort),
    '--metrics-port', String(spec.metricsPort),
    '--dapr-listen-addresses', '127.0.0.1',
    '--dapr-internal-grpc-listen-address', '127.0.0.1',
    '--metrics-listen-address', '127.0.0.1',
    '--config', spec.configFile,
    '--log-level', spec.logLevel ?? 'warn',
    ...spec.resourcesPaths.flatMap((p) => ['--resources-path', p]),
    ...(spec.maxBodyMiB ? ['--max-body-size', `${spec.maxBodyMiB}Mi`] : []),
    ...(spec.healthCheckPath ? ['--enable-app-health-check', '--app-health-check-path', spec.healthCheckPath] : []),
  ];
}

/** The variables components read by envRef (dapr/components, dapr/prod-like/components). */
export const ComponentEnv = {
  secretsFile: 'STRATA_SECRETS_FILE',
  redisHost: 'STRATA_REDIS_HOST',
  redisDb: 'STRATA_REDIS_DB',
  storageAccount: 'STRATA_STORAGE_ACCOUNT',
  blobEndpoint: 'STRATA_BLOB_ENDPOINT',
  filesClientId: 'STRATA_FILES_CLIENT_ID',
} as const;

/** What the local components read by envRef (dapr/components): the stack's secrets file and Redis. */
export function componentEnv(stack: { secretsFile: string; redisHost: string; redisDb: number }): Record<string, string> {
  return { [ComponentEnv.secretsFile]: stack.secretsFile, [ComponentEnv.redisHost]: stack.redisHost, [ComponentEnv.redisDb]: String(stack.redisDb) };
}
