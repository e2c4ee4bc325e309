// Boots an imapfw worker thread (thread and pool backends). Registers tsx
// first when the runtime or the app is TypeScript source, then loads the
// runtime's worker entry; its default export is the piscina task.
import { workerData } from 'node:worker_threads';

const { entry, tsx } = workerData.imapfw;
if (tsx) {
  const { register } = await import('tsx/esm/api');
  register();
}
const module = await import(entry);
export default module.default;
