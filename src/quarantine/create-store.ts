import type { Config } from '../config/schema.js';
import { BudgetedQuarantineStore, type QuarantineLimits } from './budgeted-store.js';
import { FileQuarantineStore } from './file-store.js';

/** quarantine.max_bytes, max_messages, min_free_bytes as the budget reads them. */
export function quarantineLimits(config: Config): QuarantineLimits {
  const q = config.quarantine;
  return { maxBytes: q.max_bytes, maxMessages: q.max_messages, minFreeBytes: q.min_free_bytes };
}

/**
 * The one place a quarantine store is made from the configuration: the daemon, the cluster
 * primary and the CLI get the same store, with its quota.
 */
export function createQuarantineStore(config: Config): BudgetedQuarantineStore {
  return new BudgetedQuarantineStore(new FileQuarantineStore(config.quarantine.dir), quarantineLimits(config));
}
