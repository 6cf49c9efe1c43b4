/**
 * The edit step in one call, for callers that hold only the message bytes (tests, tools):
 * read the header facts, plan the operations, splice the bytes. The ingresses plan from
 * the facts that came with the verdict instead (src/filter), and never read the header
 * block twice.
 */
import { headerFactsOf } from '../message/header-facts.js';
import { applyHeaderOps, planHeaderOps, type EditRequest } from './header-ops.js';

export type MessageEdits = EditRequest;

export interface EditResult {
  readonly message: Buffer;
  /**
   * edited: a new Buffer. unchanged: the same Buffer, nothing to do. header-too-large: the
   * same Buffer, not edited at all, forged X-Sekisho-* fields included, so the caller must
   * not pass it on as if it carried our verdict.
   */
  readonly outcome: 'edited' | 'unchanged' | 'header-too-large';
}

/** The message with the edits applied; the same Buffer when there is nothing to change. */
export function editMessage(message: Buffer, edits: MessageEdits): Buffer {
  return editMessageDetailed(message, edits).message;
}

/** editMessage, telling the caller whether the message was edited and why not. */
export function editMessageDetailed(message: Buffer, edits: MessageEdits): EditResult {
  const facts = headerFactsOf(message);
  const ops = planHeaderOps(message, facts, edits);
  if (ops === 'header-too-large') return { message, outcome: 'header-too-large' };
  if (ops.length === 0) return { message, outcome: 'unchanged' };
  return { message: applyHeaderOps(message, facts, ops), outcome: 'edited' };
}
