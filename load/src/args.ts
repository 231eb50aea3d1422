import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DefaultPorts } from '@strata/contracts';
import { LOAD_ROOT } from './paths.js';
import type { Scenario, ScenarioFactory } from './scenario.js';

export function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

export function numberOption(args: string[], name: string): number | undefined {
  const raw = option(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} expects a positive number, got "${raw}"`);
  return n;
}

export function defaultTarget(): string {
  return `http://127.0.0.1:${DefaultPorts.gateway.app + Number(process.env.STRATA_PORT_OFFSET ?? 0)}`;
}

export async function loadScenario(name: string, args: string[] = []): Promise<Scenario> {
  if (!/^[a-z-]+$/.test(name)) throw new Error(`unknown scenario "${name}"`);
  const file = join(LOAD_ROOT, 'scenarios', `${name}.ts`);
  if (!existsSync(file)) throw new Error(`unknown scenario "${name}" (no ${file})`);
  const mod = (await import(pathToFileURL(file).href)) as { default: ScenarioFactory };
  const durationS = numberOption(args, '--duration');
  return mod.default(durationS ? { durationS } : {});
}

