import type { Finding } from '../verdict.js';
import type { BrandIndex } from './brand-index.js';
import type { HostJudgements } from './host-judgements.js';
import type { NameMatcher } from './brand-names.js';
import type { BrandEntry } from './catalog.js';
import { brandFindings, type BrandInput } from './brand-detector.js';
import { DEFAULT_BRAND_SETTINGS, prepareCatalog, type BrandSettings, type PreparedCatalog } from './prepared-catalog.js';
import type { ConfusableMap } from './skeleton.js';

export { DEFAULT_BRAND_SETTINGS, type BrandSettings } from './prepared-catalog.js';

/**
 * The `brand` detector as one object, for the code that constructs it (config, tests,
 * benchmarks): the prepared catalog (prepared-catalog.ts) and `check`. A thin wrapper;
 * the detector itself takes the PreparedCatalog record.
 */
export class BrandChecker implements PreparedCatalog {
  readonly index: BrandIndex;
  readonly displayNames: NameMatcher;
  readonly mentions: NameMatcher;
  readonly trustedAuthservIds: ReadonlySet<string>;
  readonly hosts: HostJudgements;

  constructor(entries: readonly BrandEntry[], confusables: ConfusableMap, settings: BrandSettings = DEFAULT_BRAND_SETTINGS) {
    const catalog = prepareCatalog(entries, confusables, settings);
    this.index = catalog.index;
    this.displayNames = catalog.displayNames;
    this.mentions = catalog.mentions;
    this.trustedAuthservIds = catalog.trustedAuthservIds;
    this.hosts = catalog.hosts;
  }

  check(input: BrandInput): Finding[] {
    return brandFindings(input, this);
  }
}
