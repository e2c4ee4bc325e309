import { describeRepositoryContract } from '../contract/repository.contract.js';
import { tempMaildir } from './helpers.js';

describeRepositoryContract('MaildirRepository (maildir++, fsync)', async () => {
  const { repo, cleanup } = await tempMaildir({ layout: 'maildir++' });
  return { repo, cleanup };
});

describeRepositoryContract('MaildirRepository (nested, no fsync)', async () => {
  const { repo, cleanup } = await tempMaildir({ layout: 'nested', fsync: false });
  return { repo, cleanup };
});
