import type { Finding } from '../verdict.js';
import { BrandIndex } from './brand-index.js';
import { NameMatcher } from './brand-names.js';
import type { BrandEntry } from './catalog.js';
import { brandFindings, type BrandInput } from './brand-detector.js';
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
 * The `brand` detector, prepared once from the catalog (when the daemon starts or
 * reloads) and then shared by every inspection: the index and the name matchers are
 * read-only, so one instance serves all messages.
 */
export class BrandChecker {
  readonly index: BrandIndex;
  /** Brand names only: what a From display name is matched against. */
  readonly displayNames: NameMatcher;
  /** Names and keywords: what a subject or body is matched against. */
  readonly mentions: NameMatcher;
  readonly trustedAuthservIds: ReadonlySet<string>;

  constructor(entries: readonly BrandEntry[], confusables: ConfusableMap, settings: BrandSettings = DEFAULT_BRAND_SETTINGS) {
    this.index = new BrandIndex(entries, confusables, settings.allowDomains);
    this.displayNames = new NameMatcher(this.index, false);
    this.mentions = new NameMatcher(this.index, true);
    this.trustedAuthservIds = new Set(settings.trustedAuthservIds.map((id) => id.toLowerCase()));
  }

  check(input: BrandInput): Finding[] {
    return brandFindings(input, this);
  }
}
