// imapflow, loaded once per thread on first use: only the threads that talk IMAP pay for it.
// The build bundles it into one file (scripts/bundle-imapflow.mjs), which loads
// in less than half the CPU time of the package; a source checkout run through
// tsx has no bundle and loads the package.
type ImapFlowModule = typeof import('imapflow');

let loading: Promise<ImapFlowModule> | undefined;

export function loadImapFlow(): Promise<ImapFlowModule> {
  loading ??= (import(new URL('../../vendor/imapflow.js', import.meta.url).href) as Promise<ImapFlowModule>).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_MODULE_NOT_FOUND') return import('imapflow');
    throw error;
  });
  return loading;
}
