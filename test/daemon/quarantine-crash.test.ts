import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';

const MACRO = readFileSync(path.resolve(__dirname, '../fixtures/mail-spamassassin/olevbmacro/malicemacro.eml'));

const yaml = (upstream: string, dir: string) => `smtp:
  listen: 127.0.0.1:0
  upstream: ${upstream}
quarantine:
  dir: ${dir}
`;

/** Message n: a macro mail (quarantined) or a clean one (relayed), told apart by a header. */
function message(n: number): Buffer {
  if (n % 3 === 0) return Buffer.from(`Message-ID: <clean-${n}@crash.test>\r\nSubject: clean ${n}\r\n\r\nhello ${n}\r\n`);
  return Buffer.concat([Buffer.from(`Message-ID: <macro-${n}@crash.test>\r\n`), MACRO, Buffer.from('\r\n')]);
}

describe('SIGKILL while quarantining', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('after a restart the store holds whole entries only, and every message acknowledged with 250 is in it or at the sink', async () => {
    const sink = await TestSink.start();
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sekisho-crash-')), 'quarantine');
    const daemon = DaemonProcess.start(yaml(sink.url, dir));
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

    // A new daemon on the same directory; its store sweeps what the crash left.
    const again = DaemonProcess.start(yaml(sink.url, dir));
    cleanup.push(() => again.kill());
    await again.port();
    const store = new FileQuarantineStore(dir);
    const { entries } = await store.list({ limit: 1000 });
    for (const meta of entries) {
      const raw = await store.raw(meta.id);
      expect(raw?.length, meta.id).toBe(meta.size);
      expect(createHash('sha256').update(raw ?? Buffer.alloc(0)).digest('hex')).toBe(meta.sha256);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.json')).length).toBe(entries.length);

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
