import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Go module's folder (clients/go). */
export const GO_MODULE = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs `go test` in the module and gives its exit code and output. Go's build and module caches
 * stay where Go keeps them (~/.cache/go-build, ~/go/pkg/mod), outside the checkout.
 */
export function goTest(args: string[], env: Record<string, string> = {}, timeoutMs = 15 * 60_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['test', '-count=1', ...args], { cwd: GO_MODULE, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
