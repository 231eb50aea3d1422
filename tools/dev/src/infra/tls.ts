import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENTRA_HOST } from './entra.js';

/** A certificate and its key, as PEM files. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** A certificate authority of one stack: what clients trust (`cert`) and what signs (`key`). */
export type Authority = KeyPair;

function openssl(args: string[], cwd: string): void {
  const out = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (out.error) throw new Error(`openssl is needed for the production-like profile's certificates: ${out.error.message}`);
  if (out.status !== 0) throw new Error(`openssl ${args[0]} failed:\n${out.stderr}`);
}

/** True when the certificate exists and stays valid for another day (reused across starts). */
function stillValid(cert: string): boolean {
  if (!existsSync(cert)) return false;
  return spawnSync('openssl', ['x509', '-in', cert, '-noout', '-checkend', '86400']).status === 0;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA in `dir` (ca.crt, ca.key), made once and reused while it is valid. */
export function ensureAuthority(dir: string, subject: string): Authority {
  mkdirSync(dir, { recursive: true });
  const pair = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  if (stillValid(pair.cert) && existsSync(pair.key)) return pair;
  openssl([
    'req', '-x509', '-new', ...EC_KEY, '-keyout', pair.key, '-out', pair.cert, '-days', '3650', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], dir);
  return pair;
}

/**
 * A certificate `name`.crt/.key in `dir` signed by `ca`: a TLS server (and client) leaf for the
 * given subject alternative names (`IP:127.0.0.1`, `DNS:localhost`), or, with `intermediate`, a CA
 * that may sign leaves itself (Sentry's issuer). Reused while valid and signed by this `ca`.
 */
export function ensureSigned(ca: Authority, dir: string, name: string, options: { subject: string; sans?: string[]; intermediate?: boolean }): KeyPair {
  mkdirSync(dir, { recursive: true });
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const signedByCa = () => spawnSync('openssl', ['verify', '-CAfile', ca.cert, pair.cert]).status === 0;
  if (stillValid(pair.cert) && existsSync(pair.key) && signedByCa()) return pair;
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const extensions = options.intermediate
    ? ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']
    : [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=${(options.sans ?? []).join(',')}`,
      ];
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  try {
    openssl(['req', '-new', ...EC_KEY, '-keyout', pair.key, '-out', csr, '-subj', options.subject], dir);
    // 825 days: the longest validity TLS clients accept for a leaf
    openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${Date.now().toString(16)}`,
      '-out', pair.cert, '-days', options.intermediate ? '365' : '825', '-extfile', ext], dir);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return pair;
}

/** Host names the stack's services answer TLS on: everything listens on the loopback. */
export const LOOPBACK_SANS = ['IP:127.0.0.1', 'DNS:localhost'];

/** An RSA private key (PEM) in `dir`, made once: what signs the identity stand-in's tokens. */
export function ensureRsaKey(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${name}.key`);
  if (!existsSync(key)) openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], dir);
  return key;
}

/** Everything TLS of one production-like stack, under `<runDir>/tls`. */
export interface StackTls {
  /** The stack's CA: what apps (NODE_EXTRA_CA_CERTS) and sidecars (SSL_CERT_FILE) trust. */
  ca: Authority;
  /** The loopback services' certificate: Redis, PgBouncer, Azurite. */
  loopback: KeyPair;
  /** Entra ID's host name, served by the identity stand-in behind its proxy. */
  entra: KeyPair;
  /** Signs the stand-in's tokens: the service-account tokens it federates and the access tokens it issues. */
  tokenKey: string;
  /** Sentry's own trust bundle (ca.crt, issuer.crt, issuer.key), as the Dapr control plane keeps one. */
  sentryDir: string;
}

/**
 * The stack's certificates, made with openssl on first use and reused while they are valid. Sentry
 * has a CA of its own, apart from the services' one: a sidecar then accepts as a peer only what
 * Sentry signed, never a Redis or Azurite certificate.
 */
export function ensureStackTls(dir: string): StackTls {
  const ca = ensureAuthority(join(dir, 'ca'), '/O=Strata/CN=Strata local CA');
  const loopback = ensureSigned(ca, dir, 'loopback', { subject: '/O=Strata/CN=localhost', sans: LOOPBACK_SANS });
  const entra = ensureSigned(ca, dir, 'entra', { subject: '/O=Strata/CN=login.microsoftonline.com', sans: [`DNS:${ENTRA_HOST}`] });
  const tokenKey = ensureRsaKey(dir, 'token-issuer');
  const sentryDir = join(dir, 'sentry');
  // Sentry reads ca.crt, issuer.crt and issuer.key from one folder; the root's key stays outside it
  const sentryRoot = ensureAuthority(join(dir, 'sentry-root'), '/O=Strata/CN=Strata local Sentry root');
  ensureSigned(sentryRoot, sentryDir, 'issuer', { subject: '/O=Strata/CN=Strata local Sentry issuer', intermediate: true });
  copyFileSync(sentryRoot.cert, join(sentryDir, 'ca.crt'));
  return { ca, loopback, entra, tokenKey, sentryDir };
}
