// The proof the scripted server is faithful: the repository contract that
// Dovecot passes passes against it too, with and without the extensions.
import { afterAll, beforeAll } from 'vitest';
import { describeRepositoryContract } from '../contract/repository.contract.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { repositoryOnScripted } from './helpers.js';

let full: ScriptedImapServer;
let minimal: ScriptedImapServer;

beforeAll(async () => {
  full = await startScriptedImap();
  minimal = await startScriptedImap({ delimiter: '.', capabilities: withoutCapabilities('CONDSTORE', 'QRESYNC', 'UIDPLUS', 'MOVE') });
});

afterAll(async () => {
  await full?.stop();
  await minimal?.stop();
});

describeRepositoryContract('ImapRepository on the scripted server', async () => ({ repo: repositoryOnScripted(full), cleanup: async () => {} }));

describeRepositoryContract('ImapRepository on the scripted server with "." and no CONDSTORE/QRESYNC/UIDPLUS/MOVE', async () => ({
  repo: repositoryOnScripted(minimal),
  cleanup: async () => {},
}));
