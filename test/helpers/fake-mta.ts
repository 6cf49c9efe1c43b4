import net from 'node:net';
import { decodeReply, encodeCommand, FrameReader, type MilterCommand, type MilterReply } from '../../src/milter/milter-codec.js';
import * as C from '../../src/milter/milter-constants.js';

/**
 * The MTA side of the milter protocol, speaking the way Postfix's milter8.c does, for
 * tests that drive sekisho's milter without a real Postfix. It also keeps the message the
 * way Postfix's cleanup(8) keeps it in the queue file, applies the filter's header
 * replies with cleanup_milter.c's rules, and gives back the bytes the MTA would deliver.
 *
 * What it models (Postfix 3.x; file names are Postfix's):
 * - OPTNEG: version 6, every action, the whole v6 event mask (NR_*, HDR_LEADSPC, SKIP…),
 *   as milter8_connect() offers with milter_protocol = 6; or an older MTA (version 2, no
 *   no-reply flags, no leading-space flag, no macro lists).
 * - Events in Postfix's order, each preceded by SMFIC_MACRO with the macros the filter
 *   asked for in its OPTNEG reply (milter8_event()); events the filter declined
 *   (SMFIP_NO*) are not sent, and no reply is read where the filter said it sends none
 *   (SMFIP_NR_*). DATA only from version 4 on, as Postfix's version masks say.
 * - Headers split as mime_state.c and milter8_header() do: a field is a line that
 *   is_header() accepts plus its continuation lines, joined by "\n" (queue file records
 *   hold lines without CR); the obsolete "Name :" form is normalised to "Name:"; the
 *   name is sent without the colon, the value after it, with one leading space eaten
 *   unless HDR_LEADSPC was negotiated. A line that is neither a header nor a
 *   continuation ends the header block, and Postfix puts an empty line before it.
 * - The MTA's own Received header is the first header of the queue file and is never
 *   shown to the filter (milter8_header(): "don't expose our first (received) header");
 *   nor is the first body line, the empty line after the headers (milter8_body()).
 * - Body: every line with CRLF, cut into SMFIC_BODY chunks of exactly 65,535 bytes
 *   (MILTER_CHUNK_SIZE) and one shorter last chunk; then SMFIC_BODYEOB without data.
 * - After the end-of-message answer, SMFIC_ABORT (smtpd's mail_reset() → milter8_abort()),
 *   so the next message of the session starts clean.
 * - Header replies, applied in the order they came (cleanup_milter.c):
 *   SMFIR_INSHEADER index i → before the (i+1)-th header of the queue file counting the
 *   MTA's own Received (milter8.c passes index + 1; cleanup_ins_header() treats < 1 as
 *   1): index 0 goes above the MTA's Received, index 1 just below it; past the last
 *   header it is appended. SMFIR_CHGHEADER index i (0 means 1) → the i-th header of that
 *   name (case-insensitive, exact length) after skipping the first header of the queue
 *   file (cleanup_upd_header()/cleanup_del_header(), SKIP_ONE_HEADER); an empty value
 *   deletes it; a change of a header that is not there appends it, a deletion does
 *   nothing. SMFIR_ADDHEADER appends after the last header. A new header is written as
 *   "name:" + (HDR_LEADSPC ? "" : " ") + value, split at "\n", and a continuation line
 *   that does not start with space or tab gets a tab in front (cleanup_out_header()).
 *
 * What it does not model: Postfix's own content policies (header address rewriting and
 * missing Date/Message-ID/From for local clients, message_drop_headers, header_checks,
 * smtp_line_length_limit). Those depend on main.cf, not on the milter protocol.
 */

export type MtaDialect = 'postfix' | 'legacy';

/** Every action milter8_connect() offers (my_actions). */
const ALL_ACTIONS =
  C.SMFIF_ADDHDRS | C.SMFIF_CHGBODY | C.SMFIF_ADDRCPT | C.SMFIF_DELRCPT | C.SMFIF_CHGHDRS | C.SMFIF_QUARANTINE | C.SMFIF_CHGFROM | C.SMFIF_ADDRCPT_PAR | C.SMFIF_SETSYMLIST;
/** MILTER8_V2_PROTO_MASK: the events a filter could decline in version 2. */
const V2_EVENTS = C.SMFIP_NOCONNECT | C.SMFIP_NOHELO | C.SMFIP_NOMAIL | C.SMFIP_NORCPT | C.SMFIP_NOBODY | C.SMFIP_NOHDRS | C.SMFIP_NOEOH;
const NOREPLY_MASK = C.SMFIP_NR_CONN | C.SMFIP_NR_HELO | C.SMFIP_NR_MAIL | C.SMFIP_NR_RCPT | C.SMFIP_NR_DATA | C.SMFIP_NR_UNKN | C.SMFIP_NR_HDR | C.SMFIP_NR_EOH | C.SMFIP_NR_BODY;
/** MILTER8_V6_PROTO_MASK. */
const V6_EVENTS = V2_EVENTS | C.SMFIP_NOUNKNOWN | C.SMFIP_NODATA | C.SMFIP_SKIP | C.SMFIP_RCPT_REJ | NOREPLY_MASK | C.SMFIP_HDR_LEADSPC;

export const OFFERS: Record<MtaDialect, { readonly version: number; readonly actions: number; readonly protocol: number }> = {
  postfix: { version: 6, actions: ALL_ACTIONS, protocol: V6_EVENTS },
  // Sendmail 8.13 / Postfix 2.3–2.5: the original header and body actions, no flags to
  // skip replies, and the one space after the colon always eaten.
  legacy: { version: 2, actions: C.SMFIF_ADDHDRS | C.SMFIF_CHGBODY | C.SMFIF_ADDRCPT | C.SMFIF_DELRCPT | C.SMFIF_CHGHDRS | C.SMFIF_QUARANTINE, protocol: V2_EVENTS },
};

/** Postfix's default macro lists (milter_*_macros), sent when the filter asks for none. */
const DEFAULT_MACROS: Readonly<Record<number, readonly string[]>> = {
  [C.SMFIM_CONNECT]: ['j', '{daemon_name}', '{daemon_addr}', 'v', '_'],
  [C.SMFIM_HELO]: ['{tls_version}', '{cipher}', '{cipher_bits}', '{cert_subject}', '{cert_issuer}'],
  [C.SMFIM_ENVFROM]: ['i', '{auth_type}', '{auth_authen}', '{auth_author}', '{mail_addr}', '{mail_host}', '{mail_mailer}'],
  [C.SMFIM_ENVRCPT]: ['{rcpt_addr}', '{rcpt_host}', '{rcpt_mailer}'],
  [C.SMFIM_DATA]: ['i'],
  [C.SMFIM_EOH]: ['i'],
  [C.SMFIM_EOM]: ['i'],
};

// ---------------------------------------------------------------------------------------
// The message as Postfix's cleanup keeps it

/** A message as queue file records: header fields (lines joined by "\n", no CR) and the body. */
export interface QueuedContent {
  /** Each field's text, "Name:value" with "\n" between its lines, as bytes. */
  readonly fields: Buffer[];
  /**
   * The empty line after the headers: in the message, put there by Postfix because a
   * non-header line ended the header block, or absent (the message is all header).
   */
  readonly separator: 'present' | 'inserted' | 'absent';
  /** The body lines after that empty line, each with CRLF, as the SMTP client sends them. */
  readonly body: Buffer;
}

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');

/** is_header(): the length of the header label, or 0 when the line is not a header. */
export function isHeader(line: Buffer): number {
  let len = 0;
  let state: 'init' | 'char' | 'space' = 'init';
  for (const c of line) {
    if (c === 0x20 || c === 0x09) {
      if (state === 'init') return 0;
      state = 'space';
      continue;
    }
    if (c === 0x3a) return state === 'init' ? 0 : len;
    // Not ASCII, or a control character: not a header label.
    if (c < 0x20 || c > 0x7e) return 0;
    if (state === 'space') return 0;
    state = 'char';
    len++;
  }
  return 0;
}

/**
 * The message as smtpd(8) and cleanup(8) store it: lines split at LF with the CR of CRLF
 * removed, headers recognised and normalised as mime_state.c does.
 */
export function queueContent(message: Buffer): QueuedContent {
  const lines: Buffer[] = [];
  let start = 0;
  for (let lf = message.indexOf(0x0a); lf >= 0; lf = message.indexOf(0x0a, start)) {
    lines.push(message.subarray(start, lf > start && message[lf - 1] === 0x0d ? lf - 1 : lf));
    start = lf + 1;
  }
  // SMTP content always ends with a line end; a last partial line gets one.
  if (start < message.length) lines.push(message.subarray(start));
  const fields: Buffer[] = [];
  let current: Buffer[] | undefined;
  const flush = () => {
    if (current) fields.push(Buffer.concat(current));
    current = undefined;
  };
  let i = 0;
  let separator: QueuedContent['separator'] = 'absent';
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (current && (line[0] === 0x20 || line[0] === 0x09)) {
      current.push(LF, line);
      continue;
    }
    const label = isHeader(line);
    if (label > 0) {
      flush();
      let colon = label;
      while (line[colon] === 0x20 || line[colon] === 0x09) colon++;
      // "Name :" becomes "Name:" (mime_state_update(): "Normalize obsolete syntax").
      current = [line.subarray(0, label), line.subarray(colon)];
      continue;
    }
    flush();
    if (line.length === 0) {
      separator = 'present';
      i++;
    } else {
      // "Invalid input. Force output of one blank line and jump to the body state."
      separator = 'inserted';
    }
    break;
  }
  flush();
  const body = Buffer.concat(lines.slice(i).flatMap((l) => [l, CRLF]));
  return { fields, separator, body };
}

/** The bytes the MTA's SMTP client sends for queued content: every record line with CRLF. */
export function deliveredBytes(content: QueuedContent): Buffer {
  const parts: Buffer[] = [];
  for (const field of content.fields) parts.push(...fieldLines(field).flatMap((l) => [l, CRLF]));
  if (content.separator !== 'absent') parts.push(CRLF);
  parts.push(content.body);
  return Buffer.concat(parts);
}

function fieldLines(field: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let lf = field.indexOf(0x0a); lf >= 0; lf = field.indexOf(0x0a, start)) {
    lines.push(field.subarray(start, lf));
    start = lf + 1;
  }
  lines.push(field.subarray(start));
  return lines;
}

/** The label of a stored field, for header lookups (is_header() on its first line). */
function labelOf(field: Buffer): string {
  return field.subarray(0, isHeader(field)).toString('latin1');
}

/** A field a filter asked for, written as cleanup_out_header() writes it. */
function newField(name: string, space: string, value: string): Buffer {
  const lines = fieldLines(Buffer.from(`${name}:${space}${value}`, 'utf8'));
  return Buffer.concat(lines.flatMap((line, i) => (i === 0 ? [line] : [LF, line[0] === 0x20 || line[0] === 0x09 ? line : Buffer.concat([Buffer.from('\t'), line])])));
}

/**
 * Applies header replies to queued content whose first field is the MTA's own Received
 * header, with cleanup_milter.c's rules (see the file comment). Returns new content.
 */
export function applyHeaderReplies(content: QueuedContent, replies: readonly MilterReply[], leadingSpace: boolean): QueuedContent {
  const fields = [...content.fields];
  const space = leadingSpace ? '' : ' ';
  /** Position in `fields` of the index-th field named `name`, the first field skipped. */
  const find = (name: string, index: number): number => {
    let left = index === 0 ? 1 : index;
    for (let at = 1; at < fields.length; at++) {
      const label = labelOf(fields[at]!);
      if (label.length === name.length && label.toLowerCase() === name.toLowerCase() && --left === 0) return at;
    }
    return -1;
  };
  for (const reply of replies) {
    switch (reply.kind) {
      case 'insheader': {
        const position = Math.max(1, reply.index + 1);
        if (position <= fields.length) fields.splice(position - 1, 0, newField(reply.name, space, reply.value));
        else fields.push(newField(reply.name, space, reply.value));
        break;
      }
      case 'chgheader': {
        const at = find(reply.name, reply.index);
        if (reply.value === '') {
          if (at >= 0) fields.splice(at, 1);
        } else if (at >= 0) fields[at] = newField(reply.name, space, reply.value);
        else fields.push(newField(reply.name, space, reply.value));
        break;
      }
      case 'addheader':
        fields.push(newField(reply.name, space, reply.value));
        break;
      default:
        break;
    }
  }
  return { ...content, fields };
}

// ---------------------------------------------------------------------------------------
// The protocol

export interface MtaClient {
  /** The client's name as the MTA knows it: "unknown" when it did not look it up (smtpd_peername_lookup = no). */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly helo: string;
}

export interface MtaTransaction {
  /** The MAIL FROM argument vector: "<address>", then the ESMTP parameters. */
  readonly mail: readonly string[];
  /** One argument vector per recipient. */
  readonly rcpts: ReadonlyArray<readonly string[]>;
  /** The message as the SMTP client sent it (CRLF lines). */
  readonly message: Buffer;
  /** Postfix's queue id, the `i` macro. */
  readonly queueId: string;
}

export type FinalVerdict = 'accept' | 'continue' | 'discard' | 'reject' | 'tempfail' | 'replycode';

export interface MtaResult {
  /** The answer that ended the transaction; `stage` says to which event. */
  readonly verdict: FinalVerdict;
  readonly stage: MilterCommand['kind'];
  /** The SMTP reply of a `replycode` verdict. */
  readonly replyText?: string;
  /** Modification replies before the verdict, in order. */
  readonly modifications: readonly MilterReply[];
  /** The SMFIR_QUARANTINE reason, when the filter asked for the hold queue. */
  readonly quarantine?: string;
  /**
   * For accept/continue: the bytes the MTA delivers (or holds, with `quarantine`), its
   * own Received header first or wherever inserts moved it; undefined otherwise.
   */
  readonly delivered?: Buffer;
  /** The MTA's own Received header as it appears in `delivered`, CRLF lines. */
  readonly ownReceived: Buffer;
  /** Every header event sent, for assertions on the split. */
  readonly headersSent: ReadonlyArray<{ readonly name: string; readonly value: Buffer }>;
  /** Body chunk sizes sent. */
  readonly chunks: readonly number[];
}

const FINAL: ReadonlySet<MilterReply['kind']> = new Set(['accept', 'continue', 'discard', 'reject', 'tempfail', 'replycode']);

/**
 * One milter connection, as Postfix opens one per SMTP session: OPTNEG, CONNECT, HELO,
 * then any number of transactions, then QUIT. Lock-step like milter8.c: a command that
 * wants a reply is answered before the next is written.
 */
export class FakeMta {
  /** What the filter answered in OPTNEG. */
  negotiated!: { readonly version: number; readonly actions: number; readonly protocol: number; readonly macros: ReadonlyMap<number, readonly string[]> };
  /** Replies that arrived while none was expected (a filter that ignored an NR_* flag). */
  readonly unexpected: MilterReply[] = [];
  private readonly reader = new FrameReader(16 * 1024 * 1024);
  private readonly queue: MilterReply[] = [];
  private waiter: ((reply: MilterReply | Error) => void) | undefined;
  private closedWith: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly dialect: MtaDialect,
  ) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.reader.push(chunk)) this.deliver(decodeReply(frame));
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the filter closed the milter connection')));
  }

  /** Connects and negotiates, as milter8_connect() does. */
  static async open(port: number, dialect: MtaDialect, host = '127.0.0.1'): Promise<FakeMta> {
    const socket = net.connect({ port, host, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const mta = new FakeMta(socket, dialect);
    const offer = OFFERS[dialect];
    mta.write({ kind: 'optneg', ...offer });
    const reply = await mta.next();
    if (reply.kind !== 'optneg') throw new Error(`OPTNEG answered with ${reply.kind}`);
    // milter8_connect(): a higher version or actions that were not offered end the connection.
    if (reply.version > offer.version) throw new Error(`filter version ${reply.version} > ${offer.version}`);
    if ((reply.actions & offer.actions) !== reply.actions) throw new Error(`filter actions 0x${reply.actions.toString(16)} not offered`);
    if ((reply.protocol & offer.protocol) !== reply.protocol) throw new Error(`filter protocol 0x${reply.protocol.toString(16)} not offered`);
    const macros = new Map<number, readonly string[]>();
    for (const [stage, names] of reply.macros ?? []) macros.set(stage, names.split(/[\s,]+/).filter(Boolean));
    mta.negotiated = { version: reply.version, actions: reply.actions, protocol: reply.protocol, macros };
    return mta;
  }

  get leadingSpace(): boolean {
    return (this.negotiated.protocol & C.SMFIP_HDR_LEADSPC) !== 0;
  }

  /** CONNECT and HELO, each answered unless the filter declined it or its reply. */
  async greet(client: MtaClient, values: Record<string, string> = {}): Promise<void> {
    const known = { j: 'fake-mta.test', '{client_addr}': client.address, '{client_name}': client.name, '{daemon_name}': 'smtpd', v: 'Postfix 3.7', ...values };
    // milter8_conn_event(): "Transform unknown hostname from Postfix to Sendmail form".
    const hostname = client.name === 'unknown' ? `[${client.address}]` : client.name;
    const connect = await this.event(C.SMFIM_CONNECT, known, { kind: 'connect', hostname, family: C.SMFIA_INET, port: client.port, address: client.address }, C.SMFIP_NOCONNECT, C.SMFIP_NR_CONN);
    if (connect && connect.kind !== 'continue') throw new Error(`CONNECT answered with ${connect.kind}`);
    const helo = await this.event(C.SMFIM_HELO, known, { kind: 'helo', name: client.helo }, C.SMFIP_NOHELO, C.SMFIP_NR_HELO);
    if (helo && helo.kind !== 'continue') throw new Error(`HELO answered with ${helo.kind}`);
  }

  /** One message, MAIL to the end-of-message answer, then ABORT as smtpd's mail_reset() sends. */
  async transaction(tx: MtaTransaction): Promise<MtaResult> {
    const mailAddr = (tx.mail[0] ?? '').replace(/^<|>$/g, '');
    const values: Record<string, string> = { i: tx.queueId, '{mail_addr}': mailAddr, '{mail_mailer}': 'smtp' };
    // smtpd's own trace header, the first record of the message content; its text is the MTA's business.
    const ownField = Buffer.from(`Received: from client.example (unknown [127.0.0.1])\n\tby fake-mta.test (Postfix) with ESMTP id ${tx.queueId}\n\tfor <${tx.rcpts[0]?.[0]?.replace(/^<|>$/g, '') ?? ''}>; Sun, 22 Nov 2026 10:00:00 +0900 (JST)`, 'latin1');
    const ownReceived = deliveredBytes({ fields: [ownField], separator: 'absent', body: Buffer.alloc(0) });
    const headersSent: Array<{ name: string; value: Buffer }> = [];
    const chunks: number[] = [];
    const done = (verdict: MilterReply, stage: MilterCommand['kind'], modifications: MilterReply[] = [], delivered?: Buffer): MtaResult => ({
      verdict: verdict.kind as FinalVerdict,
      stage,
      replyText: verdict.kind === 'replycode' ? verdict.text : undefined,
      modifications,
      quarantine: modifications.flatMap((m) => (m.kind === 'quarantine' ? [m.reason] : []))[0],
      delivered,
      ownReceived,
      headersSent,
      chunks,
    });
    /** A refusal (or accept) before the end of the message ends the transaction there. */
    const early = (reply: MilterReply | undefined, stage: MilterCommand['kind']): MtaResult | undefined => {
      if (!reply || reply.kind === 'continue') return undefined;
      this.write({ kind: 'abort' });
      return done(reply, stage);
    };

    const mail = await this.event(C.SMFIM_ENVFROM, values, { kind: 'mail', args: tx.mail }, C.SMFIP_NOMAIL, C.SMFIP_NR_MAIL);
    const stoppedAtMail = early(mail, 'mail');
    if (stoppedAtMail) return stoppedAtMail;
    for (const rcpt of tx.rcpts) {
      const rcptValues = { ...values, '{rcpt_addr}': (rcpt[0] ?? '').replace(/^<|>$/g, ''), '{rcpt_mailer}': 'smtp' };
      const answer = await this.event(C.SMFIM_ENVRCPT, rcptValues, { kind: 'rcpt', args: rcpt }, C.SMFIP_NORCPT, C.SMFIP_NR_RCPT);
      const stopped = early(answer, 'rcpt');
      if (stopped) return stopped;
    }
    if (this.negotiated.version >= 4) {
      const data = await this.event(C.SMFIM_DATA, values, { kind: 'data' }, C.SMFIP_NODATA, C.SMFIP_NR_DATA);
      const stopped = early(data, 'data');
      if (stopped) return stopped;
    }

    const content = queueContent(tx.message);
    for (const field of content.fields) {
      const label = isHeader(field);
      let value = field.subarray(field.indexOf(0x3a, label) + 1);
      if (!this.leadingSpace && value[0] === 0x20) value = value.subarray(1);
      const name = field.subarray(0, label).toString('latin1');
      headersSent.push({ name, value });
      const answer = await this.event(C.SMFIM_EOH, values, { kind: 'header', name, value }, C.SMFIP_NOHDRS, C.SMFIP_NR_HDR);
      const stopped = early(answer, 'header');
      if (stopped) return stopped;
    }
    const eoh = await this.event(C.SMFIM_EOH, values, { kind: 'eoh' }, C.SMFIP_NOEOH, C.SMFIP_NR_EOH);
    const stoppedAtEoh = early(eoh, 'eoh');
    if (stoppedAtEoh) return stoppedAtEoh;
    for (let at = 0; at < content.body.length; at += C.MILTER_CHUNK_SIZE) {
      const chunk = content.body.subarray(at, at + C.MILTER_CHUNK_SIZE);
      chunks.push(chunk.length);
      const answer = await this.event(C.SMFIM_EOM, values, { kind: 'body', chunk }, C.SMFIP_NOBODY, C.SMFIP_NR_BODY);
      // SMFIR_SKIP: no more body chunks (milter8_event(): skip_event_type).
      if (answer?.kind === 'skip') break;
      const stopped = early(answer, 'body');
      if (stopped) return stopped;
    }
    this.sendMacros(C.SMFIM_EOM, values, C.SMFIC_BODYEOB);
    this.write({ kind: 'eob', chunk: Buffer.alloc(0) });
    const modifications: MilterReply[] = [];
    for (;;) {
      const reply = await this.next();
      if (reply.kind === 'progress') continue;
      if (!FINAL.has(reply.kind)) {
        modifications.push(reply);
        continue;
      }
      this.write({ kind: 'abort' });
      const passes = reply.kind === 'accept' || reply.kind === 'continue';
      const queued: QueuedContent = { ...content, fields: [ownField, ...content.fields] };
      return done(reply, 'eob', modifications, passes ? deliveredBytes(applyHeaderReplies(queued, modifications, this.leadingSpace)) : undefined);
    }
  }

  /** SMFIC_QUIT and close, as milter8_disc_event() does. */
  async quit(): Promise<void> {
    if (!this.socket.destroyed) {
      this.write({ kind: 'quit' });
      this.socket.end();
    }
    await new Promise<void>((resolve) => (this.socket.closed ? resolve() : this.socket.once('close', () => resolve())));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Macros, the command, and its reply unless the filter declined the event or its reply. */
  private async event(stage: number, values: Record<string, string>, command: MilterCommand, declinedFlag: number, noReplyFlag: number): Promise<MilterReply | undefined> {
    if ((this.negotiated.protocol & declinedFlag) !== 0) return undefined;
    this.sendMacros(stage, values, commandLetter(command));
    this.write(command);
    // A no-reply flag exists only from version 6 on; an older filter always answers.
    if ((this.negotiated.protocol & noReplyFlag) !== 0) return undefined;
    return this.next();
  }

  private sendMacros(stage: number, values: Record<string, string>, letter: string): void {
    const names = this.negotiated.macros.get(stage) ?? DEFAULT_MACROS[stage] ?? [];
    const macros = names.flatMap((name): Array<readonly [string, string]> => {
      const value = values[name] ?? values[`{${name}}`] ?? values[name.replace(/^\{(.*)\}$/, '$1')];
      return value === undefined ? [] : [[name, value]];
    });
    if (macros.length > 0) this.write({ kind: 'macro', stage: letter, macros });
  }

  private write(command: MilterCommand): void {
    // Replies that came in while none was expected would otherwise pass for the next answer.
    this.unexpected.push(...this.queue.splice(0));
    if (this.closedWith) throw this.closedWith;
    this.socket.write(encodeCommand(command));
  }

  private next(): Promise<MilterReply> {
    const ready = this.queue.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.waiter = (r) => (r instanceof Error ? reject(r) : resolve(r));
    });
  }

  private deliver(reply: MilterReply): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(reply);
    else this.queue.push(reply);
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(err);
  }
}

const LETTERS: Record<MilterCommand['kind'], string> = {
  optneg: C.SMFIC_OPTNEG,
  macro: C.SMFIC_MACRO,
  connect: C.SMFIC_CONNECT,
  helo: C.SMFIC_HELO,
  mail: C.SMFIC_MAIL,
  rcpt: C.SMFIC_RCPT,
  data: C.SMFIC_DATA,
  header: C.SMFIC_HEADER,
  eoh: C.SMFIC_EOH,
  body: C.SMFIC_BODY,
  eob: C.SMFIC_BODYEOB,
  abort: C.SMFIC_ABORT,
  quit: C.SMFIC_QUIT,
  'quit-nc': C.SMFIC_QUIT_NC,
  unknown: C.SMFIC_UNKNOWN,
};

function commandLetter(command: MilterCommand): string {
  return LETTERS[command.kind];
}

/** `message` without the first occurrence of `field` (the MTA's own Received header). */
export function withoutField(message: Buffer, field: Buffer): Buffer {
  const at = message.indexOf(field);
  if (at < 0) throw new Error('the MTA header is not in the message');
  return Buffer.concat([message.subarray(0, at), message.subarray(at + field.length)]);
}
