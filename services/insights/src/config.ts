import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { BaseConfigSchema, StoresConfigSchema, loadConfig } from '@strata/service-kit';

const MiB = 1024 * 1024;

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  StoresConfigSchema,
  Type.Object({
    /** Documents read at once by this replica (each in its own worker thread; OCR is CPU-bound). */
    INDEX_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
    /** How often an idle indexer looks for work it was not woken for (retries that fell due, another replica's leftovers). */
    INDEX_POLL_MS: Type.Integer({ minimum: 0, default: 2_000 }),
    /** A document's bytes read at most; a larger one fails as too-large without being read on. */
    INDEX_MAX_BYTES: Type.Integer({ minimum: 1, default: 64 * MiB }),
    INDEX_MAX_PAGES: Type.Integer({ minimum: 1, default: 2_000 }),
    /** Wall-clock time one document may take (extraction and OCR); past it, the worker thread is ended. */
    INDEX_TIMEOUT_MS: Type.Integer({ minimum: 1_000, default: 60_000 }),
    /** Heap of the extraction worker thread; a document that needs more fails as memory. */
    INDEX_WORKER_HEAP_MB: Type.Integer({ minimum: 64, maximum: 4_096, default: 256 }),
    /** Pages of a scanned PDF read by OCR at most; 0 turns OCR off. */
    INDEX_OCR_MAX_PAGES: Type.Integer({ minimum: 0, default: 50 }),
    /** Attempts for a transient failure (files or the database unavailable) before it waits for the user's retry. */
    INDEX_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 6 }),
    /**
     * The Dapr conversation component that answers questions (deploy/: Azure OpenAI). Unset, the
     * local default, answers are extractive: the best passages, labelled as such.
     */
    CONVERSATION_COMPONENT: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' })),
    /** The conversation component masks personal data in what the model answers. */
    ASK_SCRUB_PII: Type.Boolean({ default: true }),
    /**
     * How long the model may take before the answer is extractive instead: under the gateway's
     * UPSTREAM_HEADERS_TIMEOUT_MS (25 s), so a slow model gives passages, not a 504.
     */
    ASK_MODEL_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 120_000, default: 20_000 }),
    /**
     * The extractor version the indexer writes (at least the code's EXTRACTOR_VERSION): raising it
     * reads every indexed version again in the background. Operators raise it to re-index.
     */
    INDEX_EXTRACTOR_VERSION: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(ConfigSchema, env);
}
