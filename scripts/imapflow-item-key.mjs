// Bundled into imapflow's formatMessageResponse (scripts/bundle-imapflow.mjs, HOT_PATH_EDITS): the key a FETCH item is
// filed under, as imapflow's command compiler writes it lower-cased, without the compiler, for the items a listing
// and a copy are made of; test/imap/fetch-line.test.ts holds it to the compiler.

const PLAIN = /^[A-Za-z0-9.-]+$/;

/** An atom of letters, digits, dots and dashes, which the compiler writes as it is; otherwise undefined. */
function plainValue(node) {
  return node && node.type === 'ATOM' && typeof node.value === 'string' && PLAIN.test(node.value) ? node.value : undefined;
}

/** Such an atom without a section or an origin of its own (a part of a section). */
function plainName(node) {
  return node && !node.section && !node.partial ? plainValue(node) : undefined;
}

/** A section's part: a plain name, or a flat list of them. */
function sectionPart(part) {
  if (!Array.isArray(part)) return plainName(part);
  const names = part.map(plainName);
  return names.includes(undefined) ? undefined : `(${names.join(' ')})`;
}

/**
 * `uid`, `rfc822.size`, `body[]`, `body[header.fields (message-id)]`: the compiler's text of the item, lower-cased;
 * undefined for any other item (an origin, a quoted part, a deeper list), which goes to the compiler.
 */
export function plainItemKey(attribute) {
  if (!attribute || attribute.partial) return undefined;
  const name = plainValue(attribute);
  if (name === undefined) return undefined;
  if (attribute.section === undefined) return name.toLowerCase();
  if (!Array.isArray(attribute.section)) return undefined;
  const parts = attribute.section.map(sectionPart);
  return parts.includes(undefined) ? undefined : `${name}[${parts.join(' ')}]`.toLowerCase();
}
