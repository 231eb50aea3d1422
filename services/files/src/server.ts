import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadServiceConfig } from './config.js';

// JSON bodies are small (a rename, a grant); file contents are streamed and limited on their own
await runServer({ loadConfig: loadServiceConfig, app, bodyLimit: 64 * 1024 });
