import { Type } from '@sinclair/typebox';
import { Id } from './index.js';

const Timestamp = Type.String({ format: 'date-time' });
const strict = { additionalProperties: false } as const;

export const ShareKind = Type.Union([Type.Literal('file'), Type.Literal('folder')], { description: 'A file, or a folder with everything inside it' });
export const ShareRole = Type.Union([Type.Literal('viewer'), Type.Literal('editor')], { description: 'viewer: read; editor: also add versions, rename and trash (to the owner’s trash)' });

export const CreateShareBody = Type.Object(
  { kind: ShareKind, id: Id, email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$', description: 'The e-mail of an existing account' }), role: ShareRole },
  strict,
);
export const Share = Type.Object({ id: Id, kind: ShareKind, itemId: Id, email: Type.String(), role: ShareRole, createdAt: Timestamp }, { $id: 'Share' });
export const ShareList = Type.Object({ items: Type.Array(Share) }, { $id: 'ShareList' });
export const ShareQuery = Type.Object({ kind: ShareKind, id: Id }, strict);
export const ShareParams = Type.Object({ id: Id });
export const ChangeShareBody = Type.Object({ role: ShareRole }, strict);
export const SharedItem = Type.Object(
  { id: Id, kind: ShareKind, itemId: Id, name: Type.String(), ownerId: Type.String(), role: ShareRole, sharedAt: Timestamp },
  { $id: 'SharedItem' },
);
export const SharedWithMe = Type.Object({ items: Type.Array(SharedItem) }, { $id: 'SharedWithMe' });

/** POST /links: `maxExpiryDays` is LINK_MAX_EXPIRY_DAYS. */
export const CreateLinkBody = Type.Object(
  {
    kind: ShareKind,
    id: Id,
    expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'When it stops working; at most LINK_MAX_EXPIRY_DAYS ahead (the default when absent)' })),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: 'Asked of whoever opens the link; stored as a hash only' })),
    maxDownloads: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  strict,
);
export const CreatedLink = Type.Object(
  {
    id: Id,
    token: Type.String({ description: 'The link’s secret (shown once; only its hash is stored)' }),
    url: Type.String({ description: 'The public page of the link in the UI' }),
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    maxDownloads: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'CreatedLink' },
);
export const Link = Type.Object(
  {
    id: Id,
    kind: ShareKind,
    itemId: Id,
    hasPassword: Type.Boolean(),
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    maxDownloads: Type.Union([Type.Integer(), Type.Null()]),
    downloads: Type.Integer(),
    createdAt: Timestamp,
  },
  { $id: 'Link' },
);
export const LinkList = Type.Object({ items: Type.Array(Link) }, { $id: 'LinkList' });
export const LinkParams = Type.Object({ id: Id });
/** A link token: 43 base64url characters (256 bits); anything else is a 404 before any lookup. */
export const TokenParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) });
export const UnlockBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }) }, strict);
export const Unlocked = Type.Object(
  { linkToken: Type.String({ description: 'Send as the X-Link-Token header (or ?linkToken=) to read the link' }), expiresAt: Timestamp },
  { $id: 'LinkUnlocked' },
);
export const LinkTokenHeaders = Type.Object({ 'x-link-token': Type.Optional(Type.String({ maxLength: 200 })) });
export const LinkTokenQuery = Type.Object({ linkToken: Type.Optional(Type.String({ maxLength: 200 })) }, strict);
export const PublicEntry = Type.Object(
  { id: Id, kind: ShareKind, name: Type.String(), size: Type.Optional(Type.Integer()), contentType: Type.Optional(Type.String()), updatedAt: Timestamp },
  { $id: 'PublicEntry' },
);
export const PublicLink = Type.Object(
  {
    kind: ShareKind,
    name: Type.String(),
    size: Type.Optional(Type.Integer()),
    contentType: Type.Optional(Type.String()),
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    downloadsLeft: Type.Union([Type.Integer(), Type.Null()]),
    entries: Type.Optional(Type.Array(PublicEntry, { description: 'A folder: what it holds at its top level' })),
  },
  { $id: 'PublicLink' },
);
