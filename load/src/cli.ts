import { pathToFileURL } from 'node:url';
import { defaultTarget, loadScenario, numberOption, option } from './args.js';
import { runScenario } from './runner.js';
import { renderSummary, writeResult } from './summary.js';

const USAGE = `usage: npm run load -- <command> [options]

  smoke | ramp | spike | soak    run a scenario (load/scenarios/<name>.ts) against a running stack
  capacity                       step the rate up until a threshold breaks; per-service CPU and memory
  replicas [--service files|sessions]
                                 two replicas share the work, nothing done twice (start with --replicas files=2)
  hpa [ramp|spike]               the HPA model: would deploy/'s HPA settings hold this profile?

options
  --target http://127.0.0.1:PORT  the gateway (default: 8080 + STRATA_PORT_OFFSET)
  --duration S                    soak: seconds at the steady rate (default 600)
  --users N                       users to register (default: enough for the per-user limit)
  --per-user-limit N              the gateway's per-user limit, requests/min (default 100)
  --target-rps N                  hpa: the production peak the profile is scaled to
  --startup-s S                   hpa: seconds from a scale-up decision to a ready pod (default 30)
  --save-baseline                 capacity: also write load/capacity.json (the committed baseline)
`;

async function runNamed(name: string, args: string[]): Promise<number> {
  const scenario = await loadScenario(name, args);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const users = numberOption(args, '--users');
  const perUserLimitPerMin = numberOption(args, '--per-user-limit');
  const result = await runScenario(scenario, {
    target: option(args, '--target') ?? defaultTarget(),
    progress: (line) => process.stdout.write(`${line}\n`),
    signal: stop.signal,
    ...(users ? { users } : {}),
    ...(perUserLimitPerMin ? { perUserLimitPerMin } : {}),
  });
  process.stdout.write(`${renderSummary(result)}\n`);
  const file = writeResult(scenario.name, result);
  process.stdout.write(`\n  summary written to ${file}\n`);
  return result.passed ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return command ? 0 : 2;
      case 'hpa': {
        const { hpaCommand } = await import('./hpa-cli.js');
        return await hpaCommand(rest);
      }
      case 'capacity': {
        const { capacityCommand } = await import('./capacity.js');
        return await capacityCommand(rest);
      }
      case 'replicas': {
        const { replicasCommand } = await import('./replicas.js');
        return await replicasCommand(rest);
      }
      default:
        return await runNamed(command, rest);
    }
  } catch (error) {
    process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
