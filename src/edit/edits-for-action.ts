import type { Verdict } from '../core/verdict.js';
import type { Action } from '../policy/decide.js';
import type { TagSettings } from '../policy/policy-config.js';
import type { MessageEdits } from './apply-edits.js';
import { verdictHeaders } from './verdict-headers.js';

/**
 * Which header edits an action asks for. Every relayed message loses forged X-Sekisho-*
 * headers (nothing else changes for a pass, so clean mail stays byte for byte); a tagged
 * one gets the verdict headers and, unless in header-only mode, the Subject tag.
 */
export function editsFor(action: Action, verdict: Verdict, tag: TagSettings): MessageEdits {
  if (action.kind !== 'tag') return { stripOwnHeaders: true };
  return {
    stripOwnHeaders: true,
    subjectPrefix: tag.mode === 'subject' ? tag.prefixes[verdict.verdict] : undefined,
    knownPrefixes: tag.known,
    addHeaders: verdictHeaders(verdict),
  };
}
