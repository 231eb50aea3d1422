import { DockerfileParser, Env, type Instruction } from 'dockerfile-ast';

export interface DockerfileProblem {
  rule: string;
  line: number;
  message: string;
}

/**
 * The house rules for Strata's images, checked on the parsed Dockerfile:
 * - pinned-base: every base image names a release (x.y.z tag or a digest), never a bare or `latest` tag
 * - no-add-url: nothing is downloaded with ADD (use COPY, or a package manager in a RUN)
 * - no-healthcheck: Kubernetes probes decide health, a HEALTHCHECK would only be ignored or disagree
 * - non-root-user: the final stage ends as USER 1000 (numeric, so runAsNonRoot can verify it)
 * - init-entrypoint: the final stage's ENTRYPOINT is tini in exec form, so signals reach node
 * - prod-deps-only: the final stage installs with `npm ci --omit=dev` and never a plain install
 * - exec-form-cmd: CMD is exec form and runs compiled JavaScript with node (no tsx, no shell)
 */
export function lintDockerfile(text: string): DockerfileProblem[] {
  const dockerfile = DockerfileParser.parse(text);
  const problems: DockerfileProblem[] = [];
  const report = (rule: string, instruction: Instruction | undefined, message: string) =>
    problems.push({ rule, line: (instruction?.getRange().start.line ?? 0) + 1, message });

  // ARG defaults before the first FROM can be used in FROM lines
  const globalArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const value = property?.getValue();
    if (property && value != null) globalArgs.set(property.getName(), value);
  }
  const expand = (s: string) => s.replace(/\$\{?(\w+)\}?/g, (_, name: string) => globalArgs.get(name) ?? `$${name}`);

  const froms = dockerfile.getFROMs();
  if (froms.length === 0) report('pinned-base', undefined, 'no FROM instruction');
  const stageNames = new Set<string>();
  for (const from of froms) {
    const image = expand(from.getImage() ?? '');
    if (stageNames.has(image)) {
      // built on an earlier stage
    } else if (image.includes('$')) {
      report('pinned-base', from, `base image "${from.getImage() ?? ''}" uses an ARG without a default`);
    } else {
      const digest = /@sha256:[0-9a-f]{64}$/.test(image);
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      if (!digest && (!tag || tag === 'latest' || !/^v?\d+\.\d+\.\d+/.test(tag))) {
        report('pinned-base', from, `base image "${image}" is not pinned to a release (x.y.z tag or digest)`);
      }
    }
    const name = from.getBuildStage();
    if (name) stageNames.add(name);
  }

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'HEALTHCHECK') report('no-healthcheck', instruction, 'HEALTHCHECK: Kubernetes probes do this');
    if (keyword === 'ADD' && /\b(https?|ftp|git):\/\//i.test(instruction.getArgumentsContent() ?? '')) {
      report('no-add-url', instruction, 'ADD of a URL: download nothing unpinned at build time');
    }
  }

  const lastFrom = froms[froms.length - 1];
  if (!lastFrom) return problems;
  const finalStage = dockerfile
    .getInstructions()
    .filter((i) => i.getRange().start.line > lastFrom.getRange().start.line);

  const users = finalStage.filter((i) => i.getKeyword() === 'USER');
  const user = users[users.length - 1];
  if (!user) report('non-root-user', lastFrom, 'the final stage sets no USER');
  else if (!/^1000(:1000)?$/.test((user.getArgumentsContent() ?? '').trim())) {
    report('non-root-user', user, `the final stage runs as "${user.getArgumentsContent() ?? ''}", not 1000`);
  }

  const entrypoints = finalStage.filter((i) => i.getKeyword() === 'ENTRYPOINT');
  const entrypoint = entrypoints[entrypoints.length - 1];
  const entry = entrypoint ? execForm(entrypoint) : undefined;
  if (!entry || !/(^|\/)tini$/.test(entry[0] ?? '') || entry[1] !== '--') {
    report('init-entrypoint', entrypoint ?? lastFrom, 'the final ENTRYPOINT must be ["/usr/bin/tini", "--"] (exec form)');
  }

  const runs = finalStage.filter((i) => i.getKeyword() === 'RUN').map((i) => ({ i, text: i.getArgumentsContent() ?? '' }));
  if (!runs.some(({ text }) => /\bnpm ci\b[^&;|]*--omit=dev/.test(text))) {
    report('prod-deps-only', lastFrom, 'the final stage does not run `npm ci --omit=dev`');
  }
  for (const { i, text } of runs) {
    for (const command of text.split(/&&|;|\|\|/)) {
      if (/\bnpm (ci|install|i)\b/.test(command) && !/--omit=dev/.test(command)) {
        report('prod-deps-only', i, `"${command.trim()}" in the final stage installs dev dependencies`);
      }
    }
  }

  const cmds = finalStage.filter((i) => i.getKeyword() === 'CMD');
  const cmd = cmds[cmds.length - 1];
  const args = cmd ? execForm(cmd) : undefined;
  if (!args || args[0] !== 'node' || !args.some((a) => /\.js$/.test(a)) || args.some((a) => /tsx|\.ts$/.test(a))) {
    report('exec-form-cmd', cmd ?? lastFrom, 'CMD must be exec form running compiled JavaScript: ["node", ..., "dist/server.js"]');
  }
  return problems;
}

/** What the final stage sets: its environment (later ENV lines win) and the ports it EXPOSEs. */
export function imageDefaults(text: string): { env: Record<string, string>; exposed: number[] } {
  const dockerfile = DockerfileParser.parse(text);
  const lastFrom = dockerfile.getFROMs().at(-1);
  const finalStage = dockerfile.getInstructions().filter((i) => lastFrom && i.getRange().start.line > lastFrom.getRange().start.line);
  const env: Record<string, string> = {};
  for (const instruction of finalStage) {
    if (instruction instanceof Env) {
      for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
    }
  }
  const exposed = finalStage
    .filter((i) => i.getKeyword() === 'EXPOSE')
    .flatMap((i) => i.getArguments().map((a) => Number.parseInt(a.getValue(), 10)));
  return { env, exposed };
}

/** The arguments of an exec-form (JSON array) instruction, or undefined for shell form. */
function execForm(instruction: Instruction): string[] | undefined {
  const raw = instruction.getArgumentsContent()?.trim() ?? '';
  if (!raw.startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
