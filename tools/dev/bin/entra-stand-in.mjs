#!/usr/bin/env node
// The production-like profile's Entra ID stand-in (tools/dev/src/infra/entra.ts), one process per stack.
import { register } from 'tsx/esm/api';

register();
const { serve } = await import('../src/infra/entra.ts');
await serve(process.argv[2]);
