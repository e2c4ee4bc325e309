// One benchmark message, fully determined by (seed, index, size): headers
// with a unique Message-ID, a text body, and for the bigger ones a base64
// attachment, like real mail. Built with the test fixture's makeMessage.
import { createCipheriv, createHash } from 'node:crypto';
import { makeMessage, type SeedMessage } from '../test/support/messages.js';
import { below, randomFrom, seedOf } from './random.js';

/** The corpus folders and the share of messages each gets ('/' is the server's separator). */
export const FOLDERS = [
  { name: 'Archive', share: 0.4 },
  { name: 'INBOX', share: 0.2 },
  { name: 'Sent', share: 0.15 },
  { name: 'Lists/dev', share: 0.15 },
  { name: 'Lists/announce', share: 0.1 },
] as const;

export interface BenchFolder {
  name: string;
  share: number;
}

/** The big corpus's ten folders, a tenth of the messages each (issue 11: "100,000 small messages in 10 folders"). */
export const BIG_FOLDERS: readonly BenchFolder[] = ['Archive', 'INBOX', 'Sent', 'Drafts', 'Trash', 'Lists/dev', 'Lists/announce', 'Lists/users', 'Projects/alpha', 'Projects/beta'].map(
  (name) => ({ name, share: 0.1 }),
);

export interface BenchMessage extends SeedMessage {
  folder: string;
  flags: string[];
}

const PEOPLE = ['Alice Martin <alice@example.org>', 'Bob Chen <bob@example.com>', 'Carol Diaz <carol@example.net>', 'Dan Okafor <dan@example.org>', 'Eve Novak <eve@lists.example.com>'];
const WORDS = (
  'the of and to in is that for it as with was on be by this are or from at which but have not an they one had ' +
  'mail server folder message sync release patch review meeting tomorrow report attached please thanks update ' +
  'question build test deploy backup schedule budget draft invoice team project issue change support version'
).split(' ');
/** Messages from this size on carry an attachment. */
const ATTACHMENT_FROM = 32_000;
/** Text and attachments stop short of the size by up to this much; makeMessage pads the rest. */
const SLACK = 80;
const EPOCH = Date.UTC(2026, 10, 1);
const THREE_YEARS_S = 3 * 365 * 24 * 3600;

const word = (random: () => number) => WORDS[below(random, WORDS.length)]!;

/** At least `bytes` bytes of text (at most a line more), in lines of at most 72 characters joined by CRLF. */
function text(random: () => number, bytes: number): string {
  const lines: string[] = [];
  for (let length = 0; length < bytes; ) {
    let line = word(random);
    for (let next = word(random); line.length + 1 + next.length <= 72 && below(random, 10) > 0; next = word(random)) line += ` ${next}`;
    if (below(random, 8) === 0) line += '\r\n'; // a paragraph break
    lines.push(line);
    length += line.length + 2;
  }
  return lines.join('\r\n');
}

/** At most `bytes` bytes of base64 of incompressible, seeded data, in 76-character lines. */
function base64Lines(seed: number, bytes: number): string {
  const key = createHash('sha256').update(`attachment ${seed}`).digest();
  // 57 bytes of data make one line: 76 characters and CRLF.
  const data = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16)).update(Buffer.alloc(Math.max(0, Math.floor(bytes / 78)) * 57));
  return data.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function multipart(boundary: string, note: string, name: string, attachment: string): string {
  return [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    note,
    `--${boundary}`,
    `Content-Type: application/octet-stream; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    attachment,
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** Message number `index` of the corpus seeded with `seed`, of `size` bytes (give or take a few for the smallest). */
export function benchMessage(seed: number, index: number, size: number, folders: readonly BenchFolder[] = FOLDERS): BenchMessage {
  const random = randomFrom(seedOf(seed, 'message', index));
  let pick = random();
  const folder = folders.find((f) => (pick -= f.share) < 0)?.name ?? folders[0]!.name;
  const date = new Date(EPOCH - below(random, THREE_YEARS_S) * 1000);
  const seen = random() < 0.7;
  const flags = [...(seen ? ['\\Seen'] : []), ...(seen && random() < 0.15 ? ['\\Answered'] : []), ...(random() < 0.05 ? ['\\Flagged'] : [])];
  const from = PEOPLE[below(random, PEOPLE.length)]!;
  const withAttachment = size >= ATTACHMENT_FROM;
  const boundary = `=_bench_${seed}_${index}`;
  const headers = {
    messageId: `<bench.${seed}.${index}@imapfw.bench>`,
    from,
    to: 'Alice Martin <alice@example.org>',
    // One line: text() may end a line with a paragraph break, which in a header would end the header there.
    subject: text(random, 1).trimEnd().replace(/^./, (c) => c.toUpperCase()),
    date,
    extraHeaders: { 'Content-Type': withAttachment ? `multipart/mixed; boundary="${boundary}"` : 'text/plain; charset=utf-8' },
  };
  const room = size - makeMessage({ ...headers, body: '' }).length; // what the body may take
  const letter = (bytes: number) => {
    const [greeting, signature] = ['Hi,\r\n\r\n', `\r\n\r\n-- \r\n${from.replace(/ <.*/, '')}\r\n`];
    return greeting + text(random, bytes - greeting.length - signature.length) + signature;
  };
  let body: string;
  if (withAttachment) {
    const note = letter(1000 + below(random, 3000));
    const name = `document-${index}.bin`;
    body = multipart(boundary, note, name, base64Lines(seedOf(seed, index), room - multipart(boundary, note, name, '').length - SLACK));
  } else {
    body = letter(room - SLACK);
  }
  return { folder, raw: makeMessage({ ...headers, body, size }), flags, internalDate: date };
}
