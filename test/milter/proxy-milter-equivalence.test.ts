import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/log/logger.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { MilterReply } from '../../src/milter/milter-codec.js';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { brandMail } from '../helpers/brand-mail.js';
import { deliveredBytes, FakeMta, queueContent, withoutField, type MtaDialect, type MtaResult } from '../helpers/fake-mta.js';
import { PostfixInstance } from '../helpers/postfix-instance.js';
import { plainSmtpdService } from '../helpers/postfix-snippets.js';
import { runSwaks, SmtpSink, type SinkDump } from '../helpers/postfix-tools.js';
import { freePorts, waitFor } from '../helpers/processes.js';
import { LogCapture, merge, proxyConfig, startProxy, type RunningProxy } from '../helpers/proxy-harness.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';
import { requireTool } from '../helpers/tools.js';
import { attachmentOf, mailOf } from '../helpers/wrappings.js';
import { buildZip } from '../helpers/zip-writer.js';
import { emlFiles } from '../helpers/clean-measure.js';

/**
 * One filter, two ingresses: every message gets the same verdict, findings and action
 * through the inline SMTP proxy as through the milter, and a message that goes on arrives
 * with the same bytes: what the proxy relays is what the MTA delivers after it applied
 * the milter's header replies.
 *
 * In-process, the MTA is test/helpers/fake-mta.ts, which speaks milter the way Postfix's
 * milter8.c does and applies replies the way its cleanup_milter.c does, once as Postfix
 * 3.x (version 6, every no-reply flag, HDR_LEADSPC) and once as an older MTA (version 2,
 * none of them). Then a few messages go through a real Postfix with smtpd_milters, which
 * also checks the fake MTA's model of Postfix against Postfix itself.
 *
 * (An older MTA eats the one space after a header's colon, if there is one, so the
 * milter's copy of "Subject:x" reads "Subject: x": the verdict is the same, and the
 * corpus holds no quarantined message where that would change the stored copy.)
 *
 * Only mail in the form an MTA keeps can be byte-identical on both paths: an MTA stores
 * lines without their line ends and sends CRLF, so bare-LF mail comes out CRLF; Postfix
 * also normalises "Name :" to "Name:" and puts an empty line before a non-header line that
 * ends the header block (mime_state.c). So every message is put in that form first, the
 * same bytes for BOTH paths, and the test title counts what was converted; an mbox "From "
 * separator line (mbox framing, not message content) is removed. Nothing is left out.
 */

const FIXTURES = path.resolve(__dirname, '../fixtures');
const SAMPLES = path.resolve(__dirname, '../../samples');
const MAIL_FROM = 'corpus@partner.example';
const RCPT = 'user@example.net';
const HELO = 'client.example';

/** Policy for both ingresses: the built-in rules, a reject rule, and a Japanese subject tag. */
const POLICY = {
  policy: {
    rules: [
      { detector: 'macro', action: 'quarantine' },
      { detector: 'archive', code: 'encrypted-office-zip', action: 'quarantine' },
      { detector: 'brand', severity: 'high', action: 'quarantine' },
      { detector: 'brand', severity: 'medium', action: 'tag' },
      { verdict: 'unscannable', action: 'quarantine' },
      { verdict: ['suspicious', 'malicious'], action: 'tag' },
      // Refused at end of data on both paths (the milter: SMFIR_REPLYCODE with this text).
      { detector: 'brand', brand: 'apple', severity: 'high', action: 'reject', reply: 'Impersonation of a brand refused' },
    ],
    tag: { subject_prefix: { suspicious: '【注意】', malicious: '[MALICIOUS] ' } },
  },
  inspect: { threads: 1 },
};

// ---------------------------------------------------------------------------------------
// The corpus

interface CorpusMessage {
  readonly name: string;
  /** The wire form, sent to both paths. */
  readonly message: Buffer;
}


/** What was done to put messages in the MTA's form, by kind, for the test title. */
const converted = new Map<string, number>();
const count = (kind: string) => converted.set(kind, (converted.get(kind) ?? 0) + 1);

/** The message as the MTA will store and deliver it (see the file comment). */
function wireForm(raw: Buffer): Buffer {
  let m = raw;
  if (m.subarray(0, 5).toString('latin1') === 'From ') {
    m = m.subarray(m.indexOf(0x0a) + 1);
    count('mbox From line removed');
  }
  if (/(^|[^\r])\n/.test(m.toString('latin1'))) {
    m = Buffer.from(m.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    count('bare LF to CRLF');
  }
  if (m.length > 0 && m.subarray(-2).toString('latin1') !== '\r\n') {
    m = Buffer.concat([m, Buffer.from('\r\n')]);
    count('final CRLF added');
  }
  const stored = deliveredBytes(queueContent(m));
  if (!stored.equals(m)) {
    count(queueContent(m).separator === 'inserted' ? 'empty line put before a non-header line ending the headers' : 'header normalised as Postfix stores it');
    m = stored;
  }
  return m;
}

const macroXlsm = () => attachmentOf(readFileSync(path.join(FIXTURES, 'mail-spamassassin/olevbmacro/macro.eml')), 'macro.xlsm');
const oletools = (file: string) => readFileSync(path.join(FIXTURES, 'office-oletools', file));
const FORGED = ['X-Sekisho-Verdict: clean', 'X-Sekisho-Score: 0', 'x-sekisho-findings: none;', ' folded=continuation', 'X-SEKISHO-VERDICT: clean'];

function crlf(lines: readonly string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/** Messages built here: phish, macros, forged verdicts, odd subjects, no body, a large one. */
function builtMessages(): CorpusMessage[] {
  const phish = (name: string, m: Parameters<typeof brandMail>[0]) => ({ name, message: brandMail(m) });
  const headerOnly = (lines: readonly string[], blank: boolean) => crlf([...lines, ...(blank ? ['', ''] : [''])]);
  const longSubject = 'Amazon プライム会員限定セールのお知らせ、今週末の特別価格と新着商品のご案内（タイムセール）';
  return [
    phish('brand: display name (tag)', { from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'Amazon プライム会員情報のお知らせ', text: 'セール情報をお届けします。' }),
    phish('brand: display name + pay words (quarantine)', { from: 'Amazon.co.jp <info@mailer-service.example>', text: 'お支払い方法を更新してください。' }),
    phish('brand: lookalike sender, link (quarantine)', { from: '"Amazon.co.jp" <account@amazon-co-jp.xyz>', subject: '【Amazon】お支払い方法の更新', text: 'https://amazon-co-jp.xyz/signin で本人確認をお願いします' }),
    phish('brand: apple display name, high (reject rule)', { from: 'Apple <news@apple-recipes.com>', text: 'x' }),
    phish('brand: lookalike sender domain (tag)', { from: 'Info <info@appie.com>', text: 'hello' }),
    phish('brand: fullwidth name, ISO-2022-JP body (tag)', { from: '"Ａｍａｚｏｎ" <no-reply@mailer-service.example>', subject: 'ご注文の確認', text: 'ご注文ありがとうございます。', charset: 'iso-2022-jp' }),
    phish('brand: html + text (tag)', { from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'セール', text: 'セール情報', html: '<p>セール情報 <a href="https://www.amazon.co.jp/">amazon.co.jp</a></p>' }),
    phish('brand: reply-to and sender lookalikes (reject rule)', { from: 'Notice <a@amaz0n.co.jp>', replyTo: 'r@apple.com.verify-id.net', sender: 's@smbc-card.xizim.com', text: 'x' }),
    phish('brand: own domain (pass)', { from: 'Amazon.co.jp <auto-confirm@amazon.co.jp>', subject: 'ご注文の確認', text: 'https://www.amazon.co.jp/gp/css/order-history' }),
    phish('forged verdict on a tagged phish', { from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'Re: [SUSPICIOUS] お支払い', text: 'x', headers: FORGED }),
    phish('forged verdict on clean mail', { from: 'friend@example.org', subject: 'ランチ', text: 'また今度', headers: FORGED }),
    phish('already tagged subject', { from: 'Amazon.co.jp <info@mailer-service.example>', subject: '【注意】 お知らせ', text: 'セール情報' }),
    {
      name: 'folded subject, tagged',
      message: crlf([
        'From: Amazon.co.jp <info@mailer-service.example>',
        'To: user@example.net',
        `Subject: =?UTF-8?B?${Buffer.from(longSubject.slice(0, 20)).toString('base64')}?=`,
        `\t=?UTF-8?B?${Buffer.from(longSubject.slice(20)).toString('base64')}?=`,
        'Date: Sun, 22 Nov 2026 10:00:00 +0900',
        'Message-ID: <folded@example.net>',
        '',
        'セール情報です。',
        '',
      ]),
    },
    {
      name: 'folded plain subject, clean',
      message: crlf(['From: friend@example.org', 'To: user@example.net', 'Subject: a long subject line that the sender', '  folded twice,', '\tonce with a tab', 'Message-ID: <fold2@example.org>', '', 'hi', '']),
    },
    {
      name: 'Q-encoded ISO-2022-JP subject, tagged',
      message: crlf(['From: Amazon.co.jp <info@mailer-service.example>', 'To: user@example.net', 'Subject: =?ISO-2022-JP?B?GyRCJSIlXiU+JXMbKEI=?= =?UTF-8?Q?=E3=81=8A=E7=9F=A5=E3=82=89=E3=81=9B?=', 'Message-ID: <q@example.net>', '', 'x', '']),
    },
    {
      name: 'raw 8-bit Shift_JIS subject and body, tagged',
      message: Buffer.concat([
        Buffer.from('From: Amazon.co.jp <info@mailer-service.example>\r\nTo: user@example.net\r\nSubject: '),
        Buffer.from([0x82, 0xa8, 0x92, 0x6d, 0x82, 0xe7, 0x82, 0xb9]),
        Buffer.from('\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
        Buffer.from([0x82, 0xa0, 0x93, 0xfa, 0x96, 0x7b, 0x0d, 0x0a]),
      ]),
    },
    { name: 'subject without a space after the colon, tagged', message: crlf(['From: Amazon.co.jp <info@mailer-service.example>', 'To: user@example.net', 'Subject:no space', '', 'x', '']) },
    { name: 'subject with a tab after the colon, clean', message: crlf(['From: friend@example.org', 'To: user@example.net', 'Subject:\ttabbed', 'X-Empty:', 'X-Spaces:   three', '', 'x', '']) },
    { name: 'empty subject, tagged', message: crlf(['From: Amazon.co.jp <info@mailer-service.example>', 'To: user@example.net', 'Subject:', '', 'x', '']) },
    { name: 'no subject, tagged (SMFIR_ADDHEADER)', message: crlf(['From: Amazon.co.jp <info@mailer-service.example>', 'To: user@example.net', 'Message-ID: <nosubj@example.net>', '', 'x', '']) },
    { name: 'two subjects, tagged', message: crlf(['From: Amazon.co.jp <info@mailer-service.example>', 'Subject: first', 'To: user@example.net', 'Subject: second', '', 'x', '']) },
    { name: 'no body, empty line, clean', message: headerOnly(['From: friend@example.org', 'To: user@example.net', 'Subject: nothing to say'], true) },
    { name: 'no body, no empty line, clean', message: headerOnly(['From: friend@example.org', 'To: user@example.net', 'Subject: nothing at all'], false) },
    { name: 'no body, no empty line, tagged', message: headerOnly(['From: Amazon.co.jp <info@mailer-service.example>', 'To: user@example.net', 'Subject: お知らせ'], false) },
    { name: 'no body, forged verdict, no subject', message: headerOnly(['From: friend@example.org', 'X-Sekisho-Verdict: clean', 'To: user@example.net'], false) },
    { name: 'macro .xlsm (quarantine)', message: mailOf({ body: '請求書を添付します。', attachments: [{ name: '請求書.xlsm', bytes: macroXlsm() }] }) },
    { name: 'zipped macro .xlsm (quarantine)', message: mailOf({ body: '請求書を添付します。', attachments: [{ name: '請求書.zip', bytes: buildZip([{ name: '請求書.xlsm', content: macroXlsm() }]) }] }) },
    { name: 'zipped oletools vba .ppt (quarantine)', message: mailOf({ body: '資料です。', attachments: [{ name: '資料.zip', bytes: buildZip([{ name: '資料.ppt', content: oletools('olevba/sample_with_vba.ppt') }]) }] }) },
    { name: 'oletools excel4 macro .xls', message: mailOf({ body: 'x', attachments: [{ name: 'book.xls', bytes: oletools('excel4-macros/excel4_sample_macro.xls') }] }) },
    { name: 'oletools vba .ppt', message: mailOf({ body: 'x', attachments: [{ name: 'slides.ppt', bytes: oletools('olevba/sample_with_vba.ppt') }] }) },
    { name: 'oletools dde .docx', message: mailOf({ body: 'x', attachments: [{ name: 'dde.docx', bytes: oletools('msodde/dde-test.docx') }] }) },
    { name: 'oletools encrypted .docm', message: mailOf({ body: 'x', attachments: [{ name: 'enc.docm', bytes: oletools('encrypted/encrypted.docm') }] }) },
    { name: 'oletools clean .docx (pass)', message: mailOf({ body: 'x', attachments: [{ name: 'clean.docx', bytes: oletools('msodde/harmless-clean.docx') }] }) },
    {
      name: 'large clean mail (several body chunks)',
      message: mailOf({ body: '大きな添付ファイルです。', attachments: [{ name: 'data.bin', bytes: Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff)) }] }),
    },
    {
      name: 'large tagged mail (several body chunks)',
      message: Buffer.concat([brandMail({ from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'カタログ', text: 'セール情報' }).subarray(0, -2), Buffer.from(`\r\n${'.leading dot and 8-bit é\r\n'.repeat(8000)}`, 'latin1')]),
    },
  ];
}

const corpus: CorpusMessage[] = [
  ...[...emlFiles(path.join(FIXTURES, 'mail-ham')), ...emlFiles(path.join(FIXTURES, 'mail-spamassassin')), ...emlFiles(path.join(FIXTURES, 'mail-ruby')), ...emlFiles(SAMPLES)].map((file) => ({
    name: path.relative(path.resolve(__dirname, '../..'), file),
    message: readFileSync(file),
  })),
  ...builtMessages(),
].map((m) => ({ name: m.name, message: wireForm(m.message) }));

// ---------------------------------------------------------------------------------------
// The two ingresses

interface RunningMilter {
  readonly port: number;
  readonly daemon: Daemon;
  readonly logs: LogCapture;
  readonly loaded: LoadedConfig;
  stop(): Promise<void>;
}

/** sekisho with only the milter ingress, in this process, like proxy-harness's startProxy. */
async function startMilter(upstream: string, extra: Record<string, unknown>): Promise<RunningMilter> {
  const loaded = validateConfig('test.yaml', proxyConfig(upstream, merge(extra, { smtp: { listen: undefined }, milter: { listen: '127.0.0.1:0', quarantine: 'store' } })));
  const logs = new LogCapture();
  const daemon = await startDaemon(loaded, createLogger(loaded.config.log.level, logs), { admin: false, metrics: new Metrics('test', { processMetrics: false }) });
  const port = daemon.milterAddress?.port;
  if (!port) throw new Error('the milter did not listen on TCP');
  return { port, daemon, logs, loaded, stop: () => daemon.drain() };
}

/** What one ingress decided about one message, in the terms both ingresses share. */
interface Decided {
  readonly tx: string;
  readonly verdict: unknown;
  readonly score: unknown;
  readonly findings: unknown;
  readonly action: unknown;
  /** delivered | quarantined | refused <reply> */
  readonly fate: string;
}

function decided(line: Record<string, unknown> | undefined, fate: string): Decided {
  return { tx: String(line?.['tx']), verdict: line?.['verdict'], score: line?.['score'], findings: line?.['findings'], action: line?.['action'], fate };
}

/** The proxy's fate of a message, from its transaction line. */
function proxyFate(line: Record<string, unknown> | undefined): string {
  const outcome = line?.['outcome'];
  if (outcome === 'delivered') return 'delivered';
  if (outcome === 'quarantined') return 'quarantined';
  return `refused ${String(line?.['reply'])}`;
}

/** The milter's fate, from the MTA's side: DISCARD is sekisho's store (milter.quarantine: store). */
function milterFate(result: MtaResult): string {
  if (result.verdict === 'accept' || result.verdict === 'continue') return result.quarantine ? `held ${result.quarantine}` : 'delivered';
  if (result.verdict === 'discard') return 'quarantined';
  return `refused ${result.verdict === 'replycode' ? result.replyText : result.verdict}`;
}

/** One SMTP transaction through the proxy, MAIL with the parameters the fake MTA passes on. */
async function sendThroughProxy(client: SmtpTestClient, message: Buffer): Promise<number> {
  await client.command(`EHLO ${HELO}`);
  const mail = await client.command(`MAIL FROM:<${MAIL_FROM}> SIZE=${message.length} BODY=8BITMIME`);
  if (mail.code !== 250) throw new Error(`MAIL: ${mail.text}`);
  const rcpt = await client.command(`RCPT TO:<${RCPT}>`);
  if (rcpt.code !== 250) throw new Error(`RCPT: ${rcpt.text}`);
  const data = await client.data(message);
  return data.final?.code ?? data.go.code;
}

let queueCounter = 0;
const queueId = () => `${(0x3a00000 + ++queueCounter).toString(16).toUpperCase()}`;

function milterTransaction(message: Buffer) {
  return { mail: [`<${MAIL_FROM}>`, `SIZE=${message.length}`, 'BODY=8BITMIME'], rcpts: [[`<${RCPT}>`]], message, queueId: queueId() };
}

const MTA_CLIENT = { name: 'unknown', address: '127.0.0.1', port: 40000, helo: HELO };

/** The MTA's delivered bytes as the proxy's next hop would have them: without the MTA's own trace header. */
function mtaApplied(result: MtaResult): Buffer | undefined {
  return result.delivered && withoutField(result.delivered, result.ownReceived);
}

function kinds(replies: readonly MilterReply[]): string[] {
  return replies.map((r) => (r.kind === 'chgheader' && r.value === '' ? 'chgheader-delete' : r.kind));
}

// ---------------------------------------------------------------------------------------
// In-process: the whole corpus, the fake MTA in both dialects

const conversions = () => [...converted].map(([kind, n]) => `${n} ${kind}`).join(', ');

describe('the same corpus through the proxy and through the milter', () => {
  let sink: TestSink;
  let proxy: RunningProxy;
  let milter: RunningMilter;

  beforeAll(async () => {
    sink = await TestSink.start();
    proxy = await startProxy(sink.url, POLICY);
    milter = await startMilter(sink.url, POLICY);
  });

  afterAll(async () => {
    await milter?.stop();
    await proxy?.stop();
    await sink?.stop();
  });

  it(`${corpus.length} messages (${conversions()}): same verdict, findings, action and fate; relayed bytes = MTA-applied bytes; same quarantined bytes`, async () => {
    expect(corpus.length).toBeGreaterThan(200);
    const client = await SmtpTestClient.connect(proxy.port);
    const mtas: Record<MtaDialect, FakeMta> = { postfix: await FakeMta.open(milter.port, 'postfix'), legacy: await FakeMta.open(milter.port, 'legacy') };
    for (const mta of Object.values(mtas)) await mta.greet(MTA_CLIENT);
    const proxyStore = new FileQuarantineStore(proxy.loaded.config.quarantine.dir);
    const milterStore = new FileQuarantineStore(milter.loaded.config.quarantine.dir);
    const mismatches: string[] = [];
    const seen = { fates: new Set<string>(), replies: new Set<string>(), chunked: 0, compared: 0, quarantines: 0 };

    for (const { name, message } of corpus) {
      const delivered = sink.messages.length;
      const logged = proxy.logs.transactions().length;
      await sendThroughProxy(client, message);
      const proxyLine = await waitFor(() => proxy.logs.transactions()[logged], 5000, () => `no proxy log line for ${name}`);
      const byProxy = decided(proxyLine, proxyFate(proxyLine));
      const relayed = byProxy.fate === 'delivered' ? sink.messages[delivered]?.data : undefined;
      if (byProxy.fate === 'delivered' && !relayed) mismatches.push(`${name}: the proxy said delivered but the sink has nothing`);

      for (const dialect of ['postfix', 'legacy'] as const) {
        const at = milter.logs.transactions().length;
        const result = await mtas[dialect].transaction(milterTransaction(message));
        const milterLine = await waitFor(() => milter.logs.transactions()[at], 5000, () => `no milter log line for ${name}`);
        const byMilter = decided(milterLine, milterFate(result));
        const where = `${name} [${dialect}]`;
        const pick = ({ tx: _tx, ...rest }: Decided) => rest;
        if (JSON.stringify(pick(byMilter)) !== JSON.stringify(pick(byProxy))) mismatches.push(`${where}: proxy ${JSON.stringify(pick(byProxy))} milter ${JSON.stringify(pick(byMilter))}`);
        seen.fates.add(byMilter.fate.split(' ')[0]!);
        for (const k of kinds(result.modifications)) seen.replies.add(k);
        if (result.chunks.length > 1) seen.chunked++;

        // The MTA's own trace header stays on top, as RFC 5321 §4.4 has it and as on the
        // proxy path, where sekisho's fields reach the MTA behind it inside the message.
        if (result.delivered && !result.delivered.subarray(0, result.ownReceived.length).equals(result.ownReceived)) {
          mismatches.push(`${where}: the MTA's own Received header is no longer the first header:\n${result.delivered.toString('latin1').slice(0, 400)}`);
        }
        const applied = mtaApplied(result);
        if (relayed && applied) {
          seen.compared++;
          if (!applied.equals(relayed)) mismatches.push(`${where}: relayed and MTA-applied bytes differ\n--- proxy\n${relayed.toString('latin1').slice(0, 1500)}\n--- MTA\n${applied.toString('latin1').slice(0, 1500)}`);
        } else if (relayed || applied) {
          mismatches.push(`${where}: only one path delivered`);
        }

        // The copy released from the quarantine is the same message whichever ingress held it.
        if (byProxy.fate === 'quarantined' && byMilter.fate === 'quarantined') {
          seen.quarantines++;
          const [a, b] = await Promise.all([proxyStore.raw(byProxy.tx), milterStore.raw(byMilter.tx)]);
          if (!a || !b || !a.equals(b)) mismatches.push(`${where}: quarantined bytes differ (${a?.length} vs ${b?.length})`);
        }
      }
    }
    await client.quit();
    for (const mta of Object.values(mtas)) {
      expect(mta.unexpected, `${mta.dialect}: replies the MTA did not ask for`).toEqual([]);
      await mta.quit();
    }
    expect(mismatches).toEqual([]);
    // The corpus exercises every fate, and every header reply the milter sends.
    expect([...seen.fates].sort()).toEqual(['delivered', 'quarantined', 'refused']);
    expect([...seen.replies].sort()).toEqual(['addheader', 'chgheader', 'chgheader-delete', 'insheader']);
    expect(seen.chunked).toBeGreaterThanOrEqual(4);
    expect(seen.compared).toBeGreaterThan(300);
    expect(seen.quarantines).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------
// A real Postfix: smtpd_milters → sekisho, delivering to smtp-sink; the proxy to another

/** A dump's message without the field whose first line matches (smtp-sink's or Postfix's Received). */
function removeField(text: string, firstLine: RegExp): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => firstLine.test(l));
  if (at < 0) throw new Error(`no header matching ${firstLine} in\n${text.slice(0, 600)}`);
  let end = at + 1;
  while (end < lines.length && /^[ \t]/.test(lines[end]!)) end++;
  return [...lines.slice(0, at), ...lines.slice(end)].join('\n');
}

/** The header names of a dump's message, in order (trace order shows where fields went). */
function headerNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') break;
    if (!/^[ \t]/.test(line)) names.push(line.slice(0, line.indexOf(':')));
  }
  return names;
}

/** smtp-sink writes lines without CR; compare in its form. */
const lf = (b: Buffer) => b.toString('latin1').replace(/\r\n/g, '\n');

describe('the same messages through a real Postfix with smtpd_milters and through the proxy', () => {
  const SMTP_SINK_RECEIVED = /^Received: from \S+ \(\[127\.0\.0\.1\]\)$/;
  let workDir: string;
  let postfix: PostfixInstance | undefined;
  let postfixSink: SmtpSink | undefined;
  let proxySink: SmtpSink | undefined;
  let proxy: RunningProxy | undefined;
  let milter: RunningMilter | undefined;
  let smtpdPort = 0;

  beforeAll(async () => {
    requireTool('swaks');
    workDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-equivalence-'));
    postfixSink = await SmtpSink.start({ dump: true });
    proxySink = await SmtpSink.start({ dump: true });
    proxy = await startProxy(`smtp://127.0.0.1:${proxySink.port}`, POLICY);
    milter = await startMilter(`smtp://127.0.0.1:${postfixSink.port}`, POLICY);
    [smtpdPort] = (await freePorts(1)) as [number];
    postfix = PostfixInstance.create('milter-equivalence');
    await postfix.start({
      relayhost: `[127.0.0.1]:${postfixSink.port}`,
      tls: false,
      mainCf: [`smtpd_milters = inet:127.0.0.1:${milter.port}`, 'milter_protocol = 6', 'milter_default_action = tempfail'].join('\n'),
      masterCf: plainSmtpdService(`127.0.0.1:${smtpdPort}`),
      ports: [smtpdPort],
    });
  });

  afterAll(async () => {
    for (const stop of [() => postfix?.stop(), () => milter?.stop(), () => proxy?.stop(), () => postfixSink?.stop(), () => proxySink?.stop()]) await stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /**
   * Test messages carry their own Date and Message-ID (Postfix adds them for local
   * clients; 127.0.0.1 is one), fully qualified addresses (no header rewriting) and no
   * line over 998 bytes (smtp_line_length_limit). The Message-ID is made unique, to find
   * each message in the dumps.
   */
  function forPostfix(name: string, message: Buffer): { name: string; token: string; message: Buffer } {
    const token = `eq-${randomBytes(6).toString('hex')}@equivalence.test`;
    let text = message.toString('latin1');
    text = /^Message-ID:/im.test(text) ? text.replace(/^Message-ID:[^\r\n]*/im, `Message-ID: <${token}>`) : `Message-ID: <${token}>\r\n${text}`;
    if (!/^Date:/im.test(text.slice(0, text.indexOf('\r\n\r\n')))) text = `Date: Sun, 22 Nov 2026 10:00:00 +0900\r\n${text}`;
    return { name, token, message: Buffer.from(text, 'latin1') };
  }

  const byName = (name: string) => {
    const found = corpus.find((m) => m.name === name);
    if (!found) throw new Error(`no corpus message ${name}`);
    return forPostfix(name, found.message);
  };

  /** Sent with swaks --data FILE, or, for a message without an empty line, by a raw client (swaks would end it with one). */
  const MESSAGES: ReadonlyArray<{ readonly name: string; readonly raw?: boolean }> = [
    { name: 'test/fixtures/mail-ruby/multi_charset/japanese_shift_jis.eml' },
    { name: 'brand: display name (tag)' },
    { name: 'forged verdict on a tagged phish' },
    { name: 'forged verdict on clean mail' },
    { name: 'folded subject, tagged' },
    { name: 'no subject, tagged (SMFIR_ADDHEADER)' },
    { name: 'brand: fullwidth name, ISO-2022-JP body (tag)' },
    { name: 'raw 8-bit Shift_JIS subject and body, tagged' },
    { name: 'no body, no empty line, tagged', raw: true },
    { name: 'macro .xlsm (quarantine)' },
    { name: 'brand: apple display name, high (reject rule)' },
  ];

  /** One message through one path; the final reply, and the bytes the MTA got as content. */
  async function send(port: number, m: { readonly name: string; readonly message: Buffer; readonly raw?: boolean }, file: string): Promise<{ code: number; reply: string; sent: Buffer; transcript: string }> {
    if (m.raw) {
      const client = await SmtpTestClient.connect(port);
      const result = await client.send(MAIL_FROM, [RCPT], m.message, HELO);
      await client.quit();
      return { code: result.data?.final?.code ?? 0, reply: result.data?.final?.text ?? JSON.stringify(result), sent: m.message, transcript: JSON.stringify(result) };
    }
    const result = await runSwaks({ port, ehlo: HELO, from: MAIL_FROM, to: [RCPT], dataFile: file });
    const final = result.replyTo('.');
    // swaks ends the data with one more CRLF before its ".".
    return { code: final?.code ?? 0, reply: final?.reply ?? '', sent: Buffer.concat([m.message, Buffer.from('\r\n')]), transcript: result.transcript };
  }

  it(`${MESSAGES.length} tagged, clean, quarantined and refused messages: same verdict and fate, and the same delivered bytes but for Postfix's Received`, async () => {
    const messages = MESSAGES.map((m) => ({ ...byName(m.name), raw: m.raw }));
    const problems: string[] = [];
    const fates: string[] = [];
    const sent = new Map<string, Buffer>();
    for (const m of messages) {
      const file = path.join(workDir, `${m.token}.eml`);
      writeFileSync(file, m.message);
      const viaProxy = await send(proxy!.port, m, file);
      const viaPostfix = await send(smtpdPort, m, file);
      const proxyLine = await waitFor(() => proxy!.logs.transactions().find((t) => t['message_id'] === m.token), 10_000, () => `${m.name}: no proxy transaction\n${viaProxy.transcript}`);
      const milterLine = await waitFor(() => milter!.logs.transactions().find((t) => t['message_id'] === m.token), 10_000, () => `${m.name}: no milter transaction\n${viaPostfix.transcript}\n--- maillog ---\n${postfix!.logTail()}`);
      const final = { proxy: viaProxy, postfix: viaPostfix };
      const pick = (l: Record<string, unknown>) => JSON.stringify({ verdict: l['verdict'], score: l['score'], findings: l['findings'], action: l['action'] });
      if (pick(proxyLine) !== pick(milterLine)) problems.push(`${m.name}: proxy ${pick(proxyLine)} milter ${pick(milterLine)}`);
      // Postfix gives the client sekisho's own refusal text (SMFIR_REPLYCODE), and 250 for what sekisho keeps (DISCARD).
      if (final.proxy?.code !== final.postfix?.code) problems.push(`${m.name}: proxy answered ${final.proxy?.reply}, Postfix ${final.postfix?.reply}`);
      if (final.proxy && final.proxy.code >= 500 && !final.postfix?.reply.includes(final.proxy.reply.replace(/^\d{3} /, ''))) problems.push(`${m.name}: Postfix answered ${final.postfix?.reply}, not the proxy's ${final.proxy.reply}`);
      fates.push(`${proxyLine['outcome']}/${milterLine['outcome']}`);
      sent.set(m.token, viaPostfix.sent);
    }

    // Every message the proxy relayed, Postfix delivered, and nothing else.
    const relayed = messages.filter((m) => proxy!.logs.transactions().find((t) => t['message_id'] === m.token)?.['outcome'] === 'delivered');
    const find = (sink: SmtpSink, token: string): SinkDump | undefined => sink.dumps().find((d) => d.content.includes(`<${token}>`));
    await waitFor(() => relayed.every((m) => find(proxySink!, m.token) && find(postfixSink!, m.token)), 30_000, () => `not every message arrived\n--- maillog ---\n${postfix!.logTail()}`);
    for (const m of relayed) {
      const fromProxy = removeField(find(proxySink!, m.token)!.content, SMTP_SINK_RECEIVED);
      const fromPostfix = removeField(find(postfixSink!, m.token)!.content, SMTP_SINK_RECEIVED);
      // Postfix's own Received header is the message's first header: sekisho's fields are below it.
      const first = headerNames(fromPostfix)[0];
      if (first !== 'Received') problems.push(`${m.name}: Postfix delivered ${headerNames(fromPostfix).slice(0, 5).join(', ')}…: its Received header is not on top`);
      const withoutPostfix = removeField(fromPostfix, /^Received: from \S+ \(unknown \[127\.0\.0\.1\]\)$/);
      if (withoutPostfix !== fromProxy) problems.push(`${m.name}: delivered bytes differ\n--- proxy\n${fromProxy.slice(0, 1500)}\n--- Postfix\n${withoutPostfix.slice(0, 1500)}`);
    }

    // The fake MTA of the in-process part, on the same content Postfix got, gives what
    // Postfix gave: its model of Postfix holds.
    const mta = await FakeMta.open(milter!.port, 'postfix');
    await mta.greet(MTA_CLIENT);
    for (const m of relayed) {
      const result = await mta.transaction(milterTransaction(sent.get(m.token)!));
      const applied = mtaApplied(result);
      const fromPostfix = removeField(removeField(find(postfixSink!, m.token)!.content, SMTP_SINK_RECEIVED), /^Received: from \S+ \(unknown \[127\.0\.0\.1\]\)$/);
      // smtp-sink ends its dump with one more newline.
      if (!applied || `${lf(applied)}\n` !== fromPostfix) problems.push(`${m.name}: the fake MTA's bytes are not Postfix's\n--- fake\n${applied && lf(applied).slice(0, 1500)}\n--- Postfix\n${fromPostfix.slice(0, 1500)}`);
    }
    await mta.quit();

    expect(problems).toEqual([]);
    expect(relayed).toHaveLength(MESSAGES.length - 2);
    expect(fates.sort()).toEqual([...Array(MESSAGES.length - 2).fill('delivered/accept'), 'quarantined/discard', 'rejected/replycode'].sort());
    expect(postfixSink!.dumps()).toHaveLength(MESSAGES.length - 2);
    expect(proxySink!.dumps()).toHaveLength(MESSAGES.length - 2);
    expect(await postfix!.queue()).toEqual([]);
  });
});
