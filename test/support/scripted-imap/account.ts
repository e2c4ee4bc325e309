// The in-memory account: folders with UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ
// and messages. Tests seed it and read it back; the handlers change it.

export interface StoredMessage {
  uid: number;
  flags: Set<string>;
  internalDate: Date;
  body: Buffer;
  modseq: bigint;
}

export interface Folder {
  /** The name exactly as on the wire (modified UTF-7 unless the test says otherwise). */
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: bigint;
  messages: StoredMessage[];
  /** Expunged UIDs with the modseq of their expunge, for QRESYNC's VANISHED. */
  expunged: { uid: number; modseq: bigint }[];
  subscribed: boolean;
  /** RFC 6154 attribute, e.g. '\\Trash'. */
  specialUse?: string;
}

export interface SeedMessage {
  body: Buffer | Uint8Array | string;
  flags?: string[];
  internalDate?: Date | number;
}

export interface SeedFolder {
  name: string;
  uidValidity?: number;
  specialUse?: string;
  messages?: SeedMessage[];
}

let validityCounter = 0;

/** A UIDVALIDITY unlike any other this process handed out (like Dovecot's time-based ones). */
function freshUidValidity(): number {
  validityCounter += 1;
  return (Math.floor(Date.now() / 1000) % 1_000_000_000) + validityCounter;
}

export class Account {
  readonly folders = new Map<string, Folder>();
  /** Changed whenever a folder's UIDs are renumbered, so that open sessions notice. */
  generation = 0;

  constructor(seed: SeedFolder[] = []) {
    this.createFolder('INBOX');
    for (const folder of seed) {
      const existing = this.find(folder.name) ?? this.createFolder(folder.name, folder);
      if (folder.specialUse) existing.specialUse = folder.specialUse;
      for (const message of folder.messages ?? []) this.addMessage(existing.name, message);
    }
  }

  /** INBOX is case-insensitive; every other name is exact. */
  find(name: string): Folder | undefined {
    return this.folders.get(name.toUpperCase() === 'INBOX' ? 'INBOX' : name);
  }

  get(name: string): Folder {
    const folder = this.find(name);
    if (!folder) throw new Error(`no folder ${JSON.stringify(name)} on the scripted server`);
    return folder;
  }

  createFolder(name: string, options: { uidValidity?: number; specialUse?: string } = {}): Folder {
    const key = name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
    const folder: Folder = {
      name: key,
      uidValidity: options.uidValidity ?? freshUidValidity(),
      uidNext: 1,
      highestModseq: 1n,
      messages: [],
      expunged: [],
      subscribed: true,
      ...(options.specialUse ? { specialUse: options.specialUse } : {}),
    };
    this.folders.set(key, folder);
    return folder;
  }

  deleteFolder(name: string): void {
    this.folders.delete(this.get(name).name);
  }

  addMessage(folderName: string, message: SeedMessage): StoredMessage {
    const folder = this.get(folderName);
    folder.highestModseq += 1n;
    const stored: StoredMessage = {
      uid: folder.uidNext,
      flags: new Set(message.flags ?? []),
      internalDate: message.internalDate === undefined ? new Date() : new Date(message.internalDate),
      body: Buffer.from(message.body),
      modseq: folder.highestModseq,
    };
    folder.uidNext += 1;
    folder.messages.push(stored);
    return stored;
  }

  /** Removes messages by UID, remembering them for VANISHED. */
  expunge(folderName: string, uids: Iterable<number>): number[] {
    const folder = this.get(folderName);
    const gone = new Set(uids);
    const removed = folder.messages.filter((m) => gone.has(m.uid)).map((m) => m.uid);
    if (!removed.length) return [];
    folder.highestModseq += 1n;
    folder.messages = folder.messages.filter((m) => !gone.has(m.uid));
    for (const uid of removed) folder.expunged.push({ uid, modseq: folder.highestModseq });
    return removed;
  }

  setFlags(folderName: string, message: StoredMessage, flags: Set<string>): void {
    const folder = this.get(folderName);
    folder.highestModseq += 1n;
    message.flags = flags;
    message.modseq = folder.highestModseq;
  }

  /**
   * What a server does after losing its UID index: a new UIDVALIDITY and new
   * UIDs for every message. By default the order is reversed, so that an old
   * UID now names another message (a client that keeps using old UIDs hits
   * the wrong one). Sessions that have the folder selected are disconnected.
   */
  renumber(folderName: string, options: { uidValidity?: number; order?: 'reverse' | 'same' } = {}): void {
    const folder = this.get(folderName);
    folder.uidValidity = options.uidValidity ?? Math.max(folder.uidValidity + 1, freshUidValidity());
    const ordered = options.order === 'same' ? folder.messages : [...folder.messages].reverse();
    folder.messages = ordered.map((m, i) => ({ ...m, uid: i + 1 }));
    folder.uidNext = folder.messages.length + 1;
    folder.expunged = [];
    this.generation += 1;
  }

  /** Every folder's messages, for "every message exactly once" checks. */
  snapshot(): Record<string, { uid: number; flags: string[]; internalDate: number; body: Buffer }[]> {
    const out: ReturnType<Account['snapshot']> = {};
    for (const folder of this.folders.values()) {
      out[folder.name] = folder.messages.map((m) => ({ uid: m.uid, flags: [...m.flags].sort(), internalDate: m.internalDate.getTime(), body: m.body }));
    }
    return out;
  }
}
