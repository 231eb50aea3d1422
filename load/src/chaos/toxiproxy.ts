/** Toxiproxy (built from the Go module proxy by tools/dev) and the few calls of its HTTP API the scenarios use. */
import { join } from 'node:path';
import { ensureToxiproxy } from '@strata/dev/toxiproxy';
import { OwnServer } from './servers.js';

export interface Toxic {
  name: string;
  type: 'latency' | 'reset_peer' | 'timeout' | 'bandwidth' | 'slow_close' | 'limit_data';
  stream?: 'upstream' | 'downstream';
  /** The share of connections it applies to (0-1). */
  toxicity?: number;
  attributes: Record<string, number>;
}

export class Toxiproxy extends OwnServer {
  constructor(
    port: number,
    dir: string,
    private readonly binary: string,
  ) {
    super('toxiproxy', port, join(dir, 'toxiproxy.log'));
  }

  static async create(port: number, dir: string): Promise<Toxiproxy> {
    return new Toxiproxy(port, dir, await ensureToxiproxy());
  }

  protected spawnArgs() {
    return { command: this.binary, args: ['-host', '127.0.0.1', '-port', String(this.port)] };
  }

  private async api(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** A proxy listening on 127.0.0.1:listen in front of 127.0.0.1:upstream. */
  async proxy(name: string, listen: number, upstream: number): Promise<void> {
    await this.api('POST', '/proxies', { name, listen: `127.0.0.1:${listen}`, upstream: `127.0.0.1:${upstream}`, enabled: true });
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.api('POST', `/proxies/${proxy}/toxics`, { stream: 'downstream', toxicity: 1, ...toxic });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.api('DELETE', `/proxies/${proxy}/toxics/${name}`);
  }
}
