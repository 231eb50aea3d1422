import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AZURITE_BLOB_PORT } from '@strata/contracts';
import { CHROMIUM, NGINX, PGBOUNCER, REDIS_SERVER, SHELLCHECK, ensureDebianTools } from './debian.js';
import { STALE, generate, staleFiles, writeGenerated } from './client.js';
import { RELEASED_FILE, breakingChanges, releasedDocument } from './contract.js';
import { ensureDaprd } from './daprd.js';
import { ensureActionlint, ensurePromtool } from './gotools.js';
import { bold, dim, fail, green, say } from './log.js';
import { REPO_ROOT, runDir } from './paths.js';
import { type ProfileName, PROFILES, type Stack, isProfile, startStack } from './stack.js';

const USAGE = `usage: strata <command> [options]

  start     start Azurite and every app with its Dapr sidecar (npm start)
            --only a,b   start only these apps of dapr.yaml (each still with its sidecar)
            --replicas files=2,sessions=2
                         run N instances of an app-id, each with its own daprd; replica r
                         has every port shifted by r x 100
            --profile prod-like
                         deploy/'s Dapr Configurations (access control over mTLS, secret
                         scopes, app tokens, resiliency) and components, on a Redis Cluster
                         (TLS), PgBouncer (transaction pooling, sslmode=require), Azurite
                         (HTTPS, OAuth) and an Entra ID stand-in; apps that cannot run on it
                         yet are named with the reason (deploy/README.md)
            --no-restart an app or sidecar that exits stays down (by default the
                         launcher restarts it: backoff 0.5 s doubling to 30 s, reset
                         after a minute up; each restart is printed with its count)
            STRATA_STACK names the runtime folder .strata/<name> (default dev, or
            prod-like with that profile); STRATA_PORT_OFFSET shifts every port
  test      check the client is current, type-check, lint, build, then run unit, integration
            and browser tests (npm test)
  daprd     build (or find) the pinned daprd and print its path (npm run daprd)
  generate-client
            write packages/client/openapi.json and src/schema.ts (TypeScript) and
            clients/go/strata/api.gen.go (Go, oapi-codegen) from the route schemas, with no
            stack running (npm run generate-client); fails when the document breaks the
            released contract (clients/openapi.released.json: a route or a response field
            removed, a new required request field...)
            --check      write nothing; fail when a file differs (npm test runs this)
            --release    also record the document as the released contract
`;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);
const turboEnv = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

async function buildUi(): Promise<void> {
  say('building the UI (cached by turbo when nothing changed)');
  const code = await run(bin('turbo'), ['run', 'build', '--filter=@strata/ui', '--output-logs=errors-only'], turboEnv);
  if (code !== 0) throw new Error('the UI build failed (see above)');
}

/** `--replicas files=2,sessions=2` → { files: 2, sessions: 2 }; undefined when not given. */
export function parseReplicas(args: string[]): Record<string, number> | undefined {
  const at = args.indexOf('--replicas');
  if (at < 0) return undefined;
  const spec = args[at + 1] ?? '';
  const entries = spec.split(',').filter(Boolean).map((pair) => {
    const match = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(pair);
    if (!match) throw new Error(`--replicas expects app=N[,app=N], got "${spec}"`);
    return [match[1]!, Number(match[2])] as const;
  });
  if (entries.length === 0) throw new Error('--replicas expects app=N[,app=N]');
  return Object.fromEntries(entries);
}

/** `--profile prod-like` → 'prod-like'; 'local' when not given. */
export function parseProfile(args: string[]): ProfileName {
  const at = args.indexOf('--profile');
  if (at < 0) return 'local';
  const name = args[at + 1] ?? '';
  if (!isProfile(name)) throw new Error(`--profile expects one of ${PROFILES.join(', ')}, got "${name}"`);
  return name;
}

async function start(args: string[]): Promise<number> {
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
  const replicas = parseReplicas(args);
  const profile = parseProfile(args);
  // each profile keeps its own runtime folder (secrets, certificates, data) unless told otherwise
  const stackName = process.env.STRATA_STACK ?? (profile === 'local' ? 'dev' : profile);
  if (!/^[a-z0-9-]+$/.test(stackName)) throw new Error(`STRATA_STACK must be lower-case letters, digits and dashes, got "${stackName}"`);
  if (!only || only.includes('ui')) await buildUi();
  // set once the stack is up; a signal during start-up is handled by startStack's own clean-up
  const running: { stack?: Stack } = {};
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping everything`);
    await running.stack?.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  const stack = await startStack({
    name: stackName,
    runDir: runDir(stackName),
    portOffset: Number(process.env.STRATA_PORT_OFFSET ?? 0),
    // a production-like run does not write into the local stack's data, nor the reverse
    database: process.env.STRATA_DATABASE ?? (profile === 'local' ? 'strata' : 'strata_prod_like'),
    redisDb: Number(process.env.STRATA_REDIS_DB ?? 0),
    azuriteBlobPort: AZURITE_BLOB_PORT + Number(process.env.STRATA_PORT_OFFSET ?? 0),
    ...(only ? { only } : {}),
    ...(replicas ? { replicas } : {}),
    profile,
    supervise: !args.includes('--no-restart'),
    // the production-like profile starts what it can, and names the apps not ready for it yet
    allowFailedApps: profile !== 'local',
  });
  running.stack = stack;
  if (stopping) {
    await stack.stop();
    return 0;
  }
  const rows = [...stack.apps.entries()].map(
    ([key, a]) =>
      `  ${key.padEnd(10)} ${stack.failed.has(key) ? 'NOT RUNNING' : `app http://127.0.0.1:${a.port}`}  internal ${a.internalPort}  ` +
      `dapr http ${a.daprHttpPort} grpc ${a.daprGrpcPort} internal-grpc ${a.daprInternalGrpcPort} metrics ${a.metricsPort}`,
  );
  say('');
  for (const row of rows) say(dim(row));
  say(dim(args.includes('--no-restart')
    ? '  supervisor off (--no-restart): an app or sidecar that exits stays down'
    : '  supervisor on: an app or sidecar that exits is restarted (0.5 s, doubling to 30 s) and counted; --no-restart turns it off'));
  say('');
  const url = stack.gatewayUrl || [...stack.apps.entries()].filter(([key]) => !stack.failed.has(key)).map(([, a]) => `http://127.0.0.1:${a.port}`).join(', ');
  if (stack.failed.size > 0) {
    say(bold(`${stack.failed.size} of ${stack.apps.size} apps are not running on the ${stack.profile} profile (the reasons are above); the rest is up${url ? `: ${url}` : ''}`) + dim('   (Ctrl-C stops everything)'));
  } else {
    say(green(bold(`Strata is up: open ${url}`)) + dim('   (Ctrl-C stops everything)'));
  }
  await new Promise(() => undefined);
  return 0;
}

/** `generate-client`: writes the client's document and types; with --check, only says whether they are current. */
async function generateClient(args: string[]): Promise<number> {
  const started = Date.now();
  const generated = await generate();
  const stale = staleFiles(generated);
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const released = releasedDocument();
  const breaks = released ? breakingChanges(released, JSON.parse(generated.document) as Parameters<typeof breakingChanges>[1]) : [];
  if (breaks.length > 0 && !args.includes('--release')) {
    fail(`the API breaks the released contract (${relative(REPO_ROOT, RELEASED_FILE)}), which partners' SDKs were built against:\n  ${breaks.join('\n  ')}\nkeep what was released (add beside it), or release a new major version on purpose with npm run generate-client -- --release`);
    return 1;
  }
  say(released ? `the API keeps the released contract (${relative(REPO_ROOT, RELEASED_FILE)})` : `no released contract yet (${relative(REPO_ROOT, RELEASED_FILE)})`);
  if (args.includes('--release')) {
    if (args.includes('--check')) {
      fail('--release and --check do not go together');
      return 1;
    }
    writeFileSync(RELEASED_FILE, generated.document);
    say(`recorded the document as the released contract${breaks.length > 0 ? ` (breaking ${breaks.length} thing(s) of the last one on purpose)` : ''}`);
  }
  if (args.includes('--check')) {
    if (stale.length === 0) {
      say(`the client is current (${took})`);
      return 0;
    }
    fail(`${STALE} (${stale.join(' and ')} ${stale.length > 1 ? 'differ' : 'differs'} from the route schemas)`);
    return 1;
  }
  writeGenerated(generated);
  say(stale.length === 0 ? `the client was current already (${took})` : `wrote ${stale.join(' and ')} (${took})`);
  return 0;
}

async function test(): Promise<number> {
  const started = Date.now();
  say(bold('1/5 the clients (TypeScript, Go) are generated from the current route schemas and keep the released contract'));
  let code = await generateClient(['--check']);
  if (code !== 0) return code;
  say(bold('2/5 daprd, promtool and actionlint'));
  say(`daprd: ${await ensureDaprd()}`);
  // the alert rules' and the workflows' checkers (deploy/test/alerts, .github tests)
  say(`promtool: ${await ensurePromtool()}, actionlint: ${await ensureActionlint()}`);
  // PgBouncer and Redis (cluster mode) for the production-like stand-ins' tests (tools/dev/test)
  const tools = [NGINX, PGBOUNCER, REDIS_SERVER, SHELLCHECK, ...(existsSync(join(REPO_ROOT, 'ui', 'test', 'browser')) ? [CHROMIUM] : [])];
  await ensureDebianTools(tools);
  say(tools.map((t) => `${t.binary.split('/').pop()}: ${t.binary}`).join(', '));
  say(bold('3/5 type-check, lint and build (turbo)'));
  code = await run(bin('turbo'), ['run', 'check-types', 'lint', 'build', '--output-logs=errors-only'], turboEnv);
  if (code !== 0) {
    fail('type-check, lint or build failed');
    return code;
  }
  const counts = { passed: 0, failed: 0 };
  const vitest = async (project: string) => {
    const report = join(tmpdir(), `strata-vitest-${project}-${process.pid}.json`);
    const result = await run(bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
    if (existsSync(report)) {
      const summary = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number };
      counts.passed += summary.numPassedTests;
      counts.failed += summary.numFailedTests;
      rmSync(report, { force: true });
    }
    return result;
  };
  say(bold('4/5 unit tests'));
  code = await vitest('unit');
  if (code === 0) {
    say(bold('5/5 integration tests (real Postgres, Redis, Azurite and daprd sidecars)'));
    code = await vitest('integration');
  }
  say(`${code === 0 ? green('all tests passed') : 'tests failed'} in ${Math.round((Date.now() - started) / 1000)} s`);
  // the plain closing line CI reads
  process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed\n`);
  return code;
}

/** The options each command takes: those that take a value, and plain flags. */
const OPTIONS: Record<string, { values: readonly string[]; flags: readonly string[] }> = {
  start: { values: ['--only', '--replicas', '--profile'], flags: ['--no-restart'] },
  test: { values: [], flags: [] },
  'generate-client': { values: [], flags: ['--check', '--release'] },
  daprd: { values: [], flags: [] },
};

/**
 * 'help' when the arguments ask for it, else the first problem with them (an option the command
 * does not take, one missing its value), else undefined: a typo never starts a whole stack.
 */
export function checkArgs(command: string, args: readonly string[]): 'help' | string | undefined {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const known = OPTIONS[command];
  if (!known) return undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (known.values.includes(arg)) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) return `${arg} needs a value`;
      i++;
    } else if (!known.flags.includes(arg)) {
      return `${command} takes no ${JSON.stringify(arg)}`;
    }
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const problem = command ? checkArgs(command, rest) : undefined;
  if (problem === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (problem) {
    fail(problem);
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'test':
        return await test();
      case 'generate-client':
        return await generateClient(rest);
      case 'daprd':
        process.stdout.write(`${await ensureDaprd()}\n`);
        return 0;
      default:
        process.stderr.write(USAGE);
        return command ? 2 : 0;
    }
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
    return 1;
  }
}
