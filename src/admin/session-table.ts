import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MAX_SESSIONS, randomId, SESSION_IDLE_MS, sessionIdOf, type Session, type SessionStore } from './auth.js';

/** What the table needs of the database: one statement at a time (the PostgreSQL quarantine store fits). */
export interface SqlRunner {
  query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * Web sessions in the shared database's admin_session table (postgres-schema.ts), for
 * nodes behind one name: whichever node a browser reaches knows its session, a logout on
 * one ends it everywhere, and the idle clock is the database's, one for all nodes. Only
 * the SHA-256 of the cookie is stored.
 */
export class SessionTable implements SessionStore {
  constructor(
    private readonly db: SqlRunner,
    private readonly node: string,
  ) {}

  async create(): Promise<Session> {
    const session: Session = { id: randomId(), csrf: randomId() };
    await this.db.query(`DELETE FROM admin_session WHERE last_seen < now() - $1 * interval '1 millisecond'`, [SESSION_IDLE_MS]);
    await this.db.query(
      `DELETE FROM admin_session WHERE id_hash IN (SELECT id_hash FROM admin_session ORDER BY last_seen DESC OFFSET $1)`,
      [MAX_SESSIONS - 1],
    );
    await this.db.query('INSERT INTO admin_session (id_hash, csrf, node) VALUES ($1, $2, $3)', [hashOf(session.id), session.csrf, this.node]);
    return session;
  }

  async find(req: IncomingMessage): Promise<Session | undefined> {
    const id = sessionIdOf(req);
    if (id === undefined) return undefined;
    const { rows } = await this.db.query<{ csrf: string }>(
      `UPDATE admin_session SET last_seen = now() WHERE id_hash = $1 AND last_seen >= now() - $2 * interval '1 millisecond' RETURNING csrf`,
      [hashOf(id), SESSION_IDLE_MS],
    );
    return rows[0] ? { id, csrf: rows[0].csrf } : undefined;
  }

  async end(session: Session): Promise<void> {
    await this.db.query('DELETE FROM admin_session WHERE id_hash = $1', [hashOf(session.id)]);
  }

  async clear(): Promise<void> {
    await this.db.query('DELETE FROM admin_session');
  }
}

function hashOf(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}
