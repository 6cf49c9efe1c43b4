import type { PoolClient } from 'pg';

/**
 * The quarantine's tables in PostgreSQL, as numbered migrations that sekisho applies
 * itself at start-up. Each runs in its own transaction and is recorded in
 * sekisho_schema_migrations; the whole run holds an advisory lock, so two nodes starting
 * at once apply each migration once (the second waits, then finds nothing to do).
 * Migrations only add: a node still running the previous version keeps working on the
 * newer schema during a rolling upgrade.
 */

/** pg_advisory_lock(int, int) keys: one namespace for sekisho, one number per chore. */
export const LOCK_NAMESPACE = 0x5e15;
export const MIGRATION_LOCK = 1;
export const PURGE_LOCK = 2;

interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'quarantine entries, message bytes, findings, audit trail, entry locks',
    sql: `
      -- One row per held message: what lists and filters read, and the envelope a release replays.
      CREATE TABLE quarantine_entry (
        id text PRIMARY KEY CHECK (id ~ '^[a-z2-7]{26}$'),
        quarantined_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        mail_from text NOT NULL,
        rcpt_to text[] NOT NULL,
        -- mail_params, rcpt_params, client: read back whole by a release, never filtered on.
        envelope jsonb NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        sha256 text NOT NULL,
        subject text NOT NULL,
        from_header text NOT NULL,
        verdict text NOT NULL,
        score integer NOT NULL,
        reason text NOT NULL,
        state text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'releasing', 'released')),
        -- The release record (at, by, node, to, reply) while state is releasing or released.
        release jsonb,
        stored_by text NOT NULL,
        -- Lower-cased haystacks of the sender, recipient and free-text filters, made by
        -- sekisho (searchTexts) so that both backends match the same way.
        sender_search text NOT NULL,
        recipient_search text NOT NULL,
        text_search text NOT NULL
      );
      -- Every list is newest first: the first page is a walk down this index.
      CREATE INDEX quarantine_entry_time ON quarantine_entry (quarantined_at DESC, id);
      CREATE INDEX quarantine_entry_verdict ON quarantine_entry (verdict, quarantined_at DESC, id);
      CREATE INDEX quarantine_entry_state ON quarantine_entry (state, quarantined_at DESC, id);

      -- The bytes apart: a list never reads them, and TOAST keeps them out of the entry's pages anyway.
      CREATE TABLE quarantine_message (
        entry_id text PRIMARY KEY REFERENCES quarantine_entry (id) ON DELETE CASCADE,
        bytes bytea NOT NULL
      );

      CREATE TABLE quarantine_finding (
        entry_id text NOT NULL REFERENCES quarantine_entry (id) ON DELETE CASCADE,
        ordinal integer NOT NULL,
        detector text NOT NULL,
        code text NOT NULL,
        severity text NOT NULL,
        summary text NOT NULL,
        evidence jsonb NOT NULL,
        PRIMARY KEY (entry_id, ordinal)
      );
      -- "Which held messages had vba-in-ole?" for the admin's own SQL.
      CREATE INDEX quarantine_finding_code ON quarantine_finding (detector, code);

      -- Who released or deleted what, when, from which node. No foreign key: the trail
      -- outlives the entry it speaks of.
      CREATE TABLE quarantine_audit (
        seq bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        entry_id text NOT NULL,
        action text NOT NULL,
        by text NOT NULL,
        node text NOT NULL,
        detail jsonb
      );
      CREATE INDEX quarantine_audit_entry ON quarantine_audit (entry_id, seq);
      CREATE INDEX quarantine_audit_at ON quarantine_audit (at);

      -- lock(id): a lease, so that a node that dies holding one does not block the entry
      -- for longer than the lease (the file store's stale lock file, in a table).
      CREATE TABLE quarantine_lock (
        entry_id text PRIMARY KEY,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'admin web sessions shared by every node',
    sql: `
      -- The cookie's value is never stored, only its SHA-256: a copy of the table logs nobody in.
      CREATE TABLE admin_session (
        id_hash bytea PRIMARY KEY,
        csrf text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now(),
        node text NOT NULL
      );
      CREATE INDEX admin_session_last_seen ON admin_session (last_seen);
    `,
  },
  {
    version: 3,
    description: 'metadata fields without a column of their own (PPAP pairing state)',
    sql: `
      -- Fields of an entry's metadata that nothing filters on (ppap: issue 14) are kept
      -- whole here, so that a field added to the metadata is never lost in the database.
      ALTER TABLE quarantine_entry ADD COLUMN extra jsonb NOT NULL DEFAULT '{}'::jsonb;
    `,
  },
  {
    version: 4,
    description: 'PPAP: passwords of password-only mails, for the window (issue 14)',
    sql: `
      -- Secrets for ppap.window at most: deleted once they opened an entry or the window is
      -- over. Readable by the database role sekisho connects as; grant it to nobody else.
      CREATE TABLE ppap_password (
        id text PRIMARY KEY,
        senders text[] NOT NULL,
        rcpts text[] NOT NULL,
        passwords text[] NOT NULL,
        message_id text NOT NULL,
        until timestamptz NOT NULL
      );
      CREATE INDEX ppap_password_senders ON ppap_password USING gin (senders);
      CREATE INDEX ppap_password_until ON ppap_password (until);
    `,
  },
];

/** What a migration run did, for the start-up log line. */
export interface MigrationReport {
  readonly applied: readonly number[];
  readonly version: number;
  /** The schema is newer than this sekisho knows (a rolling upgrade in progress). */
  readonly newer: boolean;
  /** Trigram indexes serve the substring filters (pg_trgm); false: they scan. */
  readonly trigram: boolean;
  readonly trigramProblem?: string;
}

/**
 * Applies what is missing, under the migration lock (waiting for a node that holds it).
 * `trigram: false` skips the pg_trgm indexes (tests of the plain path).
 */
export async function migrate(client: PoolClient, node: string, trigram = true): Promise<MigrationReport> {
  await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS sekisho_schema_migrations (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      applied_by text NOT NULL
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM sekisho_schema_migrations');
    const have = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO sekisho_schema_migrations (version, description, applied_by) VALUES ($1, $2, $3)', [m.version, m.description, node]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${m.version} (${m.description}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
    const known = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    const version = Math.max(known, ...rows.map((r) => r.version));
    const text = trigram ? await trigramIndexes(client) : { ok: false, problem: 'turned off' };
    return { applied, version, newer: version > known, trigram: text.ok, trigramProblem: text.problem };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
  }
}

const TRIGRAM_COLUMNS = ['sender_search', 'recipient_search', 'text_search'] as const;

/**
 * The sender, recipient and free-text filters are substrings ("%…%"), which no B-tree can
 * serve. pg_trgm's GIN indexes can, and the extension ships with PostgreSQL (contrib) and is
 * "trusted" since 13, so a database owner may create it. Where it is missing or not allowed,
 * the filters still work the same: the first page walks the time index and stops at the
 * page's end, and the total scans the three narrow columns (docs/scale-out.md has the
 * figures at 100,000 entries). Not a numbered migration: it is tried again at every start,
 * so installing the extension later is enough.
 */
async function trigramIndexes(client: PoolClient): Promise<{ ok: boolean; problem?: string }> {
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'");
  if (available.rowCount === 0) return { ok: false, problem: 'pg_trgm is not installed on the server (Debian: postgresql-contrib)' };
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    for (const column of TRIGRAM_COLUMNS) {
      await client.query(`CREATE INDEX IF NOT EXISTS quarantine_entry_${column}_trgm ON quarantine_entry USING gin (${column} gin_trgm_ops)`);
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, problem: `pg_trgm: ${(err as Error).message}` };
  }
}
