import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { PostgresQuarantineStore } from '../../src/quarantine/postgres-store.js';
import type { QuarantineStore } from '../../src/quarantine/quarantine-store.js';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { PostgresCluster } from '../helpers/postgres-cluster.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';

const MACRO = readFileSync(path.resolve(__dirname, '../fixtures/mail-spamassassin/olevbmacro/malicemacro.eml'));

const yaml = (upstream: string, quarantine: string) => `smtp:
  listen: 127.0.0.1:0
  upstream: ${upstream}
quarantine:
${quarantine}`;

/** Where the daemon quarantines, and a store on the same data for the checks after the crash. */
interface Backend {
  readonly name: string;
  setup(): Promise<{ quarantine: string; store: () => QuarantineStore; entriesOnDisk?: () => number }>;
}

let cluster: PostgresCluster | undefined;
afterAll(() => cluster?.destroy());

const BACKENDS: readonly Backend[] = [
  {
    name: 'file store',
    async setup() {
      const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sekisho-crash-')), 'quarantine');
      return { quarantine: `  dir: ${dir}\n`, store: () => new FileQuarantineStore(dir), entriesOnDisk: () => readdirSync(dir).filter((f) => f.endsWith('.json')).length };
    },
  },
  {
    name: 'PostgreSQL store',
    async setup() {
      cluster ??= await PostgresCluster.start();
      const url = await cluster.createDatabase('crash');
      return { quarantine: `  store: ${url}\n`, store: () => new PostgresQuarantineStore({ url, poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 10_000, node: 'check' }) };
    },
  },
];

/** Message n: a macro mail (quarantined) or a clean one (relayed), told apart by a header. */
function message(n: number): Buffer {
  if (n % 3 === 0) return Buffer.from(`Message-ID: <clean-${n}@crash.test>\r\nSubject: clean ${n}\r\n\r\nhello ${n}\r\n`);
  return Buffer.concat([Buffer.from(`Message-ID: <macro-${n}@crash.test>\r\n`), MACRO, Buffer.from('\r\n')]);
}

describe.each(BACKENDS)('SIGKILL while quarantining: $name', (backend) => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('after a restart the store holds whole entries only, and every message acknowledged with 250 is in it or at the sink', async () => {
    const sink = await TestSink.start();
    const where = await backend.setup();
    const daemon = DaemonProcess.start(yaml(sink.url, where.quarantine));
    cleanup.push(() => daemon.kill(), () => sink.stop());
    const port = await daemon.port();

    // Eight clients send 30 messages each, as fast as they can; the daemon is killed mid-stream.
    const acked = new Map<number, string>();
    let killed = false;
    const client = async (k: number) => {
      const c = await SmtpTestClient.connect(port).catch(() => undefined);
      if (!c) return;
      for (let i = 0; i < 30; i++) {
        const n = k * 30 + i;
        const r = await c.send(`s${n}@crash.test`, ['u@example.net'], message(n)).catch(() => undefined);
        const final = r?.data?.final;
        if (final?.code === 250) acked.set(n, final.text);
        if (!killed && acked.size >= 40) {
          killed = true;
          daemon.signal('SIGKILL');
        }
        if (!r) return;
      }
      await c.quit().catch(() => undefined);
    };
    await Promise.all(Array.from({ length: 8 }, (_, k) => client(k)));
    expect(killed).toBe(true);
    expect((await daemon.exited).signal).toBe('SIGKILL');

    // A new daemon on the same store; the file store sweeps what the crash left.
    const again = DaemonProcess.start(yaml(sink.url, where.quarantine));
    cleanup.push(() => again.kill());
    await again.port();
    const store = where.store();
    cleanup.push(() => store.close());
    const { entries } = await store.list({ limit: 1000 });
    for (const meta of entries) {
      const raw = await store.raw(meta.id);
      expect(raw?.length, meta.id).toBe(meta.size);
      expect(createHash('sha256').update(raw ?? Buffer.alloc(0)).digest('hex')).toBe(meta.sha256);
    }
    if (where.entriesOnDisk) expect(where.entriesOnDisk()).toBe(entries.length);

    // The 250 does not name the quarantine id (no tells): entries are found by Message-ID.
    const held = new Set<string>();
    for (const meta of entries) held.add(/Message-ID: <([^>]+)>/.exec((await store.raw(meta.id))?.toString('latin1') ?? '')?.[1] ?? '');
    const delivered = new Set(sink.messages.map((m) => /Message-ID: <([^>]+)>/.exec(m.data.toString('latin1'))?.[1]));
    const lost: string[] = [];
    for (const [n, reply] of acked) {
      if (n % 3 === 0) {
        if (!delivered.has(`clean-${n}@crash.test`)) lost.push(`clean ${n}`);
      } else {
        if (!held.has(`macro-${n}@crash.test`)) lost.push(`macro ${n} (${reply})`);
      }
    }
    expect(lost).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(40);
  });
});
