import { randomBytes } from 'node:crypto';
import type { PostgresQuarantineStore } from '../quarantine/postgres-store.js';
import type { PasswordVault, VaultRecord } from './password-vault.js';

/**
 * The vault in the shared PostgreSQL (table ppap_password, migration 4), so that a password
 * mail received by one node opens a zip held through another. Same contract as the file
 * vault: records live for the window, are wiped once used, and nothing logs them.
 */
export class PostgresPasswordVault implements PasswordVault {
  constructor(private readonly db: PostgresQuarantineStore) {}

  async remember(record: Omit<VaultRecord, 'id'>): Promise<void> {
    const id = `${record.until.toString(36)}-${randomBytes(12).toString('hex')}`;
    await this.db.query('INSERT INTO ppap_password (id, senders, rcpts, passwords, message_id, until) VALUES ($1, $2, $3, $4, $5, $6)', [
      id,
      [...record.senders],
      [...record.rcpts],
      [...record.passwords],
      record.messageId,
      new Date(record.until),
    ]);
  }

  async lookup(senders: readonly string[], rcpts: readonly string[], now: number): Promise<VaultRecord[]> {
    const want = senders.map((s) => s.toLowerCase()).filter((s) => s !== '');
    if (want.length === 0) return [];
    const { rows } = await this.db.query<{ id: string; senders: string[]; rcpts: string[]; passwords: string[]; message_id: string; until: Date }>(
      'SELECT id, senders, rcpts, passwords, message_id, until FROM ppap_password WHERE senders && $1::text[] AND rcpts && $2::text[] AND until >= $3 ORDER BY until LIMIT 5000',
      [want, rcpts.map((r) => r.toLowerCase()), new Date(now)],
    );
    return rows.map((r) => ({ id: r.id, senders: r.senders, rcpts: r.rcpts, passwords: r.passwords, messageId: r.message_id, until: r.until.getTime() }));
  }

  async wipe(id: string): Promise<void> {
    await this.db.query('DELETE FROM ppap_password WHERE id = $1', [id]);
  }

  async purge(now: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM ppap_password WHERE until < $1', [new Date(now)]);
    return rowCount ?? 0;
  }
}
