import { MemoryStateStore } from '../../src/api/state/index.js';
import { describeStateStore } from './store-contract.js';

describeStateStore('MemoryStateStore', { create: () => new MemoryStateStore() });
