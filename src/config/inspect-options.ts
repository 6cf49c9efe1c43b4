import { loadConfusables } from '../brand/load-confusables.js';
import { BrandChecker } from '../core/brand/brand-checker.js';
import type { InspectOptions } from '../core/inspect.js';
import type { LoadedConfig } from './load-config.js';

/**
 * The inspection core's options from a loaded configuration: the `inspect` limits and the
 * brand detector built from the merged catalog. Built at start-up and on every reload,
 * then shared read-only by all inspections.
 */
export function inspectOptions(loaded: LoadedConfig): InspectOptions {
  const { inspect: i, brands } = loaded.config;
  return {
    limits: {
      maxArchiveDepth: i.max_archive_depth,
      maxMessageDepth: i.max_message_depth,
      maxDecompressedBytes: i.max_decompressed_bytes,
      maxRatio: i.max_ratio,
      ratioExemptBytes: i.ratio_exempt_bytes,
      maxEntries: i.max_entries,
      maxParts: i.max_parts,
      timeBudgetMs: i.time_budget,
      maxPasswordTries: i.max_password_tries,
      maxDocumentPasswordTries: i.max_document_password_tries,
    },
    passwords: i.zip_passwords,
    brands: brands.enabled
      ? new BrandChecker(loaded.brands, loadConfusables(), { allowDomains: brands.allow_domains, trustedAuthservIds: brands.trusted_authserv_ids })
      : undefined,
  };
}
