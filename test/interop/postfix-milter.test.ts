import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { milterSettings } from '../../src/daemon/daemon.js';
import { duration } from '../../src/config/values.js';
import {
  cleanMail,
  milterDaemonConfig,
  oversizedMail,
  phishMail,
  phishSubject,
  proxyReplyFor,
  rejectedPhishMail,
  requireBuild,
  startMilterDaemon,
  TAG_PREFIX,
  zippedMacroMail,
  type MilterDaemon,
} from '../helpers/milter-cases.js';
import { PostfixInstance } from '../helpers/postfix-instance.js';
import { milterSnippet, plainSmtpdService } from '../helpers/postfix-snippets.js';
import { runSwaks, type SwaksResult } from '../helpers/postfix-tools.js';
import { freePorts, run, sleep, waitFor } from '../helpers/processes.js';
import { merge } from '../helpers/proxy-harness.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink, type ReceivedMessage } from '../helpers/test-sink.js';
import { requireTool } from '../helpers/tools.js';

/**
 * sekisho as a milter of a real Postfix, with the exact main.cf and master.cf settings
 * docs/milter.md shows (rendered by test/helpers/postfix-snippets.ts):
 *
 *   swaks → smtpd (smtpd_milters → sekisho serve) → queue → TestSink (relayhost)
 *   sekisho quarantine release → release smtpd (no milters) → queue → TestSink
 *
 * Three daemons: the main.cf smtpd_milters points at a store-mode one; a second public
 * smtpd overrides smtpd_milters with a hold-mode one, a third with one on a unix socket.
 * The sink (a TestSink, Postfix's relayhost) records every byte and the envelope, so
 * "unchanged" means byte for byte.
 */

const DOCS = path.resolve(__dirname, '../../docs/milter.md');
const MAIN = requireBuild();
const CLIENT_HELO = 'client.example';
const RCPT = 'user@example.net';
const ARRIVAL_MS = 20_000;

let workDir: string;
let sink: TestSink | undefined;
let store: MilterDaemon | undefined;
let hold: MilterDaemon | undefined;
let postfix: PostfixInstance | undefined;
/** Public smtpd with main.cf's smtpd_milters (sekisho in store mode). */
let storePort = 0;
/** Public smtpd whose smtpd_milters is the hold-mode sekisho. */
let holdPort = 0;
/** The release re-injection smtpd: the store-mode sekisho's smtp.upstream. */
let releasePort = 0;
/** Public smtpd whose smtpd_milters is a sekisho on a unix socket. */
let socketPort = 0;
let socketDaemon: MilterDaemon | undefined;
let socketDir: string;
let socketPath: string;

/** The ```yaml blocks of docs/milter.md: the sekisho.yaml first, then variants of it. */
function docsYamlBlocks(): Array<Record<string, unknown>> {
  return [...readFileSync(DOCS, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1]!) as Record<string, unknown>);
}

/** The sekisho.yaml docs/milter.md shows (its first ```yaml block). */
function docsYaml(): Record<string, unknown> {
  const [first] = docsYamlBlocks();
  if (!first) throw new Error(`${DOCS} shows no sekisho.yaml block`);
  return first;
}

/**
 * The settings of the documented sekisho.yaml without what a test picks itself: the
 * addresses (milter.listen, smtp.upstream), the quarantine mode and where things are kept.
 */
function documentedSettings(): Record<string, unknown> {
  const doc = structuredClone(docsYaml()) as { milter?: Record<string, unknown>; smtp?: Record<string, unknown> } & Record<string, unknown>;
  delete doc.milter?.['listen'];
  delete doc.milter?.['quarantine'];
  delete doc.smtp?.['upstream'];
  delete doc.smtp?.['max_message_bytes'];
  for (const key of ['quarantine', 'admin', 'log']) delete doc[key];
  return doc;
}

function daemonConfig(mode: 'store' | 'hold'): Record<string, unknown> {
  return merge(merge(milterDaemonConfig(mode), documentedSettings()), { smtp: { upstream: `smtp://127.0.0.1:${releasePort}` } });
}

beforeAll(async () => {
  requireTool('swaks');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-postfix-milter-'));
  [storePort, holdPort, releasePort, socketPort] = (await freePorts(4)) as [number, number, number, number];
  postfix = PostfixInstance.create('milter');
  // docs/milter.md's recipe: a directory in Postfix's queue directory, group postfix with
  // the setgid bit, so that the socket sekisho creates in it gets group postfix too.
  socketDir = path.join(postfix.queueDir, 'sekisho');
  mkdirSync(socketDir);
  chownSync(socketDir, 0, gidOf('postfix'));
  chmodSync(socketDir, 0o2750);
  socketPath = path.join(socketDir, 'milter.sock');
  sink = await TestSink.start();
  [store, hold, socketDaemon] = await Promise.all([
    startMilterDaemon(daemonConfig('store')),
    startMilterDaemon(daemonConfig('hold')),
    startMilterDaemon(merge(daemonConfig('store'), { milter: { listen: `unix:${socketPath}` } })),
  ]);
  const snippet = milterSnippet({ milter: `inet:127.0.0.1:${store.port}`, release: `127.0.0.1:${releasePort}` });
  await postfix.start({
    relayhost: `[127.0.0.1]:${sink.port}`,
    mainCf: snippet.mainCf,
    masterCf: [
      plainSmtpdService(`127.0.0.1:${storePort}`),
      `${plainSmtpdService(`127.0.0.1:${holdPort}`)}\n  -o smtpd_milters=inet:127.0.0.1:${hold.port}`,
      // Relative to the queue directory, where Postfix's daemons run, chrooted or not.
      `${plainSmtpdService(`127.0.0.1:${socketPort}`)}\n  -o smtpd_milters=unix:sekisho/milter.sock`,
      snippet.masterCf,
    ].join('\n'),
    ports: [storePort, holdPort, releasePort, socketPort],
  });
});

afterAll(async () => {
  const errors: unknown[] = [];
  for (const stop of [() => postfix?.stop(), () => store?.stop(), () => hold?.stop(), () => socketDaemon?.stop(), () => sink?.stop()]) {
    try {
      await stop();
    } catch (err) {
      errors.push(err);
    }
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (errors.length > 0) throw errors[0];
});

const token = () => `t${randomBytes(6).toString('hex')}`;

/**
 * A message file for swaks. swaks ends the data with CRLF before its "." whether or not
 * the file's last line has one, so the file goes without it: what arrives is then `bytes`.
 */
function messageFile(name: string, bytes: Buffer): string {
  const file = path.join(workDir, `${name}.eml`);
  const crlf = bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a;
  writeFileSync(file, crlf ? bytes.subarray(0, -2) : bytes);
  return file;
}

async function send(port: number, from: string, message: Buffer, name: string): Promise<SwaksResult> {
  return runSwaks({ port, ehlo: CLIENT_HELO, from, to: [RCPT], dataFile: messageFile(name, message) });
}

/** Postfix's queue id from its "250 2.0.0 Ok: queued as XXXX". */
function queuedAs(result: SwaksResult): string {
  const final = result.replyTo('.');
  expect(final?.code, result.transcript).toBe(250);
  const id = /queued as (\S+)/.exec(final?.reply ?? '')?.[1];
  expect(id, result.transcript).toBeDefined();
  return id!;
}

function arrivals(id: string): ReceivedMessage[] {
  return sink!.messages.filter((m) => m.data.includes(id));
}

async function arrival(id: string): Promise<ReceivedMessage> {
  return waitFor(
    () => arrivals(id)[0],
    ARRIVAL_MS,
    () => `message ${id} did not reach the sink\n--- maillog ---\n${postfix!.logTail()}`,
  );
}

/** sekisho's transaction line for Postfix's queue id (the `i` macro). */
async function transactionOf(daemon: MilterDaemon, queueId: string): Promise<Record<string, unknown>> {
  return waitFor(
    () => daemon.daemon.transactions().find((t) => t['queue_id'] === queueId),
    5000,
    () => `no sekisho transaction line with queue_id ${queueId}:\n${daemon.daemon.transactions().map((t) => JSON.stringify(t)).join('\n')}`,
  );
}

/** Header section and body of a message (CRLF), the header fields with their raw bytes. */
function split(data: Buffer): { fields: string[]; body: Buffer } {
  const end = data.indexOf('\r\n\r\n');
  const head = data.subarray(0, end + 2).toString('latin1');
  const fields: string[] = [];
  for (const line of head.split(/(?<=\r\n)/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += line;
    else if (line) fields.push(line);
  }
  return { fields, body: data.subarray(end + 4) };
}

const nameOf = (field: string) => field.slice(0, field.indexOf(':')).toLowerCase();
const valueOf = (field: string) => field.slice(field.indexOf(':') + 1).replace(/\r\n$/, '').replace(/\r\n[ \t]+/g, ' ').trim();
function header(fields: readonly string[], name: string): string[] {
  return fields.filter((f) => nameOf(f) === name.toLowerCase()).map(valueOf);
}

/** Waits for Postfix's log to show `pattern` (postlogd writes it a moment after the fact). */
async function expectLogged(pattern: string | RegExp): Promise<void> {
  await waitFor(
    () => (typeof pattern === 'string' ? postfix!.log().includes(pattern) : pattern.test(postfix!.log())),
    5000,
    () => `Postfix's log does not show ${String(pattern)}\n--- maillog ---\n${postfix!.logTail()}`,
  );
}

async function queueEntry(queueId: string): Promise<Record<string, unknown> | undefined> {
  return (await postfix!.queue()).find((m) => m['queue_id'] === queueId);
}

/** `sekisho …` stdout as bytes (`quarantine show --raw`). */
function runRaw(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sekisho ${args.join(' ')}: ${err.message}\n${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}

function gidOf(group: string): number {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${group}:`));
  const gid = Number(line?.split(':')[2]);
  if (!line || !Number.isInteger(gid)) throw new Error(`group ${group} not found in /etc/group`);
  return gid;
}

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [MAIN, ...args]);
}

describe('Postfix smtpd_milters → sekisho serve (store mode in main.cf)', () => {
  it('delivers a brand phish tagged (Subject, X-Sekisho-* under Postfix\'s Received), forged verdict gone, every other byte as sent', async () => {
    const t = token();
    // A forged verdict in the middle of the header: Postfix counts header indexes from
    // the first header it showed the milter (its own Received is hidden and skipped).
    const sent = phishMail(t, ['X-Sekisho-Verdict: clean']);
    const result = await send(storePort, 'bounce@mailer.example', sent, `phish-${t}`);
    const queueId = queuedAs(result);
    const message = await arrival(t);
    expect(message.mailFrom).toBe('bounce@mailer.example');
    expect(message.rcptTo).toEqual([RCPT]);

    const got = split(message.data);
    const original = split(sent);
    // Byte for byte: the body, and the headers other than the three that changed.
    expect(got.body.toString('hex')).toBe(original.body.toString('hex'));
    expect(header(got.fields, 'Subject')).toEqual([`${TAG_PREFIX}${phishSubject(t)}`]);
    expect(header(got.fields, 'X-Sekisho-Verdict')).toEqual(['malicious']);
    expect(header(got.fields, 'X-Sekisho-Score')).toEqual(['100']);
    expect(header(got.fields, 'X-Sekisho-Findings')[0]).toContain('brand/display-name=high');
    // The findings header is folded: sekisho sent its lines with a bare LF between them
    // (as Postfix stores multi-line headers), and they went out as CRLF lines, no bare CR
    // or LF anywhere.
    const findings = got.fields.find((f) => nameOf(f) === 'x-sekisho-findings')!;
    expect(findings, findings).toMatch(/\r\n[ \t]\S/);
    for (const f of got.fields) expect(f.replace(/\r\n/g, ''), JSON.stringify(f)).not.toMatch(/[\r\n]/);
    // Order: Postfix's own Received on top, as the next hop's is above the proxy's edits;
    // sekisho asks for 1, 2, 3 (cleanup_milter.c: position 0 would go before Postfix's own
    // Received: header, which it hides from milters), then the message as sent.
    const names = got.fields.map(nameOf);
    expect(names.slice(0, 4)).toEqual(['received', 'x-sekisho-verdict', 'x-sekisho-score', 'x-sekisho-findings']);
    expect(header(got.fields, 'Received')[0]).toContain(` id ${queueId}`);
    const untouched = (fields: string[]) => fields.filter((f) => !['subject', 'received'].includes(nameOf(f)) && !nameOf(f).startsWith('x-sekisho-'));
    expect(untouched(got.fields)).toEqual(untouched(original.fields));

    const tx = await transactionOf(store!, queueId);
    expect(tx).toMatchObject({ ingress: 'milter', action: 'tag', outcome: 'accept', mail_from: 'bounce@mailer.example', rcpt: [RCPT] });
    expect(tx['client']).toMatchObject({ ip: '127.0.0.1', helo: CLIENT_HELO });
  });

  it('delivers clean mail byte for byte as sent, and sekisho saw exactly those bytes (not Postfix\'s own Received)', async () => {
    const t = token();
    // Header values Postfix passes with their spacing (HDR_LEADSPC) and folds (bare LF).
    const sent = cleanMail(t, ['X-No-Space:value', 'X-Two-Spaces:  value', 'X-Folded: first line\r\n\tsecond line\r\n  third line']);
    const queueId = queuedAs(await send(storePort, 'taro@example.com', sent, `clean-${t}`));
    const message = await arrival(t);
    const got = split(message.data);
    expect(got.fields.map(nameOf)[0]).toBe('received');
    expect(Buffer.concat([Buffer.from(got.fields.slice(1).join(''), 'latin1'), Buffer.from('\r\n'), got.body]).toString('hex')).toBe(sent.toString('hex'));
    const tx = await transactionOf(store!, queueId);
    expect(tx).toMatchObject({ verdict: 'clean', outcome: 'accept' });
    // The message sekisho rebuilt from Postfix's header and body events is as long as the
    // one sent: Postfix's own Received header is not shown to milters, spacing and folds
    // came back as they were (the store test compares the bytes themselves).
    expect(tx['size']).toBe(sent.length);
  });

  it("refuses what the policy rejects with the proxy's reply, 550 5.7.1, and queues nothing", async () => {
    const t = token();
    const message = rejectedPhishMail(t);
    const logged = store!.daemon.transactions().length;
    const result = await send(storePort, 'service@paypa1-secure.example', message, `reject-${t}`);
    const final = result.replyTo('.');
    const expected = await proxyReplyFor(daemonConfig('store'), message, 'service@paypa1-secure.example', [RCPT]);
    expect(final?.code, result.transcript).toBe(550);
    expect(final?.reply).toBe(expected);
    // The line is written right after the answer to Postfix: it may trail swaks' exit.
    const tx = await waitFor(
      () => store!.daemon.transactions().slice(logged).find((l) => l['mail_from'] === 'service@paypa1-secure.example'),
      5000,
      () => `no transaction line for the rejected message:\n${store!.daemon.transactions().map((l) => JSON.stringify(l)).join('\n')}`,
    );
    expect(tx).toMatchObject({ action: 'reject', outcome: 'replycode', reply: expected });
    // Postfix had a queue id for it (the `i` macro), logs the reject, and drops the queue file.
    expect(tx['queue_id']).toMatch(/^[0-9A-F]{6,}$/);
    await expectLogged(`${String(tx['queue_id'])}: milter-reject: END-OF-MESSAGE from unknown[127.0.0.1]: ${expected.slice(4)}; from=<service@paypa1-secure.example>`);
    expect(await queueEntry(String(tx['queue_id']))).toBeUndefined();
    await sleep(300);
    expect(arrivals(t)).toEqual([]);
  });

  it('keeps a zipped macro mail in its own store (Postfix discards its copy); a release delivers it once, with the original envelope', async () => {
    const t = token();
    const sent = zippedMacroMail(t);
    const result = await send(storePort, 'billing@example.com', sent, `macro-store-${t}`);
    // The client gets 250: the mail is taken, and held by sekisho.
    const queueId = queuedAs(result);
    const tx = await transactionOf(store!, queueId);
    expect(tx).toMatchObject({ action: 'quarantine', outcome: 'discard', quarantine: 'store' });
    await expectLogged(new RegExp(`${queueId}: milter-discard: END-OF-MESSAGE from `));
    expect(await queueEntry(queueId)).toBeUndefined();

    const id = String(tx['tx']);
    const list = await cli(['quarantine', 'list', '--config', store!.configFile, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const entry = (JSON.parse(list.stdout) as { entries: Array<Record<string, unknown>> }).entries.find((e) => e['id'] === id);
    expect(entry, list.stdout).toMatchObject({ mail_from: 'billing@example.com', rcpt_to: [RCPT], released: false });
    // The stored copy is the message as the client sent it, byte for byte, rebuilt from
    // Postfix's milter events: what the SMTP proxy would have stored.
    const raw = await runRaw(['quarantine', 'show', id, '--raw', '--config', store!.configFile]);
    expect(raw.toString('hex')).toBe(sent.toString('hex'));
    await sleep(300);
    expect(arrivals(t)).toEqual([]);

    const filtered = store!.daemon.transactions().length;
    const release = await cli(['quarantine', 'release', id, '--config', store!.configFile, '--by', 'interop-test']);
    expect(release.code, release.stdout + release.stderr).toBe(0);
    expect(release.stdout).toContain(`released ${id} to ${RCPT}: 250`);
    const message = await arrival(t);
    expect(message.mailFrom).toBe('billing@example.com');
    expect(message.rcptTo).toEqual([RCPT]);
    expect(header(split(message.data).fields, 'X-Sekisho-Released-By').length).toBe(1);
    // The release smtpd has no milters: sekisho did not see the released message again.
    expect(store!.daemon.transactions().length).toBe(filtered);

    const again = await cli(['quarantine', 'release', id, '--config', store!.configFile]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('already released');
    await sleep(500);
    expect(arrivals(t)).toHaveLength(1);
  });

  it('holds a message over smtp.max_message_bytes in the hold queue even in store mode (its bytes were not kept)', async () => {
    const t = token();
    const queueId = queuedAs(await send(storePort, 'taro@example.com', oversizedMail(t), `oversized-${t}`));
    const tx = await transactionOf(store!, queueId);
    expect(tx).toMatchObject({ verdict: 'unscannable', action: 'quarantine', outcome: 'quarantine', quarantine: 'hold' });
    expect((await queueEntry(queueId))?.['queue_name']).toBe('hold');
    const deleted = await run(requireTool('postsuper'), ['-c', postfix!.configDir, '-d', queueId]);
    expect(deleted.code, deleted.stderr).toBe(0);
  });

  it('filters every message of one SMTP session (one milter connection, ABORT between messages)', async () => {
    const tokens = [token(), token(), token()];
    const client = await SmtpTestClient.connect(storePort);
    const queueIds: string[] = [];
    try {
      expect((await client.command(`EHLO ${CLIENT_HELO}`)).code).toBe(250);
      const messages = [cleanMail(tokens[0]!), phishMail(tokens[1]!), cleanMail(tokens[2]!)];
      for (const [i, message] of messages.entries()) {
        // An RSET before the last one: Postfix tells the milter with ABORT too.
        if (i === 2) expect((await client.command('RSET')).code).toBe(250);
        expect((await client.command(`MAIL FROM:<sender${i}@example.com>`)).code).toBe(250);
        expect((await client.command(`RCPT TO:<${RCPT}>`)).code).toBe(250);
        const { final } = await client.data(message);
        expect(final?.code, final?.text).toBe(250);
        queueIds.push(/queued as (\S+)/.exec(final!.text)![1]!);
      }
    } finally {
      await client.quit();
    }
    const [first, phish, last] = await Promise.all(tokens.map(arrival));
    expect(header(split(phish!.data).fields, 'Subject')).toEqual([`${TAG_PREFIX}${phishSubject(tokens[1]!)}`]);
    expect(header(split(first!.data).fields, 'X-Sekisho-Verdict')).toEqual([]);
    expect(header(split(last!.data).fields, 'X-Sekisho-Verdict')).toEqual([]);
    expect(last!.mailFrom).toBe('sender2@example.com');

    const txs = await Promise.all(queueIds.map((id) => transactionOf(store!, id)));
    expect(txs.map((tx) => tx['action'])).toEqual(['pass', 'tag', 'pass']);
    expect(txs.map((tx) => tx['mail_from'])).toEqual(['sender0@example.com', 'sender1@example.com', 'sender2@example.com']);
    // One milter connection for the whole SMTP session.
    expect(new Set(txs.map((tx) => tx['conn'])).size).toBe(1);
  });
});

describe('Postfix smtpd_milters → sekisho serve (milter.quarantine: hold)', () => {
  it('puts a zipped macro mail in the hold queue; postsuper -H and a queue run deliver it, verdict headers on', async () => {
    const t = token();
    const queueId = queuedAs(await send(holdPort, 'billing@example.com', zippedMacroMail(t), `macro-hold-${t}`));
    const tx = await transactionOf(hold!, queueId);
    expect(tx).toMatchObject({ action: 'quarantine', outcome: 'quarantine', quarantine: 'hold' });
    const held = await waitFor(
      async () => (await queueEntry(queueId))?.['queue_name'] === 'hold',
      ARRIVAL_MS,
      () => `${queueId} is not in the hold queue\n--- maillog ---\n${postfix!.logTail()}`,
    );
    expect(held).toBe(true);
    // Postfix drops SMFIR_QUARANTINE's reason text (milter8.c); its log line says only
    // that a milter asked for the hold. sekisho's line with the queue id says why.
    await expectLogged(new RegExp(`${queueId}: milter-hold: END-OF-MESSAGE from .*: milter triggers HOLD action`));
    expect(tx['findings']).toContain('macro/vba');
    await sleep(300);
    expect(arrivals(t)).toEqual([]);

    const release = await run(requireTool('postsuper'), ['-c', postfix!.configDir, '-H', 'ALL']);
    expect(release.code, release.stderr).toBe(0);
    expect(release.stderr).toContain('Released from hold: 1 message');
    const flush = await run(requireTool('postqueue'), ['-c', postfix!.configDir, '-f']);
    expect(flush.code, flush.stderr).toBe(0);
    const message = await arrival(t);
    expect(message.mailFrom).toBe('billing@example.com');
    expect(message.rcptTo).toEqual([RCPT]);
    const fields = split(message.data).fields;
    expect(header(fields, 'X-Sekisho-Verdict')).toEqual(['suspicious']);
    expect(header(fields, 'X-Sekisho-Findings')[0]).toContain('macro/vba=');
  });

  it('with sekisho stopped, Postfix tempfails (milter_default_action = tempfail): the client keeps the message', async () => {
    const holdMilterPort = hold!.port;
    await hold!.stop();
    const t = token();
    const result = await send(holdPort, 'taro@example.com', cleanMail(t), `down-${t}`);
    // Postfix could not connect to the milter when the client connected; it answers the
    // first command of a transaction (MAIL FROM) with 451 4.7.1, as its log says
    // ("milter-reject: MAIL from …: 451 4.7.1 Service unavailable - try again later").
    const mail = result.replyTo('MAIL FROM:');
    expect(mail?.code, result.transcript).toBe(451);
    expect(mail?.reply).toMatch(/^451 4\.7\.1 /);
    expect(result.replyTo('DATA'), result.transcript).toBeUndefined();
    await expectLogged(new RegExp(`warning: connect to Milter service inet:127\\.0\\.0\\.1:${holdMilterPort}: Connection refused`));
    await sleep(300);
    expect(arrivals(t)).toEqual([]);
  });

  it('leaves nothing in the Postfix queue', async () => {
    expect(await postfix!.queue()).toEqual([]);
  });
});

describe('Postfix smtpd_milters = unix:sekisho/milter.sock → sekisho serve (milter.listen: unix:/path)', () => {
  it("filters through a unix socket in the queue directory whose group is postfix, and only then", async () => {
    expect(socketDaemon!.address).toBe(`unix:${socketPath}`);
    // milter.socket_mode's default; the group is the setgid directory's.
    const stat = statSync(socketPath);
    expect(stat.mode & 0o777).toBe(0o660);
    expect(stat.gid).toBe(gidOf('postfix'));
    const t = token();
    const queueId = queuedAs(await send(socketPort, 'bounce@mailer.example', phishMail(t), `socket-${t}`));
    const message = await arrival(t);
    expect(header(split(message.data).fields, 'Subject')).toEqual([`${TAG_PREFIX}${phishSubject(t)}`]);
    expect(await transactionOf(socketDaemon!, queueId)).toMatchObject({ action: 'tag', outcome: 'accept', peer: 'unix' });

    // With any other group smtpd (user postfix) cannot connect. Postfix's daemons keep
    // only the postfix group (set_ugid(): setgroups(1, &gid)), so adding the postfix user
    // to sekisho's group would not help either.
    chownSync(socketPath, 0, 0);
    const refused = await send(socketPort, 'taro@example.com', cleanMail(token()), 'socket-refused');
    expect(refused.replyTo('MAIL FROM:')?.code, refused.transcript).toBe(451);
    await expectLogged('warning: connect to Milter service unix:sekisho/milter.sock: Permission denied');
  });
});

describe('docs/milter.md', () => {
  it('shows exactly the main.cf and master.cf settings these tests run (rendered with the standard ports)', () => {
    const text = readFileSync(DOCS, 'utf8');
    const snippet = milterSnippet();
    expect(text).toContain(snippet.mainCf);
    expect(text).toContain(snippet.masterCf);
  });

  it('shows a sekisho.yaml that is a valid milter-only configuration for the standard ports, and valid variants of it', () => {
    const { config } = validateConfig('docs/milter.md', docsYaml());
    expect(config.milter.listen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8891 });
    expect(config.smtp.listen).toBeUndefined();
    expect(config.smtp.upstream).toMatchObject({ kind: 'smtp', host: '127.0.0.1', port: 10026 });
    expect(config.smtp.upstream_tls.starttls).toBe('never');
    // The unix socket variant, over the main block.
    const [, ...variants] = docsYamlBlocks();
    expect(variants.length).toBeGreaterThan(0);
    for (const variant of variants) expect(() => validateConfig('docs/milter.md', merge(docsYaml(), variant))).not.toThrow();
    const socket = validateConfig('docs/milter.md', merge(docsYaml(), variants[0]!)).config.milter.listen;
    expect(socket).toEqual({ kind: 'unix', path: '/var/spool/postfix/sekisho/milter.sock' });
  });

  it("keeps Postfix's milter_content_timeout above sekisho's own answer deadline", () => {
    const timeout = /^milter_content_timeout = (\S+)$/m.exec(milterSnippet().mainCf)?.[1];
    const loaded = validateConfig('docs/milter.md', docsYaml());
    expect(duration.parse(timeout)).toBeGreaterThan(milterSettings(loaded).answerDeadlineMs);
  });
});
