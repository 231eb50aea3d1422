/**
 * Azurite, the Azure Storage emulator (blob service only). Locally over plain HTTP with its
 * well-known development account; in the production-like profile over HTTPS with `--oauth basic`,
 * as Blob Storage is reached with a token credential.
 *
 * What `--oauth basic` checks (azurite 3.35, dist/src/blob/authentication/BlobTokenAuthenticator.js):
 * only over HTTPS; the bearer token must decode as a JWT with iat, nbf and exp, be inside its
 * lifetime, have an issuer starting with https://sts.windows.net/ (or the other clouds' STS) and an
 * audience of https://storage.azure.com or https://<account>.blob.core.windows.net. The signature is
 * not verified, nor any role. Shared keys and SAS stay accepted beside OAuth (a correct signature
 * passes before the token check runs): the production-like profile gives its account a key
 * generated per start and handed to nobody, so a request signed with any key an app could know
 * (the well-known one included) is refused, as a storage account with shared keys turned off
 * refuses it (Azurite: 400 InvalidAuthenticationInfo; Azure: 403 KeyBasedAuthenticationNotPermitted).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { waitForPort } from '../ports.js';
import { type Part, type PartContext, partOf, spawnTracked, waitUntil } from './part.js';
import type { KeyPair } from './tls.js';

/** Azurite's published development account; not a secret (the same in every Azurite). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  port: number;
  /** Azurite's data; emptied first when `fresh`. */
  dir: string;
  fresh?: boolean;
  /** HTTPS with OAuth, an account of this name with a key nobody is given. */
  oauth?: { account: string; tls: KeyPair };
  /** The process's working folder. */
  cwd: string;
}

export interface Azurite extends Part {
  /** The blob endpoint without the account, e.g. https://127.0.0.1:10000 (Dapr's `endpoint`). */
  endpoint: string;
  account: string;
}

export async function startAzurite(ctx: PartContext, options: AzuriteOptions): Promise<Azurite> {
  if (options.fresh) rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const { oauth } = options;
  const proc = spawnTracked(ctx, {
    name: 'azurite',
    command: process.execPath,
    args: [
      join(REPO_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
      '--blobHost', '127.0.0.1',
      '--blobPort', String(options.port),
      '--location', options.dir,
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
      ...(oauth ? ['--oauth', 'basic', '--cert', oauth.tls.cert, '--key', oauth.tls.key] : []),
    ],
    cwd: options.cwd,
    env: oauth ? { ...process.env, AZURITE_ACCOUNTS: `${oauth.account}:${randomBytes(64).toString('base64')}` } : process.env,
  });
  const part = partOf('Azurite', [proc]);
  try {
    await waitForPort(options.port, 20_000);
    await waitUntil(`Azurite on ${options.port}`, async () => proc.tail().some((l) => l.includes('successfully listens')), { timeoutMs: 20_000, watch: [proc] });
  } catch (error) {
    await part.stop();
    throw error;
  }
  return { ...part, endpoint: `${oauth ? 'https' : 'http'}://127.0.0.1:${options.port}`, account: oauth?.account ?? AZURITE_ACCOUNT };
}

/**
 * Creates a private container with a bearer token, as the infrastructure creates it on Azure
 * (deploy/infra: the container is a resource; the sidecar's disableEntityManagement keeps it from
 * trying). 201, or 409 when it exists, are both fine.
 */
export function createContainer(options: { endpoint: string; account: string; container: string; token: string; ca: string }): Promise<void> {
  const url = new URL(`${options.endpoint}/${options.account}/${options.container}?restype=container`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        ca: readFileSync(options.ca),
        headers: { authorization: `Bearer ${options.token}`, 'x-ms-version': '2021-08-06', 'content-length': '0' },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          res.statusCode === 201 || res.statusCode === 409
            ? resolve()
            : reject(new Error(`creating the container ${options.container} failed: ${res.statusCode} ${body.slice(0, 300)}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
