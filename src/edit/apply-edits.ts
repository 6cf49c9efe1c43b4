/**
 * The edit step: what a verdict changes in a message it lets through. Only header fields
 * change; the body, from the empty line that ends the header block on, is passed on as the
 * very bytes received, and an untouched message is the very Buffer received.
 */
import { fieldKey, fieldValue, makeField, parseHeaderBlock, rebuild, type HeaderField } from './header-block.js';
import { tagSubject } from './subject-tag.js';

export interface MessageEdits {
  /** Remove every incoming X-Sekisho-* header (a sender must not forge a verdict). Always true in practice. */
  readonly stripOwnHeaders: boolean;
  /** Prepend this tag to the Subject; undefined = leave the Subject alone (header-only mode, or no tag). */
  readonly subjectPrefix?: string;
  /** All tags the admin has configured, so any of them already in the Subject is stripped. */
  readonly knownPrefixes?: readonly string[];
  /** Header fields to add at the top of the header block, as [name, value] (value ASCII). */
  readonly addHeaders?: ReadonlyArray<readonly [string, string]>;
}

export interface EditResult {
  readonly message: Buffer;
  /**
   * edited: a new Buffer. unchanged: the same Buffer, nothing to do. header-too-large: the
   * same Buffer, not edited at all, forged X-Sekisho-* fields included, so the caller must
   * not pass it on as if it carried our verdict.
   */
  readonly outcome: 'edited' | 'unchanged' | 'header-too-large';
}

const OWN_PREFIX = 'x-sekisho-';

/** The message with the edits applied; the same Buffer when there is nothing to change. */
export function editMessage(message: Buffer, edits: MessageEdits): Buffer {
  return editMessageDetailed(message, edits).message;
}

/** editMessage, telling the caller whether the message was edited and why not. */
export function editMessageDetailed(message: Buffer, edits: MessageEdits): EditResult {
  // An empty tag tags nothing; treating it as one would rewrite every Subject for no change.
  const prefix = edits.subjectPrefix === '' ? undefined : edits.subjectPrefix;
  const adds = edits.addHeaders ?? [];
  if (!edits.stripOwnHeaders && prefix === undefined && adds.length === 0) return { message, outcome: 'unchanged' };

  const block = parseHeaderBlock(message);
  if (block.tooLarge) return { message, outcome: 'header-too-large' };
  let changed = false;

  let fields: HeaderField[] = [...block.fields];
  if (edits.stripOwnHeaders) {
    // Folded continuation lines belong to their field and go with it.
    fields = fields.filter((f) => !fieldKey(f).startsWith(OWN_PREFIX));
    changed = fields.length !== block.fields.length;
  }

  if (prefix !== undefined) {
    const at = fields.findIndex((f) => fieldKey(f) === 'subject');
    const old = fields[at];
    const text = tagSubject(old ? fieldValue(old) : undefined, prefix, edits.knownPrefixes ?? [], block.lineEnding);
    const subject: HeaderField = { name: 'Subject', raw: Buffer.from(text, 'utf8') };
    if (old) {
      if (!subject.raw.equals(old.raw)) {
        fields[at] = subject;
        changed = true;
      }
    } else {
      // Before any line that is not a field: Postfix and many parsers end the header block
      // there, and a Subject behind it would be body text to them.
      const malformed = fields.findIndex((f) => f.name === '');
      fields.splice(malformed < 0 ? fields.length : malformed, 0, subject);
      changed = true;
    }
  }

  if (adds.length > 0) {
    // At the top, like trace fields (RFC 5322 §3.6.7): the newest hop's fields come first.
    fields.unshift(...adds.map(([name, value]) => makeField(name, value, block.lineEnding)));
    changed = true;
  }

  return changed ? { message: rebuild(fields, message, block), outcome: 'edited' } : { message, outcome: 'unchanged' };
}
