import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppIds, PublicRoutes } from '@strata/contracts';
import { type OpenApiDocument, mergeDocuments } from '@strata/service-kit';
import { generateGo } from './oapi-codegen.js';
import { REPO_ROOT } from './paths.js';
import { readRunFile } from './runfile.js';

const CLIENT_DIR = join(REPO_ROOT, 'packages', 'client');
export const DOCUMENT_FILE = join(CLIENT_DIR, 'openapi.json');
export const SCHEMA_FILE = join(CLIENT_DIR, 'src', 'schema.ts');
/** The Go SDK's generated models and client (oapi-codegen). */
export const GO_FILE = join(REPO_ROOT, 'clients', 'go', 'strata', 'api.gen.go');
export const STALE = 'the client is stale: run npm run generate-client';

/** Runs an npm script of one package and gives what it printed; its errors are shown as they come. */
function npmScript(dir: string, script: string, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`npm run ${script} in ${relative(REPO_ROOT, dir)} exited with ${code}`)),
    );
    child.stdin.end(input ?? '');
  });
}

/** JSON with every object's keys in order, so the committed document changes only when the API does. */
export function stableJson(value: unknown): string {
  const sorted = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(sorted);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(Object.keys(node).sort().map((key) => [key, sorted((node as Record<string, unknown>)[key])]));
  };
  return `${JSON.stringify(sorted(value), null, 2)}\n`;
}

/**
 * The public OpenAPI document without a running stack: each app that owns public routes prints
 * its part, built in-process from its route schemas (`npm run openapi` in its folder, found through
 * dapr.yaml), and the gateway's merge, the one it runs when serving /api/v1/openapi.json, joins them.
 */
export async function buildDocument(): Promise<OpenApiDocument> {
  const owners: string[] = [...new Set(PublicRoutes.map((r) => r.appId))];
  const apps = readRunFile().filter((app) => owners.includes(app.appId));
  const missing = owners.filter((id) => !apps.some((app) => app.appId === id));
  if (missing.length > 0) throw new Error(`dapr.yaml has no app ${missing.join(', ')}, which owns public routes`);
  const parts = await Promise.all(apps.map(async (app) => ({ appId: app.appId, doc: JSON.parse(await npmScript(app.appDir, 'openapi')) as OpenApiDocument })));
  const own = parts.find((p) => p.appId === AppIds.gateway);
  if (!own) throw new Error('the gateway printed no document of its own');
  return mergeDocuments(own.doc, parts.filter((p) => p !== own));
}

export interface Generated {
  document: string;
  schema: string;
  go: string;
}

/** The document (stable key order), its TypeScript types and the Go SDK's generated file, as committed. */
export async function generate(): Promise<Generated> {
  const document = stableJson(await buildDocument());
  const [schema, go] = await Promise.all([npmScript(CLIENT_DIR, 'schema', document), generateGo(document)]);
  return { document, schema, go };
}

/** The committed files that differ from what the route schemas give now. */
export function staleFiles(generated: Generated): string[] {
  const differs = (file: string, text: string) => !existsSync(file) || readFileSync(file, 'utf8') !== text;
  return [
    ...(differs(DOCUMENT_FILE, generated.document) ? [DOCUMENT_FILE] : []),
    ...(differs(SCHEMA_FILE, generated.schema) ? [SCHEMA_FILE] : []),
    ...(differs(GO_FILE, generated.go) ? [GO_FILE] : []),
  ].map((file) => relative(REPO_ROOT, file));
}

export function writeGenerated(generated: Generated): void {
  writeFileSync(DOCUMENT_FILE, generated.document);
  writeFileSync(SCHEMA_FILE, generated.schema);
  writeFileSync(GO_FILE, generated.go);
}
