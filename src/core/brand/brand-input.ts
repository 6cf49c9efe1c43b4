import type { Envelope } from '../envelope.js';
import { leafHtml, leafText } from '../mime/leaf-text.js';
import type { MimeTree } from '../mime/mime-walker.js';
import type { BrandInput } from './message-facts.js';

/** How much of one text part is decoded for the brand checks. */
const MAX_PART_BYTES = 1024 * 1024;

/**
 * The parts of a message the reader sees as its text: text/plain and text/html bodies, and
 * HTML attachments too (a login form sent as an .html file is a phishing classic). Other
 * attachments are the macro and archive detectors' business.
 */
export function brandInput(envelope: Envelope, tree: MimeTree): BrandInput {
  const bodies: Array<BrandInput['bodies'][number]> = [];
  for (const leaf of tree.leaves) {
    const type = leaf.contentType.toLowerCase();
    const html = type === 'text/html';
    if (!html && (type !== 'text/plain' || leaf.filename !== undefined || leaf.disposition === 'attachment')) continue;
    const content = leafText(leaf, MAX_PART_BYTES);
    // The reading is kept with the leaf: the PPAP password reading reuses it (leaf-text.ts).
    bodies.push(html ? { kind: 'html', content, read: (maxChars) => leafHtml(leaf, MAX_PART_BYTES, maxChars) } : { kind: 'text', content });
  }
  return { mailFrom: envelope.mailFrom, headers: tree.headers, subject: tree.subject, bodies };
}
