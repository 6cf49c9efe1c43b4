import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SESSIONS, SESSION_COOKIE } from '../../src/admin/auth.js';
import { SessionTable } from '../../src/admin/session-table.js';
import { BudgetedQuarantineStore, QuarantineFullError } from '../../src/quarantine/budgeted-store.js';
import { PostgresQuarantineStore, redactedUrl, type PostgresStoreSettings } from '../../src/quarantine/postgres-store.js';
import { MIGRATIONS } from '../../src/quarantine/postgres-schema.js';
import { PostgresCluster } from '../helpers/postgres-cluster.js';
import { heldMessage, metaFor } from '../helpers/quarantine-fixtures.js';

/**
 * What only the PostgreSQL store has: migrations under a lock, the audit trail, deadlines
 * when the database is away, the quota from the database's totals, the session table.
 */

let cluster: PostgresCluster;
let n = 0;
const stores: PostgresQuarantineStore[] = [];

beforeAll(async () => {
  cluster = await PostgresCluster.start();
}, 120_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  cluster.destroy();
});

async function database(): Promise<string> {
  return cluster.createDatabase(`pgstore_${++n}`);
}

function store(url: string, over: Partial<PostgresStoreSettings> = {}): PostgresQuarantineStore {
  const s = new PostgresQuarantineStore({ url, poolSize: 4, connectTimeoutMs: 2000, statementTimeoutMs: 2000, node: 'mx1', ...over });
  stores.push(s);
  return s;
}

const message = heldMessage();

describe('the PostgreSQL quarantine store', () => {
  it('migrates once when several nodes start at the same moment, and again finds nothing to do', async () => {
    const url = await database();
    const nodes = Array.from({ length: 4 }, (_, i) => store(url, { node: `mx${i}` }));
    await Promise.all(nodes.map((s) => s.open()));
    const applied = await cluster.sql<{ version: number; applied_by: string }>('SELECT version, applied_by FROM sekisho_schema_migrations ORDER BY version', [], `pgstore_${n}`);
    expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await store(url).open();
    expect(await cluster.sql('SELECT version FROM sekisho_schema_migrations', [], `pgstore_${n}`)).toHaveLength(MIGRATIONS.length);
    const indexes = await cluster.sql<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'quarantine_entry' AND indexname LIKE '%trgm'", [], `pgstore_${n}`);
    expect(indexes.map((r) => r.indexname).sort()).toEqual(['quarantine_entry_recipient_search_trgm', 'quarantine_entry_sender_search_trgm', 'quarantine_entry_text_search_trgm']);
    expect((await nodes[0]!.health()).detail).toMatch(new RegExp(`answers \\(schema ${MIGRATIONS.at(-1)?.version}\\)$`));
  });

  it('without pg_trgm the filters give the same answers (they scan instead)', async () => {
    const s = store(await database(), { trigram: false });
    const a = metaFor(message, { subject: 'Rechnung März', mail_from: 'x@evil.example' });
    const b = metaFor(message, { subject: '請求書', rcpt_to: ['boss@corp.example'] });
    await s.put(a, message);
    await s.put(b, message);
    expect((await s.list({ text: 'märz' })).entries.map((e) => e.id)).toEqual([a.id]);
    expect((await s.list({ sender: 'EVIL' })).entries.map((e) => e.id)).toEqual([a.id]);
    expect((await s.list({ recipient: 'boss' })).entries.map((e) => e.id)).toEqual([b.id]);
    expect((await s.health()).detail).toContain('without pg_trgm');
  });

  it('keeps an audit trail: who claimed, released, deleted or purged what, from which node', async () => {
    const url = await database();
    const a = store(url, { node: 'mx-a' });
    const b = store(url, { node: 'mx-b' });
    const meta = metaFor(message);
    const old = metaFor(message, { quarantined_at: '2020-01-01T00:00:00.000Z' });
    await a.put(meta, message);
    await a.put(old, message);
    await b.claimRelease(meta.id, { at: '2026-11-22T02:00:00.000Z', by: 'web', to: ['user@example.net'] }, false);
    await b.finishRelease(meta.id, { failed: '451 4.4.1 try later', by: 'web' });
    await a.claimRelease(meta.id, { at: '2026-11-22T02:01:00.000Z', by: 'cli:alice', to: ['user@example.net'] }, false);
    await a.finishRelease(meta.id, { released: { state: 'released', at: '2026-11-22T02:01:01.000Z', by: 'cli:alice', node: 'mx-a', to: ['user@example.net'], reply: '250 2.0.0 ok' } });
    await b.delete(meta.id, 'api');
    expect(await a.purge(new Date('2021-01-01T00:00:00Z'), 'retention')).toEqual([old.id]);
    const trail = (await a.history(meta.id)).map((e) => [e.action, e.by, e.node, e.detail]);
    expect(trail).toEqual([
      ['release-claimed', 'web', 'mx-b', { to: ['user@example.net'], force: false }],
      ['release-failed', 'web', 'mx-b', { reply: '451 4.4.1 try later' }],
      ['release-claimed', 'cli:alice', 'mx-a', { to: ['user@example.net'], force: false }],
      ['released', 'cli:alice', 'mx-a', { to: ['user@example.net'], reply: '250 2.0.0 ok' }],
      ['deleted', 'api', 'mx-b', undefined],
    ]);
    expect((await a.history(old.id)).map((e) => [e.action, e.by, e.node])).toEqual([['purged', 'retention', 'mx-a']]);
  });

  it('runs the purge on one node at a time: the others skip while the lock is held', async () => {
    const url = await database();
    const a = store(url);
    await a.put(metaFor(message, { quarantined_at: '2020-01-01T00:00:00.000Z' }), message);
    const holder = new (await import('pg')).default.Client({ connectionString: url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [0x5e15, 2]);
    expect(await a.purge(new Date('2021-01-01T00:00:00Z'))).toEqual([]);
    await holder.end();
    expect(await a.purge(new Date('2021-01-01T00:00:00Z'))).toHaveLength(1);
  });

  it('stores text with NUL characters (which PostgreSQL text cannot hold) with U+FFFD in their place', async () => {
    const s = store(await database());
    const meta = metaFor(message, { subject: 'a\0b', findings: [{ detector: 'macro', code: 'vba', severity: 'high', summary: 'x\0', evidence: { part: '\0' } }] });
    await s.put(meta, message);
    const got = await s.get(meta.id);
    expect(got?.subject).toBe('a\ufffdb');
    expect(got?.findings[0]?.evidence).toEqual({ part: '\ufffd' });
  });

  it('a database that does not answer fails a put within the deadline, and health says so', async () => {
    // A TCP listener that accepts and never speaks: a hung server, not a refused port.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const s = store(`postgres://sekisho@127.0.0.1:${port}/x`, { connectTimeoutMs: 500 });
      const started = Date.now();
      await expect(s.put(metaFor(message), message)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await s.health()).toMatchObject({ ok: false, problem: 'quarantine database not answering' });
    } finally {
      silent.close();
    }
  });

  it('a database too slow to answer (a lock held elsewhere) fails the put at statement_timeout, and nothing is stored', async () => {
    const url = await database();
    const s = store(url, { statementTimeoutMs: 500 });
    await s.open();
    const blocker = new (await import('pg')).default.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE quarantine_entry IN EXCLUSIVE MODE');
    try {
      const started = Date.now();
      await expect(s.put(metaFor(message), message)).rejects.toThrow(/statement timeout/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await s.stats()).toEqual({ messages: 0, bytes: 0 });
  });

  it('keeps the password out of every description', () => {
    expect(redactedUrl('postgres://sekisho:s3cret@db.example:5432/q')).toBe('postgres://sekisho@db.example:5432/q');
    expect(store('postgres://u:p%40ss@db.example/q').description).not.toContain('p%40ss');
  });

  it('the quota counts what every node stored, from the database', async () => {
    const url = await database();
    const other = store(url, { node: 'mx2' });
    await other.put(metaFor(message), message);
    const budgeted = new BudgetedQuarantineStore(store(url), { maxBytes: 1e12, maxMessages: 2, minFreeBytes: 1e18 }, { totalsMaxAgeMs: 0 });
    await budgeted.put(metaFor(message), message);
    // min_free_bytes does not apply: the database's disk is not this host's.
    expect((await budgeted.health()).ok).toBe(true);
    await other.put(metaFor(message), message);
    await expect(budgeted.put(metaFor(message), message)).rejects.toBeInstanceOf(QuarantineFullError);
  });

  it('keeps web sessions in a table: made on one node, valid on another, ended everywhere by a logout', async () => {
    const url = await database();
    const a = new SessionTable(store(url), 'mx-a');
    const b = new SessionTable(store(url), 'mx-b');
    const session = await a.create();
    const req = { headers: { cookie: `${SESSION_COOKIE}=${session.id}` } } as unknown as import('node:http').IncomingMessage;
    expect(await b.find(req)).toEqual(session);
    const rows = await cluster.sql<{ id_hash: Buffer }>('SELECT id_hash FROM admin_session', [], `pgstore_${n}`);
    expect(rows[0]?.id_hash.toString('latin1')).not.toContain(session.id);
    await b.end(session);
    expect(await a.find(req)).toBeUndefined();
    // An idle session ends after 8 hours, by the database's clock.
    const idle = await a.create();
    await cluster.sql(`UPDATE admin_session SET last_seen = now() - interval '9 hours'`, [], `pgstore_${n}`);
    expect(await b.find({ headers: { cookie: `${SESSION_COOKIE}=${idle.id}` } } as unknown as import('node:http').IncomingMessage)).toBeUndefined();
    // A script holding the token cannot grow the table without end.
    for (let i = 0; i < 5; i++) await a.create();
    expect(MAX_SESSIONS).toBeGreaterThan(5);
    await a.clear();
    expect(await cluster.sql('SELECT 1 FROM admin_session', [], `pgstore_${n}`)).toEqual([]);
  });
});
