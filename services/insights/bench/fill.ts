/**
 * Indexed documents written straight into insights' tables for the search bench: what the indexer
 * would have left after reading them (documents, versions 'indexed', passages with their english
 * tsvector), made by Postgres itself in batches (generate_series) so 100,000 documents take
 * minutes, not hours. Every row it writes is marked (versions.sha256 = FILL_MARK) and removed by
 * `clearFill`.
 */
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Database } from '../src/db/schema.js';
import { search } from '../src/projections/search.js';

export const FILL_MARK = 'strata-bench-fill';

export interface FillOptions {
  ownerId: string;
  words: readonly string[];
  /** Words planted in a few documents each (one in every `plantEvery`), for the rare-word queries. */
  planted: readonly string[];
  plantEvery: number;
  batch?: number;
}

/** Removes what earlier fills left (a run that stopped half-way too). */
export async function clearFill(pool: pg.Pool): Promise<void> {
  await pool.query(`delete from insights.passages p using insights.versions v where v.sha256 = $1 and p.file_id = v.file_id`, [FILL_MARK]);
  await pool.query(`delete from insights.documents d using insights.versions v where v.sha256 = $1 and d.file_id = v.file_id`, [FILL_MARK]);
}

/**
 * Documents numbered from+1 … to for one owner: names of two words and a number, one to five
 * passages of ~800 characters (as the chunker cuts them) of sentences with Zipf-distributed
 * words, types and dates spread like a real folder's. Returns the passages written.
 */
export async function fill(pool: pg.Pool, from: number, to: number, opts: FillOptions): Promise<number> {
  const batch = opts.batch ?? 5_000;
  let passages = 0;
  const n = opts.words.length;
  // a rank drawn with probability ~ 1/rank, as the bench's generator draws them (1-based for SQL arrays)
  const zipf = `least(${n}, floor(exp(random() * ln(${n})))::int)`;
  for (let lo = from + 1; lo <= to; lo += batch) {
    const hi = Math.min(to, lo + batch - 1);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into insights.documents (file_id, owner_id, name, current_version, status, updated_at)
         select md5($3::text || $4 || g)::uuid, $4, ($5::text[])[${zipf}] || ' ' || ($5::text[])[${zipf}] || ' ' || g || (array['.pdf', '.docx', '.txt', '.pdf', '.xlsx'])[1 + g % 5], 1, 'active',
                now() - (g % 1000) * interval '1 day'
         from generate_series($1::int, $2::int) g`,
        [lo, hi, FILL_MARK, opts.ownerId, opts.words],
      );
      await client.query(
        `insert into insights.versions (file_id, version, content_type, size, sha256, created_at, status, extractor_version, format, language, pages, chars, summary, indexed_at)
         select md5($3::text || $4 || g)::uuid, 1,
                (array['application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'text/plain', 'application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'])[1 + g % 5],
                10000 + (g * 7919) % 5000000, $3, now() - (g % 1000) * interval '1 day', 'indexed', 1,
                (array['pdf', 'docx', 'text', 'pdf', 'xlsx'])[1 + g % 5], 'eng', 1 + g % 9, 800 * (1 + (g * 7919) % 5), '', now()
         from generate_series($1::int, $2::int) g`,
        [lo, hi, FILL_MARK, opts.ownerId],
      );
      // the text subquery names idx and g so it is drawn again for every passage, not once
      const inserted = await client.query(
        `insert into insights.passages (file_id, version, idx, page, text, config, tsv, extractor_version)
         select file_id, 1, idx, idx + 1, text, 'english', to_tsvector('english', text), 1
         from (
           select md5($3::text || $7 || g)::uuid as file_id, idx,
                  (select string_agg(case when w % 13 = 1 then initcap(word) else word end || case when w % 13 = 0 then '.' else '' end, ' ')
                   from (select w, ($4::text[])[${zipf}] as word from generate_series(1, 105 + (idx * 7 + g) % 30) w) ws)
                  || case when idx = 0 and g % $6 = 7 then ' ' || ($5::text[])[1 + (g / $6) % cardinality($5::text[])] || '.' else '.' end as text
           from generate_series($1::int, $2::int) g
           cross join lateral generate_series(0, (g * 7919) % 5) idx) p`,
        [lo, hi, FILL_MARK, opts.words, opts.planted, opts.plantEvery, opts.ownerId],
      );
      passages += inserted.rowCount ?? 0;
      // search's rows, as the projection leaves them
      await client.query(`select insights.refresh_search_docs(array(select md5($3::text || $4 || g)::uuid from generate_series($1::int, $2::int) g))`, [lo, hi, FILL_MARK, opts.ownerId]);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  }
  // what autovacuum would do in time: statistics for the planner, the GIN pending list merged
  await pool.query('vacuum analyze insights.documents, insights.versions, insights.passages, insights.search_docs');
  return passages;
}

export interface PlanNode {
  node: string;
  /** Time spent in the node itself (its children's time taken off), all loops. */
  selfMs: number;
  rows: number;
  loops: number;
}

interface RawPlan {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Total Time': number;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: RawPlan[];
}

function walk(plan: RawPlan, out: PlanNode[]): void {
  const total = plan['Actual Total Time'] * plan['Actual Loops'];
  const children = (plan.Plans ?? []).reduce((s, c) => s + c['Actual Total Time'] * c['Actual Loops'], 0);
  const on = plan['Index Name'] ?? plan['Relation Name'];
  out.push({ node: on ? `${plan['Node Type']} on ${on}` : plan['Node Type'], selfMs: Math.max(0, total - children), rows: plan['Actual Rows'], loops: plan['Actual Loops'] });
  for (const c of plan.Plans ?? []) walk(c, out);
}

export interface Explained {
  /** The search's statements after the one that parses the query and sets the transaction's settings (which are applied): the sample, then the search. */
  statement: 'sample' | 'search';
  executionMs: number;
  planningMs: number;
  top: PlanNode[];
  text: string;
}

/**
 * EXPLAIN ANALYZE of the statements the search route runs for this owner and query: the route's
 * own `search` is called through a Kysely that records the SQL it sends, and its search statement
 * is explained with the same parameters after the same transaction-local settings (a custom plan,
 * as the route asks for).
 */
export async function explainSearch(pool: pg.Pool, ownerId: string, q: string): Promise<Explained[]> {
  const sent: CompiledQuery[] = [];
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void (e.level === 'query' && sent.push(e.query)) });
  await search(db, ownerId, q, {}, { offset: 0, limit: 20 });
  const settings = sent.find((s) => s.sql.includes('set_config'));
  const statements = sent.filter((s) => s.sql.includes('insights.search_docs') && !s.sql.includes('set_config'));
  const out: Explained[] = [];
  const client = await pool.connect();
  try {
    for (const query of statements) {
      const params = [...query.parameters];
      await client.query('begin');
      if (settings) await client.query(settings.sql, [...settings.parameters]);
      const json = await client.query<{ 'QUERY PLAN': [{ Plan: RawPlan; 'Execution Time': number; 'Planning Time': number }] }>(`explain (analyze, buffers, format json) ${query.sql}`, params);
      const text = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${query.sql}`, params);
      await client.query('rollback');
      const [root] = json.rows[0]!['QUERY PLAN'];
      const nodes: PlanNode[] = [];
      walk(root.Plan, nodes);
      out.push({
        statement: query.sql.includes('text_m') ? 'search' : 'sample',
        executionMs: root['Execution Time'],
        planningMs: root['Planning Time'],
        top: nodes.sort((a, b) => b.selfMs - a.selfMs).slice(0, 4),
        text: text.rows.map((r) => r['QUERY PLAN']).join('\n'),
      });
    }
  } finally {
    client.release();
  }
  return out;
}
