import { partnerClients } from './partner-clients.js';
import { passwordResets } from './password-resets.js';
import { sessionList } from './session-list.js';
import { users } from './users.js';

/** Every read model of the sessions service, kept in the append's transaction and rebuilt from the log. */
export { partnerClients, passwordResets, sessionList, users };
