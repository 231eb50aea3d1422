import type { components, paths } from '@strata/client';
import { InsightsEventTypes } from '@strata/contracts/event-types';
import { ApiProblem, api, unwrap } from './api';

type Schemas = components['schemas'];
export type Insights = Schemas['Insights'];
export type InsightsTag = Insights['tags'][number];
export type Entity = Insights['entities'][number];
export type EntityKind = Entity['kind'];
export type SearchResult = Schemas['SearchResult'];
export type SearchHit = SearchResult['items'][number];
export type Facet = SearchResult['facets']['type'][number];
export type Answer = Schemas['Answer'];
export type Citation = Answer['citations'][number];
export type SearchQuery = paths['/api/v1/search']['get']['parameters']['query'];
export type FileType = NonNullable<SearchQuery['type']>;
export type AskBody = paths['/api/v1/ask']['post']['requestBody']['content']['application/json'];

/** The filters of a search, as the facet chips set them. */
export interface SearchFilters {
  type?: FileType;
  tag?: string;
  /** a year from the year facet: the search keeps to that calendar year */
  year?: string;
}

export const search = (q: string, filters: SearchFilters = {}, cursor?: string | null) =>
  api.GET('/api/v1/search', { params: { query: searchQuery(q, filters, cursor) } }).then(unwrap);

export const getInsights = (id: string) => api.GET('/api/v1/files/{id}/insights', { params: { path: { id } } }).then(unwrap);
export const retryInsights = (id: string) => api.POST('/api/v1/files/{id}/insights/retry', { params: { path: { id } }, body: {} }).then(unwrap);
export const decideTag = (id: string, name: string, accepted: boolean) =>
  api.PUT('/api/v1/files/{id}/insights/tags/{name}', { params: { path: { id, name } }, body: { accepted } }).then(unwrap);
export const ask = (body: AskBody) => api.POST('/api/v1/ask', { body }).then(unwrap);

/**
 * The preview image of a file as a blob: URL (an <img> cannot send the bearer token), or null when
 * the file has none. The caller revokes the URL when it is done with it.
 */
export async function previewUrl(id: string): Promise<string | null> {
  const { data, error, response } = await api.GET('/api/v1/files/{id}/preview', { params: { path: { id } }, parseAs: 'blob' });
  if (response.status === 404) return null;
  if (!data) throw ApiProblem.fromBody(response, error ?? { detail: 'The preview could not be loaded.' });
  return URL.createObjectURL(data);
}

/** The query string of a search: empty filters are left out, a year becomes its first and last day. */
export function searchQuery(q: string, filters: SearchFilters, cursor?: string | null): SearchQuery {
  return {
    q: q.trim(),
    ...(filters.type ? { type: filters.type } : {}),
    ...(filters.tag ? { tag: filters.tag } : {}),
    ...(filters.year && /^\d{4}$/.test(filters.year) ? { from: `${filters.year}-01-01`, to: `${filters.year}-12-31` } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

const FILE_TYPES: readonly FileType[] = ['pdf', 'document', 'spreadsheet', 'presentation', 'text', 'image', 'other'];
/** A type facet's value as the type filter takes it; undefined for one this client does not know. */
export const asFileType = (value: string): FileType | undefined => FILE_TYPES.find((t) => t === value);

/** One run of a snippet: plain text, or text the search matched. */
export interface SnippetPart {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Reads the character references of escaped text back into the characters they stand for. */
export function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/**
 * Splits a search snippet (HTML-escaped text with <mark>…</mark> around the matches) into runs of
 * text for the page to render as text nodes: only the marks are read as markup, so a document
 * that says `<script>` shows those characters and runs nothing. Unbalanced or nested marks do not
 * break it: a stray </mark> ends nothing, an unclosed <mark> marks to the end.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let mark = false;
  for (const piece of snippet.split(/(<\/?mark>)/i)) {
    const tag = piece.toLowerCase();
    if (tag === '<mark>') mark = true;
    else if (tag === '</mark>') mark = false;
    else if (piece !== '') {
      const text = unescapeHtml(piece);
      const last = parts.at(-1);
      if (last && last.mark === mark) last.text += text;
      else parts.push({ text, mark });
    }
  }
  return parts;
}

/** What the file panel says of a reading. */
export function statusLabel(insights: Pick<Insights, 'status' | 'reason' | 'transient'>): string {
  if (insights.status === 'pending') return 'Reading…';
  if (insights.status === 'indexed') return 'Indexed';
  const reason = REASONS[insights.reason ?? ''] ?? insights.reason ?? 'unknown error';
  return `Could not read: ${reason}${insights.transient ? ' (Strata will try again by itself)' : ''}`;
}

/** The indexer's failure reasons (DocumentIndexFailed) in words. */
const REASONS: Record<string, string> = {
  'too-large': 'the file is too large to read',
  'too-many-pages': 'the document has too many pages',
  timeout: 'reading it took too long',
  memory: 'reading it needed too much memory',
  unsupported: 'this kind of file cannot be read',
  corrupt: 'the file is damaged',
  encrypted: 'the file is protected by a password',
  'zip-bomb': 'the file unpacks to far more than it holds',
  crashed: 'the reader stopped on this file',
  unavailable: 'the file could not be fetched just now',
};

const KIND_LABELS: Record<EntityKind, string> = {
  person: 'People',
  place: 'Places',
  organisation: 'Organisations',
  date: 'Dates',
  amount: 'Amounts',
  email: 'E-mail addresses',
  url: 'Links',
};

/** Entities by kind, in a fixed order of kinds, the most mentioned first within each; empty kinds left out. */
export function groupEntities(entities: readonly Entity[]): { kind: EntityKind; label: string; entities: Entity[] }[] {
  return (Object.keys(KIND_LABELS) as EntityKind[])
    .map((kind) => ({
      kind,
      label: KIND_LABELS[kind],
      entities: entities.filter((e) => e.kind === kind).sort((a, b) => b.count - a.count || a.text.localeCompare(b.text)),
    }))
    .filter((group) => group.entities.length > 0);
}

export type TagState = 'suggested' | 'accepted' | 'rejected';
export const tagState = (tag: Pick<InsightsTag, 'accepted'>): TagState => (tag.accepted === null ? 'suggested' : tag.accepted ? 'accepted' : 'rejected');

/** Whether a live event is about this file's reading, so the panel loads it again. */
export function concernsInsights(event: { type: string; data: Record<string, unknown> }, fileId: string): boolean {
  return (Object.values(InsightsEventTypes) as string[]).includes(event.type) && event.data.fileId === fileId;
}

/** An answer's mode in words: the extractive answer says plainly that no model wrote it. */
export const modeLabel = (mode: Answer['mode']) =>
  mode === 'model' ? 'Answered by the model' : 'Extractive: the best passages from your documents, no AI model';

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });

/** A detected language (ISO 639-3, as insights gives it) in words: "English" for eng; the code itself when the browser has no name for it. */
export function languageLabel(code: string | null): string {
  if (!code || code === 'und') return 'not recognised';
  try {
    return languageNames.of(code) ?? code;
  } catch {
    return code;
  }
}
