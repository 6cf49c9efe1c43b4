/**
 * What the steps after inspection need to know of a message's header block, read once
 * while the message is inspected (in a worker thread) and carried with the verdict: the
 * policy's allowlists (From), the edit step (where the Subject and any forged X-Sekisho-*
 * fields are, where the block ends), the quarantine entry and the log (Subject, From,
 * Message-ID). Nothing after inspection parses the header block again.
 */
import { fieldKey, fieldValue, parseHeaderBlock, type HeaderField, type LineEnding } from './header-block.js';
import { decodeHeaderText, fieldText } from './header-text.js';
import { parseMailboxes } from './mailbox.js';

/** One header field the edit step may change or delete, located in the message bytes. */
export interface FieldLocation {
  /** The name as written ("X-SEKISHO-Verdict"). */
  readonly name: string;
  /** Lower case, whitespace before the colon dropped: how fields are matched. */
  readonly key: string;
  /** 1-based position among the fields of the same key (the milter's header index). */
  readonly index: number;
  /** Byte range of the whole field, continuation lines and line ending included. */
  readonly start: number;
  readonly end: number;
}

export interface HeaderFacts {
  /** Line ending of the message's first line; fields written by sekisho use it. */
  readonly lineEnding: LineEnding;
  /** Offset of the empty line that ends the header block (message length when there is none). */
  readonly bodyStart: number;
  /** The header block is over the scan limit: it must not be edited (see parseHeaderBlock). */
  readonly tooLarge: boolean;
  /**
   * Addresses of the From, Sender and Reply-To fields as mailbox.ts reads them: every mailbox
   * of a list or group, routes and comments removed, the domain lower case without a trailing dot.
   */
  readonly from: readonly string[];
  readonly sender: readonly string[];
  readonly replyTo: readonly string[];
  /** The Subject as a mail client shows it, whole: the text a tag goes in front of. */
  readonly subject: string;
  /** From as a client shows it, at most 1000 characters (for lists and search). */
  readonly fromText: string;
  /** The Message-ID as written, without angle brackets; "" when absent. */
  readonly messageId: string;
  /** The first Subject field, if any: the one a tag replaces. */
  readonly subjectField?: FieldLocation;
  /** Where a Subject goes when the message has none: before the first line that is not a field. */
  readonly subjectInsertAt: number;
  /** Incoming X-Sekisho-* fields: a sender must not forge a verdict, so every one is deleted. */
  readonly ownFields: readonly FieldLocation[];
}

const OWN_PREFIX = 'x-sekisho-';
/** A person reads a few hundred characters of a subject; the rest is an attacker's padding. */
const MAX_TEXT = 1000;

/** Reads the facts from the raw message. Linear in the header block, which is capped at 1 MiB. */
export function headerFactsOf(message: Buffer): HeaderFacts {
  const block = parseHeaderBlock(message);
  const counts = new Map<string, number>();
  const first = new Map<string, HeaderField>();
  const ownFields: FieldLocation[] = [];
  const addresses: Record<'from' | 'sender' | 'reply-to', string[]> = { from: [], sender: [], 'reply-to': [] };
  let subjectField: FieldLocation | undefined;
  let subjectInsertAt = -1;
  let offset = 0;
  for (const field of block.fields) {
    const start = offset;
    offset += field.raw.length;
    if (field.name === '') {
      if (subjectInsertAt < 0) subjectInsertAt = start;
      continue;
    }
    const key = fieldKey(field);
    const index = (counts.get(key) ?? 0) + 1;
    counts.set(key, index);
    if (index === 1) first.set(key, field);
    const location = { name: field.name, key, index, start, end: offset };
    if (key.startsWith(OWN_PREFIX)) ownFields.push(location);
    else if (key === 'subject' && index === 1) subjectField = location;
    else if (key === 'from' || key === 'sender' || key === 'reply-to') {
      for (const m of parseMailboxes(fieldText(fieldValue(field)))) addresses[key].push(m.address);
    }
  }
  const text = (key: string, decode: (raw: Buffer) => string, max = MAX_TEXT) => {
    const field = first.get(key);
    return field ? decode(fieldValue(field)).slice(0, max) : '';
  };
  return {
    lineEnding: block.lineEnding,
    bodyStart: block.bodyStart,
    tooLarge: block.tooLarge,
    from: addresses.from,
    sender: addresses.sender,
    replyTo: addresses['reply-to'],
    subject: text('subject', decodeHeaderText, Infinity),
    // Read as the Subject is: raw UTF-8 (RFC 6532) or Japanese legacy bytes, then encoded-words.
    fromText: text('from', decodeHeaderText),
    messageId: text('message-id', (raw) => raw.toString('latin1').replace(/[\r\n]/g, '').trim().replace(/^<|>$/g, '')),
    subjectField,
    subjectInsertAt: subjectInsertAt < 0 ? offset : subjectInsertAt,
    ownFields,
  };
}
