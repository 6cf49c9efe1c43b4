import path from 'node:path';
import type { Config } from '../config/schema.js';
import { BudgetedQuarantineStore } from '../quarantine/budgeted-store.js';
import { PostgresQuarantineStore } from '../quarantine/postgres-store.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import { FilePasswordVault, type PasswordVault } from './password-vault.js';
import { PostgresPasswordVault } from './postgres-vault.js';
import type { PpapSettings } from './ppap-pairing.js';

export function ppapSettings(config: Config): PpapSettings {
  return { windowMs: config.ppap.window, matchHeaderFrom: config.ppap.match_header_from, releaseHeader: config.ppap.release_header };
}

/**
 * Where password-only mails' passwords wait for their zip: in the shared database with the
 * PostgreSQL store (any node's password mail opens any node's zip), else beside the file
 * quarantine, readable only by sekisho.
 */
export function createPasswordVault(config: Config, store: QuarantineStore): PasswordVault {
  const db = store instanceof BudgetedQuarantineStore ? store.inner : store;
  if (db instanceof PostgresQuarantineStore) return new PostgresPasswordVault(db);
  return new FilePasswordVault(path.join(config.quarantine.dir, 'ppap-passwords'));
}
