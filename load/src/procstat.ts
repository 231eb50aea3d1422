import { readFileSync, readdirSync } from 'node:fs';

/** CPU and memory of processes, read from /proc (Linux). */

/** utime + stime in clock ticks, from /proc/<pid>/stat (fields 14 and 15; the name may hold spaces). */
export function parseStatTicks(stat: string): number {
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after[0] is field 3 (state): utime is field 14, stime field 15
  return Number(after[11]) + Number(after[12]);
}

/** VmRSS in MiB from /proc/<pid>/status. */
export function parseRssMiB(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

export const CLOCK_TICKS = 100;

export interface Proc {
  service: string;
  role: 'app' | 'sidecar';
  replica: number;
  pid: number;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The stack's processes of replica 0, found by port: an app has APP_ID and PORT in its
 * environment (the launcher sets them); a sidecar has `--app-port <port>` on its command line,
 * which is the app's PORT or, for the gateway, its INTERNAL_PORT. `ports` are each service's.
 */
export function findProcesses(ports: Record<string, number[]>): Proc[] {
  const byPort = new Map<number, { service: string; replica: number }>();
  for (const [service, list] of Object.entries(ports)) for (const p of list) byPort.set(p, { service, replica: 0 });
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cmd = read(`/proc/${pid}/cmdline`)?.split('\0') ?? [];
    if (cmd.some((c) => c.endsWith('daprd'))) {
      const at = cmd.indexOf('--app-port');
      const hit = at >= 0 ? byPort.get(Number(cmd[at + 1])) : undefined;
      if (hit) found.push({ ...hit, role: 'sidecar', pid });
      continue;
    }
    const env = read(`/proc/${pid}/environ`);
    if (!env || !env.includes('APP_ID=')) continue;
    const vars = Object.fromEntries(env.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const hit = byPort.get(Number(vars.PORT));
    if (hit && vars.APP_ID === hit.service) found.push({ ...hit, role: 'app', pid });
  }
  return found;
}

export interface Usage {
  cpuCores: number;
  rssMiB: number;
}

/** Samples CPU (cores used on average) and peak RSS of processes between start() and stop(). */
export function sampler(procs: readonly Proc[]) {
  const ticks = () => new Map(procs.map((p) => [p.pid, parseStatTicks(read(`/proc/${p.pid}/stat`) ?? '') || 0]));
  let t0 = 0;
  let start = new Map<number, number>();
  const rss = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  const sampleRss = () => {
    for (const p of procs) rss.set(p.pid, Math.max(rss.get(p.pid) ?? 0, parseRssMiB(read(`/proc/${p.pid}/status`) ?? '')));
  };
  return {
    start() {
      t0 = performance.now();
      start = ticks();
      rss.clear();
      sampleRss();
      timer = setInterval(sampleRss, 1000);
    },
    stop(): Map<number, Usage> {
      if (timer) clearInterval(timer);
      sampleRss();
      const seconds = (performance.now() - t0) / 1000;
      const end = ticks();
      return new Map(procs.map((p) => [p.pid, { cpuCores: ((end.get(p.pid)! - start.get(p.pid)!) / CLOCK_TICKS) / seconds, rssMiB: rss.get(p.pid) ?? 0 }]));
    },
  };
}

/** Requests counted by an app's /metrics (http_requests_total, all routes but health and metrics). */
export function parseRequestsTotal(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    if (/route="\/(health|metrics)/.test(line)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function requestsServed(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return parseRequestsTotal(await res.text());
}
