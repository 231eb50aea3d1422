// Prints this service's part of the OpenAPI document, built from its route schemas alone (no
// sidecar, database or signing keys): `npm run generate-client` merges it into the public document.
import { AppIds } from '@strata/contracts';
import { describeSessions } from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

const doc = await describeSessions(loadServiceConfig({ APP_ID: AppIds.sessions, PORT: '0', DAPR_HTTP_PORT: '0' }));
process.stdout.write(`${JSON.stringify(doc)}\n`);
