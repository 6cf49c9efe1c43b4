import type { Transform } from 'node:stream';
import { Splitter, type MimeNode } from '@zone-eu/mailsplit';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { Unscannable } from '../limits.js';
import { decodeQuotedPrintable } from './quoted-printable.js';
import { decodeHeaderText } from '../../message/header-text.js';

/** One leaf of the MIME tree: a part that is not multipart, with its content decoded. */
export interface MimeLeaf {
  /** IMAP-style part number ("1", "2.1"); the root of a single-part message is "1". */
  readonly partId: string;
  /** As the part declares it; only a hint, content is typed by its bytes. */
  readonly contentType: string;
  /** RFC 2231 / RFC 2047 decoded (Japanese names included). */
  readonly filename?: string;
  readonly disposition?: string;
  readonly charset?: string;
  /** Content-Transfer-Encoding removed. */
  readonly bytes: Buffer;
}

export interface MimeTree {
  /** Decoded Subject of the message, "" when absent. */
  readonly subject: string;
  /** Raw values of the root's identity headers (unfolded, still encoded, latin1: one character per byte), for the brand checks. */
  readonly headers: RootHeaders;
  readonly leaves: readonly MimeLeaf[];
}

export interface RootHeaders {
  readonly from: readonly string[];
  readonly replyTo: readonly string[];
  readonly sender: readonly string[];
  readonly authenticationResults: readonly string[];
}

const NO_HEADERS: RootHeaders = { from: [], replyTo: [], sender: [], authenticationResults: [] };

/**
 * Splits a message into its leaves with @zone-eu/mailsplit (mailparser's own splitter,
 * bounded on header size and child count) and decodes each leaf's transfer encoding.
 * Every leaf comes back, text parts and inline parts included: a zip sent as text/plain
 * without a name is still a zip. Embedded messages (message/rfc822) are leaves here; the
 * content walker recognises them by their bytes and walks them again, with its own depth
 * limit, whatever their encoding or disposition.
 */
export async function walkMime(message: Buffer, maxParts: number): Promise<MimeTree> {
  const splitter = new Splitter({ ignoreEmbedded: true, maxChildNodes: maxParts });
  const leaves: Array<{ node: MimeNode; chunks: Buffer[] }> = [];
  let subject = '';
  let headers = NO_HEADERS;
  let current: { node: MimeNode; chunks: Buffer[] } | undefined;

  await new Promise<void>((resolve, reject) => {
    splitter.on('data', (chunk: MimeNode | { type: 'data' | 'body'; value: Buffer; node: MimeNode }) => {
      if (chunk.type === 'node') {
        const node = chunk as MimeNode;
        if (node.root && node.headers) {
          const h = node.headers;
          // getList keeps each line as latin1, one character per byte: get() turns valid UTF-8 into
          // text and leaves the rest as bytes, and then "Àpple" and Shift_JIS bytes read alike.
          const lines = h.getList();
          // The Subject from its bytes, as the header facts read it: raw Shift_JIS, EUC-JP and
          // ISO-2022-JP subjects ("【重要】三井住友カード") are Japanese text, not mojibake.
          const subjectLine = lines.find((l) => l.key === 'subject')?.line;
          subject = subjectLine === undefined ? '' : decodeHeaderText(Buffer.from(subjectLine.slice(subjectLine.indexOf(':') + 1), 'latin1'), MAX_SUBJECT_CHARS);
          const values = (key: string) => firstAndLast(lines.filter((l) => l.key === key).map((l) => l.line), MAX_IDENTITY_FIELDS).map((line) => unfold(line.replace(/^[^:]*:/, '')));
          headers = { from: values('from'), replyTo: values('reply-to'), sender: values('sender'), authenticationResults: values('authentication-results') };
        }
        current = undefined;
        if (!node.multipart) {
          if (leaves.length >= maxParts) {
            splitter.destroy(new Unscannable('parts', `more than ${maxParts} MIME parts`));
            return;
          }
          current = { node, chunks: [] };
          leaves.push(current);
        }
      } else if (chunk.type === 'body' && current && chunk.node === current.node) {
        current.chunks.push(chunk.value);
      }
    });
    // mailsplit's typings declare only the 'data' event; the other events are Transform's.
    const stream = splitter as unknown as Transform;
    stream.once('end', resolve);
    stream.once('error', (err: Error) => {
      if (err instanceof Unscannable) reject(err);
      // mailsplit's own child-node limit (maxChildNodes) is our part limit.
      else if (/child nodes/i.test(err.message)) reject(new Unscannable('parts', `more than ${maxParts} MIME parts`));
      else reject(new Unscannable('corrupt-mime', err.message));
    });
    stream.end(message);
  });

  return {
    subject,
    headers,
    leaves: leaves.map(({ node, chunks }) => ({
      partId: partIdOf(node),
      contentType: node.contentType || 'text/plain',
      filename: node.filename || undefined,
      disposition: node.disposition || undefined,
      charset: node.charset || undefined,
      bytes: decodeTransfer(Buffer.concat(chunks), node.encoding || ''),
    })),
  };
}

/**
 * Raw Subject characters decoded for the brand checks: a client shows the first hundred or
 * so, and decoding a 256 KB run of encoded-words in full was most of such a message's
 * inspection. (The header facts decode their own copy for the log and the quarantine.)
 */
const MAX_SUBJECT_CHARS = 16 * 1024;

/**
 * Fields of each identity kind (From, Reply-To, Sender, Authentication-Results) kept for the
 * brand checks. RFC 5322 allows one From; a client shows one; a block of thousands is an
 * attack shape, and parsing and judging every mailbox in it was nearly all the inspection of
 * such a message. The first and the last half are kept, since clients differ on which of
 * several From fields they show (and an MTA prepends its Authentication-Results at the top).
 */
export const MAX_IDENTITY_FIELDS = 100;

/** At most `max` items: the first and the last max/2 when there are more. */
export function firstAndLast<T>(list: readonly T[], max: number): T[] {
  if (list.length <= max) return [...list];
  const half = Math.floor(max / 2);
  return [...list.slice(0, half), ...list.slice(list.length - (max - half))];
}

function partIdOf(node: MimeNode): string {
  const nr = (node.partNr || []).filter((n) => typeof n === 'number');
  return nr.length > 0 ? nr.join('.') : '1';
}

/** RFC 2045 §6: base64 and quoted-printable are decoded; anything else is taken as it is. */
function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'base64':
      // Node skips whitespace and stops at garbage; a broken encoding still yields what it can.
      return Buffer.from(body.toString('latin1'), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

function unfold(value: string): string {
  return value.replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** Text of a text part in its declared charset (ISO-2022-JP and Shift_JIS included). */
export function decodeText(bytes: Buffer, charset: string | undefined): string {
  try {
    return decodeCharset(bytes, charset || 'utf-8');
  } catch {
    return bytes.toString('utf8');
  }
}
