import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadServiceConfig } from './config.js';

// requests are small (an endpoint, a filter): a larger body is refused with 413 before it is read
await runServer({ loadConfig: loadServiceConfig, app, bodyLimit: 64 * 1024 });
