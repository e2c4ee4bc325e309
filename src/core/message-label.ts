import { findMessageId, headerBounds } from './identity.js';

/** How much of a message is read to name it. */
const HEAD = 16 * 1024;

/**
 * A short name for a message in an error, from its header: its Message-ID,
 * else its Subject, else ''. Control characters are replaced, long values
 * cut: this text comes from the message, not from us.
 */
export function messageLabel(body: Uint8Array): string {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, HEAD));
  // Only the header is decoded: a label is taken for every message copied.
  const header = head.subarray(0, headerBounds(head)?.end ?? head.length).toString('latin1');
  const messageId = findMessageId(header);
  if (messageId) return `Message-ID ${clean(messageId)}`;
  const subject = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(header)?.[1];
  return subject ? `Subject "${clean(subject.replace(/\r?\n[ \t]+/g, ' '))}"` : '';
}

function clean(text: string): string {
  const safe = text.trim().replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return safe.length > 80 ? `${safe.slice(0, 79)}…` : safe;
}

/** A short name for a message from its saved identity: its Message-ID, or '' for a body hash. */
export function identityLabel(identity: string | undefined): string {
  return identity?.startsWith('mid:') ? `Message-ID ${clean(identity.slice(4))}` : '';
}
