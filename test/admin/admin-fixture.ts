import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { AdminServer, type AdminSettings } from '../../src/admin/admin-server.js';
import { validateConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { QuarantineAdmin } from '../../src/quarantine/quarantine-admin.js';
import type { QuarantineMeta } from '../../src/quarantine/quarantine-store.js';
import { createNextHop } from '../../src/smtp/next-hop/create-next-hop.js';
import { LogCapture, proxyConfig } from '../helpers/proxy-harness.js';
import { TestSink, type SinkBehaviour } from '../helpers/test-sink.js';

/**
 * An admin server on 127.0.0.1:0 over a real file quarantine in a temp dir, releasing to a
 * real TestSink through the next hop the daemon would build, with held entries put straight
 * into the store: what the proxy would have left there.
 */

export const TOKEN = 'admin-token-for-tests-7f3a';

export interface Held {
  readonly meta: QuarantineMeta;
  readonly message: Buffer;
}

export interface RunningAdmin {
  readonly base: string;
  readonly port: number;
  readonly sink: TestSink;
  readonly store: FileQuarantineStore;
  readonly server: AdminServer;
  readonly logs: LogCapture;
  /** The sample entries, by name. */
  readonly held: Readonly<Record<SampleName, Held>>;
}

export type SampleName = 'invoice' | 'script' | 'released' | 'rejected' | 'interrupted';

const b64 = (text: string) => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

function message(headers: readonly string[], body: string): Buffer {
  return Buffer.from([...headers, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body, ''].join('\r\n'), 'utf8');
}

function meta(id: string, raw: Buffer, over: Partial<QuarantineMeta>): QuarantineMeta {
  return {
    id,
    received_at: '2025-04-01T00:59:58.000Z',
    quarantined_at: '2025-04-01T01:00:00.000Z',
    mail_from: 'bounce@partner.example',
    rcpt_to: ['tanaka@corp.example.jp'],
    mail_params: { body: '8BITMIME' },
    rcpt_params: [{ notify: ['FAILURE'], orcpt: 'rfc822;tanaka@corp.example.jp' }],
    client: { addr: '203.0.113.5', name: 'mail.partner.example', helo: 'mail.partner.example', proto: 'ESMTP' },
    size: raw.length,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    subject: '',
    from: '',
    verdict: 'suspicious',
    score: 50,
    findings: [],
    reason: '',
    ...over,
  };
}

/** Ids are fixed so that a failing assertion names an entry a human can find. */
export const IDS: Readonly<Record<SampleName, string>> = {
  invoice: 'invoiceaaaaaaaaaaaaaaaaaaa',
  script: 'scriptaaaaaaaaaaaaaaaaaaaa',
  released: 'releasedaaaaaaaaaaaaaaaaaa',
  rejected: 'rejectedaaaaaaaaaaaaaaaaaa',
  interrupted: 'interruptedaaaaaaaaaaaaaaa',
};

export function samples(): Record<SampleName, Held> {
  const invoiceRaw = message(
    ['Return-Path: <bounce@partner.example>', 'From: ' + b64('経理部') + ' <keiri@examp1e-bank.example>', 'To: tanaka@corp.example.jp', `Subject: ${b64('【重要】請求書のご確認をお願いします')}`, 'Date: Tue, 01 Apr 2025 09:59:50 +0900', 'Message-ID: <inv-1@examp1e-bank.example>'],
    '請求書を添付しました。パスワードは別送します。',
  );
  const scriptRaw = message(
    ['From: "<img src=x onerror=alert(2)>" <evil@bad.example>', 'To: sato@corp.example.jp, suzuki@corp.example.jp', 'Subject: <script>alert(1)</script>', 'Date: Wed, 02 Apr 2025 10:00:00 +0900'],
    '<script>alert(3)</script>',
  );
  const releasedRaw = message(['From: news@shop.example', 'To: tanaka@corp.example.jp', 'Subject: Spring sale', 'Date: Sat, 15 Mar 2025 12:00:00 +0900'], 'Sale!');
  const rejectedRaw = message(['From: reject@partner.example', 'To: tanaka@corp.example.jp', 'Subject: Quarterly report'], 'Numbers.');
  const interruptedRaw = message(['From: ops@partner.example', 'To: tanaka@corp.example.jp', 'Subject: Maintenance notice'], 'Tonight.');
  return {
    invoice: {
      message: invoiceRaw,
      meta: meta(IDS.invoice, invoiceRaw, {
        subject: '【重要】請求書のご確認をお願いします',
        from: '経理部 <keiri@examp1e-bank.example>',
        verdict: 'malicious',
        score: 100,
        findings: [
          { detector: 'macro', code: 'vba-in-ole', severity: 'high', summary: 'VBA macros in 2/請求書.zip/請求書.xlsm', evidence: { part: '2/請求書.zip/請求書.xlsm' } },
          { detector: 'brand', code: 'lookalike-sender', severity: 'medium', summary: 'examp1e-bank.example looks like example-bank.example', evidence: { brand: 'example-bank' } },
        ],
        reason: 'macro/vba-in-ole',
      }),
    },
    script: {
      message: scriptRaw,
      meta: meta(IDS.script, scriptRaw, {
        received_at: '2025-04-02T00:59:59.000Z',
        quarantined_at: '2025-04-02T01:00:00.000Z',
        mail_from: 'evil@bad.example',
        rcpt_to: ['sato@corp.example.jp', 'suzuki@corp.example.jp'],
        rcpt_params: [{}, {}],
        subject: '<script>alert(1)</script>',
        from: '"<img src=x onerror=alert(2)>" <evil@bad.example>',
        findings: [{ detector: 'brand', code: 'display-name', severity: 'medium', summary: '<b>bold</b> display name', evidence: { part: '<i>1</i>' } }],
        reason: '<script>alert(4)</script>',
      }),
    },
    released: {
      message: releasedRaw,
      meta: meta(IDS.released, releasedRaw, {
        received_at: '2025-03-15T03:00:00.000Z',
        quarantined_at: '2025-03-15T03:00:01.000Z',
        mail_from: 'news@shop.example',
        subject: 'Spring sale',
        from: 'news@shop.example',
        verdict: 'unscannable',
        score: 30,
        findings: [{ detector: 'limits', code: 'encrypted-archive', severity: 'low', summary: 'encrypted zip', evidence: { part: '2/sale.zip' } }],
        reason: 'limits/encrypted-archive',
        release: { state: 'released', at: '2025-03-16T00:00:00.000Z', by: 'cli:alice', to: ['tanaka@corp.example.jp'], reply: '250 2.0.0 Ok: queued as X1' },
      }),
    },
    rejected: {
      message: rejectedRaw,
      meta: meta(IDS.rejected, rejectedRaw, { quarantined_at: '2025-03-20T00:00:00.000Z', mail_from: 'reject@partner.example', subject: 'Quarterly report', from: 'reject@partner.example', reason: 'test' }),
    },
    interrupted: {
      message: interruptedRaw,
      meta: meta(IDS.interrupted, interruptedRaw, {
        quarantined_at: '2025-03-10T00:00:00.000Z',
        mail_from: 'ops@partner.example',
        subject: 'Maintenance notice',
        from: 'ops@partner.example',
        reason: 'test',
        release: { state: 'releasing', at: '2025-03-11T00:00:00.000Z', by: 'web', to: ['tanaka@corp.example.jp'] },
      }),
    },
  };
}

/** Starts a fresh admin server per call; everything started is stopped after each test. */
export function adminFixture(): { start(settings?: AdminSettings, behaviour?: SinkBehaviour): Promise<RunningAdmin> } {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async start(settings = { token: TOKEN }, behaviour = {}) {
      // The sink refuses the "rejected" sample's content: a release the next hop does not take.
      const sink = await TestSink.start({ faultFor: (from) => (from === 'reject@partner.example' ? 'reject-data' : undefined), ...behaviour });
      cleanups.push(() => sink.stop());
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-admin-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const loaded = validateConfig('test.yaml', proxyConfig(sink.url, { quarantine: { dir } }));
      const hop = createNextHop(loaded);
      cleanups.push(() => hop.close());
      const store = new FileQuarantineStore(dir);
      const logs = new LogCapture();
      const logger = createLogger('info', logs);
      const admin = new QuarantineAdmin(store, () => hop, () => ({ releaseHeader: true }), logger);
      const held = samples();
      for (const h of Object.values(held)) await store.put(h.meta, h.message);
      const server = new AdminServer(settings, admin, logger);
      const address = await server.listen({ host: '127.0.0.1', port: 0 });
      cleanups.push(() => server.close());
      return { base: `http://127.0.0.1:${address.port}`, port: address.port, sink, store, server, logs, held };
    },
  };
}
