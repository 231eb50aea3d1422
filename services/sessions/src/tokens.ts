import { createHash, randomBytes } from 'node:crypto';

/** 128 random bits, URL-safe: session ids are never guessable. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A refresh token names its session and carries 256 random bits; only their hash is stored.
 * Format: `<sessionId>.<secret>`.
 */
export function newRefreshToken(sessionId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${sessionId}.${secret}`, hash: hashSecret(secret) };
}

export function parseRefreshToken(token: string | undefined): { sessionId: string; hash: string } | undefined {
  if (!token) return undefined;
  const match = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{20,100})$/.exec(token);
  if (!match) return undefined;
  return { sessionId: match[1]!, hash: hashSecret(match[2]!) };
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** A short, readable device name from the User-Agent ("Chrome on Linux"); never the raw header. */
export function describeDevice(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent.slice(0, 512);
  const browser =
    /Edg\//.test(ua) ? 'Edge'
    : /OPR\/|Opera/.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrome\/|Chromium\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : /curl\//.test(ua) ? 'curl'
    : /node|undici/i.test(ua) ? 'Node.js'
    : 'Browser';
  const os =
    /Android/.test(ua) ? 'Android'
    : /iPhone|iPad|iOS/.test(ua) ? 'iOS'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /Linux/.test(ua) ? 'Linux'
    : undefined;
  return os ? `${browser} on ${os}` : browser;
}
