import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from '@strata/testing/harness';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NGINX = process.env.STRATA_NGINX_PATH ?? '/usr/sbin/nginx';

export interface Proxy {
  /** https://127.0.0.1:<port>, terminating TLS with a certificate made for this run. */
  url: string;
  port: number;
  /** The certificate clients trust for this proxy (PEM). */
  ca: string;
  stop(): Promise<void>;
}

/**
 * Debian's nginx in front of a gateway, configured as Azure Application Gateway v2 forwards:
 * TLS ends here; X-Forwarded-For gets the client's address with its port appended (as the
 * Application Gateway writes it), after whatever the client sent; X-Forwarded-Proto is the
 * scheme the client used; bodies and answers stream. Started by the test, stopped by it.
 */
export async function startProxy(upstream: string): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const port = await freePort();
  const upstreamUrl = new URL(upstream);
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location / {
      set $xff "$remote_addr:$remote_port";
      if ($http_x_forwarded_for) { set $xff "$http_x_forwarded_for, $remote_addr:$remote_port"; }
      proxy_pass http://${upstreamUrl.host};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $xff;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Original-Host $host;
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
    });
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    ca: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
