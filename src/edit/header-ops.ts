/**
 * Edits as header operations: the plan of what a verdict changes in a message, made once
 * from the header facts, then carried out by each ingress in its own way. The proxy splices
 * the message bytes (applyHeaderOps); the milter sends each operation as a packet
 * (SMFIR_INSHEADER, SMFIR_CHGHEADER, SMFIR_ADDHEADER). Only header fields change: the body,
 * from the empty line that ends the header block on, is always the very bytes received.
 */
import type { FieldLocation, HeaderFacts } from '../message/header-facts.js';
import { makeField, type LineEnding } from '../message/header-block.js';
import { tagDecodedSubject } from './subject-tag.js';

/**
 * One change to the header block. Fields are named by name and 1-based index among the
 * fields of that name (case-insensitive), as the milter protocol names them. A value is the
 * text after "Name:", without the space after the colon, folded with CRLF + WSP.
 */
export type HeaderOp =
  /** A new field before the field at `index` (0: at the very top, where trace fields go). */
  | { readonly kind: 'insert'; readonly index: number; readonly name: string; readonly value: string }
  /** A new field at the end of the header block. */
  | { readonly kind: 'add'; readonly name: string; readonly value: string }
  | { readonly kind: 'change'; readonly name: string; readonly index: number; readonly value: string }
  | { readonly kind: 'delete'; readonly name: string; readonly index: number };

export interface EditRequest {
  /** Remove every incoming X-Sekisho-* field (a sender must not forge a verdict). */
  readonly stripOwnHeaders: boolean;
  /** Prepend this tag to the Subject; undefined or "" leaves the Subject alone. */
  readonly subjectPrefix?: string;
  /** Every tag the admin has configured, so that none already in the Subject is doubled. */
  readonly knownPrefixes?: readonly string[];
  /** Fields to add at the top of the header block, as [name, value] (value ASCII). */
  readonly addHeaders?: ReadonlyArray<readonly [string, string]>;
}

/**
 * The operations that carry out a request on this message, in the order they apply; []
 * when nothing changes. `header-too-large` when the header block was too long to read
 * whole: a forged field may hide past the limit, so the message cannot be passed on as
 * carrying our verdict.
 */
export function planHeaderOps(message: Buffer, facts: HeaderFacts, request: EditRequest): HeaderOp[] | 'header-too-large' {
  const prefix = request.subjectPrefix === '' ? undefined : request.subjectPrefix;
  const adds = request.addHeaders ?? [];
  if (!request.stripOwnHeaders && prefix === undefined && adds.length === 0) return [];
  if (facts.tooLarge) return 'header-too-large';
  const ops: HeaderOp[] = [];
  if (request.stripOwnHeaders) {
    // Deleted from the last to the first: each deletion leaves the indexes before it as they were.
    for (const f of [...facts.ownFields].reverse()) ops.push({ kind: 'delete', name: f.name, index: f.index });
  }
  if (prefix !== undefined) {
    const old = facts.subjectField;
    const oldRaw = old && message.subarray(old.start, old.end);
    // The Subject was decoded once, during inspection.
    const tagged = tagDecodedSubject(facts.subject, prefix, request.knownPrefixes ?? [], '\r\n');
    const value = valueOf(tagged);
    if (!old) ops.push({ kind: 'add', name: 'Subject', value });
    else if (!oldRaw || !sameField(oldRaw, `${old.name}: ${value}`, facts.lineEnding)) ops.push({ kind: 'change', name: old.name, index: old.index, value });
  }
  // At the top, like trace fields (RFC 5322 §3.6.7): the newest hop's fields come first.
  adds.forEach(([name, value], i) => {
    const field = makeField(name, value, '\r\n');
    ops.push({ kind: 'insert', index: i, name: field.name, value: valueOf(field.raw.toString('latin1')) });
  });
  return ops;
}

/**
 * The message with the operations carried out on its bytes: one Buffer.concat of the new
 * fields and slices of the original. The very Buffer when there are none.
 */
export function applyHeaderOps(message: Buffer, facts: HeaderFacts, ops: readonly HeaderOp[]): Buffer {
  if (ops.length === 0) return message;
  const eol = facts.lineEnding;
  const located = new Map<string, FieldLocation>();
  for (const f of [...facts.ownFields, ...(facts.subjectField ? [facts.subjectField] : [])]) located.set(`${f.key}\n${f.index}`, f);
  const at = (name: string, index: number): FieldLocation => {
    const f = located.get(`${name.replace(/[ \t]+$/, '').toLowerCase()}\n${index}`);
    if (!f) throw new Error(`header operation on a field the facts do not locate: ${name}[${index}]`);
    return f;
  };
  const top: Buffer[] = [];
  /** Byte ranges replaced by new bytes ("" for a deletion), in message order. */
  const splices: Array<{ start: number; end: number; bytes: Buffer }> = [];
  for (const op of ops) {
    if (op.kind === 'insert') top.push(fieldBytes(op.name, op.value, eol));
    else if (op.kind === 'add') splices.push({ start: facts.subjectInsertAt, end: facts.subjectInsertAt, bytes: fieldBytes(op.name, op.value, eol) });
    else {
      const f = at(op.name, op.index);
      splices.push({ start: f.start, end: f.end, bytes: op.kind === 'delete' ? Buffer.alloc(0) : fieldBytes(f.name, op.value, eol) });
    }
  }
  splices.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [...top];
  let pos = 0;
  for (const s of splices) {
    parts.push(message.subarray(pos, s.start));
    // The last line of a message that is all header may have no line ending of its own.
    if (s.bytes.length > 0 && s.start === message.length && message.length > 0 && message[message.length - 1] !== 0x0a) parts.push(Buffer.from(eol, 'latin1'));
    parts.push(s.bytes);
    pos = s.end;
  }
  parts.push(message.subarray(pos));
  return Buffer.concat(parts);
}

/** A field at the top of the message with its own line ending; nothing else changes. */
export function prependField(message: Buffer, name: string, value: string): Buffer {
  const firstLf = message.indexOf(0x0a);
  const eol: LineEnding = firstLf > 0 && message[firstLf - 1] !== 0x0d ? '\n' : '\r\n';
  return Buffer.concat([makeField(name, value, eol).raw, message]);
}

/** "Name: value\r\n folded\r\n" → "value\r\n folded". */
function valueOf(fieldText: string): string {
  const colon = fieldText.indexOf(':');
  return fieldText
    .slice(colon + 1)
    .replace(/^ /, '')
    .replace(/\r?\n$/, '');
}

function fieldBytes(name: string, value: string, eol: LineEnding): Buffer {
  const text = value === '' ? `${name}:` : `${name}: ${value}`;
  return Buffer.from(`${eol === '\r\n' ? text : text.replace(/\r\n/g, '\n')}${eol}`, 'utf8');
}

/** Whether writing the field anew would give back the same bytes (already tagged as we would tag it). */
function sameField(oldRaw: Buffer, text: string, eol: LineEnding): boolean {
  const fresh = fieldBytes(text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 2), eol);
  return fresh.equals(oldRaw) || fresh.subarray(0, fresh.length - eol.length).equals(oldRaw);
}
