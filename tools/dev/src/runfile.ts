import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './paths.js';

/** One app of a Dapr multi-app run file, with paths made absolute. */
export interface RunApp {
  appId: string;
  appDir: string;
  /** Where the sidecar talks to its app (Dapr's --app-port): `port`, or `internalPort` for the gateway. */
  appPort: number;
  /** The app's main listener (env PORT): the gateway's public entry, every other app's API. */
  port: number;
  /** Probes, metrics and operator views (env INTERNAL_PORT). */
  internalPort: number;
  daprHttpPort: number;
  daprGrpcPort: number;
  daprInternalGrpcPort: number;
  metricsPort: number;
  command: string[];
  env: Record<string, string>;
  maxBodyMiB: number | undefined;
  /** daprd's HTTP read buffer, which is also its limit on a request's headers (Dapr's default: 4 KiB). */
  readBufferKiB: number | undefined;
  healthCheckPath: string | undefined;
  logLevel: string;
  resourcesPaths: string[];
  configFile: string;
}

interface RawApp {
  appID?: string;
  appDirPath?: string;
  appPort?: number;
  daprHTTPPort?: number;
  daprGRPCPort?: number;
  daprInternalGRPCPort?: number;
  metricsPort?: number;
  command?: string[];
  env?: Record<string, string | number | boolean>;
  daprHTTPMaxRequestSize?: number;
  daprHTTPReadBufferSize?: number;
  appHealthCheckPath?: string;
  logLevel?: string;
  resourcesPath?: string;
  resourcesPaths?: string[];
  configFilePath?: string;
}

interface RawRunFile {
  version?: number;
  common?: Omit<RawApp, 'appID' | 'appDirPath' | 'command'>;
  apps?: RawApp[];
}

function stringEnv(env: RawApp['env']): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
}

/**
 * Reads dapr.yaml (Dapr's multi-app run format), the one description of the local apps that both
 * `dapr run -f .` and our launcher use. Every port must be given: the launcher never guesses.
 */
export function readRunFile(file = join(REPO_ROOT, 'dapr.yaml')): RunApp[] {
  const raw = parse(readFileSync(file, 'utf8')) as RawRunFile;
  if (raw.version !== 1) throw new Error(`${file}: expected "version: 1", got ${String(raw.version)}`);
  const base = resolve(file, '..');
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const common = raw.common ?? {};
  const apps = raw.apps ?? [];
  if (apps.length === 0) throw new Error(`${file}: no apps`);
  return apps.map((app, i) => {
    const where = `${file}: apps[${i}]${app.appID ? ` (${app.appID})` : ''}`;
    const need = <T>(value: T | undefined, field: string): T => {
      if (value === undefined || value === null) throw new Error(`${where}: "${field}" is required`);
      return value;
    };
    const env = { ...stringEnv(common.env), ...stringEnv(app.env) };
    const envPort = (name: string) => {
      const value = Number(need(env[name], `env.${name}`));
      if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${where}: env.${name} must be a port, got ${env[name]}`);
      return value;
    };
    const port = envPort('PORT');
    const internalPort = envPort('INTERNAL_PORT');
    const appPort = need(app.appPort, 'appPort');
    if (appPort !== port && appPort !== internalPort) throw new Error(`${where}: appPort must be env.PORT or env.INTERNAL_PORT`);
    const resources = app.resourcesPaths ?? (app.resourcesPath ? [app.resourcesPath] : undefined) ??
      common.resourcesPaths ?? (common.resourcesPath ? [common.resourcesPath] : []);
    return {
      appId: need(app.appID, 'appID'),
      appDir: abs(need(app.appDirPath, 'appDirPath')),
      appPort,
      port,
      internalPort,
      daprHttpPort: need(app.daprHTTPPort, 'daprHTTPPort'),
      daprGrpcPort: need(app.daprGRPCPort, 'daprGRPCPort'),
      daprInternalGrpcPort: need(app.daprInternalGRPCPort, 'daprInternalGRPCPort'),
      metricsPort: need(app.metricsPort ?? common.metricsPort, 'metricsPort'),
      command: need(app.command, 'command'),
      env,
      maxBodyMiB: app.daprHTTPMaxRequestSize ?? common.daprHTTPMaxRequestSize,
      readBufferKiB: app.daprHTTPReadBufferSize ?? common.daprHTTPReadBufferSize,
      healthCheckPath: app.appHealthCheckPath ?? common.appHealthCheckPath,
      logLevel: app.logLevel ?? common.logLevel ?? 'info',
      resourcesPaths: resources.map(abs),
      configFile: abs(need(app.configFilePath ?? common.configFilePath, 'configFilePath')),
    };
  });
}

/** The ports of one app, shifted for a second stack (tests) or a replica. */
export function shiftPorts(app: RunApp, offset: number): RunApp {
  if (offset === 0) return app;
  const shifted = {
    ...app,
    appPort: app.appPort + offset,
    port: app.port + offset,
    internalPort: app.internalPort + offset,
    daprHttpPort: app.daprHttpPort + offset,
    daprGrpcPort: app.daprGrpcPort + offset,
    daprInternalGrpcPort: app.daprInternalGrpcPort + offset,
    metricsPort: app.metricsPort + offset,
  };
  for (const port of [shifted.port, shifted.internalPort, shifted.daprHttpPort, shifted.daprGrpcPort, shifted.daprInternalGrpcPort, shifted.metricsPort]) {
    if (port < 1 || port > 65535) throw new Error(`port offset ${offset} puts ${app.appId} outside 1-65535 (${port})`);
  }
  return shifted;
}
