import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadGatewayConfig } from './config.js';

await runServer({ loadConfig: loadGatewayConfig, app });
