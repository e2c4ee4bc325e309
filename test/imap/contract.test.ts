import { afterAll, beforeAll } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { describeRepositoryContract } from '../contract/repository.contract.js';
import { capabilitiesWithout, repositoryOn } from './helpers.js';

let full: DovecotServer;
let minimal: DovecotServer;

beforeAll(async () => {
  full = await startDovecot();
  // Maildir++ with '.' as delimiter, and none of the extensions the repository prefers.
  minimal = await startDovecot({ separator: '.', capabilities: capabilitiesWithout('CONDSTORE', 'QRESYNC', 'UIDPLUS', 'MOVE') });
});

afterAll(async () => {
  await full?.stop();
  await minimal?.stop();
});

describeRepositoryContract('ImapRepository on Dovecot', async () => ({ repo: repositoryOn(full), cleanup: async () => {} }));

describeRepositoryContract('ImapRepository on Dovecot with "." and no CONDSTORE/QRESYNC/UIDPLUS/MOVE', async () => ({
  repo: repositoryOn(minimal),
  cleanup: async () => {},
}));
