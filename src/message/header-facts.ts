/**
 * What the steps after inspection need to know of a message's header block, read once
 * while the message is inspected (in a worker thread) and carried with the verdict: the
 * policy's allowlists (From), the edit step (where the Subject and any forged X-Sekisho-*
 * fields are, where the block ends), the quarantine entry and the log (Subject, From,
 * Message-ID). Nothing after inspection parses the header block again.
 */
import { fieldValue, keyOfName, scanHeaderBlock, type HeaderField, type LineEnding } from './header-block.js';
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
  /** The header block is over the scan limit: it must not be edited (see scanHeaderBlock). */
  readonly tooLarge: boolean;
  /**
   * Addresses of the From fields as mailbox.ts reads them (for the allowlists and PPAP): every
   * mailbox of a list or group, routes and comments removed, the domain lower case without a
   * trailing dot; at most MAX_FROM_ADDRESSES, in order.
   */
  readonly from: readonly string[];
  /**
   * The From fields hold more addresses than `from` keeps: no sender allowlist may pass the
   * message, since an unlisted address may be among those not read. (Sender and Reply-To are
   * read by the brand checks from the MIME walker's headers; nothing after inspection needs them.)
   */
  readonly fromCut?: boolean;
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
/**
 * RFC 5322 §3.6 allows one From field; a list in it of more than this is no real mail. Past
 * it the fields are not parsed (a block of 26,000 From fields was 35 ms/MB of mailbox parsing,
 * bench/adversarial-bench.mjs header-from-many) and `fromCut` says so.
 */
export const MAX_FROM_ADDRESSES = 100;

const LOWER = 0x20;
/** First bytes (lower-cased) of the names read here: subject, from, message-id, x-sekisho-*. */
const WANTED_FIRST = new Set([0x73, 0x66, 0x6d, 0x78]);

/**
 * Reads the facts from the raw message. Linear in the header block, which is capped at 1 MiB;
 * a field whose name cannot be one of those read costs its bytes' scan and no object.
 */
export function headerFactsOf(message: Buffer): HeaderFacts {
  const counts = new Map<string, number>();
  const first = new Map<string, HeaderField>();
  const ownFields: FieldLocation[] = [];
  const from: string[] = [];
  let fromCut = false;
  let subjectField: FieldLocation | undefined;
  let subjectInsertAt = -1;
  let lastEnd = 0;
  const shape = scanHeaderBlock(message, (start, end, colon) => {
    lastEnd = end;
    if (colon < 0) {
      if (subjectInsertAt < 0) subjectInsertAt = start;
      return;
    }
    if (!WANTED_FIRST.has((message[start] as number) | LOWER)) return;
    const name = message.toString('latin1', start, colon);
    const key = keyOfName(name);
    const own = key.startsWith(OWN_PREFIX);
    if (!own && key !== 'subject' && key !== 'from' && key !== 'message-id') return;
    const index = (counts.get(key) ?? 0) + 1;
    counts.set(key, index);
    const field = { name, raw: message.subarray(start, end) };
    if (index === 1) first.set(key, field);
    const location = { name, key, index, start, end };
    if (own) ownFields.push(location);
    else if (key === 'subject' && index === 1) subjectField = location;
    else if (key === 'from' && !fromCut) {
      for (const m of parseMailboxes(fieldText(fieldValue(field)))) {
        if (from.length === MAX_FROM_ADDRESSES) {
          fromCut = true;
          break;
        }
        from.push(m.address);
      }
    }
  });
  const text = (key: string, decode: (raw: Buffer) => string, max = MAX_TEXT) => {
    const field = first.get(key);
    return field ? decode(fieldValue(field)).slice(0, max) : '';
  };
  return {
    lineEnding: shape.lineEnding,
    bodyStart: shape.bodyStart,
    tooLarge: shape.tooLarge,
    from,
    ...(fromCut ? { fromCut } : {}),
    subject: text('subject', decodeHeaderText, Infinity),
    // Read as the Subject is: raw UTF-8 (RFC 6532) or Japanese legacy bytes, then encoded-words.
    fromText: text('from', decodeHeaderText),
    messageId: text('message-id', (raw) => raw.toString('latin1').replace(/[\r\n]/g, '').trim().replace(/^<|>$/g, '')),
    subjectField,
    subjectInsertAt: subjectInsertAt < 0 ? lastEnd : subjectInsertAt,
    ownFields,
  };
}
