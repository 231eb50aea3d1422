import type { TestStackInfo } from '@strata/testing';
import fc from 'fast-check';
import { problemsWith } from './check.js';
import { type OpenApiDocument, operationsOf } from './document.js';
import { Fixtures, type FuzzUser, type UserName } from './fixtures.js';
import { type CaseSpec, type Credential, headerSafe, requestsFor } from './requests.js';
import { gatewayReplica } from '../replica.js';
import { type RawRequest, send } from './send.js';

export interface FuzzOptions {
  /** Cases per operation. */
  runs: number;
  /** Only operations whose key (`GET /api/v1/files/{id}`) contains this. */
  route?: string;
  /** fast-check's seed; a random one by default, printed with every failure. */
  seed?: number;
  /** fast-check's path of a counterexample (with `seed` and one `route`): replays just that case. */
  path?: string;
  /** Called after each operation (progress output). */
  onOperation?: (result: OperationResult) => void;
}

export interface OperationResult {
  key: string;
  cases: number;
  /** Requests sent, shrinking included. */
  requests: number;
  /** How many answers had each status. */
  statuses: Record<string, number>;
  ms: number;
  failure?: { seed: number; path: string; counterexample: CaseSpec; request: RawRequest; problems: string[] };
}

export interface FuzzSummary {
  operations: OperationResult[];
  cases: number;
  statuses: Record<string, number>;
  failures: OperationResult[];
  fixturesRemade: number;
  ms: number;
  seed: number;
}

class AnswerProblem extends Error {
  constructor(readonly problems: string[], readonly request: RawRequest) {
    super(problems.join('; '));
  }
}

const isWrite = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

function forge(token: string, how: Extract<Credential, { kind: 'forged' }>['how']): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  switch (how) {
    case 'truncated':
      return `Bearer ${token.slice(0, -5)}`;
    case 'tampered':
      return `Bearer ${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    case 'alg-none':
      return `Bearer ${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    case 'other-scheme':
      return `Token ${token}`;
  }
}

/** The request as it goes out: fixtures filled in, the credential written as a header. */
export function materialise(spec: CaseSpec, fixtures: Fixtures, origin: string): RawRequest {
  const fill = (text: string) =>
    text.replace(/\{\{(origin|([AB])\.(\w+))\}\}/g, (_all, whole: string, user?: UserName, field?: keyof FuzzUser) =>
      whole === 'origin' ? origin : String(fixtures.users.get(user!)?.[field!] ?? ''),
    );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) headers[name] = headerSafe(fill(value));
  const c = spec.credential;
  if (c.kind === 'user') headers.authorization = `${c.scheme} ${fixtures.users.get(c.user)!.token}`;
  else if (c.kind === 'forged') headers.authorization = forge(fixtures.users.get(c.user)!.token, c.how);
  else if (c.kind === 'garbage') headers.authorization = c.header;
  let body: Buffer | undefined;
  if (spec.body) {
    if (spec.body.contentType !== undefined) headers['content-type'] = spec.body.contentType;
    body = spec.body.bytes ? Buffer.from(spec.body.bytes) : Buffer.from(fill(spec.body.text ?? ''), 'utf8');
  }
  return { method: '', path: fill(spec.target), headers, ...(body ? { body } : {}) };
}

/** Whether the path names a fixture of a user other than the one whose token is sent. */
function namesOtherUser(spec: CaseSpec): boolean {
  if (spec.credential.kind !== 'user') return false;
  const other = spec.credential.user === 'A' ? 'B' : 'A';
  return spec.target.split('?')[0]!.includes(`{{${other}.`);
}

/**
 * Every case comes from an address of its own (198.18.0.0/15, for benchmarks), forwarded by a
 * gateway that trusts this process as its proxy: the fuzz's failed sign-ins then count against
 * those addresses, and never lock 127.0.0.1, whence every other test signs in, out of its
 * per-address limit.
 */
const caseAddress = (n: number) => `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;

/** Loads the public document from the gateway and fuzzes every operation in it (or those `route` names). */
export async function fuzz(stack: TestStackInfo, options: FuzzOptions): Promise<FuzzSummary> {
  const gateway = await gatewayReplica(stack, { RATE_LIMIT_ENABLED: 'false', TRUSTED_PROXIES: '127.0.0.1/32' }, { listen: true });
  try {
    return await fuzzThrough(gateway.url, stack, options);
  } finally {
    await gateway.close();
  }
}

async function fuzzThrough(gatewayUrl: string, stack: TestStackInfo, options: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const base = new URL(gatewayUrl);
  let sent = 0;
  const res = await fetch(`${gatewayUrl}/api/v1/openapi.json`);
  if (res.status !== 200) throw new Error(`the OpenAPI document answered ${res.status}`);
  const doc = (await res.json()) as OpenApiDocument;
  const operations = operationsOf(doc).filter((op) => !options.route || op.key.includes(options.route));
  if (operations.length === 0) throw new Error(`no operation of the document matches "${options.route}"`);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const fixtures = new Fixtures(stack);
  const results: OperationResult[] = [];

  for (const op of operations) {
    const opStarted = Date.now();
    await fixtures.ensure();
    const statuses: Record<string, number> = {};
    let requests = 0;
    const property = fc.asyncProperty(requestsFor(op), async (spec) => {
      const request = { ...materialise(spec, fixtures, stack.gatewayUrl), method: op.method };
      const answer = await send(base, { ...request, headers: { ...request.headers, 'x-forwarded-for': caseAddress(sent++) } });
      requests++;
      // FUZZ_TRACE=1: every request and the start of its answer, for reading what the fuzz does
      if (process.env.FUZZ_TRACE) process.stdout.write(`${op.method} ${request.path.slice(0, 200)} -> ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}\n`);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const found = problemsWith(op, spec, answer, { crossUser: namesOtherUser(spec) });
      // a write that succeeded may have used up a fixture of the caller's (revoked the session,
      // trashed the file, …), or, with a user's refresh cookie, that user's session
      if (isWrite(op.method) && answer.status < 300) {
        const onlyCaller = spec.credential.kind === 'user' && !JSON.stringify(spec.headers).includes('.cookie}}');
        await fixtures.ensure(onlyCaller && spec.credential.kind === 'user' ? spec.credential.user : undefined);
      }
      if (found.length > 0) throw new AnswerProblem(found, request);
    });
    const details = await fc.check(property, { numRuns: options.runs, seed, ...(options.path ? { path: options.path } : {}) });
    const result: OperationResult = { key: op.key, cases: details.numRuns, requests, statuses, ms: Date.now() - opStarted };
    if (details.failed) {
      const error = details.errorInstance;
      const counterexample = details.counterexample![0];
      result.failure = {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        counterexample,
        request: error instanceof AnswerProblem ? error.request : materialise(counterexample, fixtures, stack.gatewayUrl),
        problems: error instanceof AnswerProblem ? error.problems : [String(error)],
      };
    }
    results.push(result);
    options.onOperation?.(result);
  }

  const total: Record<string, number> = {};
  for (const r of results) for (const [s, n] of Object.entries(r.statuses)) total[s] = (total[s] ?? 0) + n;
  return {
    operations: results,
    cases: results.reduce((n, r) => n + r.cases, 0),
    statuses: total,
    failures: results.filter((r) => r.failure),
    fixturesRemade: fixtures.remade,
    ms: Date.now() - started,
    seed,
  };
}

/** A failure as a reader wants it: what was sent, what was wrong, and how to run exactly this again. */
export function describeFailure(result: OperationResult): string {
  const f = result.failure!;
  const shown = { ...f.request, headers: Object.fromEntries(Object.entries(f.request.headers).map(([k, v]) => [k, v.length > 200 ? `${v.slice(0, 60)}… (${v.length} chars)` : v])), body: f.request.body && f.request.body.toString('utf8').slice(0, 500) };
  return [
    `${result.key}: ${f.problems.join('; ')}`,
    `  request: ${JSON.stringify(shown)}`,
    `  case: ${JSON.stringify(f.counterexample).slice(0, 1000)}`,
    `  again: npm run fuzz -- --route '${result.key}' --seed ${f.seed} --path '${f.path}'`,
  ].join('\n');
}
