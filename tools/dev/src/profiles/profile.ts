import type { Infra } from '../preflight.js';
import type { RunApp } from '../runfile.js';
import type { Azurite } from '../infra/azurite.js';
import type { PartContext, Part } from '../infra/part.js';

/**
 * How a stack runs its apps: `local` on the machine's Redis and Postgres with dapr/'s components
 * and one shared Configuration; `prod-like` with deploy/'s Configurations and components on local
 * stand-ins of the Azure services (profiles/prod-like.ts).
 */
export const PROFILES = ['local', 'prod-like'] as const;
export type ProfileName = (typeof PROFILES)[number];

export function isProfile(name: string): name is ProfileName {
  return (PROFILES as readonly string[]).includes(name);
}

/** What the stack hands a profile before any app starts. */
export interface ProfileInput {
  runDir: string;
  portOffset: number;
  database: string;
  redisDb: number;
  azuriteBlobPort: number;
  fresh: boolean;
  infra: Infra;
  /** The apps of the stack (one entry per app-id, whatever the replicas). */
  appIds: string[];
  /** The sqlite name-resolution database every sidecar of the stack shares. */
  nameResolutionDb: string;
  /** dapr.yaml's Configuration (configFilePath) and resources (resourcesPaths): the local ones. */
  localConfig: string;
  localResourcesPaths: string[];
  ctx: PartContext;
}

/** How one sidecar runs: its Configuration, resources, extra flags and environment. */
export interface SidecarSetup {
  configFile: string;
  resourcesPaths: string[];
  args: string[];
  env: Record<string, string>;
}

/** A profile whose infrastructure is up: what the apps and sidecars need from it. */
export interface RunningProfile {
  name: ProfileName;
  parts: Part[];
  azurite: Azurite;
  secretsFile: string;
  /** What the apps reach Postgres and Redis with (the values of the secrets they read). */
  databaseUrl: string;
  redisUrl: string;
  /** Empty in the production-like profile: nothing may use a key there. */
  blobConnectionString: string;
  /** A Configuration for sidecars the stack does not run itself (partners, tests). */
  daprConfigFile: string;
  /** The components and configuration folders the stack's sidecars read. */
  resourcesPaths: string[];
  /** What each app's sidecar presents to it (dapr-api-token), by app-id. */
  appTokens: Record<string, string>;
  /** What apps present to their sidecars' API, when the sidecars demand it. */
  daprApiToken?: string;
  /** The CA the stack's TLS services use, when there are any. */
  caFile?: string;
  sidecar(app: RunApp): SidecarSetup;
  /** Environment an app gets from the profile (tokens, trust, identity). */
  appEnv(app: RunApp): Record<string, string>;
  /** Lines for the start-up summary: what runs where. */
  summary: string[];
  stop(): Promise<void>;
}

export interface Profile {
  name: ProfileName;
  /** Every port the profile's infrastructure will listen on, checked free before anything starts. */
  ports(input: Pick<ProfileInput, 'portOffset' | 'azuriteBlobPort'>): number[];
  start(input: ProfileInput): Promise<RunningProfile>;
}
