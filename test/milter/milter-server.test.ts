import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { milterSettings, startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import type { InspectionOutcome, Inspector } from '../../src/filter/inspector.js';
import { createLogger } from '../../src/log/logger.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { decodeReply, encodeCommand, FrameReader, type MilterCommand, type MilterReply } from '../../src/milter/milter-codec.js';
import * as C from '../../src/milter/milter-constants.js';
import { MilterServer } from '../../src/milter/milter-server.js';
import { InflightBytes } from '../../src/message/inflight-bytes.js';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { LogCapture, merge } from '../helpers/proxy-harness.js';
import { prng } from '../helpers/prng.js';

/**
 * The milter ingress over real sockets, spoken to as Postfix speaks (milter8.c): option
 * negotiation, connection events, messages, end of body, and everything a broken or
 * hostile peer can send instead.
 */

const SAMPLES = path.resolve(__dirname, '../../samples');
const sample = (name: string) => readFileSync(path.join(SAMPLES, name));

/** What Postfix 3.x offers: every action and every protocol flag of version 6. */
const POSTFIX_OFFER: MilterCommand = { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Running {
  readonly daemon: Daemon;
  readonly port: number;
  readonly logs: LogCapture;
  readonly metrics: Metrics;
  readonly quarantineDir: string;
}

async function startMilter(extra: Record<string, unknown> = {}): Promise<Running> {
  const quarantineDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-mq-'));
  const loaded = validateConfig(
    'test.yaml',
    merge({ smtp: { upstream: 'outbox:/tmp/sekisho-milter-outbox' }, milter: { listen: '127.0.0.1:0' }, quarantine: { dir: quarantineDir }, inspect: { threads: 0 }, log: { level: 'info' } }, extra),
  );
  const logs = new LogCapture();
  const metrics = new Metrics('test', { processMetrics: false });
  const daemon = await startDaemon(loaded, createLogger('info', logs), { admin: false, metrics });
  cleanups.push(async () => {
    await daemon.drain();
    rmSync(quarantineDir, { recursive: true, force: true });
  });
  return { daemon, port: daemon.milterAddress?.port ?? 0, logs, metrics, quarantineDir };
}

/** An MTA's end of one milter connection: send commands, read the replies they get. */
class Mta {
  private readonly reader = new FrameReader(1 << 20);
  private readonly replies: MilterReply[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) this.replies.push(decodeReply(f));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(target: number | string): Promise<Mta> {
    const socket = typeof target === 'number' ? net.connect(target, '127.0.0.1') : net.connect(target);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const mta = new Mta(socket);
    cleanups.push(() => void socket.destroy());
    return mta;
  }

  send(...commands: MilterCommand[]): void {
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
  }

  /** The next `n` replies (waits up to 10 s). */
  async take(n = 1): Promise<MilterReply[]> {
    const deadline = Date.now() + 10_000;
    while (this.replies.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.replies.length} of ${n} replies`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} replies, have ${JSON.stringify(this.replies)}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.replies.splice(0, n);
  }

  /**
   * Replies up to and including the end-of-message verdict. The CONTINUEs before it answer
   * the events that get one (DATA, EOH); sekisho never ends a message with CONTINUE.
   */
  async endOfMessage(): Promise<MilterReply[]> {
    const out: MilterReply[] = [];
    for (;;) {
      const [r] = await this.take(1);
      if (r!.kind === 'continue') continue;
      out.push(r!);
      if (['accept', 'discard', 'reject', 'tempfail', 'replycode'].includes(r!.kind)) return out;
    }
  }

  async waitClosed(ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  get pending(): readonly MilterReply[] {
    return this.replies;
  }
}

/** Header events as Postfix sends them with HDR_LEADSPC: value as after the colon, folds joined by "\n". */
function headerCommands(message: Buffer, leadingSpace = true): { headers: MilterCommand[]; body: Buffer } {
  const end = message.indexOf('\r\n\r\n');
  const block = message.subarray(0, end + 2).toString('latin1');
  const body = message.subarray(end + 4);
  const fields = block.split(/\r\n(?![ \t])/).filter((f) => f !== '');
  const headers = fields.map((f): MilterCommand => {
    const colon = f.indexOf(':');
    let value = f.slice(colon + 1).replace(/\r\n/g, '\n');
    if (!leadingSpace && value.startsWith(' ')) value = value.slice(1);
    return { kind: 'header', name: f.slice(0, colon), value: Buffer.from(value, 'latin1') };
  });
  return { headers, body };
}

/** One whole message the way Postfix sends it, macros included. */
function messageCommands(message: Buffer, opts: { from?: string; rcpts?: string[]; queueId?: string; leadingSpace?: boolean } = {}): MilterCommand[] {
  const { headers, body } = headerCommands(message, opts.leadingSpace ?? true);
  const chunks: MilterCommand[] = [];
  for (let i = 0; i < body.length; i += C.MILTER_CHUNK_SIZE) chunks.push({ kind: 'body', chunk: body.subarray(i, i + C.MILTER_CHUNK_SIZE) });
  const from = opts.from ?? 'sender@partner.example';
  return [
    { kind: 'macro', stage: C.SMFIC_MAIL, macros: [['{mail_addr}', from]] },
    { kind: 'mail', args: [`<${from}>`, 'BODY=8BITMIME', 'RET=HDRS', 'ENVID=abc+2Bdef'] },
    ...(opts.rcpts ?? ['user@example.net']).flatMap((r): MilterCommand[] => [
      { kind: 'macro', stage: C.SMFIC_RCPT, macros: [['{rcpt_addr}', r]] },
      { kind: 'rcpt', args: [`<${r}>`, 'NOTIFY=SUCCESS,FAILURE', `ORCPT=rfc822;${r}`] },
    ]),
    { kind: 'macro', stage: C.SMFIC_HEADER, macros: [['i', opts.queueId ?? '4ABC123']] },
    ...headers,
    { kind: 'eoh' },
    ...chunks,
    { kind: 'macro', stage: C.SMFIC_BODYEOB, macros: [['i', opts.queueId ?? '4ABC123']] },
    { kind: 'eob', chunk: Buffer.alloc(0) },
  ];
}

const CONNECT: MilterCommand[] = [
  { kind: 'macro', stage: C.SMFIC_CONNECT, macros: [['j', 'mx.example.jp'], ['{client_addr}', '203.0.113.9'], ['{client_name}', 'mail.partner.example']] },
  { kind: 'connect', hostname: 'mail.partner.example', family: C.SMFIA_INET, port: 40000, address: '203.0.113.9' },
  { kind: 'helo', name: 'mail.partner.example' },
];

async function negotiated(port: number | string, offer: MilterCommand = POSTFIX_OFFER): Promise<{ mta: Mta; reply: MilterReply }> {
  const mta = await Mta.connect(port);
  mta.send(offer);
  const [reply] = await mta.take(1);
  return { mta, reply: reply! };
}

describe('milter: option negotiation', () => {
  it("asks Postfix's full offer only for what it uses: header edits and quarantine, replies only to DATA and EOH before end of body, the leading space, its macros", async () => {
    const m = await startMilter();
    const { reply } = await negotiated(m.port);
    expect(reply).toEqual({
      kind: 'optneg',
      version: 6,
      actions: C.SMFIF_ADDHDRS | C.SMFIF_CHGHDRS | C.SMFIF_QUARANTINE | C.SMFIF_SETSYMLIST,
      protocol:
        // DATA and EOH are answered (Nagle on the MTA's side, milter-session.ts), the rest not.
        C.SMFIP_NR_CONN | C.SMFIP_NR_HELO | C.SMFIP_NR_MAIL | C.SMFIP_NR_RCPT | C.SMFIP_NR_UNKN | C.SMFIP_NR_HDR | C.SMFIP_NR_BODY | C.SMFIP_NOUNKNOWN | C.SMFIP_HDR_LEADSPC,
      macros: [
        [C.SMFIM_CONNECT, 'j {client_addr} {client_name}'],
        [C.SMFIM_ENVFROM, '{mail_addr} {auth_authen}'],
        [C.SMFIM_ENVRCPT, '{rcpt_addr}'],
        [C.SMFIM_EOH, 'i'],
        [C.SMFIM_EOM, 'i'],
      ],
    });
  });

  it('with an MTA that offers no no-reply flags (an older MTA), every event gets its CONTINUE and nothing is asked beyond the offer', async () => {
    const m = await startMilter();
    const { mta, reply } = await negotiated(m.port, { kind: 'optneg', version: 6, actions: C.SMFIF_ADDHDRS, protocol: 0 });
    expect(reply).toMatchObject({ kind: 'optneg', version: 6, actions: C.SMFIF_ADDHDRS, protocol: 0 });
    const commands = [...CONNECT, ...messageCommands(sample('01-clean-japanese.eml'), { leadingSpace: false })];
    mta.send(...commands);
    const expected = commands.filter((c) => !['macro', 'eob'].includes(c.kind)).length;
    const replies = await mta.take(expected + 1);
    expect(replies.slice(0, expected).every((r) => r.kind === 'continue')).toBe(true);
    expect(replies[expected]).toEqual({ kind: 'accept' });
  });

  it('speaks an older protocol version to an MTA that offers one, without macro lists', async () => {
    const m = await startMilter();
    const { reply } = await negotiated(m.port, { kind: 'optneg', version: 2, actions: 0x3f, protocol: 0x7f });
    expect(reply).toEqual({ kind: 'optneg', version: 2, actions: C.SMFIF_ADDHDRS | C.SMFIF_CHGHDRS | C.SMFIF_QUARANTINE, protocol: 0, macros: [] });
  });
});

describe('milter: messages and their answers', () => {
  it('clean mail: ACCEPT and no modification; the log line carries the queue id and ingress=milter', async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    mta.send(...CONNECT, ...messageCommands(sample('01-clean-japanese.eml'), { queueId: '4XyZ9kQ1' }));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'accept' }]);
    const tx = m.logs.transactions().at(-1);
    expect(tx).toMatchObject({ ingress: 'milter', queue_id: '4XyZ9kQ1', verdict: 'clean', action: 'pass', outcome: 'accept', mail_from: 'sender@partner.example', rcpt: ['user@example.net'] });
    expect(tx?.['client']).toEqual({ ip: '203.0.113.9', name: 'mail.partner.example', helo: 'mail.partner.example' });
    const metrics = await m.metrics.registry.metrics();
    expect(metrics).toContain('sekisho_messages_total{ingress="milter",verdict="clean",action="pass"} 1');
    expect(metrics).toContain('sekisho_milter_replies_total{reply="accept"} 1');
  });

  it('brand impersonation that the policy tags: verdict headers inserted under the MTA\'s Received, Subject changed, with their own leading space', async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    mta.send(...CONNECT, ...messageCommands(sample('06-display-name-only.eml')));
    const replies = await mta.endOfMessage();
    expect(replies.at(-1)).toEqual({ kind: 'accept' });
    const inserted = replies.filter((r) => r.kind === 'insheader');
    // 1, 2, 3: under the MTA's own Received (Postfix hides it from milters but counts it for inserts).
    expect(inserted.map((r) => r.kind === 'insheader' && [r.index, r.name])).toEqual([
      [1, 'X-Sekisho-Verdict'],
      [2, 'X-Sekisho-Score'],
      [3, 'X-Sekisho-Findings'],
    ]);
    expect(inserted[0]).toMatchObject({ value: ' suspicious' });
    const subject = replies.find((r) => r.kind === 'chgheader');
    expect(subject).toMatchObject({ kind: 'chgheader', index: 1, name: 'Subject' });
    if (subject?.kind !== 'chgheader') throw new Error('no Subject change');
    expect(subject.value.startsWith(' ')).toBe(true);
    expect(subject.value).not.toContain('\r');
  });

  it('without HDR_LEADSPC the values go without the space (Postfix puts one after the colon itself)', async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port, { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0xfffff });
    mta.send(...CONNECT, ...messageCommands(sample('06-display-name-only.eml'), { leadingSpace: false }));
    const replies = await mta.endOfMessage();
    expect(replies.find((r) => r.kind === 'insheader')).toMatchObject({ name: 'X-Sekisho-Verdict', value: 'suspicious' });
  });

  it('forged X-Sekisho-* headers are deleted by name and 1-based index (an empty CHGHEADER)', async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    const forged = Buffer.from('X-Sekisho-Verdict: clean\r\nFrom: a@partner.example\r\nx-sekisho-verdict: clean\r\nSubject: hi\r\nMessage-ID: <1@partner.example>\r\n\r\nbody\r\n');
    mta.send(...CONNECT, ...messageCommands(forged));
    expect(await mta.endOfMessage()).toEqual([
      { kind: 'chgheader', index: 2, name: 'x-sekisho-verdict', value: '' },
      { kind: 'chgheader', index: 1, name: 'X-Sekisho-Verdict', value: '' },
      { kind: 'accept' },
    ]);
  });

  it("store mode: a zipped macro is in sekisho's quarantine byte for byte, with its envelope, before DISCARD", async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    const original = sample('03-zipped-macro.eml');
    mta.send(...CONNECT, ...messageCommands(original, { rcpts: ['a@example.net', 'b@example.net'], queueId: '4HOLDME' }));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'discard' }]);
    const store = new FileQuarantineStore(m.quarantineDir);
    const entries = (await store.list({})).entries;
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry).toMatchObject({ mail_from: 'sender@partner.example', rcpt_to: ['a@example.net', 'b@example.net'], mail_params: { body: '8BITMIME', ret: 'HDRS', envid: 'abc+def' } });
    expect(entry.rcpt_params).toEqual([
      { notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a@example.net' },
      { notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;b@example.net' },
    ]);
    // Postfix's queue id travels as the client's IDENT: a release's XFORWARD names it.
    expect(entry.client).toMatchObject({ addr: '203.0.113.9', name: 'mail.partner.example', helo: 'mail.partner.example', ident: '4HOLDME' });
    // The message the core saw and the store keeps is the message as the MTA received it.
    expect((await store.raw(entry.id))?.equals(original)).toBe(true);
    expect(m.logs.transactions().at(-1)).toMatchObject({ outcome: 'discard', quarantine: 'store', queue_id: '4HOLDME', action: 'quarantine' });
  });

  it("hold mode: the verdict headers, SMFIR_QUARANTINE for Postfix's hold queue, then ACCEPT; nothing in sekisho's store", async () => {
    const m = await startMilter({ milter: { quarantine: 'hold' } });
    const { mta } = await negotiated(m.port);
    mta.send(...CONNECT, ...messageCommands(sample('03-zipped-macro.eml')));
    const replies = await mta.endOfMessage();
    expect(replies.at(-1)).toEqual({ kind: 'accept' });
    const hold = replies.find((r) => r.kind === 'quarantine');
    expect(hold).toMatchObject({ kind: 'quarantine' });
    if (hold?.kind !== 'quarantine') throw new Error('no quarantine');
    expect(hold.reason).toMatch(/^sekisho \w+ malicious macro\/xlm/);
    expect(replies.filter((r) => r.kind === 'insheader').map((r) => r.kind === 'insheader' && r.name)).toEqual(['X-Sekisho-Verdict', 'X-Sekisho-Score', 'X-Sekisho-Findings']);
    expect((await new FileQuarantineStore(m.quarantineDir).list({})).entries).toHaveLength(0);
  });

  it('hold mode with an MTA that does not offer SMFIF_QUARANTINE: tempfail, never a pass', async () => {
    const m = await startMilter({ milter: { quarantine: 'hold' } });
    const { mta } = await negotiated(m.port, { kind: 'optneg', version: 6, actions: C.SMFIF_ADDHDRS | C.SMFIF_CHGHDRS, protocol: 0x1fffff });
    mta.send(...CONNECT, ...messageCommands(sample('03-zipped-macro.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'tempfail' }]);
  });

  it("a policy reject is SMFIR_REPLYCODE with the proxy's text", async () => {
    const m = await startMilter({ policy: { rules: [{ detector: 'macro', action: 'reject' }] } });
    const { mta } = await negotiated(m.port);
    mta.send(...CONNECT, ...messageCommands(sample('03-zipped-macro.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'replycode', text: '550 5.7.1 Office documents with macros are not accepted' }]);
  });

  it('a message over smtp.max_message_bytes is unscannable: the policy quarantines, and since its bytes were not kept, the MTA holds it', async () => {
    const m = await startMilter({ smtp: { max_message_bytes: 4096 } });
    const { mta } = await negotiated(m.port);
    const big = Buffer.concat([Buffer.from('From: a@partner.example\r\nSubject: big\r\nMessage-ID: <big@partner.example>\r\n\r\n'), Buffer.alloc(200_000, 'x\r\n')]);
    mta.send(...CONNECT, ...messageCommands(big));
    const replies = await mta.endOfMessage();
    expect(replies.find((r) => r.kind === 'quarantine')).toBeDefined();
    expect(replies.at(-1)).toEqual({ kind: 'accept' });
    expect(m.logs.transactions().at(-1)).toMatchObject({ verdict: 'unscannable', findings: ['limits/message-size'], size: big.length, quarantine: 'hold' });
    expect((await new FileQuarantineStore(m.quarantineDir).list({})).entries).toHaveLength(0);
  });

  it('a message that would take the process past smtp.max_inflight_bytes is TEMPFAIL; the budget comes back for the next', async () => {
    const m = await startMilter({ smtp: { max_inflight_bytes: 40_000 } });
    const { mta } = await negotiated(m.port);
    const big = Buffer.concat([Buffer.from('From: a@partner.example\r\nSubject: big\r\n\r\n'), Buffer.alloc(60_000, 'y')]);
    mta.send(...CONNECT, ...messageCommands(big), { kind: 'abort' });
    expect(await mta.endOfMessage()).toEqual([{ kind: 'tempfail' }]);
    mta.send(...messageCommands(sample('01-clean-japanese.eml')), { kind: 'abort' });
    expect(await mta.endOfMessage()).toEqual([{ kind: 'accept' }]);
    expect(m.logs.transactions().map((t) => [t['outcome'], t['reason']])).toEqual([
      ['tempfail', 'inflight-budget'],
      ['accept', undefined],
    ]);
    expect(await m.metrics.registry.metrics()).toMatch(/^sekisho_inflight_bytes 0$/m);
  });

  it('several messages per connection; ABORT mid-message resets the transaction and the next one is whole', async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    mta.send(...CONNECT);
    const partial = messageCommands(sample('03-zipped-macro.eml')).slice(0, 8);
    mta.send(...partial, { kind: 'abort' });
    mta.send(...messageCommands(sample('01-clean-japanese.eml')), { kind: 'abort' });
    expect(await mta.endOfMessage()).toEqual([{ kind: 'accept' }]);
    mta.send(...messageCommands(sample('06-display-name-only.eml')), { kind: 'abort' });
    expect((await mta.endOfMessage()).at(-1)).toEqual({ kind: 'accept' });
    const txs = m.logs.transactions();
    expect(txs.map((t) => t['outcome'])).toEqual(['abandoned', 'accept', 'accept']);
    expect(txs.map((t) => t['verdict'])).toEqual([undefined, 'clean', 'suspicious']);
  });

  it('QUIT_NC starts a new SMTP connection over the same milter connection: the old client is forgotten', async () => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    mta.send(...CONNECT, { kind: 'quit-nc' });
    mta.send({ kind: 'connect', hostname: 'other.example', family: C.SMFIA_INET, port: 1, address: '198.51.100.7' }, ...messageCommands(sample('01-clean-japanese.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'accept' }]);
    expect(m.logs.transactions().at(-1)?.['client']).toEqual({ ip: '198.51.100.7', name: 'other.example' });
  });
});

describe('milter: faults of our own are tempfails', () => {
  const logger = () => createLogger('silent');
  async function serverWith(inspector: Inspector, answerDeadlineMs = 10_000) {
    const loaded = validateConfig('t.yaml', { smtp: { upstream: 'outbox:/tmp/x' }, milter: { listen: '127.0.0.1:0' } });
    const server = new MilterServer({ ...milterSettings(loaded), answerDeadlineMs }, new FileQuarantineStore(mkdtempSync(path.join(os.tmpdir(), 'sekisho-mq-'))), inspector, logger(), new Metrics('t', { processMetrics: false }), new InflightBytes(1 << 30));
    const address = await server.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    cleanups.push(() => server.drain());
    return address.port ?? 0;
  }
  const stub = (inspect: () => Promise<InspectionOutcome>): Inspector => ({ inspect, ready: async () => undefined, reconfigure: () => undefined, close: async () => undefined });

  it('every inspection worker busy → SMFIR_TEMPFAIL', async () => {
    const port = await serverWith(stub(async () => ({ kind: 'busy' })));
    const { mta } = await negotiated(port);
    mta.send(...CONNECT, ...messageCommands(sample('01-clean-japanese.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'tempfail' }]);
  });

  it('a crashed inspection → SMFIR_TEMPFAIL', async () => {
    const port = await serverWith(stub(async () => ({ kind: 'failed', reason: 'crash', detail: 'test' })));
    const { mta } = await negotiated(port);
    mta.send(...CONNECT, ...messageCommands(sample('01-clean-japanese.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'tempfail' }]);
  });

  it('no answer from the filter by our own deadline → SMFIR_TEMPFAIL, and the connection goes on', async () => {
    const port = await serverWith(
      stub(() => new Promise(() => undefined)),
      300,
    );
    const { mta } = await negotiated(port);
    mta.send(...CONNECT, ...messageCommands(sample('01-clean-japanese.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'tempfail' }]);
    expect(mta.closed).toBe(false);
  });
});

describe('milter: SIGTERM drain', () => {
  it('a message whose end of body is being decided at the grace gets its answer (a cut could duplicate a stored quarantine); one still being sent is cut; idle ones close at once', async () => {
    let release: (() => void) | undefined;
    const decided = new Promise<void>((resolve) => (release = resolve));
    let started: (() => void) | undefined;
    const inspecting = new Promise<void>((resolve) => (started = resolve));
    const inspector: Inspector = {
      inspect: async () => {
        started?.();
        await decided;
        return { kind: 'failed', reason: 'crash', detail: 'answered after the grace' };
      },
      ready: async () => undefined,
      reconfigure: () => undefined,
      close: async () => undefined,
    };
    const loaded = validateConfig('t.yaml', { smtp: { upstream: 'outbox:/tmp/x' }, milter: { listen: '127.0.0.1:0' } });
    const server = new MilterServer({ ...milterSettings(loaded), shutdownGraceMs: 200, answerDeadlineMs: 10_000 }, new FileQuarantineStore(mkdtempSync(path.join(os.tmpdir(), 'sekisho-mq-'))), inspector, createLogger('silent'), new Metrics('t', { processMetrics: false }), new InflightBytes(1 << 30));
    const port = (await server.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 })).port ?? 0;
    const deciding = (await negotiated(port)).mta;
    deciding.send(...CONNECT, ...messageCommands(sample('01-clean-japanese.eml')));
    await inspecting;
    const sending = (await negotiated(port)).mta;
    const whole = messageCommands(sample('01-clean-japanese.eml'));
    sending.send(...CONNECT, ...whole.slice(0, -1)); // everything but the end of body
    const idle = (await negotiated(port)).mta;
    await sending.take(1); // DATA answered: the transaction is open on our side
    const order: string[] = [];
    const drained = server.drain().then(() => order.push('drained'));
    expect(await idle.waitClosed()).toBe(true);
    expect(await sending.waitClosed()).toBe(true);
    order.push('cut');
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the grace
    expect(deciding.closed).toBe(false);
    release?.();
    expect(await deciding.endOfMessage()).toEqual([{ kind: 'tempfail' }]);
    await drained;
    expect(order).toEqual(['cut', 'drained']);
    expect(await deciding.waitClosed()).toBe(true);
  });
});

describe('milter: malformed input closes that connection, with one log line, and nothing else', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['a length of 0', Buffer.from([0, 0, 0, 0]), 'bad-length'],
    ['a length over the maximum', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x42]), 'frame-too-large'],
    ['an unknown command', Buffer.from([0, 0, 0, 1, 0x5a]), 'unknown-command'],
    ['a string without its NUL', Buffer.concat([Buffer.from([0, 0, 0, 6, 0x48]), Buffer.from('helo!')]), 'missing-nul'],
    ['a header before MAIL', encodeCommand({ kind: 'header', name: 'Subject', value: Buffer.from(' x') }), 'out-of-order'],
    ['RCPT before MAIL', encodeCommand({ kind: 'rcpt', args: ['<a@b.example>'] }), 'out-of-order'],
    ['end of body outside a transaction', encodeCommand({ kind: 'eob', chunk: Buffer.alloc(0) }), 'out-of-order'],
    ['a second negotiation', encodeCommand(POSTFIX_OFFER), 'out-of-order'],
    ['MAIL inside a transaction', Buffer.concat([encodeCommand({ kind: 'mail', args: ['<a@b.example>'] }), encodeCommand({ kind: 'mail', args: ['<a@b.example>'] })]), 'out-of-order'],
  ];

  it.each(cases)('%s', async (_, bytes, reason) => {
    const m = await startMilter();
    const { mta } = await negotiated(m.port);
    mta.socket.write(bytes);
    expect(await mta.waitClosed()).toBe(true);
    const closedLines = m.logs.lines.filter((l) => l['event'] === 'milter-connection-closed');
    expect(closedLines).toHaveLength(1);
    expect(closedLines[0]).toMatchObject({ reason });
    expect(await m.metrics.registry.metrics()).toContain(`sekisho_milter_protocol_errors_total{reason="${reason}"} 1`);
    // The server goes on serving the next MTA connection.
    const next = await negotiated(m.port);
    expect(next.reply.kind).toBe('optneg');
  });

  it('a command before the negotiation', async () => {
    const m = await startMilter();
    const mta = await Mta.connect(m.port);
    mta.send(...CONNECT);
    expect(await mta.waitClosed()).toBe(true);
    expect(m.logs.lines.find((l) => l['event'] === 'milter-connection-closed')).toMatchObject({ reason: 'out-of-order' });
  });

  it('more recipients than smtp.max_recipients', async () => {
    const m = await startMilter({ smtp: { max_recipients: 3 } });
    const { mta } = await negotiated(m.port);
    mta.send({ kind: 'mail', args: ['<a@b.example>'] }, ...[1, 2, 3, 4].map((i): MilterCommand => ({ kind: 'rcpt', args: [`<r${i}@b.example>`] })));
    expect(await mta.waitClosed()).toBe(true);
    expect(m.logs.lines.find((l) => l['event'] === 'milter-connection-closed')).toMatchObject({ reason: 'limit' });
  });

  it('fuzz: 300 connections of mutated Postfix streams (seeded); each one is answered or closed, no error escapes, the server stays up and holds no connection', async () => {
    const m = await startMilter();
    const rnd = prng(0x6d696c74);
    const stream = Buffer.concat([POSTFIX_OFFER, ...CONNECT, ...messageCommands(sample('06-display-name-only.eml')), { kind: 'quit' } as MilterCommand].map(encodeCommand));
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(stream);
      for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      const mta = await Mta.connect(m.port);
      mta.socket.end(bytes);
      // A mangled length may leave the server waiting for bytes that never come: our end is
      // closed (end()), and the server's idle timeout or the close ends it either way.
      await mta.waitClosed(2000);
      if (!mta.closed) mta.socket.destroy();
    }
    expect(m.logs.lines.filter((l) => l['level'] === 'error')).toEqual([]);
    const next = await negotiated(m.port);
    expect(next.reply.kind).toBe('optneg');
    // Only the one just opened: every fuzzed connection was closed and counted out.
    expect(await m.metrics.registry.getSingleMetricAsString('sekisho_milter_active_connections')).toMatch(/sekisho_milter_active_connections 1$/m);
    expect(m.logs.lines.filter((l) => l['event'] === 'milter-connection-closed').length).toBeGreaterThan(30);
  });
});

describe('milter: limits of the server', () => {
  it('an MTA silent past milter.timeouts.idle is closed, with a log line', async () => {
    const m = await startMilter({ milter: { timeouts: { idle: '300ms' } } });
    const { mta } = await negotiated(m.port);
    expect(await mta.waitClosed(3000)).toBe(true);
    expect(m.logs.lines.find((l) => l['event'] === 'milter-connection-closed')).toMatchObject({ reason: 'timeout' });
  });

  it('connections over milter.max_connections are refused at once', async () => {
    const m = await startMilter({ milter: { max_connections: 2 } });
    await negotiated(m.port);
    await negotiated(m.port);
    const third = await Mta.connect(m.port);
    expect(await third.waitClosed()).toBe(true);
    expect(m.logs.lines.find((l) => l['event'] === 'milter-connection-refused')).toMatchObject({ reason: 'max-connections' });
  });

  it('a unix socket with milter.socket_mode; a stale socket file left by a crash is replaced, a live one is not', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-sock-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'milter.sock');
    // A stale socket file, as a killed process leaves it: bound, nobody listening.
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socketPath]);
    expect(existsSync(socketPath)).toBe(true);

    const m = await startMilter({ milter: { listen: `unix:${socketPath}`, socket_mode: '0660' } });
    expect(m.daemon.milterAddress?.description).toBe(`unix:${socketPath}`);
    expect(statSync(socketPath).mode & 0o777).toBe(0o660);
    const { mta } = await negotiated(socketPath);
    mta.send(...CONNECT, ...messageCommands(sample('01-clean-japanese.eml')));
    expect(await mta.endOfMessage()).toEqual([{ kind: 'accept' }]);
    await expect(startMilter({ milter: { listen: `unix:${socketPath}` } })).rejects.toThrow(/another process is listening/);
  });
});
