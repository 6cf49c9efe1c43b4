import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { QuarantineIdError, QuarantineLockedError } from '../../src/quarantine/quarantine-store.js';
import { heldMessage, metaFor, tempQuarantineDir } from '../helpers/quarantine-fixtures.js';

describe('the file quarantine store', () => {
  it('keeps the message byte for byte beside its metadata', async () => {
    const dir = tempQuarantineDir();
    const store = new FileQuarantineStore(dir);
    const message = heldMessage();
    const meta = metaFor(message);
    await store.put(meta, message);
    expect(await store.get(meta.id)).toEqual(meta);
    expect((await store.raw(meta.id))?.equals(message)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([`${meta.id}.eml`, `${meta.id}.json`, 'tmp'].sort());
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    expect(await store.stats()).toEqual({ messages: 1, bytes: message.length });
  });

  it('refuses ids that are not quarantine ids before touching a file', async () => {
    const store = new FileQuarantineStore(tempQuarantineDir());
    for (const bad of ['../x', '..%2fx', 'abc', 'A'.repeat(26), `${'a'.repeat(25)}/`]) {
      await expect(store.get(bad)).rejects.toBeInstanceOf(QuarantineIdError);
      await expect(store.raw(bad)).rejects.toBeInstanceOf(QuarantineIdError);
      await expect(store.delete(bad)).rejects.toBeInstanceOf(QuarantineIdError);
    }
    await expect(store.put(metaFor(heldMessage(), { id: '../../etc/x' }), heldMessage())).rejects.toBeInstanceOf(QuarantineIdError);
  });

  it('lists newest first with filters and paging', async () => {
    const store = new FileQuarantineStore(tempQuarantineDir());
    const m = heldMessage();
    const a = metaFor(m, { quarantined_at: '2026-11-20T00:00:00.000Z', mail_from: 'a@one.example', rcpt_to: ['x@example.net'], verdict: 'suspicious', subject: 'お知らせ' });
    const b = metaFor(m, { quarantined_at: '2026-11-21T00:00:00.000Z', mail_from: 'b@two.example', rcpt_to: ['y@example.net'], verdict: 'malicious' });
    const c = metaFor(m, { quarantined_at: '2026-11-22T00:00:00.000Z', mail_from: 'c@two.example', rcpt_to: ['x@example.net', 'z@example.net'], verdict: 'unscannable', release: { state: 'released', at: 'x', by: 'cli:a', to: ['x@example.net'] } });
    for (const meta of [a, b, c]) await store.put(meta, m);
    const ids = async (f: Parameters<typeof store.list>[0]) => (await store.list(f)).entries.map((e) => e.id);
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ sender: 'TWO.example' })).toEqual([c.id, b.id]);
    expect(await ids({ recipient: 'x@' })).toEqual([c.id, a.id]);
    expect(await ids({ verdict: 'malicious' })).toEqual([b.id]);
    expect(await ids({ since: new Date('2026-11-21T00:00:00Z'), until: new Date('2026-11-22T00:00:00Z') })).toEqual([b.id]);
    expect(await ids({ text: 'お知らせ' })).toEqual([a.id]);
    expect(await ids({ released: false })).toEqual([b.id, a.id]);
    const page = await store.list({ offset: 1, limit: 1 });
    expect([page.total, page.entries.map((e) => e.id)]).toEqual([3, [b.id]]);
  });

  it('a filtered list keeps only the entries that match: a PPAP lookup does not hold the whole quarantine (found by the soak)', async () => {
    const dir = tempQuarantineDir();
    const store = new FileQuarantineStore(dir);
    const m = heldMessage();
    // 1,500 entries of about 12 KB of metadata each, written directly (no fsync: speed).
    const bulky = { detector: 'brand', code: 'lure', severity: 'medium', summary: 'x'.repeat(12_000), evidence: {} } as const;
    for (let i = 0; i < 1500; i++) {
      const meta = metaFor(m, { mail_from: `bulk${i}@flood.example`, from: `<bulk${i}@flood.example>`, findings: [bulky] });
      writeFileSync(path.join(dir, `${meta.id}.json`), JSON.stringify(meta));
    }
    const wanted = metaFor(m, { mail_from: 'keiri@partner.example' });
    await store.put(wanted, m);
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    // Ten password mails at once, each asking for one sender's entries (ppap-pairing.ts).
    const pages = await Promise.all(Array.from({ length: 10 }, () => store.list({ sender: 'keiri@partner.example', released: false, limit: 50 })));
    clearInterval(sampler);
    expect(pages.map((p) => p.entries.map((e) => e.id))).toEqual(Array.from({ length: 10 }, () => [wanted.id]));
    // Holding every entry, ten lookups took about 200 MiB of heap here; one file at a time, 17.
    expect((peak - base) / 1024 / 1024).toBeLessThan(60);
    expect(await store.stats()).toEqual({ messages: 1501, bytes: 1501 * m.length });
  });

  it('updates, deletes and purges whole entries', async () => {
    const store = new FileQuarantineStore(tempQuarantineDir());
    const m = heldMessage();
    const old = metaFor(m, { quarantined_at: '2026-10-01T00:00:00.000Z' });
    const fresh = metaFor(m, { quarantined_at: '2026-11-22T00:00:00.000Z' });
    await store.put(old, m);
    await store.put(fresh, m);
    await store.update(fresh.id, { ...fresh, release: { state: 'releasing', at: 'now', by: 'web', to: ['u@example.net'] } });
    expect((await store.get(fresh.id))?.release?.state).toBe('releasing');
    expect(await store.purge(new Date('2026-11-01T00:00:00Z'))).toEqual([old.id]);
    expect(await store.get(old.id)).toBeUndefined();
    expect(await store.delete(fresh.id)).toBe(true);
    expect(await store.delete(fresh.id)).toBe(false);
    expect((await store.list()).total).toBe(0);
  });

  it('locks an entry across holders, and a stale lock left by a dead process is taken over', async () => {
    const dir = tempQuarantineDir();
    const store = new FileQuarantineStore(dir);
    const other = new FileQuarantineStore(dir);
    const meta = metaFor(heldMessage());
    await store.put(meta, heldMessage());
    const lock = await store.lock(meta.id);
    await expect(other.lock(meta.id)).rejects.toBeInstanceOf(QuarantineLockedError);
    await lock.release();
    const again = await other.lock(meta.id);
    // A lock file from an hour ago: its holder died mid-change.
    const stale = path.join(dir, `${meta.id}.lock`);
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const taken = await store.lock(meta.id);
    await taken.release();
    await again.release();
    expect(existsSync(stale)).toBe(false);
  });

  it('at start, removes what a crash left: old temp files and a message without metadata', () => {
    const dir = tempQuarantineDir();
    const store = new FileQuarantineStore(dir);
    const orphan = path.join(dir, `${metaFor(heldMessage()).id}.eml`);
    const temp = path.join(dir, 'tmp', 'x.json');
    const recent = path.join(dir, `${metaFor(heldMessage()).id}.eml`);
    for (const f of [orphan, temp, recent]) writeFileSync(f, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(orphan, hourAgo, hourAgo);
    utimesSync(temp, hourAgo, hourAgo);
    new FileQuarantineStore(store.dir);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(temp)).toBe(false);
    // A recent one may be a write in progress in another process: left alone.
    expect(existsSync(recent)).toBe(true);
  });
});
