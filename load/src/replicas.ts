import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { DefaultPorts } from '@strata/contracts';
import scenarioOf from '../scenarios/replicas.js';
import { defaultTarget, option } from './args.js';
import { type LoadUser, Target, newRunId, registerAndSignIn, send, smallMultipart } from './http.js';
import { runScenario } from './runner.js';
import { renderSummary, writeResult } from './summary.js';

const REPLICA_PORT_STEP = 100;
const MAX_REPLICAS = 9;
const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `http_requests_total` of one /metrics text, keyed `METHOD route status` (health and metrics left out). */
export function parseRequestCounters(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (/^\/(health|metrics)/.test(labels.route ?? '')) continue;
    const key = `${labels.method} ${labels.route} ${labels.status}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

async function counters(port: number): Promise<Map<string, number> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? parseRequestCounters(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** The internal ports of every running replica of a service (replica r at base + r × 100), found by /metrics. */
async function replicaPorts(base: number): Promise<number[]> {
  const found: number[] = [];
  for (let r = 0; r < MAX_REPLICAS; r++) if ((await counters(base + r * REPLICA_PORT_STEP)) !== undefined) found.push(base + r * REPLICA_PORT_STEP);
  return found;
}

/** after − before, per key, for keys matching `filter`, summed. */
function delta(before: Map<string, number>, after: Map<string, number>, filter: (key: string) => boolean): number {
  let n = 0;
  for (const [k, v] of after) if (filter(k)) n += v - (before.get(k) ?? 0);
  return n;
}

/** One SSE listener that counts each event type per subject (file-<id>). Stops when `signal` aborts. */
function listen(origin: string, user: LoadUser, signal: AbortSignal) {
  const seen = new Map<string, number>();
  let opened = false;
  const done = (async () => {
    try {
      const res = await request(`${origin}/api/v1/events`, { headers: { authorization: `Bearer ${user.token}`, accept: 'text/event-stream' }, signal, headersTimeout: 10_000, bodyTimeout: 0 });
      opened = res.statusCode === 200;
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += String(chunk);
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!data) continue;
          try {
            const event = JSON.parse(data) as { type?: string; subject?: string };
            const key = `${event.type} ${event.subject}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
          } catch {
            // not an event frame
          }
        }
      }
    } catch {
      // aborted at the end, or the stream failed: the counts say what arrived
    }
  })();
  return { seen, done, isOpen: () => opened };
}

interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

/**
 * Two (or more) replicas of files share the work, and nothing is done twice:
 * 1. requests served per replica (each replica's own /metrics), under a list/upload/download mix;
 * 2. events: every upload produced exactly one FileUploaded (an SSE listener per user counts them by
 *    subject), the gateway's subscription was delivered each event once (its /metrics count of
 *    POST /dapr/events/live/files.events against the events the run appended), and the usage
 *    projection equals the truth (files and bytes the client saw created);
 * 3. idempotency across replicas: the same Idempotency-Key sent concurrently → one file;
 * 4. optimistic concurrency across replicas: concurrent renames with the same If-Match → exactly
 *    one 200, the rest 412 (which replica answered what, from its /metrics).
 */
export async function replicasCommand(args: string[]): Promise<number> {
  const target = option(args, '--target') ?? defaultTarget();
  const service = (option(args, '--service') ?? 'files') as keyof typeof DefaultPorts;
  if (!(service in DefaultPorts)) throw new Error(`unknown service ${service}`);
  const offset = Number(new URL(target).port) - DefaultPorts.gateway.app;
  const ports = await replicaPorts(DefaultPorts[service].internal + offset);
  if (ports.length < 2) throw new Error(`expected two ${service} replicas (internal ports ${DefaultPorts[service].internal + offset} and +${REPLICA_PORT_STEP}): start the stack with --replicas ${service}=2`);
  const gateways = await replicaPorts(DefaultPorts.gateway.internal + offset);
  say(`${service} replicas on ports ${ports.join(', ')}; gateway replicas (consumers of ${service}.events) on ${gateways.join(', ')}`);
  const snap = async () => ({ svc: await Promise.all(ports.map(async (p) => (await counters(p)) ?? new Map<string, number>())), gw: await Promise.all(gateways.map(async (p) => (await counters(p)) ?? new Map<string, number>())) });
  const checks: Check[] = [];
  const scenario = scenarioOf({});
  if (service !== 'files') {
    // sessions: the sign-in/read mix only
    scenario.mix = { signin: 2, me: 4, sessions: 2, refresh: 1 };
    const before = await snap();
    const result = await runScenario(scenario, { target, progress: say });
    const after = await snap();
    const served = ports.map((_, i) => delta(before.svc[i]!, after.svc[i]!, (k) => !k.includes('/dapr/')));
    const total = served.reduce((s, x) => s + x, 0);
    say(renderSummary(result));
    served.forEach((n, i) => say(`  ${service} replica ${i} (port ${ports[i]}): ${n} requests (${((100 * n) / Math.max(1, total)).toFixed(0)} %)`));
    const shared = served.every((n) => n >= (total / ports.length) * 0.4);
    say(shared ? '  ✓ the work is shared' : '  ✗ a replica took (almost) nothing');
    writeResult('replicas', { ...result, service, ports, servedPerReplica: served });
    return shared && result.passed ? 0 : 1;
  }

  const client = new Target(target, 16);
  const runId = newRunId();
  const users: LoadUser[] = [];
  for (let i = 0; i < scenario.users; i++) users.push(await registerAndSignIn(client, `load-${runId}-${i}@example.test`));
  const stopListening = new AbortController();
  const listeners = users.map((u) => listen(client.origin, u, stopListening.signal));
  await sleep(1_000);
  const before = await snap();

  // 1. the mix: list, upload, download through the gateway
  for (const u of users) await send(client, 'upload-small', u);
  const result = await runScenario(scenario, { target, progress: say, prepared: users });

  // 3. one Idempotency-Key, sent 6 times at once
  const owner = users[0]!;
  const key = randomUUID();
  const { body, contentType } = smallMultipart();
  const idem = await Promise.all(
    Array.from({ length: 6 }, () => client.call('POST', '/api/v1/files', { authorization: `Bearer ${owner.token}`, 'content-type': contentType, 'idempotency-key': key }, body)),
  );
  const idemIds = new Set(idem.filter((a) => a.status === 201).map((a) => String((JSON.parse(a.body) as { id?: string }).id)));
  const idemStatuses = idem.map((a) => a.status).sort().join(',');
  if (idemIds.size === 1) owner.fileIds.push([...idemIds][0]!);
  checks.push({ name: 'idempotency: 6 concurrent uploads with one Idempotency-Key make one file', passed: idemIds.size === 1, detail: `statuses ${idemStatuses}; distinct ids ${idemIds.size}` });

  // 4. optimistic concurrency: 5 rounds of 8 concurrent renames with the same If-Match
  const rounds: string[] = [];
  let occOk = true;
  let renamed = 0;
  for (let round = 0; round < 5; round++) {
    const user = users[round % users.length]!;
    const id = user.fileIds[0]!;
    const auth = { authorization: `Bearer ${user.token}` };
    const { response: info } = await client.api.GET('/api/v1/files/{id}', { params: { path: { id } }, headers: auth });
    const etag = info.headers.get('etag') ?? '';
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, k) =>
        (await client.api.PATCH('/api/v1/files/{id}', { params: { path: { id }, header: { 'if-match': etag } }, headers: auth, body: { name: `renamed-${round}-${k}.bin` } })).response,
      ),
    );
    const ok = answers.filter((a) => a.status === 200).length;
    const stale = answers.filter((a) => a.status === 412).length;
    renamed += ok;
    if (ok !== 1 || stale !== 7) occOk = false;
    rounds.push(`${ok}×200 ${stale}×412${ok + stale < 8 ? ` others ${answers.filter((a) => a.status !== 200 && a.status !== 412).map((a) => a.status).join(',')}` : ''}`);
  }

  // events arrive asynchronously: wait (bounded) until the gateway has seen every event we expect
  const uploads = users.reduce((s, u) => s + u.fileIds.length, 0);
  const expectedEvents = uploads + renamed;
  let after = await snap();
  const deliveries = (a: typeof after) => a.gw.map((m, i) => delta(before.gw[i]!, m, (k) => k.startsWith('POST /dapr/events/live/files.events ')));
  for (let i = 0; i < 30 && deliveries(after).reduce((s, x) => s + x, 0) < expectedEvents; i++) {
    await sleep(500);
    after = await snap();
  }
  await sleep(2_000); // late duplicates, if any, would show now
  after = await snap();
  stopListening.abort();
  await Promise.all(listeners.map((l) => l.done));

  // 1. requests per replica (what the gateway sent each one; Dapr's own calls left out)
  const served = ports.map((_, i) => delta(before.svc[i]!, after.svc[i]!, (k) => k.includes(' /api/v1/')));
  const total = served.reduce((s, x) => s + x, 0);
  const byRoute = ports.map((_, i) =>
    ['GET /api/v1/files 200', 'POST /api/v1/files 201', 'GET /api/v1/files/:id/content 307', 'PATCH /api/v1/files/:id 200', 'PATCH /api/v1/files/:id 412'].map((k) => `${k.replace('/api/v1', '')}: ${delta(before.svc[i]!, after.svc[i]!, (x) => x === k)}`).join(', '),
  );
  checks.unshift({ name: `the work is shared: each replica served ≥ 30 % of its fair share`, passed: served.every((n) => n >= (total / ports.length) * 0.3), detail: served.map((n, i) => `replica ${i} ${n} (${((100 * n) / Math.max(1, total)).toFixed(0)} %)`).join(', ') });
  const patchByReplica = ports.map((_, i) => `replica ${i}: ${delta(before.svc[i]!, after.svc[i]!, (k) => k === 'PATCH /api/v1/files/:id 200')}×200 ${delta(before.svc[i]!, after.svc[i]!, (k) => k === 'PATCH /api/v1/files/:id 412')}×412`);
  checks.push({ name: 'optimistic concurrency: 8 concurrent renames with one If-Match → one 200, seven 412 (5 rounds)', passed: occOk, detail: `${rounds.join(' | ')}; by replica ${patchByReplica.join(', ')}` });

  // 2. events and projections
  const gw = deliveries(after);
  const delivered = gw.reduce((s, x) => s + x, 0);
  checks.push({ name: `pub/sub: the gateway's subscription received each files event once (${uploads} uploads + ${renamed} renames)`, passed: delivered === expectedEvents, detail: `${delivered} deliveries of files.events (${gw.map((n, i) => `gateway ${i}: ${n}`).join(', ')}), ${expectedEvents} events appended` });
  const uploadedSeen = new Map<string, number>();
  for (const l of listeners) for (const [k, n] of l.seen) if (k.startsWith('FileUploaded ')) uploadedSeen.set(k.slice('FileUploaded '.length), (uploadedSeen.get(k.slice('FileUploaded '.length)) ?? 0) + n);
  const ids = users.flatMap((u) => u.fileIds);
  const once = ids.filter((id) => uploadedSeen.get(`file-${id}`) === 1).length;
  const dup = [...uploadedSeen.values()].filter((n) => n > 1).length;
  checks.push({ name: 'one FileUploaded per upload (SSE, one listener per user)', passed: once === ids.length && dup === 0, detail: `${listeners.filter((l) => l.isOpen()).length}/${listeners.length} listeners open; ${once} of ${ids.length} uploads seen exactly once, ${dup} seen more than once, ${ids.length - once - dup} missing` });
  let usageOk = true;
  const usageLines: string[] = [];
  for (const u of users) {
    const headers = { authorization: `Bearer ${u.token}` };
    const usage = (await client.api.GET('/api/v1/usage', { headers })).data;
    const list = (await client.api.GET('/api/v1/files', { params: { query: { limit: 100 } }, headers })).data;
    const listed = new Set((list?.items ?? []).map((x) => x.id));
    const truth = new Set(u.fileIds);
    const same = listed.size === truth.size && [...truth].every((id) => listed.has(id));
    const ok = usage?.files === truth.size && usage.bytes === truth.size * 2048 && same;
    if (!ok) usageOk = false;
    if (!ok || usageLines.length < 2) usageLines.push(`${u.email.split('@')[0]!.slice(-3)}: created ${truth.size}, listed ${listed.size}, usage ${usage?.files} files ${usage?.bytes} B`);
  }
  checks.push({ name: 'projections: each user\'s list and usage equal what was created (files, 2048 B each)', passed: usageOk, detail: usageLines.join('; ') });
  await client.close();

  say(renderSummary(result));
  say();
  say(`  ${service} requests served per replica (its own /metrics, /api/v1 routes):`);
  served.forEach((n, i) => say(`    replica ${i} (port ${ports[i]}): ${n} (${((100 * n) / Math.max(1, total)).toFixed(0)} %)  ${byRoute[i]}`));
  say();
  for (const c of checks) say(`  ${c.passed ? '✓' : '✗'} ${c.name}\n      ${c.detail}`);
  const passed = result.passed && checks.every((c) => c.passed);
  say();
  say(passed ? '  ✓ two replicas share the work and nothing was done twice' : '  ✗ see the failed checks above');
  writeResult('replicas', { ...result, service, ports, gateways, servedPerReplica: served, checks });
  return passed ? 0 : 1;
}
