/** See imapflow-item-key.mjs: the lower-cased key imapflow files a FETCH item under, or undefined. */
export function plainItemKey(attribute: unknown): string | undefined;
