import os from 'node:os';
import { loadConfusables } from '../brand/load-confusables.js';
import { BrandChecker, type BrandSettings } from '../core/brand/brand-checker.js';
import type { BrandEntry } from '../core/brand/catalog.js';
import type { InspectOptions } from '../core/inspect.js';
import type { InspectLimits } from '../core/limits.js';
import type { LoadedConfig } from './load-config.js';

/**
 * What an inspection needs, as plain data: the limits, the admin's passwords and the brand
 * catalog with its settings. Plain so that it crosses into worker threads (structured
 * clone) and each worker builds its own brand detector from it, at start and on reload.
 */
export interface InspectorSettings {
  readonly limits: InspectLimits;
  readonly passwords: readonly string[];
  /** Absent when brands.enabled is false. */
  readonly brands?: { readonly entries: readonly BrandEntry[]; readonly settings: BrandSettings };
}

/** How inspections are run: inline, or in a pool of worker threads. */
export interface InspectorPlan {
  /** Worker threads; 0 runs inspection on the calling thread (debugging, scan). */
  readonly threads: number;
  /** Messages waiting for a worker; more are refused with a tempfail. */
  readonly maxQueue: number;
  /** V8 heap of each worker (resourceLimits.maxOldGenerationSizeMb), in MiB. */
  readonly workerHeapMb: number;
}

export function inspectorSettings(loaded: LoadedConfig): InspectorSettings {
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
    brands: brands.enabled ? { entries: loaded.brands, settings: { allowDomains: brands.allow_domains, trustedAuthservIds: brands.trusted_authserv_ids } } : undefined,
  };
}

export function inspectorPlan(loaded: LoadedConfig): InspectorPlan {
  const i = loaded.config.inspect;
  return { threads: i.threads ?? os.availableParallelism(), maxQueue: i.max_queue, workerHeapMb: Math.max(16, Math.round(i.worker_memory / (1024 * 1024))) };
}

/** The inspection core's options from the plain settings: the brand detector is built here. */
export function inspectOptionsOf(settings: InspectorSettings): InspectOptions {
  return {
    limits: settings.limits,
    passwords: settings.passwords,
    brands: settings.brands ? new BrandChecker(settings.brands.entries, loadConfusables(), settings.brands.settings) : undefined,
  };
}

/** The options of a loaded configuration, for callers that inspect inline (tests, tools). */
export function inspectOptions(loaded: LoadedConfig): InspectOptions {
  return inspectOptionsOf(inspectorSettings(loaded));
}
