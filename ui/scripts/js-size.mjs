// The UI's JavaScript budget (issue: initial JavaScript under 100 kB compressed). Prints the gzip
// size of every client script of the build; the sum bounds what any first page loads.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('../build/client/_app/immutable', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.js')) files.push(path);
  }
};
try {
  walk(root);
} catch {
  console.error('no UI build: run "npm run build -w @strata/ui" first');
  process.exit(1);
}
let raw = 0;
let gz = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  raw += bytes.length;
  gz += gzipSync(bytes, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log(`ui: ${files.length} scripts, ${kb(raw)} raw, ${kb(gz)} gzip (budget for the first page: 100 kB gzip)`);
console.log(gz <= 100 * 1024 ? 'within budget' : 'OVER BUDGET');
