import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Policies are data: which limits apply to a request, chosen by (route class, caller kind, plan).
 * The set is checked once at boot, so a typo in a policy file stops the service instead of
 * silently letting traffic through.
 */

/** Names end up in Redis keys and in structured-field strings: keep them to a safe alphabet. */
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });

export const SubjectKindSchema = Type.Union([Type.Literal('user'), Type.Literal('partner'), Type.Literal('anonymous')]);
export type SubjectKind = Static<typeof SubjectKindSchema>;

/**
 * What a limit counts by: `subject` is the caller (user id, partner client id, or the address of
 * an anonymous caller); `address` is the client's IP address; `account` is the account a
 * sign-in, registration or token request names, whoever sends it.
 */
export const DimensionSchema = Type.Union([Type.Literal('subject'), Type.Literal('address'), Type.Literal('account')]);
export type Dimension = Static<typeof DimensionSchema>;

export const LimitSchema = Type.Object(
  {
    /** Appears in the RateLimit headers and the Redis key; by default the policy's name, or `<policy>-<by>`. */
    name: Type.Optional(Name),
    by: DimensionSchema,
    /**
     * Requests (tokens) admitted in any window of `windowSeconds`, never more. Each admission is one
     * entry in Redis for a window, so this is also the most entries a key holds. To bound bursts as
     * well as the rate, add a second limit with a shorter window (see partner-pro).
     */
    limit: Type.Integer({ minimum: 1, maximum: 100_000 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 31 * 86_400 }),
    /** Skip this limit when the request does not name the dimension (an account, usually). */
    optional: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    name: Name,
    description: Type.String({ minLength: 1 }),
    /** Decided together: a request passes only when every limit admits it, and then counts in all. */
    limits: Type.Array(LimitSchema, { minItems: 1, maxItems: 8 }),
  },
  { additionalProperties: false },
);

/** A selection rule: every field it names must match; the first matching rule wins. */
export const RuleSchema = Type.Object(
  {
    routeClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    callerKind: Type.Optional(SubjectKindSchema),
    plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    policy: Name,
  },
  { additionalProperties: false },
);

export const PolicySetSchema = Type.Object(
  {
    policies: Type.Array(PolicySchema, { minItems: 1 }),
    rules: Type.Array(RuleSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type LimitDefinition = Static<typeof LimitSchema>;
export type PolicyDefinition = Static<typeof PolicySchema>;
export type Rule = Static<typeof RuleSchema>;
export type PolicySetDefinition = Static<typeof PolicySetSchema>;

/** A limit ready for the script. */
export interface CompiledLimit {
  name: string;
  by: Dimension;
  limit: number;
  windowSeconds: number;
  /** The most admitted at once: the whole limit (kept in answers for clients that read it). */
  burst: number;
  optional: boolean;
  windowUs: number;
}

export interface CompiledPolicy {
  name: string;
  description: string;
  limits: CompiledLimit[];
}

export interface PolicySet {
  policies: ReadonlyMap<string, CompiledPolicy>;
  rules: readonly Rule[];
}

export class PolicySetError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid rate-limit policies:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicySetError';
  }
}

function limitName(policy: PolicyDefinition, limit: LimitDefinition): string {
  if (limit.name) return limit.name;
  return policy.limits.length === 1 ? policy.name : `${policy.name}-${limit.by}`;
}

/** True when every condition of `general` also holds for anything `specific` matches. */
function covers(general: Rule, specific: Rule): boolean {
  return (['routeClass', 'callerKind', 'plan'] as const).every(
    (field) => general[field] === undefined || general[field] === specific[field],
  );
}

/**
 * Validates a policy set (shape with TypeBox, then meaning) and compiles it. Every problem is
 * reported at once: unknown policies, duplicate names, rules that can never match, a set without
 * a catch-all rule.
 */
export function compilePolicySet(input: unknown): PolicySet {
  const shapeErrors = [...Value.Errors(PolicySetSchema, input)];
  if (shapeErrors.length > 0) {
    throw new PolicySetError(shapeErrors.map((e) => `${e.path || '(root)'}: ${e.message}`));
  }
  const definition = input as PolicySetDefinition;
  const problems: string[] = [];
  const policies = new Map<string, CompiledPolicy>();
  const limitNames = new Set<string>();

  for (const policy of definition.policies) {
    if (policies.has(policy.name)) problems.push(`policy "${policy.name}" is defined twice`);
    if (policy.limits.every((l) => l.optional)) {
      problems.push(`policy "${policy.name}" has only optional limits: a request naming none would pass unchecked`);
    }
    const limits = policy.limits.map((limit): CompiledLimit => {
      const name = limitName(policy, limit);
      if (limitNames.has(name)) problems.push(`limit name "${name}" is used twice (limits share Redis keys by name)`);
      limitNames.add(name);
      return {
        name,
        by: limit.by,
        limit: limit.limit,
        windowSeconds: limit.windowSeconds,
        burst: limit.limit,
        optional: limit.optional ?? false,
        windowUs: limit.windowSeconds * 1_000_000,
      };
    });
    policies.set(policy.name, { name: policy.name, description: policy.description, limits });
  }

  definition.rules.forEach((rule, index) => {
    if (!policies.has(rule.policy)) problems.push(`rule ${index + 1} names unknown policy "${rule.policy}"`);
    const shadow = definition.rules.slice(0, index).findIndex((earlier) => covers(earlier, rule));
    if (shadow >= 0) problems.push(`rule ${index + 1} can never match: rule ${shadow + 1} matches everything it does`);
  });
  const last = definition.rules.at(-1);
  if (last && (last.routeClass !== undefined || last.callerKind !== undefined || last.plan !== undefined)) {
    problems.push('the last rule must match every request (name only a policy)');
  }

  if (problems.length > 0) throw new PolicySetError(problems);
  return { policies, rules: definition.rules };
}

export interface Selector {
  routeClass: string;
  callerKind: SubjectKind;
  plan?: string | undefined;
}

/** The first rule whose named fields all match; a compiled set always ends with a catch-all. */
export function selectPolicy(set: PolicySet, selector: Selector): CompiledPolicy {
  for (const rule of set.rules) {
    if (rule.routeClass !== undefined && rule.routeClass !== selector.routeClass) continue;
    if (rule.callerKind !== undefined && rule.callerKind !== selector.callerKind) continue;
    if (rule.plan !== undefined && rule.plan !== selector.plan) continue;
    const policy = set.policies.get(rule.policy);
    if (policy) return policy;
  }
  throw new Error('the policy set has no catch-all rule');
}

export interface Subject {
  kind: SubjectKind;
  id: string;
  plan?: string | undefined;
  address?: string | undefined;
  account?: string | undefined;
}

/**
 * The value a limit counts by for this subject, or undefined when the request does not carry it.
 * Accounts are compared case-insensitively so `Alice@x` and `alice@x` share one counter.
 */
export function dimensionValue(subject: Subject, by: Dimension): string | undefined {
  switch (by) {
    case 'subject':
      return `${subject.kind}:${subject.id}`;
    case 'address':
      return subject.address ?? (subject.kind === 'anonymous' ? subject.id : undefined);
    case 'account': {
      const account = subject.account?.trim().toLowerCase();
      return account ? account : undefined;
    }
    default: {
      const never: never = by;
      throw new Error(`unknown dimension ${String(never)}`);
    }
  }
}
