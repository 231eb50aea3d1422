import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { ownerOf } from '../caller.js';
import { type RetrievedPassage, retrieve, versionText } from '../projections/search.js';
import { Answer, AskBody, problems } from '../schemas/index.js';
import { answerExtractively, compareVersions } from '../understand/index.js';

/** Passages handed to the model (or scored for an extractive answer): enough to answer, few enough to read. */
const CONTEXT_PASSAGES = 8;
const MAX_PASSAGE_FOR_MODEL = 1_200;

const SYSTEM_PROMPT =
  'You answer questions about the user\'s own documents. Use only the numbered passages given; ' +
  'if they do not hold the answer, say so. Cite the passages you used as [n]. Be brief.';

/** The model's prompt: the question, then each passage numbered with its file and version. */
export function promptOf(question: string, passages: RetrievedPassage[]): string {
  const context = passages.map((p, i) => `[${i + 1}] ${p.name} (version ${p.version}${p.page ? `, page ${p.page}` : ''}):\n${p.text.slice(0, MAX_PASSAGE_FOR_MODEL)}`).join('\n\n');
  return `Question: ${question}\n\nPassages:\n${context}`;
}

/** The passages an answer cites as [n]; all of them when it cites none. */
export function citedIn(answer: string, passages: RetrievedPassage[]): RetrievedPassage[] {
  const cited = new Set([...answer.matchAll(/\[(\d{1,2})\]/g)].map((m) => Number(m[1]) - 1).filter((i) => i >= 0 && i < passages.length));
  return cited.size === 0 ? passages : passages.filter((_, i) => cited.has(i));
}

const citation = (p: RetrievedPassage) => ({ fileId: p.fileId, name: p.name, version: p.version, page: p.page, passage: p.text.slice(0, 600) });

export async function askRoutes(app: FastifyInstance, opts: { conversation: string | undefined; scrubPii: boolean; modelTimeoutMs: number }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/api/v1/ask',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: "Ask a question about the caller's documents: an answer with citations (file, version, passage)",
        description:
          "Retrieval reads only the caller's own, active documents (or the fileIds given). With a language model configured the answer is the model's " +
          "(mode model); without one it is extractive: the best passages, labelled as such. `compare` answers what changed between two versions of one file.",
        tags: ['insights'],
        security: [{ bearer: [] }],
        body: AskBody,
        response: { 200: Answer, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { ownerId } = ownerOf(request);
      const { question, fileIds, compare } = request.body;
      if (question.trim() === '') throw httpError(400, 'Ask a question.');
      if (compare) {
        if (compare.from === compare.to) throw httpError(400, 'Compare two different versions.');
        const [older, newer] = await Promise.all([
          versionText(app.db, ownerId, compare.fileId, Math.min(compare.from, compare.to)),
          versionText(app.db, ownerId, compare.fileId, Math.max(compare.from, compare.to)),
        ]);
        if (older === undefined || newer === undefined) throw httpError(404, 'Both versions must exist and be indexed.');
        const diff = compareVersions(older, newer);
        const name = (await app.db.selectFrom('insights.documents').select('name').where('file_id', '=', compare.fileId).executeTakeFirst())?.name ?? '';
        const version = Math.max(compare.from, compare.to);
        return {
          answer: `Between version ${Math.min(compare.from, compare.to)} and version ${version}: ${diff.summary}`,
          mode: 'extractive' as const,
          citations: diff.added.slice(0, 5).map((passage) => ({ fileId: compare.fileId, name, version, page: null, passage })),
          changes: { added: diff.added, removed: diff.removed },
        };
      }
      const passages = await retrieve(app.db, ownerId, question, { fileIds, limit: CONTEXT_PASSAGES });
      if (opts.conversation && passages.length > 0) {
        try {
          const answer = await app.dapr.converse(opts.conversation, { system: SYSTEM_PROMPT, user: promptOf(question, passages) }, { scrubPii: opts.scrubPii, timeoutMs: opts.modelTimeoutMs });
          return { answer, mode: 'model' as const, citations: citedIn(answer, passages).map(citation) };
        } catch (err) {
          // the model being down must not take questions down with it: the passages still answer
          request.log.warn({ err }, 'ask: the conversation component failed; answering extractively');
        }
      }
      const extractive = answerExtractively(
        question,
        passages.map((p) => ({ fileId: p.fileId, version: p.version, name: p.name, score: p.rank, chunk: { index: p.idx, page: p.page, text: p.text, start: 0 } })),
      );
      const names = new Map(passages.map((p) => [p.fileId, p.name]));
      return {
        answer: extractive.answer,
        mode: 'extractive' as const,
        citations: extractive.citations.map((c) => ({ fileId: c.fileId, name: names.get(c.fileId) ?? '', version: c.version, page: c.page, passage: c.passage })),
      };
    },
  );
}
