import { BrandIndex } from './brand-index.js';
import { NameMatcher } from './brand-names.js';
import { HostJudgements } from './host-judgements.js';
import type { BrandEntry } from './catalog.js';
import type { ConfusableMap } from './skeleton.js';

export interface BrandSettings {
  /** Site-wide allowlist: registrable domains never judged (the admin's own, their partners). */
  readonly allowDomains: readonly string[];
  /**
   * authserv-ids (RFC 8601) whose Authentication-Results headers are believed: the admin's
   * own MTA, which strips forged copies of its own id from incoming mail (RFC 8601 §5).
   * Empty: no header is believed, since anyone can write one.
   */
  readonly trustedAuthservIds: readonly string[];
}

export const DEFAULT_BRAND_SETTINGS: BrandSettings = { allowDomains: [], trustedAuthservIds: [] };

/**
 * The brand catalog prepared for matching, once when the daemon starts or reloads, then
 * shared read-only by every inspection. A plain record: the detectors and MessageFacts
 * depend on it, not on BrandChecker, so nothing in brand/ imports back the class that
 * calls it.
 */
export interface PreparedCatalog {
  readonly index: BrandIndex;
  /** Brand names only: what a From display name is matched against. */
  readonly displayNames: NameMatcher;
  /** Names and keywords: what a subject or body is matched against. */
  readonly mentions: NameMatcher;
  /** Lower-case authserv-ids whose Authentication-Results are believed. */
  readonly trustedAuthservIds: ReadonlySet<string>;
  /** Hosts already judged against this catalog (the one part that changes, and only by growing). */
  readonly hosts: HostJudgements;
}

export function prepareCatalog(entries: readonly BrandEntry[], confusables: ConfusableMap, settings: BrandSettings = DEFAULT_BRAND_SETTINGS): PreparedCatalog {
  const index = new BrandIndex(entries, confusables, settings.allowDomains);
  return {
    index,
    displayNames: new NameMatcher(index, false),
    mentions: new NameMatcher(index, true),
    trustedAuthservIds: new Set(settings.trustedAuthservIds.map((id) => id.toLowerCase())),
    hosts: new HostJudgements(index),
  };
}
