import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { freePorts, liveProcessesInGroup, run, sleep, waitFor } from '../helpers/processes.js';
import { runSmtpSource, runSwaks, SmtpSink, type SwaksResult } from '../helpers/postfix-tools.js';
import { afterQueueSnippet, beforeQueueSnippet, plainSmtpdService } from '../helpers/postfix-snippets.js';
import { PostfixInstance } from '../helpers/postfix-instance.js';
import { requireTool } from '../helpers/tools.js';
import { startProxy, type RunningProxy } from '../helpers/proxy-harness.js';
import { TestSink, type ReceivedMessage } from '../helpers/test-sink.js';

/**
 * sekisho behind a real Postfix, in both documented modes, with the exact main.cf and
 * master.cf settings docs/postfix.md shows (rendered by test/helpers/postfix-snippets.ts):
 *
 *   before-queue:  swaks → smtpd (smtpd_proxy_filter) → sekisho → after-filter smtpd → queue → sink
 *   after-queue:   swaks → smtpd → queue → scan (smtp) → sekisho → reinjection smtpd → queue → sink
 *
 * The sink (a TestSink) is Postfix's relayhost. XFORWARD is checked where it shows: the
 * smtpd behind sekisho heard EHLO from sekisho (its Received header says so), yet it
 * stores the original client sekisho forwarded as the message's client, and Postfix's
 * SMTP client passes that on to the sink in its own XFORWARD (HELO, ADDR, IDENT).
 * (Postfix writes Received from the EHLO it heard itself; XFORWARD feeds logs, the
 * queue file's client attributes, and the next XFORWARD.)
 */

const DOCS = path.resolve(__dirname, '../../docs/postfix.md');
const CLIENT_HELO = 'original-client.example';
const SEKISHO_NAME = 'sekisho.test'; // smtp.hostname in test/helpers/proxy-harness.ts
const ARRIVAL_MS = 30_000;

let workDir: string;

beforeAll(() => {
  requireTool('swaks');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-postfix-filter-'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The ```yaml blocks of docs/postfix.md. */
function docsYamlBlocks(): string[] {
  return [...readFileSync(DOCS, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/**
 * The `smtp` settings of the sekisho.yaml docs/postfix.md shows, without the two addresses
 * a test picks itself (listen, upstream): the proxies under test run with them.
 */
function documentedSmtpSettings(): Record<string, unknown> {
  const [block] = docsYamlBlocks();
  if (block === undefined) throw new Error(`${DOCS} has no sekisho.yaml block`);
  const smtp = { ...((YAML.parse(block) as { smtp: Record<string, unknown> }).smtp ?? {}) };
  delete smtp['listen'];
  delete smtp['upstream'];
  return smtp;
}

/** A message file for swaks: CRLF lines, a unique token in the Message-ID and subject. */
function messageFile(token: string, to: string, body: Buffer): string {
  const head = [
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    'From: <sender@example.com>',
    `To: <${to}>`,
    `Message-ID: <${token}@example.com>`,
    `Subject: interop ${token}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=Shift_JIS',
    'Content-Transfer-Encoding: 8bit',
  ].join('\r\n');
  const file = path.join(workDir, `${token}.eml`);
  writeFileSync(file, Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]));
  return file;
}

const token = () => `t${randomBytes(8).toString('hex')}`;

/** Header section of a received message, unfolded, as [name, value] pairs in order. */
function headers(message: ReceivedMessage): Array<[string, string]> {
  const text = message.data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const unfolded = text.slice(0, end).replace(/\r\n[ \t]+/g, ' ');
  return unfolded.split('\r\n').map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
}

function received(message: ReceivedMessage): string[] {
  return headers(message)
    .filter(([name]) => name.toLowerCase() === 'received')
    .map(([, value]) => value);
}

function body(message: ReceivedMessage): Buffer {
  const end = message.data.indexOf('\r\n\r\n');
  return message.data.subarray(end + 4);
}

async function arrival(sink: TestSink, postfix: PostfixInstance, id: string): Promise<ReceivedMessage> {
  return waitFor(
    () => sink.messages.find((m) => m.data.includes(id)),
    ARRIVAL_MS,
    () => `message ${id} did not reach the sink\n--- maillog ---\n${postfix.logTail()}`,
  );
}

function expectSent(result: SwaksResult): void {
  const final = result.replyTo('.');
  expect(final?.code, result.transcript).toBe(250);
}

/** The queue ID in Postfix's "250 2.0.0 Ok: queued as XXXX". */
function queueIdOf(result: SwaksResult): string {
  const id = /queued as (\S+)/.exec(result.replyTo('.')?.reply ?? '')?.[1];
  expect(id, result.transcript).toBeDefined();
  return id!;
}

/** Runs every stop even when one throws; rethrows the first error. */
async function stopAll(stops: Array<() => Promise<void> | undefined>): Promise<void> {
  const errors: unknown[] = [];
  for (const stop of stops) {
    try {
      await stop();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** Matches a Received header's "from HELO (" clause. */
function heloIs(helo: string): RegExp {
  return new RegExp(`^from ${helo.replace(/\./g, '\\.')} \\(`);
}

/** The attributes of the XFORWARD commands Postfix sent to the sink with this message. */
function xforwardOf(message: ReceivedMessage): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const line of message.xforward) {
    for (const pair of line.split(/\s+/).slice(1)) {
      const eq = pair.indexOf('=');
      attrs.set(pair.slice(0, eq).toUpperCase(), pair.slice(eq + 1));
    }
  }
  return attrs;
}

/**
 * Sends a body with dot-lines, Shift_JIS, Latin-1 and invalid UTF-8 bytes through Postfix
 * and sekisho with swaks, and compares the body that arrives byte for byte.
 */
async function expectBodyUnchanged(port: number, sink: TestSink, postfix: PostfixInstance): Promise<void> {
  const id = token();
  const content = Buffer.concat([
    Buffer.from('first line\r\n.\r\n..\r\n...three leading dots\r\n. dot and space\r\n'),
    // Shift_JIS "あ日本", Latin-1 "é", and bytes that are not valid UTF-8.
    Buffer.from([0x82, 0xa0, 0x93, 0xfa, 0x96, 0x7b, 0x20, 0xe9, 0x20, 0xff, 0xfe, 0x80, 0x0d, 0x0a]),
    Buffer.from('.\r\n.\r\n'),
    Buffer.from('end.'),
  ]);
  const result = await runSwaks({
    port,
    ehlo: CLIENT_HELO,
    from: 'sender@example.com',
    to: ['someone@example.net'],
    dataFile: messageFile(id, 'someone@example.net', content),
  });
  expectSent(result);
  const message = await arrival(sink, postfix, id);
  // swaks ends the last line with CRLF before its ".".
  const expected = Buffer.concat([content, Buffer.from('\r\n')]);
  expect(body(message).toString('hex')).toBe(expected.toString('hex'));
}

/** sekisho's latest transaction log line (it is written before sekisho's final reply). */
function lastTransaction(proxy: RunningProxy): Record<string, unknown> | undefined {
  return proxy.logs.transactions().at(-1);
}

describe('before-queue: smtpd_proxy_filter → sekisho → after-filter smtpd', () => {
  let sink: TestSink | undefined;
  let proxy: RunningProxy | undefined;
  let postfix: PostfixInstance | undefined;
  let publicPort = 0;
  // A second public smtpd in front of a sekisho with the default upstream_tls.
  let defaultTlsPublicPort = 0;
  let defaultTlsProxy: RunningProxy | undefined;

  beforeAll(async () => {
    sink = await TestSink.start();
    const [pub, afterFilter, defaultTlsPub] = await freePorts(3);
    publicPort = pub!;
    defaultTlsPublicPort = defaultTlsPub!;
    proxy = await startProxy(`smtp://127.0.0.1:${afterFilter}`, { smtp: documentedSmtpSettings() });
    defaultTlsProxy = await startProxy(`smtp://127.0.0.1:${afterFilter}`);
    postfix = PostfixInstance.create('before-queue');
    // The after-filter smtpd refuses one recipient at RCPT and one sender at end of data:
    // replies that only it can give, so the client seeing them proves they came through.
    const recipients = postfix.writeConfigFile('after-filter-recipients', 'rejected@example.net 550 5.1.1 no such user here (after-filter)\n');
    const senders = postfix.writeConfigFile('after-filter-senders', 'refused-at-dot@example.com 554 5.7.1 refused at end of data (after-filter)\n');
    const snippet = beforeQueueSnippet({
      publicService: `127.0.0.1:${publicPort}`,
      filter: `127.0.0.1:${proxy.port}`,
      afterFilter: `127.0.0.1:${afterFilter}`,
      afterFilterRecipientRestrictions: `check_recipient_access,texthash:${recipients},permit_mynetworks,reject`,
      afterFilterExtraOptions: [`smtpd_end_of_data_restrictions=check_sender_access,texthash:${senders}`],
    });
    const defaultTlsSmtpd = `${plainSmtpdService(`127.0.0.1:${defaultTlsPublicPort}`)}\n  -o smtpd_proxy_filter=127.0.0.1:${defaultTlsProxy.port}`;
    await postfix.start({
      relayhost: `[127.0.0.1]:${sink.port}`,
      mainCf: snippet.mainCf,
      masterCf: `${snippet.masterCf}\n${defaultTlsSmtpd}`,
      ports: [publicPort, afterFilter!, defaultTlsPublicPort],
    });
  });

  afterAll(async () => {
    await stopAll([() => postfix?.stop(), () => proxy?.stop(), () => defaultTlsProxy?.stop(), () => sink?.stop()]);
  });

  it('delivers, and the original client survives the hop through sekisho (XFORWARD)', async () => {
    const id = token();
    const result = await runSwaks({
      port: publicPort,
      ehlo: CLIENT_HELO,
      from: 'sender@example.com',
      to: ['accepted@example.net'],
      dataFile: messageFile(id, 'accepted@example.net', Buffer.from('hello through the proxy filter\r\n')),
    });
    expect(result.code, result.transcript).toBe(0);
    expectSent(result);
    // The client's final reply is the after-filter smtpd's own, passed through twice.
    const queueId = queueIdOf(result);

    const message = await arrival(sink!, postfix!, id);
    expect(message.rcptTo).toEqual(['accepted@example.net']);
    const hops = received(message);
    expect(hops, hops.join('\n')).toHaveLength(2);
    // Top: the after-filter smtpd, which queued the message (its queue ID) and whose
    // peer really was sekisho: Postfix writes Received from the EHLO it heard.
    expect(hops[0]).toContain(` id ${queueId} `);
    expect(hops[0]).toMatch(heloIs(SEKISHO_NAME));
    // Below: the public smtpd's, sent to sekisho with the message.
    expect(hops[1]).toMatch(heloIs(CLIENT_HELO));

    // XFORWARD: the after-filter smtpd stored the client sekisho forwarded (not its own
    // peer) as the message's client, and Postfix passes that on to its next hop.
    expect(postfix!.log()).toMatch(new RegExp(`${queueId}: client=\\S+, orig_client=`));
    const forwarded = xforwardOf(message);
    expect(forwarded.get('HELO'), message.xforward.join('\n')).toBe(CLIENT_HELO);
    expect(forwarded.get('ADDR')).toBe('127.0.0.1');
    expect(forwarded.get('PROTO')).toBe('ESMTP');

    const tx = lastTransaction(proxy!);
    expect(tx?.['outcome']).toBe('delivered');
    expect((tx?.['client'] as Record<string, unknown>)['helo']).toBe(CLIENT_HELO);
    expect((tx?.['client'] as Record<string, unknown>)['ip']).toBe('127.0.0.1');
  });

  it("passes the after-filter smtpd's per-recipient 5xx to the client live, and delivers to the other recipient", async () => {
    const id = token();
    const result = await runSwaks({
      port: publicPort,
      ehlo: CLIENT_HELO,
      from: 'sender@example.com',
      to: ['accepted@example.net', 'rejected@example.net'],
      dataFile: messageFile(id, 'accepted@example.net', Buffer.from('one of two recipients\r\n')),
    });
    const accepted = result.replyTo('RCPT TO:<accepted@example.net>');
    const rejected = result.replyTo('RCPT TO:<rejected@example.net>');
    expect(accepted?.code, result.transcript).toBe(250);
    expect(rejected?.code, result.transcript).toBe(550);
    // The text the after-filter's access map wrote, so the reply came from behind sekisho.
    expect(rejected?.reply).toContain('5.1.1');
    expect(rejected?.reply).toContain('no such user here (after-filter)');
    expectSent(result);

    const message = await arrival(sink!, postfix!, id);
    expect(message.rcptTo).toEqual(['accepted@example.net']);

    const tx = lastTransaction(proxy!);
    expect(tx?.['outcome']).toBe('delivered');
    const rcpt = tx?.['rcpt'] as Array<{ to: string; reply: string }>;
    expect(rcpt.map((r) => r.to)).toEqual(['accepted@example.net', 'rejected@example.net']);
    expect(rcpt[1]?.reply).toMatch(/^550 5\.1\.1 /);
  });

  it("passes the after-filter smtpd's reply to the end of data to the client, and nothing is delivered", async () => {
    const id = token();
    const delivered = sink!.messages.length;
    const result = await runSwaks({
      port: publicPort,
      ehlo: CLIENT_HELO,
      from: 'refused-at-dot@example.com',
      to: ['accepted@example.net'],
      dataFile: messageFile(id, 'accepted@example.net', Buffer.from('refused after the whole message was sent\r\n')),
    });
    const final = result.replyTo('.');
    expect(final?.code, result.transcript).toBe(554);
    expect(final?.reply).toContain('refused at end of data (after-filter)');

    const tx = lastTransaction(proxy!);
    expect(tx?.['outcome']).toBe('rejected');
    expect(String(tx?.['reply'])).toMatch(/^554 5\.7\.1 /);
    // Give a wrongly queued message time to reach the sink before saying it did not.
    await sleep(500);
    expect(sink!.messages.length).toBe(delivered);
    expect(sink!.messages.some((m) => m.data.includes(id))).toBe(false);
  });

  it('delivers a body with dot-lines and 8-bit bytes unchanged', async () => {
    await expectBodyUnchanged(publicPort, sink!, postfix!);
  });

  it("with sekisho's default upstream_tls, an after-filter smtpd that offers STARTTLS with a self-signed certificate gets nothing (docs: use starttls: never)", async () => {
    const result = await runSwaks({ port: defaultTlsPublicPort, ehlo: CLIENT_HELO, from: 'sender@example.com', to: ['accepted@example.net'] });
    // Postfix connects to sekisho after accepting RCPT itself, so sekisho's reply to MAIL
    // is what the client hears for its RCPT.
    const rcpt = result.replyTo('RCPT TO:');
    expect(rcpt?.code, result.transcript).toBe(451);
    expect(rcpt?.reply).toContain('4.7.5 TLS with the next hop failed');
    const tx = lastTransaction(defaultTlsProxy!);
    expect(tx?.['outcome']).toBe('tempfailed');
    expect(String(tx?.['next_hop_error'])).toMatch(/^tls: /);
  });

  it('leaves nothing in the Postfix queue', async () => {
    expect(await postfix!.queue()).toEqual([]);
  });
});

describe('after-queue: content_filter → scan → sekisho → reinjection smtpd', () => {
  let sink: TestSink | undefined;
  let proxy: RunningProxy | undefined;
  let postfix: PostfixInstance | undefined;
  let publicPort = 0;
  // A second public smtpd whose mail goes to a second sekisho, whose next hop is down.
  let downPublicPort = 0;
  let downProxy: RunningProxy | undefined;
  let downHopPort = 0;

  beforeAll(async () => {
    sink = await TestSink.start();
    const [pub, reinject, downPub, downHop] = await freePorts(4);
    publicPort = pub!;
    downPublicPort = downPub!;
    downHopPort = downHop!;
    proxy = await startProxy(`smtp://127.0.0.1:${reinject}`, { smtp: documentedSmtpSettings() });
    downProxy = await startProxy(`smtp://127.0.0.1:${downHopPort}`, { smtp: documentedSmtpSettings() });
    postfix = PostfixInstance.create('after-queue');
    const snippet = afterQueueSnippet({ filter: `[127.0.0.1]:${proxy.port}`, reinject: `127.0.0.1:${reinject}` });
    const downSmtpd = `${plainSmtpdService(`127.0.0.1:${downPublicPort}`)}\n  -o content_filter=scan:[127.0.0.1]:${downProxy.port}`;
    await postfix.start({
      relayhost: `[127.0.0.1]:${sink.port}`,
      mainCf: snippet.mainCf,
      masterCf: [plainSmtpdService(`127.0.0.1:${publicPort}`), downSmtpd, snippet.masterCf].join('\n'),
      ports: [publicPort, downPublicPort, reinject!],
    });
  });

  afterAll(async () => {
    await stopAll([() => postfix?.stop(), () => proxy?.stop(), () => downProxy?.stop(), () => sink?.stop()]);
  });

  it('delivers, and the original client survives the hop through sekisho (XFORWARD from scan)', async () => {
    const id = token();
    const result = await runSwaks({
      port: publicPort,
      ehlo: CLIENT_HELO,
      from: 'sender@example.com',
      to: ['someone@example.net'],
      dataFile: messageFile(id, 'someone@example.net', Buffer.from('hello through the content filter\r\n')),
    });
    expect(result.code, result.transcript).toBe(0);
    expectSent(result);
    // The queue ID before the filter; the reinjection smtpd gives the message a new one.
    const firstQueueId = queueIdOf(result);

    const message = await arrival(sink!, postfix!, id);
    expect(message.rcptTo).toEqual(['someone@example.net']);
    const hops = received(message);
    expect(hops, hops.join('\n')).toHaveLength(2);
    // Top: the reinjection smtpd, whose peer was sekisho; below: the public smtpd.
    expect(hops[0]).toMatch(heloIs(SEKISHO_NAME));
    expect(hops[0]).not.toContain(` id ${firstQueueId} `);
    expect(hops[1]).toMatch(heloIs(CLIENT_HELO));
    expect(hops[1]).toContain(` id ${firstQueueId} `);

    // scan → sekisho → reinjection carried the client and the original queue ID (IDENT).
    const forwarded = xforwardOf(message);
    expect(forwarded.get('HELO'), message.xforward.join('\n')).toBe(CLIENT_HELO);
    expect(forwarded.get('IDENT')).toBe(firstQueueId);
    expect(forwarded.get('ADDR')).toBe('127.0.0.1');

    // sekisho's peer was Postfix's scan transport; XFORWARD told it who the client was.
    const tx = lastTransaction(proxy!);
    expect(tx?.['outcome']).toBe('delivered');
    expect((tx?.['client'] as Record<string, unknown>)['helo']).toBe(CLIENT_HELO);
  });

  it('delivers a body with dot-lines and 8-bit bytes unchanged', async () => {
    await expectBodyUnchanged(publicPort, sink!, postfix!);
  });

  it('delivers 100 messages from smtp-source through the queue, all of them', async () => {
    const before = sink!.messages.length;
    const logged = proxy!.logs.transactions().length;
    await runSmtpSource({ port: publicPort, messages: 100, sessions: 5, from: 'bulk@example.com', to: 'bulk@example.net', length: 1024, heloName: 'bulk-client.example' });
    await waitFor(
      () => sink!.messages.length - before >= 100,
      ARRIVAL_MS,
      () => `${sink!.messages.length - before} of 100 arrived\n--- maillog ---\n${postfix!.logTail()}`,
    );
    expect(sink!.messages.length - before).toBe(100);
    const txs = proxy!.logs.transactions().slice(logged);
    expect(txs.filter((t) => t['outcome'] === 'delivered')).toHaveLength(100);
    expect(txs).toHaveLength(100);
  });

  it("keeps the message queued while sekisho's next hop is down (sekisho's 451), and delivers it on retry", async () => {
    const id = token();
    const result = await runSwaks({
      port: downPublicPort,
      ehlo: CLIENT_HELO,
      from: 'sender@example.com',
      to: ['retry@example.net'],
      dataFile: messageFile(id, 'retry@example.net', Buffer.from('deferred, then delivered\r\n')),
    });
    expectSent(result);
    const queueId = queueIdOf(result);

    // The scan transport gets sekisho's 4xx and Postfix defers: the message stays queued.
    const deferred = await waitFor(
      async () => (await postfix!.queue()).find((m) => m['queue_id'] === queueId && m['queue_name'] === 'deferred'),
      ARRIVAL_MS,
      () => `message ${queueId} was not deferred\n--- maillog ---\n${postfix!.logTail()}`,
    );
    const reasons = (deferred['recipients'] as Array<Record<string, unknown>>).map((r) => String(r['delay_reason']));
    expect(reasons.join('\n')).toContain('451 4.4.1 Next hop not available');
    const tx = lastTransaction(downProxy!);
    expect(tx?.['outcome']).toBe('tempfailed');

    // The next hop comes back (smtp-sink standing in for the reinjection smtpd); a queue
    // run retries, and the same message arrives.
    const hop = await SmtpSink.start({ dump: true, port: downHopPort });
    try {
      const flush = await run(requireTool('postqueue'), ['-c', postfix!.configDir, '-f']);
      expect(flush.code, flush.stderr).toBe(0);
      const message = await waitFor(
        () => hop.dumps().find((d) => d.content.includes(id)),
        ARRIVAL_MS,
        () => `message ${queueId} was not delivered on retry\n--- maillog ---\n${postfix!.logTail()}`,
      );
      // Postfix's scan sends ORCPT (sekisho offers DSN), and sekisho passes it on.
      expect(message.rcptArgs).toEqual(['<retry@example.net> ORCPT=rfc822;retry@example.net']);
      expect(lastTransaction(downProxy!)?.['outcome']).toBe('delivered');
    } finally {
      await hop.stop();
    }
  });

  it('leaves nothing in the Postfix queue', async () => {
    expect(await postfix!.queue()).toEqual([]);
  });
});

describe('docs/postfix.md', () => {
  const docs = () => readFileSync(DOCS, 'utf8');

  it('shows exactly the main.cf and master.cf settings these tests run (rendered with the standard ports)', () => {
    const text = docs();
    for (const snippet of [beforeQueueSnippet(), afterQueueSnippet()]) {
      expect(text).toContain(snippet.mainCf);
      expect(text).toContain(snippet.masterCf);
    }
  });

  it('shows one sekisho.yaml, a valid configuration for the standard ports', () => {
    const blocks = docsYamlBlocks();
    expect(blocks).toHaveLength(1);
    const { config } = validateConfig('docs/postfix.md', YAML.parse(blocks[0]!));
    expect(config.smtp.listen).toMatchObject({ host: '127.0.0.1', port: 10025 });
    expect(config.smtp.upstream).toMatchObject({ kind: 'smtp', host: '127.0.0.1', port: 10026 });
    expect(config.smtp.upstream_tls.starttls).toBe('never');
    // sekisho's wait for "." stays under Postfix's smtpd_proxy_timeout (100s).
    expect(config.smtp.timeouts.upstream_data).toBeLessThan(100_000);
  });
});

describe('PostfixInstance teardown', () => {
  it('stops master and every daemon it started, and removes its directory', async () => {
    const [port] = await freePorts(1);
    const postfix = PostfixInstance.create('teardown');
    try {
      await postfix.start({ relayhost: '[127.0.0.1]:9', masterCf: plainSmtpdService(`127.0.0.1:${port}`), ports: [port!] });
      // Make master start an smtpd child too.
      await runSwaks({ port: port!, ehlo: CLIENT_HELO, from: 'a@example.com', to: ['b@example.net'], extraArgs: ['--quit-after', 'EHLO'] });
      const pid = postfix.masterPid!;
      expect(liveProcessesInGroup(pid).length).toBeGreaterThan(1);
      await postfix.stop();
      expect(liveProcessesInGroup(pid)).toEqual([]);
      expect(existsSync(postfix.dir)).toBe(false);
    } finally {
      await postfix.stop();
    }
  });
});
