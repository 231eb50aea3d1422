import { DefaultPorts } from '@strata/contracts';
import scenarioOf from '../scenarios/replicas.js';
import { defaultTarget, option } from './args.js';
import { requestsServed } from './procstat.js';
import { runScenario } from './runner.js';
import { renderSummary, writeResult } from './summary.js';

const REPLICA_PORT_STEP = 100;
const say = (line = '') => process.stdout.write(`${line}\n`);

/**
 * Two replicas of a service share the work: requests counted from each replica's /metrics before
 * and after the run. Sessions for now (`npm start -- --replicas sessions=2`); with files:
 * `--service files` and a files mix (upload, list, download) once its routes are stable.
 */
export async function replicasCommand(args: string[]): Promise<number> {
  const target = option(args, '--target') ?? defaultTarget();
  const service = (option(args, '--service') ?? 'sessions') as keyof typeof DefaultPorts;
  if (!(service in DefaultPorts)) throw new Error(`unknown service ${service}`);
  const offset = Number(new URL(target).port) - DefaultPorts.gateway.app;
  const ports = [0, 1].map((r) => DefaultPorts[service].app + offset + r * REPLICA_PORT_STEP);
  const before = await Promise.all(ports.map((p) => requestsServed(p).catch(() => undefined)));
  if (before.some((b) => b === undefined)) throw new Error(`expected two ${service} replicas on ports ${ports.join(', ')}: start the stack with --replicas ${service}=2`);
  const scenario = scenarioOf({});
  if (service === 'files') scenario.mix = { list: 4, 'upload-small': 2, download: 2 };
  const result = await runScenario(scenario, { target, progress: say });
  const after = await Promise.all(ports.map((p) => requestsServed(p)));
  const served = after.map((a, i) => a - before[i]!);
  const total = served.reduce((s, x) => s + x, 0);
  say(renderSummary(result));
  say();
  served.forEach((n, i) => say(`  ${service} replica ${i} (port ${ports[i]}): ${n} requests (${((100 * n) / Math.max(1, total)).toFixed(0)} %)`));
  // both must take a real share: with random name resolution each gets about half
  const shared = served.every((n) => n >= total * 0.2);
  say(shared ? `  ✓ the work is shared by both replicas` : `  ✗ one replica took (almost) nothing`);
  writeResult('replicas', { ...result, service, servedPerReplica: served });
  return shared && result.passed ? 0 : 1;
}
