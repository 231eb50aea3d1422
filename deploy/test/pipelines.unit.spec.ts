/**
 * The CI/CD pipelines (.github/workflows/ci-cd.yml and its Azure DevOps twin in deploy/pipelines):
 * actionlint, built from the Go module proxy (tools/actionlint; shellcheck from Debian checks the
 * run: scripts through it), finds nothing, and finds a broken workflow broken; both build, scan,
 * sign and deploy exactly the images of deploy/docker, which are the app-ids of dapr.yaml.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_APP_IDS } from '@strata/contracts';
import { ensureActionlint } from '@strata/dev/gotools';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_DIR, REPO_ROOT } from '../src/versions.js';

const WORKFLOW = join(REPO_ROOT, '.github/workflows/ci-cd.yml');
const AZURE_PIPELINE = join(DEPLOY_DIR, 'pipelines/azure-pipelines.yml');

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, string>; if?: string; id?: string }
interface Workflow { on: unknown; jobs: Record<string, { needs?: string | string[]; strategy?: { matrix: { app: string[] } }; steps: Step[]; permissions?: Record<string, string> }> }

const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
const azure = parse(readFileSync(AZURE_PIPELINE, 'utf8')) as {
  stages: { stage: string; jobs: { strategy?: { matrix: Record<string, { app: string }> }; steps?: { script?: string; inputs?: { inlineScript?: string } }[] }[] }[];
};

const dockerfileApps = readdirSync(join(DEPLOY_DIR, 'docker')).filter((f) => f.endsWith('.Dockerfile')).map((f) => f.replace('.Dockerfile', '')).sort();
const runfileApps = (parse(readFileSync(join(REPO_ROOT, 'dapr.yaml'), 'utf8')) as { apps: { appID: string }[] }).apps.map((a) => a.appID).sort();

let actionlint: string;
beforeAll(async () => {
  actionlint = await ensureActionlint();
}, 10 * 60_000);

/** actionlint on every workflow under `cwd`/.github/workflows, named (no git checkout needed to find them). */
function lint(cwd: string) {
  const dir = join(cwd, '.github/workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join('.github/workflows', f));
  const out = spawnSync(actionlint, ['-no-color', '-oneline', ...files], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

describe('CI/CD pipelines', () => {
  it('actionlint finds nothing in .github/workflows', { timeout: 120_000 }, () => {
    expect(readdirSync(join(REPO_ROOT, '.github/workflows'))).toContain('ci-cd.yml');
    const run = lint(REPO_ROOT);
    expect(run.output).toBe('');
    expect(run.status).toBe(0);
  });

  it('actionlint finds a broken workflow broken (an unknown key, a bad expression, a job that does not exist)', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-actionlint-'));
    try {
      mkdirSync(join(dir, '.github/workflows'), { recursive: true });
      writeFileSync(
        join(dir, '.github/workflows/broken.yml'),
        ['on: push', 'jobs:', '  a:', '    runs-on: ubuntu-24.04', '    needs: nowhere', '    steps:', '      - run: echo ${{ github.nope( }}', '        wat: 1', ''].join('\n'),
      );
      const run = lint(dir);
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/nowhere/);
      expect(run.output).toMatch(/wat/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deploy/docker has one Dockerfile per app-id of dapr.yaml', () => {
    expect(dockerfileApps).toEqual(runfileApps);
    expect(runfileApps).toEqual([...ALL_APP_IDS].sort());
  });

  it("the workflow's image matrix is exactly deploy/docker's images", () => {
    expect([...workflow.jobs.images!.strategy!.matrix.app].sort()).toEqual(dockerfileApps);
  });

  it("the Azure DevOps pipeline's image matrix is exactly deploy/docker's images", () => {
    const matrix = azure.stages.find((s) => s.stage === 'images')!.jobs[0]!.strategy!.matrix;
    expect(Object.values(matrix).map((m) => m.app).sort()).toEqual(dockerfileApps);
    expect(Object.keys(matrix).sort()).toEqual(dockerfileApps);
  });

  it('the workflow tests first, scans before it pushes (failing on CRITICAL and HIGH), signs, and deploys by digest with a rollout check and a rollback', () => {
    const images = workflow.jobs.images!;
    expect(images.needs).toBe('test');
    expect(workflow.jobs.test!.steps.some((s) => s.run === 'npm test')).toBe(true);
    const names = images.steps.map((s) => s.name ?? s.uses ?? '');
    const scan = images.steps.find((s) => s.uses?.startsWith('aquasecurity/trivy-action@'));
    expect(scan?.with).toMatchObject({ severity: 'CRITICAL,HIGH', 'exit-code': '1' });
    const build = images.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with?.file).toBe('deploy/docker/${{ matrix.app }}.Dockerfile');
    expect(build?.with).not.toHaveProperty('push');
    expect(names.indexOf(scan!.name!)).toBeLessThan(names.indexOf('Push to ACR'));
    expect(images.steps.find((s) => s.run?.startsWith('cosign sign'))?.run).toContain('@$DIGEST');
    expect(images.permissions?.['id-token']).toBe('write');

    const deploy = workflow.jobs.deploy!;
    const script = deploy.steps.map((s) => s.run ?? '').join('\n');
    expect(script).toMatch(/edit set image "strata\/\$app=\$ACR\/strata\/\$app@/);
    expect(script).toContain('kubectl rollout status');
    const rollback = deploy.steps.find((s) => s.name === 'Roll back');
    expect(rollback?.if).toMatch(/failure\(\)/);
    expect(rollback?.run).toContain('kubectl rollout undo');
  });

  it('the Azure DevOps pipeline scans, signs and rolls back the same way', () => {
    const text = readFileSync(AZURE_PIPELINE, 'utf8');
    expect(text).toMatch(/--severity CRITICAL,HIGH --ignore-unfixed --exit-code 1/);
    expect(text).toMatch(/cosign" sign --yes --key/);
    expect(text).toMatch(/edit set image "strata\/\$app=\$ACR_LOGIN_SERVER\/strata\/\$app@/);
    expect(text).toContain('kubectl rollout undo');
  });
});
