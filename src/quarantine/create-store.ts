import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { BudgetedQuarantineStore, type QuarantineLimits } from './budgeted-store.js';
import { FileQuarantineStore } from './file-store.js';
import { PostgresQuarantineStore } from './postgres-store.js';

/** The file store's totals cost a directory scan: re-read every 5 minutes (and after a purge). */
const FILE_TOTALS_MAX_AGE_MS = 5 * 60 * 1000;
/** PostgreSQL's cost a count over an index, and every node writes: re-read every 5 seconds. */
const POSTGRES_TOTALS_MAX_AGE_MS = 5000;

/**
 * Which quarantine this is, for the `store` label of its gauges: nodes that share one
 * PostgreSQL database report the same value, each node's file store its own. A short hash,
 * since /metrics may be open to anyone who can reach the admin port: the database's host,
 * port and name (not the scheme, user or query, so `postgres://` and `postgresql://`, or
 * another `application_name`, still name the same database), or the node and directory.
 */
export function quarantineIdentity(loaded: LoadedConfig): string {
  const { config } = loaded;
  const db = config.quarantine.store;
  let identity = `file ${config.smtp.hostname}:${config.quarantine.dir}`;
  if (db) {
    try {
      const u = new URL(db.url);
      identity = `postgresql ${u.hostname.toLowerCase()}:${u.port || '5432'}${u.pathname}`;
    } catch {
      identity = `postgresql ${db.url}`;
    }
  }
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/** quarantine.max_bytes, max_messages, min_free_bytes as the budget reads them. */
export function quarantineLimits(config: Config): QuarantineLimits {
  const q = config.quarantine;
  return { maxBytes: q.max_bytes, maxMessages: q.max_messages, minFreeBytes: q.min_free_bytes };
}

/**
 * The one place a quarantine store is made from the configuration: the daemon, the cluster
 * primary and the CLI get the same store, with its quota. `quarantine.store` set: the
 * shared PostgreSQL store; otherwise the file store in `quarantine.dir`. Call open()
 * before use (the database schema is migrated there).
 */
export function createQuarantineStore(loaded: LoadedConfig, logger?: Logger): BudgetedQuarantineStore {
  const { config } = loaded;
  const node = config.smtp.hostname;
  const db = config.quarantine.store;
  if (db) {
    const store = new PostgresQuarantineStore(
      { url: db.url, password: loaded.quarantinePassword, poolSize: db.pool_size, connectTimeoutMs: db.connect_timeout, statementTimeoutMs: db.statement_timeout, node },
      logger,
    );
    // The database's disk is not this host's: min_free_bytes does not apply (docs/scale-out.md).
    return new BudgetedQuarantineStore(store, quarantineLimits(config), { totalsMaxAgeMs: POSTGRES_TOTALS_MAX_AGE_MS });
  }
  const files = new FileQuarantineStore(config.quarantine.dir, node);
  return new BudgetedQuarantineStore(files, quarantineLimits(config), { totalsMaxAgeMs: FILE_TOTALS_MAX_AGE_MS, freeBytes: () => files.freeBytes() });
}
