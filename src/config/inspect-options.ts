import type { Config } from '../config/schema.js';
import type { InspectOptions } from './inspect.js';

/** The inspection core's options from the `inspect` section of the configuration. */
export function inspectOptions(config: Config): InspectOptions {
  const i = config.inspect;
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
  };
}
