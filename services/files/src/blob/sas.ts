import {
  BlobSASPermissions,
  type BlobServiceClient,
  SASProtocol,
  type StorageSharedKeyCredential,
  type UserDelegationKey,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';

/** What a download's SAS forces on the blob's answer (rscd, rsct, rscc): Blob Storage sends these, whatever the blob holds. */
export interface ForcedHeaders {
  contentDisposition: string;
  contentType: string;
}

/**
 * Signs download URLs: read-only, for one blob (sr=b: exactly that version, blobs are immutable
 * and named by version id), valid from now until now + ttl, with the answer's headers forced.
 */
export interface DownloadSigner {
  /** How the URLs are signed, for logs and the README: `account-key` (Azurite) or `user-delegation` (AKS). */
  readonly kind: 'account-key' | 'user-delegation';
  url(blobName: string, headers: ForcedHeaders, now: Date): Promise<string>;
}

/**
 * The signed version (sv) of every SAS, pinned: it chooses the string-to-sign, and the SDK's newest
 * (2026-04-06 in 12.32) adds fields Azurite 3.35 does not sign, so Azurite refused every
 * user-delegation SAS. Azure accepts this version as well; raise it with Azurite.
 */
export const SAS_VERSION = '2025-11-05';

/** Sent on the blob's answer: a SAS URL is a bearer capability, so nothing keeps its answer for another. */
export const SAS_CACHE_CONTROL = 'private, no-store';

/**
 * `base/container/a/b/c`: the public base (Azurite's address, or the Application Gateway's `/blob`
 * path) with each segment of the blob name percent-encoded.
 */
export function blobUrl(base: string, container: string, blobName: string): string {
  const path = [container, ...blobName.split('/')].map((segment) => encodeURIComponent(segment)).join('/');
  return `${base.replace(/\/+$/, '')}/${path}`;
}

interface SignerOptions {
  container: string;
  /** The blob endpoint as clients reach it (account path included for a path-style endpoint such as Azurite's). */
  publicUrl: string;
  ttlSeconds: number;
}

function signatureValues(opts: SignerOptions, blobName: string, headers: ForcedHeaders, now: Date) {
  return {
    version: SAS_VERSION,
    containerName: opts.container,
    blobName,
    permissions: BlobSASPermissions.parse('r'),
    // no start time: valid at once, whatever the skew between this clock and Blob Storage's
    expiresOn: new Date(now.getTime() + opts.ttlSeconds * 1000),
    // https only when clients reach Blob over https (always in deploy/); Azurite locally is plain http
    protocol: opts.publicUrl.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    contentDisposition: headers.contentDisposition,
    contentType: headers.contentType,
    cacheControl: SAS_CACHE_CONTROL,
  };
}

/** Account-key SAS: Azurite's development account, whose key comes from the secret store. */
export function accountKeySigner(credential: StorageSharedKeyCredential, opts: SignerOptions): DownloadSigner {
  return {
    kind: 'account-key',
    url: async (blobName, headers, now) =>
      `${blobUrl(opts.publicUrl, opts.container, blobName)}?${generateBlobSASQueryParameters(signatureValues(opts, blobName, headers, now), credential).toString()}`,
  };
}

export type DelegationKeyFetcher = (startsOn: Date, expiresOn: Date) => Promise<UserDelegationKey>;

/**
 * The user delegation key, kept until shortly before it expires: one `Get User Delegation Key`
 * call per `keyLifetimeMs` per replica, not one per download. A SAS signed with it must not
 * outlive it, so a key is renewed once less than `minRemainingMs` (the SAS lifetime and a margin)
 * is left. Concurrent callers share one request; a failed request is not kept.
 */
export class DelegationKeyCache {
  private key: UserDelegationKey | undefined;
  private pending: Promise<UserDelegationKey> | undefined;
  /** How many keys were asked for: the tests count them. */
  fetched = 0;

  constructor(
    private readonly fetch: DelegationKeyFetcher,
    private readonly options: { keyLifetimeMs: number; minRemainingMs: number; skewMs: number },
  ) {}

  async get(now: Date): Promise<UserDelegationKey> {
    const key = this.key;
    if (key && key.signedExpiresOn.getTime() - now.getTime() >= this.options.minRemainingMs && key.signedStartsOn.getTime() <= now.getTime()) return key;
    this.pending ??= (async () => {
      try {
        this.fetched++;
        // started a little in the past: Blob Storage's clock may be behind ours
        const fresh = await this.fetch(new Date(now.getTime() - this.options.skewMs), new Date(now.getTime() + this.options.keyLifetimeMs));
        this.key = fresh;
        return fresh;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

/** A user delegation key is valid for up to 7 days; files asks for one an hour. */
export const DELEGATION_KEY_LIFETIME_MS = 60 * 60 * 1000;

/**
 * User-delegation SAS: signed with a key Blob Storage hands to files' own identity (workload
 * identity on AKS, where no account key exists), so a SAS is only as powerful as files' role
 * allows and the account may refuse shared keys altogether (`allowSharedKeyAccess: false`).
 */
export function userDelegationSigner(service: BlobServiceClient, opts: SignerOptions): DownloadSigner & { keys: DelegationKeyCache } {
  const keys = new DelegationKeyCache(async (startsOn, expiresOn) => service.getUserDelegationKey(startsOn, expiresOn), {
    keyLifetimeMs: DELEGATION_KEY_LIFETIME_MS,
    minRemainingMs: opts.ttlSeconds * 1000 + 60_000,
    skewMs: 5 * 60_000,
  });
  return {
    kind: 'user-delegation',
    keys,
    url: async (blobName, headers, now) => {
      const key = await keys.get(now);
      const sas = generateBlobSASQueryParameters(signatureValues(opts, blobName, headers, now), key, service.accountName).toString();
      return `${blobUrl(opts.publicUrl, opts.container, blobName)}?${sas}`;
    },
  };
}
