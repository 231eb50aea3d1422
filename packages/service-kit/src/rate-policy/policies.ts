import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { RateLimitSubject } from '@strata/contracts';
import { rateLimitPolicyField } from './fields.js';
import {
  type Dimension,
  type LimitDefinition,
  type PolicyDefinition,
  type PolicySetDefinition,
  PolicySetSchema,
  type PolicySetView,
  PolicySetViewSchema,
  type Rule,
  type SubjectKind,
} from './schema.js';

/**
 * Policies are data: which limits apply to a request, chosen by (route class, caller kind, plan).
 * A set is checked once, when it is loaded, so a typo in a policy file stops the service instead
 * of silently letting traffic through, and a view the gateway cannot read leaves its fallback on
 * the policies it had.
 */

/** A limit ready to decide by. */
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

function assertShape<T extends TSchema>(schema: T, input: unknown): asserts input is Static<T> {
  const errors = [...Value.Errors(schema, input)];
  if (errors.length > 0) throw new PolicySetError(errors.map((e) => `${e.path || '(root)'}: ${e.message}`));
}

/**
 * Validates a policy set (shape with TypeBox, then meaning) and compiles it. Every problem is
 * reported at once: unknown policies, duplicate names, rules that can never match, a set without
 * a catch-all rule.
 */
export function compilePolicySet(input: unknown): PolicySet {
  assertShape(PolicySetSchema, input);
  const definition: PolicySetDefinition = input;
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

/** What GET /v1/policies answers for a set. */
export function policySetView(set: PolicySet): PolicySetView {
  return {
    policies: [...set.policies.values()].map((p) => ({
      name: p.name,
      description: p.description,
      limits: p.limits.map((l) => ({
        name: l.name,
        by: l.by,
        limit: l.limit,
        windowSeconds: l.windowSeconds,
        burst: l.burst,
        optional: l.optional,
      })),
      header: rateLimitPolicyField(p.limits),
    })),
    rules: [...set.rules],
  };
}

/**
 * The set a view shows, checked as a policy file is: what the ratelimit service enforces, for
 * the gateway's fallback. Throws PolicySetError for anything else.
 */
export function policySetFromView(input: unknown): PolicySet {
  assertShape(PolicySetViewSchema, input);
  const view: PolicySetView = input;
  return compilePolicySet({
    policies: view.policies.map((p) => ({
      name: p.name,
      description: p.description,
      limits: p.limits.map((l) => ({ name: l.name, by: l.by, limit: l.limit, windowSeconds: l.windowSeconds, optional: l.optional })),
    })),
    rules: view.rules,
  });
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

/** The policy a request falls under: by route class, the caller's kind and its plan. */
export function policyFor(set: PolicySet, routeClass: string, subject: RateLimitSubject): CompiledPolicy {
  return selectPolicy(set, { routeClass, callerKind: subject.kind, plan: subject.plan });
}

/**
 * The value a limit counts by for this subject, or undefined when the request does not carry it.
 * Accounts are compared case-insensitively so `Alice@x` and `alice@x` share one counter.
 */
export function dimensionValue(subject: RateLimitSubject, by: Dimension): string | undefined {
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

/** A required limit counts by a dimension the request does not give. */
export class MissingDimensionError extends Error {
  constructor(
    readonly policy: CompiledPolicy,
    readonly limit: CompiledLimit,
  ) {
    super(`policy "${policy.name}" counts by ${limit.by}, which the request does not give`);
    this.name = 'MissingDimensionError';
  }
}

export interface CountedLimit {
  limit: CompiledLimit;
  /** What this limit counts for the request: `<kind>:<id>`, an address, an account. */
  value: string;
}

/**
 * The limits of a policy that apply to a request, each with the value it counts: an optional
 * limit whose dimension the request does not give is skipped, a required one is an error, unless
 * `missing` is `skip` (the gateway's fallback: it cannot refuse the request for the policy's sake,
 * so it counts what it can and leaves the request to its service).
 */
export function countedLimits(policy: CompiledPolicy, subject: RateLimitSubject, missing: 'throw' | 'skip' = 'throw'): CountedLimit[] {
  const counted: CountedLimit[] = [];
  for (const limit of policy.limits) {
    const value = dimensionValue(subject, limit.by);
    if (value !== undefined) counted.push({ limit, value });
    else if (!limit.optional && missing === 'throw') throw new MissingDimensionError(policy, limit);
  }
  return counted;
}
