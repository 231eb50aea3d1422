// The UI's JavaScript budget (issue: initial JavaScript under 100 kB compressed). For each page,
// the gzip size of what its first load fetches: SvelteKit's entry (start, app), the root layout,
// the page's layouts and its own node, with every script they import statically (what the page
// preloads), from the build's Vite manifest and SvelteKit's route dictionary. Scripts imported
// on demand (dynamic imports: other pages, a dialog loaded when it opens) are not counted. The
// sum of every script is printed too: what a visit to every page loads in the end.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ui = new URL('..', import.meta.url).pathname;
const BUDGET = 100 * 1024;
const manifestFile = join(ui, '.svelte-kit/output/client/.vite/manifest.json');
const appFile = join(ui, '.svelte-kit/generated/client-optimized/app.js');
const clientDir = join(ui, 'build/client');

let manifest;
let appSource;
try {
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  appSource = readFileSync(appFile, 'utf8');
} catch {
  console.error('no UI build: run "npm run build -w @strata/ui" first');
  process.exit(1);
}

const gz = new Map();
const gzipOf = (file) => {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(join(clientDir, file)), { level: 9 }).length);
  return gz.get(file);
};
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

/** The manifest key of a generated node (`nodes/8.js`) or entry. */
const keyOf = (suffix) => {
  const key = Object.keys(manifest).find((k) => k.endsWith(suffix));
  if (!key) throw new Error(`the manifest has no ${suffix}: has SvelteKit's output changed?`);
  return key;
};
/** Every script a chunk needs before it runs: itself and its static imports, transitively. */
function closure(keys) {
  const files = new Set();
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    files.add(chunk.file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  for (const key of keys) visit(key);
  return files;
}

// "/(app)/files": [8,[2]] — the page's node, then its layouts (the root layout, node 0, is every page's)
const dictionary = /export const dictionary = \{([\s\S]*?)\};/.exec(appSource)?.[1];
if (!dictionary) throw new Error("app.js has no route dictionary: has SvelteKit's output changed?");
const routes = [...dictionary.matchAll(/"([^"]+)":\s*\[~?(\d+)(?:,\[([\d,~]*)\])?/g)].map(([, route, page, layouts]) => ({
  route,
  nodes: [0, ...(layouts ? layouts.split(',').filter(Boolean).map((n) => Number(n.replace('~', ''))) : []), Number(page)],
}));
const entry = [keyOf('kit/src/runtime/client/entry.js'), keyOf('generated/client-optimized/app.js')];

const pages = routes
  .map(({ route, nodes }) => {
    const files = closure([...entry, ...nodes.map((n) => keyOf(`generated/client-optimized/nodes/${n}.js`))]);
    return { route, scripts: files.size, gzip: [...files].reduce((sum, f) => sum + gzipOf(f), 0) };
  })
  .sort((a, b) => b.gzip - a.gzip);

for (const page of pages) console.log(`  ${page.route.padEnd(24)} ${String(page.scripts).padStart(3)} scripts  ${kb(page.gzip).padStart(9)} gzip`);

const all = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.js')) all.push(path.slice(clientDir.length + 1));
  }
};
walk(join(clientDir, '_app/immutable'));
const total = all.reduce((sum, f) => sum + gzipOf(f), 0);
const worst = pages[0];
console.log(`ui: the heaviest first page (${worst.route}) loads ${kb(worst.gzip)} gzip (budget 100 kB); all ${all.length} scripts together ${kb(total)} gzip`);
console.log(worst.gzip <= BUDGET ? 'within budget' : 'OVER BUDGET');
process.exitCode = worst.gzip <= BUDGET ? 0 : 1;
