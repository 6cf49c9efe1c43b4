import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { PostgresQuarantineStore } from '../../src/quarantine/postgres-store.js';
import { QuarantineIdError, QuarantineLockedError, type QuarantineMeta, type QuarantineStore } from '../../src/quarantine/quarantine-store.js';
import { PostgresCluster } from '../helpers/postgres-cluster.js';
import { heldMessage, metaFor, tempQuarantineDir } from '../helpers/quarantine-fixtures.js';

/**
 * One contract, both backends: whatever the proxy, the CLI and the admin server may rely
 * on holds for the file store and for PostgreSQL alike. Each test gets an empty store and a
 * second handle on the same data (another process, another node).
 */
interface Backend {
  readonly name: string;
  /** An empty store and a second handle on the same data. */
  fresh(): Promise<{ store: QuarantineStore; other: QuarantineStore }>;
  /** What a crash in the middle of a put leaves behind (or tries to). */
  partialPut(store: QuarantineStore, meta: QuarantineMeta, message: Buffer): Promise<void>;
  /** Makes the lock on `id` look as if its holder died long ago. */
  ageLock(store: QuarantineStore, id: string): Promise<void>;
}

let cluster: PostgresCluster | undefined;
let databases = 0;
const opened: QuarantineStore[] = [];

const fileBackend: Backend = {
  name: 'file store',
  async fresh() {
    const dir = tempQuarantineDir();
    return { store: new FileQuarantineStore(dir, 'node-a'), other: new FileQuarantineStore(dir, 'node-b') };
  },
  // A crash between the two renames: the message is in place, its metadata never came.
  async partialPut(store, meta, message) {
    writeFileSync(path.join((store as FileQuarantineStore).dir, `${meta.id}.eml`), message);
  },
  async ageLock(store, id) {
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path.join((store as FileQuarantineStore).dir, `${id}.lock`), hourAgo, hourAgo);
  },
};

const postgresBackend: Backend = {
  name: 'PostgreSQL store',
  async fresh() {
    const url = await cluster!.createDatabase(`contract_${++databases}`);
    const settings = { url, poolSize: 4, connectTimeoutMs: 5000, statementTimeoutMs: 10_000 };
    const store = new PostgresQuarantineStore({ ...settings, node: 'node-a' });
    const other = new PostgresQuarantineStore({ ...settings, node: 'node-b' });
    opened.push(store, other);
    await Promise.all([store.open(), other.open()]);
    return { store, other };
  },
  // The entry and the bytes go in, then the findings fail (a NOT NULL column): one statement, so nothing stays.
  async partialPut(store, meta, message) {
    const broken = { ...meta, findings: [...meta.findings, { detector: null } as unknown as QuarantineMeta['findings'][number]] };
    await expect(store.put(broken, message)).rejects.toThrow(/null value/);
  },
  async ageLock(store, id) {
    await (store as PostgresQuarantineStore).query(`UPDATE quarantine_lock SET expires_at = now() - interval '1 hour' WHERE entry_id = $1`, [id]);
  },
};

beforeAll(async () => {
  cluster = await PostgresCluster.start();
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  cluster?.destroy();
});

describe.each([fileBackend, postgresBackend])('the quarantine store contract: $name', (backend) => {
  const message = heldMessage();

  it('keeps the message byte for byte beside its metadata, and counts it', async () => {
    const { store, other } = await backend.fresh();
    const meta = metaFor(message, {
      subject: 'お知らせ 100%_off',
      ppap: { state: 'awaiting', until: '2026-11-23T01:00:00.000Z', senders: ['keiri@partner.example'], attempts: [{ at: '2026-11-22T01:30:00.000Z', result: 'wrong-password', source: '<a@b>' }] },
      findings: [...metaFor(message).findings, { detector: 'archive', code: 'encrypted', severity: 'medium', summary: 'x', evidence: { part: '2', names: ['a', 'b'], count: 2, yes: true } }] });
    await store.put(meta, message);
    expect(await other.get(meta.id)).toEqual(meta);
    expect((await other.raw(meta.id))?.equals(message)).toBe(true);
    expect(await other.stats()).toEqual({ messages: 1, bytes: message.length });
    expect(await store.get('a'.repeat(26))).toBeUndefined();
    expect(await store.raw('a'.repeat(26))).toBeUndefined();
    expect((await store.health()).ok).toBe(true);
  });

  it('refuses ids that are not quarantine ids', async () => {
    const { store } = await backend.fresh();
    for (const bad of ['../x', 'abc', 'A'.repeat(26)]) {
      await expect(store.get(bad)).rejects.toBeInstanceOf(QuarantineIdError);
      await expect(store.raw(bad)).rejects.toBeInstanceOf(QuarantineIdError);
      await expect(store.delete(bad)).rejects.toBeInstanceOf(QuarantineIdError);
    }
    await expect(store.put(metaFor(message, { id: '../../etc/x' }), message)).rejects.toBeInstanceOf(QuarantineIdError);
  });

  it('lists newest first, with every filter and paging', async () => {
    const { store } = await backend.fresh();
    const a = metaFor(message, { quarantined_at: '2026-11-20T00:00:00.000Z', mail_from: 'a@one.example', from: 'Ａ <a@one.example>', rcpt_to: ['x@example.net'], verdict: 'suspicious', subject: 'お知らせ' });
    const b = metaFor(message, { quarantined_at: '2026-11-21T00:00:00.000Z', mail_from: 'b@two.example', from: '"経理" <Keiri@Two.Example>', rcpt_to: ['Y@example.net'], verdict: 'malicious', subject: '50% off_now' });
    const c = metaFor(message, {
      quarantined_at: '2026-11-22T00:00:00.000Z',
      mail_from: '',
      from: 'c@three.example',
      rcpt_to: ['x@example.net', 'z@example.net'],
      verdict: 'unscannable',
      release: { state: 'released', at: '2026-11-22T01:00:00.000Z', by: 'cli:a', to: ['x@example.net'] },
    });
    const d = metaFor(message, { quarantined_at: '2026-11-22T00:00:00.000Z', verdict: 'suspicious', rcpt_to: ['w@example.net'], release: { state: 'releasing', at: '2026-11-22T01:00:00.000Z', by: 'web', to: ['w@example.net'] } });
    for (const meta of [a, b, c, d]) await store.put(meta, message);
    const ids = async (f: Parameters<QuarantineStore['list']>[0]) => (await store.list(f)).entries.map((e) => e.id);
    // Equal times: by id, as both backends sort.
    const [cd1, cd2] = [c.id, d.id].sort();
    expect(await ids({})).toEqual([cd1, cd2, b.id, a.id]);
    expect(await ids({ sender: 'TWO.example' })).toEqual([b.id]);
    expect(await ids({ sender: 'keiri@two' })).toEqual([b.id]);
    expect(await ids({ sender: 'three' })).toEqual([c.id]);
    expect(await ids({ recipient: 'x@' })).toEqual([c.id, a.id]);
    expect(await ids({ recipient: 'y@EXAMPLE' })).toEqual([b.id]);
    expect(await ids({ recipient: 'net\nz' })).toEqual([]);
    expect(await ids({ verdict: 'malicious' })).toEqual([b.id]);
    expect(await ids({ verdict: 'suspicious' })).toEqual([d.id, a.id]);
    expect(await ids({ since: new Date('2026-11-21T00:00:00Z'), until: new Date('2026-11-22T00:00:00Z') })).toEqual([b.id]);
    expect(await ids({ since: new Date('2026-11-22T00:00:00Z') })).toEqual([cd1, cd2]);
    expect(await ids({ text: 'お知らせ' })).toEqual([a.id]);
    expect(await ids({ text: 'macro/vba' })).toHaveLength(4);
    expect(await ids({ text: a.id.toUpperCase() })).toEqual([a.id]);
    // LIKE's wildcards are plain characters here.
    expect(await ids({ text: '50%' })).toEqual([b.id]);
    expect(await ids({ text: '%' })).toEqual([b.id]);
    expect(await ids({ text: 'o_f' })).toEqual([]);
    expect(await ids({ text: 'f_n' })).toEqual([b.id]);
    expect(await ids({ released: true })).toEqual([c.id]);
    expect(await ids({ released: false })).toEqual([d.id, b.id, a.id]);
    expect(await ids({ released: false, verdict: 'malicious', recipient: 'example.net', sender: 'two' })).toEqual([b.id]);
    const page = await store.list({ offset: 1, limit: 2 });
    expect([page.total, page.entries.map((e) => e.id)]).toEqual([4, [cd2, b.id]]);
    const filtered = await store.list({ recipient: 'example.net', offset: 3, limit: 10 });
    expect([filtered.total, filtered.entries.map((e) => e.id)]).toEqual([4, [a.id]]);
    expect((await store.list({ limit: 0 })).total).toBe(4);
    // Entries come back whole, release record included.
    expect((await store.list({ released: true })).entries[0]).toEqual(c);
  });

  it('claims a release once: held → releasing, in doubt after, forced only on request; released stays released', async () => {
    const { store, other } = await backend.fresh();
    const meta = metaFor(message);
    await store.put(meta, message);
    const claim = { at: '2026-11-22T02:00:00.000Z', by: 'web', to: ['user@example.net'] };
    const first = await store.claimRelease(meta.id, claim, false);
    expect(first).toMatchObject({ status: 'claimed', meta: { id: meta.id, release: { state: 'releasing', by: 'web', node: 'node-a', to: ['user@example.net'] } } });
    expect((await other.get(meta.id))?.release).toMatchObject({ state: 'releasing', node: 'node-a' });
    // The node died here: whoever looks next sees it in doubt, and only force sends again.
    expect(await other.claimRelease(meta.id, { ...claim, by: 'api' }, false)).toMatchObject({ status: 'in-doubt', meta: { release: { by: 'web' } } });
    expect(await other.claimRelease(meta.id, { ...claim, by: 'api' }, true)).toMatchObject({ status: 'claimed', meta: { release: { state: 'releasing', by: 'api', node: 'node-b' } } });
    await other.finishRelease(meta.id, { released: { state: 'released', at: '2026-11-22T02:00:01.000Z', by: 'api', node: 'node-b', to: ['user@example.net'], reply: '250 ok' } });
    expect((await store.get(meta.id))?.release).toEqual({ state: 'released', at: '2026-11-22T02:00:01.000Z', by: 'api', node: 'node-b', to: ['user@example.net'], reply: '250 ok' });
    expect(await store.claimRelease(meta.id, claim, true)).toMatchObject({ status: 'already-released' });
    expect(await store.claimRelease('a'.repeat(26), claim, false)).toEqual({ status: 'not-found' });
  });

  it('a release that delivered nothing goes back to held', async () => {
    const { store } = await backend.fresh();
    const meta = metaFor(message);
    await store.put(meta, message);
    await store.claimRelease(meta.id, { at: '2026-11-22T02:00:00.000Z', by: 'api', to: meta.rcpt_to }, false);
    await store.finishRelease(meta.id, { failed: '554 5.7.1 no', by: 'api' });
    expect(await store.get(meta.id)).toEqual(meta);
    expect((await store.claimRelease(meta.id, { at: '2026-11-22T02:01:00.000Z', by: 'api', to: meta.rcpt_to }, false)).status).toBe('claimed');
  });

  it('of many releases at once through two handles, one claims (lock, then claim, as releaseMessage does)', async () => {
    const { store, other } = await backend.fresh();
    const meta = metaFor(message);
    await store.put(meta, message);
    const attempt = async (s: QuarantineStore, i: number) => {
      const lock = await s.lock(meta.id).catch((err: unknown) => (err instanceof QuarantineLockedError ? undefined : Promise.reject(err)));
      if (!lock) return 'locked';
      try {
        return (await s.claimRelease(meta.id, { at: new Date().toISOString(), by: `r${i}`, to: meta.rcpt_to }, false)).status;
      } finally {
        await lock.release();
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(i % 2 === 0 ? store : other, i)));
    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'claimed' || o === 'locked' || o === 'in-doubt')).toBe(true);
  });

  it('locks an entry across handles; a lock left by a dead holder is taken over', async () => {
    const { store, other } = await backend.fresh();
    const meta = metaFor(message);
    await store.put(meta, message);
    const lock = await store.lock(meta.id);
    await expect(other.lock(meta.id)).rejects.toBeInstanceOf(QuarantineLockedError);
    await lock.release();
    const again = await other.lock(meta.id);
    await backend.ageLock(store, meta.id);
    const taken = await store.lock(meta.id);
    await taken.release();
    // The dead holder's late release does not free the new holder's lock (none left here).
    await again.release();
    const last = await other.lock(meta.id);
    await last.release();
  });

  it('updates, deletes and purges whole entries, and keeps counting right', async () => {
    const { store, other } = await backend.fresh();
    const old = metaFor(message, { quarantined_at: '2026-10-01T00:00:00.000Z' });
    const locked = metaFor(message, { quarantined_at: '2026-10-02T00:00:00.000Z' });
    const fresh = metaFor(message, { quarantined_at: '2026-11-22T00:00:00.000Z' });
    for (const m of [old, locked, fresh]) await store.put(m, message);
    const changed: QuarantineMeta = { ...fresh, subject: 'changed', findings: [], release: { state: 'releasing', at: 'now', by: 'web', to: ['u@example.net'] } };
    await store.update(fresh.id, changed);
    expect(await other.get(fresh.id)).toEqual(changed);
    // An entry being released is left for the next purge.
    const lock = await other.lock(locked.id);
    expect(await store.purge(new Date('2026-11-01T00:00:00Z'), 'retention')).toEqual([old.id]);
    await lock.release();
    expect(await store.purge(new Date('2026-11-01T00:00:00Z'), 'retention')).toEqual([locked.id]);
    expect(await store.get(old.id)).toBeUndefined();
    expect(await store.raw(old.id)).toBeUndefined();
    expect(await store.stats()).toEqual({ messages: 1, bytes: message.length });
    expect(await store.delete(fresh.id, 'cli:alice')).toBe(true);
    expect(await other.delete(fresh.id, 'cli:alice')).toBe(false);
    expect(await store.list()).toEqual({ total: 0, entries: [] });
    expect(await store.stats()).toEqual({ messages: 0, bytes: 0 });
  });

  it('a put cut short leaves no entry: not listed, not counted, not readable', async () => {
    const { store, other } = await backend.fresh();
    const kept = metaFor(message);
    await store.put(kept, message);
    const cut = metaFor(message);
    await backend.partialPut(store, cut, message);
    expect(await other.get(cut.id)).toBeUndefined();
    expect((await other.list()).entries.map((e) => e.id)).toEqual([kept.id]);
    expect(await other.stats()).toEqual({ messages: 1, bytes: message.length });
  });
});
