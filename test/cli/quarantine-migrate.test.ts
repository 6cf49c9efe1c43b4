import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { PostgresQuarantineStore } from '../../src/quarantine/postgres-store.js';
import type { QuarantineMeta } from '../../src/quarantine/quarantine-store.js';
import { PostgresCluster } from '../helpers/postgres-cluster.js';
import { heldMessage, metaFor, tempQuarantineDir } from '../helpers/quarantine-fixtures.js';

const MAIN = path.resolve(__dirname, '../../dist/main.js');
const ENTRIES = 300;

function migrate(from: string, to: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'quarantine', 'migrate', '--from', from, '--to', to], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, out: stdout, err: stderr });
    });
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `sekisho quarantine migrate --from DIR --to postgres://…`: a file quarantine of a few hundred entries into PostgreSQL. */
describe('sekisho quarantine migrate', () => {
  let cluster: PostgresCluster;
  let dir: string;
  let url: string;
  let target: PostgresQuarantineStore;
  const source: QuarantineMeta[] = [];

  beforeAll(async () => {
    cluster = await PostgresCluster.start();
    url = await cluster.createDatabase('migrated');
    dir = tempQuarantineDir();
    const files = new FileQuarantineStore(dir);
    for (let i = 0; i < ENTRIES; i++) {
      const message = heldMessage(`invoice ${i}`, `body ${i} ${'x'.repeat(i * 7)}`);
      const meta = metaFor(message, {
        sha256: sha256(message),
        quarantined_at: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
        subject: `請求書 ${i}`,
        ...(i % 10 === 0 ? { release: { state: 'released' as const, at: '2026-11-22T02:00:00.000Z', by: 'cli:alice', to: ['user@example.net'], reply: '250 ok' } } : {}),
      });
      await files.put(meta, message);
      source.push(meta);
    }
    target = new PostgresQuarantineStore({ url, poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 10_000, node: 'test' });
  }, 180_000);

  afterAll(async () => {
    await target?.close();
    cluster?.destroy();
  });

  it('copies every entry with its hash checked, then finds nothing to do; resumes where a run stopped; reports what it cannot copy', async () => {
    const first = await migrate(dir, url);
    expect(first.err).not.toContain('Error');
    expect(first.out).toContain(`${ENTRIES} entries in ${dir}: ${ENTRIES} copied, 0 already in`);
    expect(first.code).toBe(0);

    // Counts and hashes: every entry is there whole, metadata and release state included.
    expect(await target.stats()).toEqual({ messages: ENTRIES, bytes: source.reduce((n, m) => n + m.size, 0) });
    const files = new FileQuarantineStore(dir);
    for (const meta of source) {
      expect(await target.get(meta.id)).toEqual(meta);
      expect(sha256((await target.raw(meta.id))!)).toBe(sha256((await files.raw(meta.id))!));
    }
    expect((await target.list({ released: true })).total).toBe(ENTRIES / 10);

    // Idempotent: a second run copies nothing.
    const again = await migrate(dir, url);
    expect([again.code, again.out.trim().split('\n').pop()]).toEqual([0, `${ENTRIES} entries in ${dir}: 0 copied, ${ENTRIES} already in ${url}, 0 not copied`]);

    // Resumable: a run that stopped after part of the entries (here: the rest removed) goes on.
    await cluster.sql('DELETE FROM quarantine_entry WHERE id IN (SELECT id FROM quarantine_entry ORDER BY id LIMIT 50)', [], 'migrated');
    const resumed = await migrate(dir, url);
    expect(resumed.out).toContain(`: 50 copied, ${ENTRIES - 50} already in`);
    expect((await target.stats()).messages).toBe(ENTRIES);

    // A message file that no longer matches its SHA-256 is not copied, and the run says so (exit 1).
    const victim = source[7]!;
    await cluster.sql('DELETE FROM quarantine_entry WHERE id = $1', [victim.id], 'migrated');
    writeFileSync(path.join(dir, `${victim.id}.eml`), 'tampered');
    const bad = await migrate(dir, url);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`${victim.id}: not copied: the message file does not match its recorded SHA-256`);
    expect(await target.get(victim.id)).toBeUndefined();
  });

  it('refuses a directory that is not a quarantine and a target that is not PostgreSQL (exit 2)', async () => {
    expect((await migrate('/nonexistent', url)).code).toBe(2);
    expect((await migrate(dir, 'mysql://x')).code).toBe(2);
  });
});
