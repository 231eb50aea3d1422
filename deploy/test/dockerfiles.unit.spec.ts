import { ALL_APP_IDS } from '@strata/contracts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '../src/dockerfile-lint.js';
import { DEPLOY_DIR, REPO_ROOT } from '../src/versions.js';

const dockerfile = (app: string) => readFileSync(join(DEPLOY_DIR, 'docker', `${app}.Dockerfile`), 'utf8');
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; name?: string }>;
};
/** The workspace folder of each app, from the lockfile's workspace entries. */
const workspaceOf = (app: string) =>
  Object.entries(lock.packages).find(([path, p]) => !path.includes('node_modules') && p.name === `@strata/${app}`)?.[0];

describe('Dockerfiles', () => {
  it.each(ALL_APP_IDS)('%s follows the house rules', (app) => {
    expect(lintDockerfile(dockerfile(app))).toEqual([]);
  });

  it.each(ALL_APP_IDS)('%s builds its own workspace with the locked turbo on Node 24', (app) => {
    const text = dockerfile(app);
    const dir = workspaceOf(app);
    expect(dir, `no workspace @strata/${app} in package-lock.json`).toBeTruthy();
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, dir!, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(pkg.scripts?.build, `@strata/${app} has no build script`).toBeTruthy();
    expect(text).toContain(`turbo prune @strata/${app} --docker`);
    expect(text).toContain(`turbo run build --filter=@strata/${app}...`);
    expect(text).toContain(`WORKDIR /app/${dir}`);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(text).toContain(`ARG TURBO_VERSION=${lock.packages['node_modules/turbo']!.version!}`);
  });

  it('the rules catch each mistake in the broken fixture', () => {
    const problems = lintDockerfile(readFileSync(join(import.meta.dirname, 'fixtures/broken.Dockerfile'), 'utf8'));
    expect([...new Set(problems.map((p) => p.rule))].sort()).toEqual([
      'exec-form-cmd', 'init-entrypoint', 'no-add-url', 'no-healthcheck', 'non-root-user', 'pinned-base', 'prod-deps-only',
    ]);
    // both unpinned bases are reported, with their lines
    expect(problems.filter((p) => p.rule === 'pinned-base').map((p) => p.line)).toEqual([2, 7]);
  });

  it('accepts a digest-pinned base and an image that extends an earlier stage', () => {
    const ok = [
      'FROM node@sha256:' + 'a'.repeat(64) + ' AS base',
      'FROM base',
      'RUN npm ci --omit=dev',
      'USER 1000',
      'ENTRYPOINT ["/usr/bin/tini", "--"]',
      'CMD ["node", "dist/server.js"]',
    ].join('\n');
    expect(lintDockerfile(ok)).toEqual([]);
  });

  it('.dockerignore keeps dependencies, builds, git and local state out of the context', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '**/build', '.git', '.strata', '.env']) expect(ignore).toContain(entry);
    // the sources and the lockfile stay in
    expect(ignore).not.toContain('package-lock.json');
    expect(existsSync(join(REPO_ROOT, 'package-lock.json'))).toBe(true);
  });
});
