import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadServiceConfig } from './config.js';

// auth bodies are small: a 1 MB body is refused with 413 before it is read
await runServer({ loadConfig: loadServiceConfig, app, bodyLimit: 16 * 1024 });
