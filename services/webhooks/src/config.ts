import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { BaseConfigSchema, ConfigError, StoresConfigSchema, loadConfig } from '@strata/service-kit';
import { parseAllowList } from './delivery/targets.js';

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  StoresConfigSchema,
  Type.Object({
    /**
     * Targets a webhook may reach although they are not public unicast addresses: CIDRs, comma
     * separated (`127.0.0.1/32,::1/128`). Empty, the default and what deploy/ sets, allows only
     * public addresses. Local development and the tests name their loopback receivers here; plain
     * http is allowed only to these targets.
     */
    WEBHOOK_ALLOWED_TARGETS: Type.String({ default: '' }),
    /** The first retry's delay; each next one doubles it (full jitter), up to WEBHOOK_RETRY_MAX_MS. */
    WEBHOOK_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 30 * SECOND }),
    WEBHOOK_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 2 * HOUR }),
    /** How long a delivery is tried after its first attempt (or its redelivery) before it is dead. */
    WEBHOOK_RETRY_HORIZON_MS: Type.Integer({ minimum: 1, default: 24 * HOUR }),
    /** One attempt's time (connect, send, answer); past it the attempt failed. */
    WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60 * SECOND, default: 10 * SECOND }),
    /** How often an idle dispatcher looks for deliveries that fell due (it is woken for new ones). */
    WEBHOOK_POLL_MS: Type.Integer({ minimum: 0, default: 1_000 }),
    /** Deliveries in flight at once in this replica. */
    WEBHOOK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
    /**
     * A file's later event waits for its earlier ones to be received (Dapr hands them over
     * concurrently); an earlier one not received within this time is taken as lost and not waited for.
     */
    WEBHOOK_ORDER_GAP_MS: Type.Integer({ minimum: 0, default: 60 * SECOND }),
    /** Endpoints one owner (a user or a partner client) may register. */
    WEBHOOK_MAX_ENDPOINTS: Type.Integer({ minimum: 1, default: 20 }),
    /** After a rotation the previous secret signs too, for this long (both signatures are sent). */
    WEBHOOK_SECRET_OVERLAP_MS: Type.Integer({ minimum: 0, default: 24 * HOUR }),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(ConfigSchema, env);
  try {
    parseAllowList(config.WEBHOOK_ALLOWED_TARGETS);
  } catch (error) {
    throw new ConfigError([`WEBHOOK_ALLOWED_TARGETS=${JSON.stringify(config.WEBHOOK_ALLOWED_TARGETS)}: ${(error as Error).message}`]);
  }
  return config;
}
