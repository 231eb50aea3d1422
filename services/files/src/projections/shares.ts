import { ShareEventTypes as S } from '@strata/contracts';
import { projection } from '@strata/event-store';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { LinkEvent } from '../domain/link/link.js';
import type { ShareEvent } from '../domain/share/share.js';

/** Who an item is shared with (`shares`): one row per live share; a revoked share leaves none. */
export const shares = projection<ShareEvent, Database>()({
  name: 'shares',
  handles: [S.ItemShared, S.ShareRoleChanged, S.ShareRevoked],
  async evolve(trx, event) {
    switch (event.type) {
      case S.ItemShared: {
        const d = event.data;
        // the unique index on (kind, item, recipient) refuses a second share of the item with the same user
        await trx
          .insertInto('files.shares')
          .values({ share_id: d.shareId, owner_id: d.ownerId, kind: d.kind, item_id: d.itemId, recipient_id: d.recipientId, email: d.email, role: d.role, created_at: new Date(d.sharedAt) })
          .execute();
        return;
      }
      case S.ShareRoleChanged:
        await trx.updateTable('files.shares').set({ role: event.data.to }).where('share_id', '=', event.data.shareId).execute();
        return;
      case S.ShareRevoked:
        await trx.deleteFrom('files.shares').where('share_id', '=', event.data.shareId).execute();
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    await trx.deleteFrom('files.shares').execute();
  },
});

/** The share links that are not revoked (`links`), with the downloads each gave. */
export const links = projection<LinkEvent, Database>()({
  name: 'links',
  handles: [S.LinkCreated, S.LinkRevoked, S.LinkAccessed],
  async evolve(trx, event) {
    switch (event.type) {
      case S.LinkCreated: {
        const d = event.data;
        await trx
          .insertInto('files.links')
          .values({
            link_id: d.linkId,
            owner_id: d.ownerId,
            kind: d.kind,
            item_id: d.itemId,
            token_hash: d.tokenHash,
            has_password: d.passwordHash !== null,
            expires_at: d.expiresAt === null ? null : new Date(d.expiresAt),
            max_downloads: d.maxDownloads,
            downloads: 0,
            created_at: new Date(d.createdAt),
          })
          .onConflict((c) => c.column('link_id').doNothing())
          .execute();
        return;
      }
      case S.LinkRevoked:
        await trx.deleteFrom('files.links').where('link_id', '=', event.data.linkId).execute();
        return;
      case S.LinkAccessed:
        if (event.data.action === 'download' && event.data.outcome === 'allowed') {
          await trx.updateTable('files.links').set({ downloads: event.data.downloads }).where('link_id', '=', event.data.linkId).execute();
        }
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    await trx.deleteFrom('files.links').execute();
  },
});

export type ShareInfo = { id: string; kind: 'file' | 'folder'; itemId: string; email: string; role: 'viewer' | 'editor'; createdAt: string };

const toShareInfo = (row: { share_id: string; kind: 'file' | 'folder'; item_id: string; email: string; role: 'viewer' | 'editor'; created_at: Date }): ShareInfo => ({
  id: row.share_id,
  kind: row.kind,
  itemId: row.item_id,
  email: row.email,
  role: row.role,
  createdAt: row.created_at.toISOString(),
});

/** The owner's shares of one item, oldest first. */
export async function sharesOf(db: Kysely<Database>, ownerId: string, kind: 'file' | 'folder', itemId: string): Promise<ShareInfo[]> {
  const rows = await db.selectFrom('files.shares').selectAll().where('owner_id', '=', ownerId).where('kind', '=', kind).where('item_id', '=', itemId).orderBy('created_at').orderBy('share_id').execute();
  return rows.map(toShareInfo);
}

/** One of the owner's shares, or undefined (someone else's is not found). */
export async function shareOf(db: Kysely<Database>, ownerId: string, shareId: string): Promise<ShareInfo | undefined> {
  const row = await db.selectFrom('files.shares').selectAll().where('share_id', '=', shareId).where('owner_id', '=', ownerId).executeTakeFirst();
  return row && toShareInfo(row);
}

/**
 * What is shared with a user, newest first: each share whose item is live (not in the trash, not
 * purged), with the item's name and owner. An item in the owner's trash is not shown, and is not
 * readable either (access.ts), until it is restored.
 */
export async function sharedWith(db: Kysely<Database>, recipientId: string) {
  const { rows } = await sql<{ share_id: string; kind: 'file' | 'folder'; item_id: string; role: 'viewer' | 'editor'; created_at: Date; owner_id: string; name: string }>`
    select s.share_id, s.kind, s.item_id, s.role, s.created_at, s.owner_id, coalesce(f.name, d.name) as name
    from files.shares s
    left join files.files f on s.kind = 'file' and f.file_id = s.item_id and f.status = 'active'
    left join files.folders d on s.kind = 'folder' and d.folder_id = s.item_id and d.status = 'active'
    where s.recipient_id = ${recipientId} and (f.file_id is not null or d.folder_id is not null)
    order by s.created_at desc, s.share_id desc
    limit 1000`.execute(db);
  return rows.map((r) => ({ id: r.share_id, kind: r.kind, itemId: r.item_id, name: r.name, ownerId: r.owner_id, role: r.role, sharedAt: r.created_at.toISOString() }));
}
