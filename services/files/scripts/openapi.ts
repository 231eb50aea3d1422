// Prints this service's part of the OpenAPI document, built from its route schemas alone (no
// sidecar, database or blob store): `npm run generate-client` merges it into the public document.
import { AppIds } from '@strata/contracts';
import { describeFiles } from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

const doc = await describeFiles(loadServiceConfig({ APP_ID: AppIds.files, PORT: '0', DAPR_HTTP_PORT: '0' }));
process.stdout.write(`${JSON.stringify(doc)}\n`);
