import type {} from '@strata/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const run = promisify(execFile);
const here = fileURLToPath(new URL('..', import.meta.url));
const repo = join(here, '..', '..');

/** The README's examples: every ```ts block of its Examples section, in order, with its heading. */
export function readmeExamples(readme: string): { title: string; code: string }[] {
  const start = readme.indexOf('\n## Examples');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const examples: { title: string; code: string }[] = [];
  let title = '';
  for (const match of section.matchAll(/^### (.+)$|^```ts\n([\s\S]*?)^```$/gm)) {
    if (match[1]) title = match[1];
    else if (match[2]) examples.push({ title, code: match[2] });
  }
  return examples;
}

/** A partner client registered the way an operator does it (the sessions service's script). */
async function registerPartner(scopes: string) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', 'README examples', '--scopes', scopes],
    { cwd: join(repo, 'services', 'sessions'), env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
  );
  const clientId = /client_id:\s+(\S+)/.exec(stdout)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`unexpected output: ${stdout}`);
  return { clientId, clientSecret };
}

/** A user registered at the sessions service itself (the gateway allows an address few registrations a minute). */
async function registerUser() {
  const email = `readme-${randomUUID()}@example.test`;
  const password = 'correct horse battery staple';
  const res = await fetch(`http://127.0.0.1:${stack.apps.sessions!.appPort}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'dapr-api-token': stack.appApiToken },
    body: JSON.stringify({ email, password, displayName: 'README' }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`register: ${res.status} ${await res.text()}`);
  return { email, password };
}

const scratch = mkdtempSync(join(tmpdir(), 'strata-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const examples = readmeExamples(readFileSync(join(here, 'README.md'), 'utf8'));

/** An example as a program of its own: the package's two entry points resolved to this checkout (.mts: an ES module wherever it is). */
function writeExample(n: number, code: string): string {
  const program = code
    .replaceAll("'@strata/client/node'", JSON.stringify(join(here, 'src', 'node.ts')))
    .replaceAll("'@strata/client'", JSON.stringify(join(here, 'src', 'index.ts')));
  const file = join(scratch, `example-${n}.mts`);
  writeFileSync(file, program);
  return file;
}

describe('the README examples run as written', () => {
  it('has examples to run (a README edit that lost them fails here)', () => {
    expect(examples.map((e) => e.title)).toEqual([
      'A partner: client credentials, an upload, the listing, a download',
      'A user: sign in, stay signed in across runs, sign out',
      'Errors are problem details',
    ]);
  });

  it('type-check as written (strict, as the package itself)', async () => {
    examples.forEach((e, i) => writeExample(i + 1, e.code));
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        extends: join(repo, 'packages', 'tsconfig', 'base.json'),
        compilerOptions: { noEmit: true, allowImportingTsExtensions: true, declaration: false, typeRoots: [join(repo, 'node_modules', '@types')] },
        include: ['*.mts'],
      }),
    );
    const result = await run(join(repo, 'node_modules', '.bin', 'tsc'), ['-p', scratch]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? 'tsc failed',
    );
    expect(result).toBe('');
  });

  it.each(examples.map((e, i) => [i + 1, e.title, e.code] as const))('example %i: %s', async (n, _title, code) => {
    const partner = await registerPartner('files:read,files:write');
    const user = await registerUser();
    const file = writeExample(n, code);
    const { stdout, stderr } = await run(process.execPath, ['--conditions=development', '--import', 'tsx', file], {
      cwd: here,
      env: {
        ...process.env,
        STRATA_URL: stack.gatewayUrl,
        STRATA_CLIENT_ID: partner.clientId,
        STRATA_CLIENT_SECRET: partner.clientSecret,
        STRATA_EMAIL: user.email,
        STRATA_PASSWORD: user.password,
      },
      timeout: 60_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`example ${n} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    // a deprecation notice of a newer Node is not the example's failure; an error is
    expect(stderr).not.toMatch(/error/i);
    // what each example prints when it did what it says
    const said = [/uploaded [0-9a-f-]{36}\n[\s\S]*report\.txt: 180000 bytes, sha256 [0-9a-f]{64}/, /signed in as .+\n\d+ session\(s\) open\nafter logout: 401/, /404 .+\nwrong secret: 401 invalid_client/][n - 1]!;
    expect(stdout).toMatch(said);
  });
});
