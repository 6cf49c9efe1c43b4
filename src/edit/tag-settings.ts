import type { VerdictName } from '../core/verdict.js';

/** How tagged mail is marked. */
export interface TagSettings {
  /** "header-only" leaves the Subject alone (a changed Subject breaks DKIM signatures). */
  readonly mode: 'subject' | 'header-only';
  /** Subject prefix per verdict of a tagged message. */
  readonly prefixes: Readonly<Record<VerdictName, string>>;
  /** Every tag sekisho may have written before, stripped so that none is ever doubled. */
  readonly known: readonly string[];
}
