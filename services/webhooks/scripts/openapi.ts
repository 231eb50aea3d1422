// Prints this service's part of the OpenAPI document, built from its route schemas alone (no
// sidecar or database): `npm run generate-client` merges it into the public document.
import { AppIds } from '@strata/contracts';
import { describeWebhooks } from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

const doc = await describeWebhooks(loadServiceConfig({ APP_ID: AppIds.webhooks, PORT: '0', DAPR_HTTP_PORT: '0' }));
process.stdout.write(`${JSON.stringify(doc)}\n`);
