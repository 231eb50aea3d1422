// Prints the gateway's own part of the OpenAPI document (its title, servers and own routes), into
// which `npm run generate-client` merges every service's part, as the running gateway does.
import { gatewayDocument } from '../src/routes/openapi.js';

process.stdout.write(`${JSON.stringify(gatewayDocument)}\n`);
