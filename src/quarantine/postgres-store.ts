import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../log/logger.js';
import { ENTRY_COLUMNS, ENTRY_SELECT, entryValues, findingsValue, json, metaOfRow, whereOf, type EntryRow } from './postgres-rows.js';
import { LOCK_NAMESPACE, migrate, PURGE_LOCK, type MigrationReport } from './postgres-schema.js';
import { decideClaim, isQuarantineId, QuarantineIdError, QuarantineLockedError } from './quarantine-store.js';
import type { AuditEvent, ClaimOutcome, ListFilter, ListPage, QuarantineLock, QuarantineMeta, QuarantineStore, ReleaseClaim, ReleaseOutcome, StoreHealth } from './quarantine-store.js';

export interface PostgresStoreSettings {
  /** postgres://user@host:port/database; the password may come separately. */
  readonly url: string;
  readonly password?: string;
  readonly poolSize: number;
  /** Getting a connection (a new one: TCP, TLS, authentication) takes at most this. */
  readonly connectTimeoutMs: number;
  /** One statement takes at most this, on the server and, should the server hang, on the client. */
  readonly statementTimeoutMs: number;
  /** This node's name (smtp.hostname), in the audit trail and release records. */
  readonly node: string;
  /** false: no pg_trgm indexes (tests of the plain path). */
  readonly trigram?: boolean;
}

/** A lock not released after this was left by a node that died mid-change (a release takes seconds). */
const LOCK_LEASE_MS = 5 * 60 * 1000;
/** Entries purged per transaction: a retention purge of a month of mail must not hold one huge transaction. */
const PURGE_BATCH = 1000;
/** The audit trail outlives the entries it speaks of, by this much at most. */
const AUDIT_KEEP_DAYS = 400;

/**
 * The quarantine in PostgreSQL, shared by every node: entries, message bytes, findings and
 * the audit trail in the tables of postgres-schema.ts. A put is one statement (entry,
 * bytes and findings, committed together), so it resolves only after COMMIT, with
 * whatever durability the server's synchronous_commit gives. Every statement has a
 * deadline: a database that is down or hangs makes a put fail in seconds (the filter's
 * 451 4.3.0), never hold the SMTP client until its own timeout.
 */
export class PostgresQuarantineStore implements QuarantineStore {
  readonly description: string;
  private readonly pool: pg.Pool;
  private opening: Promise<MigrationReport> | undefined;

  constructor(
    private readonly settings: PostgresStoreSettings,
    private readonly logger?: Logger,
  ) {
    this.description = redactedUrl(settings.url);
    this.pool = new pg.Pool({
      connectionString: settings.url,
      password: settings.password,
      max: settings.poolSize,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: settings.statementTimeoutMs,
      // The client's own deadline covers a server that stopped answering altogether.
      query_timeout: settings.statementTimeoutMs + 1000,
      idle_in_transaction_session_timeout: settings.statementTimeoutMs * 2,
      keepAlive: true,
      application_name: `sekisho ${settings.node}`.slice(0, 63),
      // A node killed mid-put: its server session notices the closed socket within a second
      // and rolls the insert back, instead of committing an entry no SMTP client heard 250
      // for (the sender would retry it: a duplicate). PostgreSQL 14 or later.
      options: '-c client_connection_check_interval=1000',
    });
    // An idle connection the server ended (restart, failover) must not crash the process.
    this.pool.on('error', (err) => this.logger?.warn({ event: 'quarantine-db', err: err.message }, 'quarantine database connection lost'));
  }

  /** Migrates the schema once; after a failure the next call tries again. */
  open(): Promise<void> {
    return this.ready().then(() => undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async health(): Promise<StoreHealth> {
    try {
      const report = await this.ready();
      await this.pool.query('SELECT 1');
      const text = report.trigram ? '' : ', substring filters without pg_trgm';
      return { ok: true, detail: `${this.description} answers (schema ${report.version}${text})` };
    } catch (err) {
      return { ok: false, detail: `${this.description}: ${(err as Error).message}`, problem: 'quarantine database not answering' };
    }
  }

  /** A statement on the pool, after the schema is in place (also for the admin's session table). */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], name?: string): Promise<pg.QueryResult<R>> {
    await this.ready();
    return this.pool.query<R>({ text, values, name });
  }

  async put(meta: QuarantineMeta, message: Buffer): Promise<void> {
    const id = checked(meta.id);
    const n = ENTRY_COLUMNS.length;
    const columns = ENTRY_COLUMNS.join(', ');
    const params = ENTRY_COLUMNS.map((_, i) => `$${i + 3}`).join(', ');
    // One statement, one transaction, one round trip: the entry, its bytes and its findings
    // exist together or not at all.
    await this.query(
      `WITH entry AS (
         INSERT INTO quarantine_entry (id, stored_by, ${columns}) VALUES ($1, $2, ${params}) RETURNING id
       ), message AS (
         INSERT INTO quarantine_message (entry_id, bytes) SELECT id, $${n + 3}::bytea FROM entry
       ), findings AS (
         INSERT INTO quarantine_finding (entry_id, ordinal, detector, code, severity, summary, evidence)
         SELECT entry.id, f.ordinal - 1, f.value->>'detector', f.value->>'code', f.value->>'severity', f.value->>'summary', COALESCE(f.value->'evidence', '{}'::jsonb)
         FROM entry, jsonb_array_elements($${n + 4}::jsonb) WITH ORDINALITY AS f(value, ordinal)
       )
       SELECT id FROM entry`,
      [id, this.settings.node, ...entryValues(meta), message, findingsValue(meta)],
      'sekisho-quarantine-put',
    );
  }

  async get(id: string): Promise<QuarantineMeta | undefined> {
    const { rows } = await this.query<EntryRow & pg.QueryResultRow>(`${ENTRY_SELECT} WHERE e.id = $1`, [checked(id)], 'sekisho-quarantine-get');
    return rows[0] && metaOfRow(rows[0]);
  }

  async raw(id: string): Promise<Buffer | undefined> {
    const { rows } = await this.query<{ bytes: Buffer }>('SELECT bytes FROM quarantine_message WHERE entry_id = $1', [checked(id)]);
    return rows[0]?.bytes;
  }

  async list(filter: ListFilter = {}): Promise<ListPage> {
    const where = whereOf(filter);
    const offset = Math.max(0, filter.offset ?? 0);
    const limit = Math.max(0, filter.limit ?? 50);
    const p = where.values.length;
    // The page walks the time index and stops at its end; the count runs beside it.
    const [page, count] = await Promise.all([
      this.query<EntryRow & pg.QueryResultRow>(`${ENTRY_SELECT} ${where.sql} ORDER BY e.quarantined_at DESC, e.id LIMIT $${p + 1} OFFSET $${p + 2}`, [...where.values, limit, offset]),
      this.query<{ total: string }>(`SELECT count(*) AS total FROM quarantine_entry e ${where.sql}`, where.values),
    ]);
    return { total: Number(count.rows[0]?.total ?? 0), entries: page.rows.map(metaOfRow) };
  }

  async update(id: string, meta: QuarantineMeta): Promise<void> {
    if (meta.id !== checked(id)) throw new Error(`metadata of ${meta.id} written to ${id}`);
    await this.transaction(async (client) => {
      const sets = ENTRY_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ');
      await client.query(`UPDATE quarantine_entry SET ${sets} WHERE id = $1`, [id, ...entryValues(meta)]);
      await client.query('DELETE FROM quarantine_finding WHERE entry_id = $1', [id]);
      await client.query(
        `INSERT INTO quarantine_finding (entry_id, ordinal, detector, code, severity, summary, evidence)
         SELECT $1, f.ordinal - 1, f.value->>'detector', f.value->>'code', f.value->>'severity', f.value->>'summary', COALESCE(f.value->'evidence', '{}'::jsonb)
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS f(value, ordinal)
         WHERE EXISTS (SELECT 1 FROM quarantine_entry WHERE id = $1)`,
        [id, findingsValue(meta)],
      );
    });
  }

  /**
   * held → releasing by this node, in one conditional UPDATE: of any number of nodes
   * claiming at once, the row lock lets one through and the others find it releasing.
   */
  async claimRelease(id: string, claim: ReleaseClaim, force: boolean): Promise<ClaimOutcome> {
    checked(id);
    const record = { at: claim.at, by: claim.by, node: this.settings.node, to: claim.to };
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rowCount } = await this.query(
        `WITH claimed AS (
           UPDATE quarantine_entry SET state = 'releasing', release = $2::jsonb
           WHERE id = $1 AND (state = 'held' OR ($3 AND state = 'releasing')) RETURNING id
         ), audit AS (
           INSERT INTO quarantine_audit (entry_id, action, by, node, detail)
           SELECT id, 'release-claimed', $4, $5, $6::jsonb FROM claimed
         )
         SELECT id FROM claimed`,
        [id, json(record), force, claim.by, this.settings.node, json({ to: claim.to, force })],
      );
      const meta = await this.get(id);
      if (rowCount === 1 && meta) return { status: 'claimed', meta };
      const outcome = decideClaim(meta, claim, force, this.settings.node);
      // "claimed" here means it went back to held between the two statements: try again.
      if (outcome.status !== 'claimed') return outcome;
    }
    throw new QuarantineLockedError(id);
  }

  async finishRelease(id: string, outcome: ReleaseOutcome): Promise<void> {
    const released = 'released' in outcome;
    const { state: _state, ...record } = released ? outcome.released : { state: 'held' };
    await this.query(
      `WITH done AS (
         UPDATE quarantine_entry SET state = $2, release = $3::jsonb WHERE id = $1 AND state = 'releasing' RETURNING id
       )
       INSERT INTO quarantine_audit (entry_id, action, by, node, detail) SELECT id, $4, $5, $6, $7::jsonb FROM done`,
      [
        checked(id),
        released ? 'released' : 'held',
        released ? json(record) : null,
        released ? 'released' : 'release-failed',
        released ? outcome.released.by : outcome.by,
        this.settings.node,
        json(released ? { to: outcome.released.to, reply: outcome.released.reply } : { reply: outcome.failed }),
      ],
    );
  }

  async delete(id: string, by = 'unknown'): Promise<boolean> {
    const { rowCount } = await this.query(
      `WITH gone AS (DELETE FROM quarantine_entry WHERE id = $1 RETURNING id)
       INSERT INTO quarantine_audit (entry_id, action, by, node) SELECT id, 'deleted', $2, $3 FROM gone`,
      [checked(id), by, this.settings.node],
    );
    return rowCount === 1;
  }

  /**
   * The retention purge, on one node at a time: the others find the advisory lock taken
   * and skip this round. Entries locked by a release in progress wait for the next one.
   */
  async purge(before: Date, by = 'retention'): Promise<string[]> {
    await this.ready();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [LOCK_NAMESPACE, PURGE_LOCK]);
      if (!rows[0]?.locked) {
        this.logger?.debug({ event: 'quarantine-purge', result: 'skipped' }, 'another node is purging the quarantine');
        return [];
      }
      try {
        const gone: string[] = [];
        for (;;) {
          const batch = await client.query<{ id: string }>(
            `WITH gone AS (
               DELETE FROM quarantine_entry WHERE id IN (
                 SELECT e.id FROM quarantine_entry e
                 WHERE e.quarantined_at < $1
                   AND NOT EXISTS (SELECT 1 FROM quarantine_lock l WHERE l.entry_id = e.id AND l.expires_at > now())
                 ORDER BY e.quarantined_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)
               RETURNING id
             ), audit AS (
               INSERT INTO quarantine_audit (entry_id, action, by, node) SELECT id, 'purged', $2, $3 FROM gone
             )
             SELECT id FROM gone`,
            [before.toISOString(), by, this.settings.node],
          );
          gone.push(...batch.rows.map((r) => r.id));
          if (batch.rows.length < PURGE_BATCH) break;
        }
        await client.query(`DELETE FROM quarantine_audit WHERE at < now() - interval '${AUDIT_KEEP_DAYS} days'`);
        await client.query(`DELETE FROM quarantine_lock WHERE expires_at < now() - interval '1 day'`);
        return gone;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, PURGE_LOCK]);
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A connection that failed mid-purge is not handed to the next caller.
      client.release(broken);
    }
  }

  /**
   * A lease in quarantine_lock, taken by an insert that only replaces an expired lease:
   * held by no connection, so it costs nothing while a release talks to the next hop.
   */
  async lock(id: string): Promise<QuarantineLock> {
    const owner = `${this.settings.node} ${process.pid} ${randomBytes(8).toString('hex')}`;
    const { rowCount } = await this.query(
      `INSERT INTO quarantine_lock (entry_id, owner, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (entry_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
       WHERE quarantine_lock.expires_at < now()`,
      [checked(id), owner, LOCK_LEASE_MS],
    );
    if (rowCount !== 1) throw new QuarantineLockedError(id);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.query('DELETE FROM quarantine_lock WHERE entry_id = $1 AND owner = $2', [id, owner]);
      },
    };
  }

  async stats(): Promise<{ messages: number; bytes: number }> {
    const { rows } = await this.query<{ messages: string; bytes: string }>('SELECT count(*) AS messages, COALESCE(sum(size), 0) AS bytes FROM quarantine_entry');
    return { messages: Number(rows[0]?.messages ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
  }

  async history(id: string): Promise<AuditEvent[]> {
    const { rows } = await this.query<{ at: Date; action: AuditEvent['action']; by: string; node: string; detail: Record<string, unknown> | null }>(
      'SELECT at, action, by, node, detail FROM quarantine_audit WHERE entry_id = $1 ORDER BY seq',
      [checked(id)],
    );
    return rows.map((r) => ({ at: r.at.toISOString(), action: r.action, by: r.by, node: r.node, ...(r.detail ? { detail: r.detail } : {}) }));
  }

  private ready(): Promise<MigrationReport> {
    this.opening ??= this.migrateOnce().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  private async migrateOnce(): Promise<MigrationReport> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const report = await migrate(client, this.settings.node, this.settings.trigram ?? true);
      this.logger?.info(
        { event: 'quarantine-db', store: this.description, schema: report.version, applied: report.applied, trigram: report.trigram, trigram_problem: report.trigramProblem },
        report.applied.length > 0 ? 'quarantine database schema migrated' : 'quarantine database schema up to date',
      );
      if (report.newer) this.logger?.warn({ event: 'quarantine-db', schema: report.version }, 'the quarantine database schema is newer than this sekisho: upgrade this node');
      return report;
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    await this.ready();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

function checked(id: string): string {
  if (!isQuarantineId(id)) throw new QuarantineIdError(id);
  return id;
}

/** The URL as logs may show it: never the password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgresql (URL not shown)';
  }
}
