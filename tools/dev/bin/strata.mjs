#!/usr/bin/env node
// Entry for `npm start`, `npm test` and `npm run daprd`: loads the TypeScript launcher through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
