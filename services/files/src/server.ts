import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadServiceConfig } from './config.js';

await runServer({ loadConfig: loadServiceConfig, app });
