import type { Envelope } from '../envelope.js';
import { decodeText, type MimeTree } from '../mime/mime-walker.js';
import type { BrandInput } from './message-facts.js';

/** How much of one text part is decoded for the brand checks. */
const MAX_PART_BYTES = 1024 * 1024;

/**
 * The parts of a message the reader sees as its text: text/plain and text/html bodies, and
 * HTML attachments too (a login form sent as an .html file is a phishing classic). Other
 * attachments are the macro and archive detectors' business.
 */
export function brandInput(envelope: Envelope, tree: MimeTree): BrandInput {
  const bodies: Array<{ kind: 'text' | 'html'; content: string }> = [];
  for (const leaf of tree.leaves) {
    const type = leaf.contentType.toLowerCase();
    const html = type === 'text/html';
    if (!html && (type !== 'text/plain' || leaf.filename !== undefined || leaf.disposition === 'attachment')) continue;
    bodies.push({ kind: html ? 'html' : 'text', content: decodeText(leaf.bytes.subarray(0, MAX_PART_BYTES), leaf.charset) });
  }
  return { mailFrom: envelope.mailFrom, headers: tree.headers, subject: tree.subject, bodies };
}
