import type { HeaderFacts } from '../message/header-facts.js';

/**
 * The verdict record: what the inspection core concluded about one message. Detectors
 * add findings; the policy alone turns a verdict into an action; the ingress alone
 * turns the action into its wire form (SMTP reply or milter packets).
 */

/** Fixed detector names: admins filter and write policy by them. */
export type DetectorName = 'macro' | 'archive' | 'limits' | 'brand';

export type Severity = 'info' | 'low' | 'medium' | 'high';

export type VerdictName = 'clean' | 'suspicious' | 'malicious' | 'unscannable';

export interface Finding {
  readonly detector: DetectorName;
  /** Stable machine code within the detector, e.g. "vba-in-ole". */
  readonly code: string;
  readonly severity: Severity;
  /** One line an admin understands without reading code. */
  readonly summary: string;
  /** Where and why: at least `part` (e.g. "2/invoice.zip/請求書.xlsm") when about a part. */
  readonly evidence: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface Verdict {
  readonly verdict: VerdictName;
  readonly score: number;
  readonly findings: readonly Finding[];
}

export const CLEAN_VERDICT: Verdict = Object.freeze({ verdict: 'clean', score: 0, findings: Object.freeze([]) });

/** Severities in order, for "at least" comparisons and "the worst one" (policy, scoring, detectors). */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({ info: 0, low: 1, medium: 2, high: 3 });

/**
 * What inspect() returns: the verdict, and the header facts read on the way, so that the
 * policy, the edit step and the quarantine never parse the header block again.
 */
export interface Inspection extends Verdict {
  readonly headers: HeaderFacts;
  /** SHA-256 of the message bytes (hex): the quarantine entry's checksum, hashed off the event loop. */
  readonly sha256: string;
  /**
   * Passwords the mail states (PPAP), when asked for: secrets, for the pairing only —
   * never logged, never in a quarantine entry, a metric or an API answer.
   */
  readonly statedPasswords?: readonly string[];
}
