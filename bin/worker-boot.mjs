// Boots an imapfw worker thread (thread and pool backends). Registers tsx
// first when the runtime or the app is TypeScript source, then loads the
// runtime's worker entry; its default export is the piscina task.
import nodeModule from 'node:module';
import { workerData } from 'node:worker_threads';

// Each thread loads its modules again: on Node 22+ from the compile cache (see bin/imapfw.mjs).
nodeModule.enableCompileCache?.();

const { entry, tsx } = workerData.imapfw;
if (tsx) {
  const { register } = await import('tsx/esm/api');
  register();
}
const module = await import(entry);
export default module.default;
