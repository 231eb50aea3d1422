import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadGatewayConfig } from './config.js';
import { traceparentTrust } from './plugins/client.js';

await runServer({ loadConfig: loadGatewayConfig, app, trustsTraceparent: traceparentTrust });
