import { filterMessage, type Disposition, type FilterDeps } from '../filter/filter-message.js';
import type { Logger } from '../log/logger.js';
import type { InflightBytes } from '../message/inflight-bytes.js';
import type { MessageBuffers } from '../message/message-buffers.js';
import type { ClientIdentity } from '../message/smtp-envelope.js';
import type { Metrics } from '../metrics/metrics.js';
import { MilterProtocolError, type MilterCommand, type MilterReply } from './milter-codec.js';
import * as C from './milter-constants.js';
import { mailCommandOfArgs, rcptCommandOfArgs } from './milter-envelope.js';
import { MilterMessage } from './milter-message.js';
import { endOfMessage, TEMPFAIL_ANSWER, type EndOfMessage } from './milter-replies.js';
import { MilterTransaction } from './milter-transaction.js';

/** The milter's settings; a reload changes them for the next message. */
export interface MilterSettings {
  /** smtp.max_message_bytes: the same limit as the proxy's. */
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  /** Where quarantined mail goes: sekisho's store (then DISCARD) or the MTA's hold queue. */
  readonly quarantine: 'hold' | 'store';
  /** Our own deadline for the end-of-message answer: past it, TEMPFAIL (the MTA keeps the mail). */
  readonly answerDeadlineMs: number;
}

export interface MilterSessionContext {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly buffers: MessageBuffers;
  /** The process's budget of message bytes in flight, shared with the proxy. */
  readonly inflight: InflightBytes;
  settings(): MilterSettings;
  /** The filter's dependencies as configured now (ingress "milter", edits as operations). */
  filter(): FilterDeps;
}

/** What sekisho asks for: only what it uses (actions), and no reply where it has nothing to say. */
const WANTED_ACTIONS = C.SMFIF_ADDHDRS | C.SMFIF_CHGHDRS | C.SMFIF_QUARANTINE | C.SMFIF_SETSYMLIST;
/**
 * Every event but DATA and EOH goes without a reply. Those two are answered on purpose:
 * DATA is smtpd's last packet before cleanup takes the milter connection over, and EOH
 * cleanup's last before the body; unanswered, each sits unacked, so that Nagle's algorithm
 * on Postfix's side holds the next packets until our delayed ACK fires, up to 40 ms a
 * message (a packet trace of the milter bench showed it). Our CONTINUE carries the ACK: one
 * session went from 50 ms a message to 6 ms (bench/milter-bench.mjs, docs/benchmarks.md).
 */
const NO_REPLY = C.SMFIP_NR_CONN | C.SMFIP_NR_HELO | C.SMFIP_NR_MAIL | C.SMFIP_NR_RCPT | C.SMFIP_NR_UNKN | C.SMFIP_NR_HDR | C.SMFIP_NR_BODY;
/** Events it does not use: unknown SMTP commands. */
const NOT_SENT = C.SMFIP_NOUNKNOWN;
/**
 * The macros it asks for, per stage (Postfix replaces its own list for a stage with ours):
 * the MTA's name and the client at connect, the authenticated user and the sender at MAIL,
 * the recipient at RCPT, and Postfix's queue id (`i`, for the log line) once it exists.
 */
const MACROS: ReadonlyArray<readonly [number, string]> = [
  [C.SMFIM_CONNECT, 'j {client_addr} {client_name}'],
  [C.SMFIM_ENVFROM, '{mail_addr} {auth_authen}'],
  [C.SMFIM_ENVRCPT, '{rcpt_addr}'],
  [C.SMFIM_EOH, 'i'],
  [C.SMFIM_EOM, 'i'],
];

/** Replies an event gets unless its no-reply flag was negotiated. */
const REPLY_FLAG: Partial<Record<MilterCommand['kind'], number>> = {
  connect: C.SMFIP_NR_CONN,
  helo: C.SMFIP_NR_HELO,
  mail: C.SMFIP_NR_MAIL,
  rcpt: C.SMFIP_NR_RCPT,
  data: C.SMFIP_NR_DATA,
  header: C.SMFIP_NR_HDR,
  eoh: C.SMFIP_NR_EOH,
  body: C.SMFIP_NR_BODY,
  unknown: C.SMFIP_NR_UNKN,
};

/** Macro values kept per connection at most (names and values are short; this bounds a hostile MTA). */
const MAX_MACROS = 64;

/**
 * One MTA connection's milter state machine: option negotiation once, then connection
 * events and any number of messages (ABORT resets a transaction, QUIT_NC the connection).
 * It checks the order of events, collects the message as the proxy would have seen it and
 * at end of body hands it to the filter every ingress calls; the disposition becomes
 * milter replies in milter-replies.ts. A command out of order throws MilterProtocolError:
 * the server closes the connection with one log line.
 */
export class MilterSession {
  private protocol = 0;
  private actions = 0;
  private negotiated = false;
  private readonly macros = new Map<string, string>();
  private client: { hostname?: string; address?: string; port?: number; helo?: string } = {};
  private transaction: MilterTransaction | undefined;
  private message: MilterMessage | undefined;
  /** The end of body being filtered now, if any (the MTA waits for its answer). */
  private pending: Promise<void> | undefined;

  constructor(
    private readonly context: MilterSessionContext,
    /** Writes replies to the MTA, in order, as one write. */
    private readonly send: (replies: readonly MilterReply[]) => void,
    private readonly peer: { readonly connection: string; readonly address: string },
  ) {}

  /** Whether a message is between MAIL and its answer (a drain waits for it). */
  get inTransaction(): boolean {
    return this.transaction !== undefined || this.pending !== undefined;
  }

  /** Whether the end of body was received and its answer is being decided (a drain lets it finish). */
  get deciding(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Handles one command. Returns a promise only for the end of body, whose answer waits
   * for the filter; the server reads nothing more from this MTA until it settles.
   */
  handle(command: MilterCommand): Promise<void> | undefined {
    if (!this.negotiated && command.kind !== 'optneg') throw outOfOrder(command, 'before option negotiation');
    switch (command.kind) {
      case 'optneg':
        this.negotiate(command);
        return undefined;
      case 'macro':
        this.defineMacros(command.macros);
        return undefined;
      case 'connect':
        if (this.transaction) throw outOfOrder(command, 'inside a transaction');
        this.client = { hostname: command.hostname, address: command.address || undefined, port: command.port || undefined };
        break;
      case 'helo':
        if (this.transaction) throw outOfOrder(command, 'inside a transaction');
        this.client = { ...this.client, helo: command.name };
        break;
      case 'mail':
        if (this.transaction) throw outOfOrder(command, 'inside a transaction');
        this.transaction = new MilterTransaction(mailCommandOfArgs(command.args, this.macro('mail_addr')), this.identity(), this.peer, this.macro('auth_authen'));
        break;
      case 'rcpt': {
        const tx = this.inEnvelope(command);
        if (tx.rcpts.length >= this.context.settings().maxRecipients) throw new MilterProtocolError('limit', `more than ${tx.rcpts.length} recipients`);
        tx.rcpts.push(rcptCommandOfArgs(command.args, this.macro('rcpt_addr')));
        break;
      }
      case 'data':
        this.inEnvelope(command);
        break;
      case 'header':
        this.messageOf(command).header(command.name, command.value);
        break;
      case 'eoh':
        this.messageOf(command).endHeaders();
        break;
      case 'body':
        this.messageOf(command).body(command.chunk);
        break;
      case 'eob': {
        const message = this.messageOf(command);
        message.body(command.chunk);
        const tx = this.transaction;
        if (!tx) throw outOfOrder(command, 'outside a transaction');
        this.transaction = undefined;
        this.message = undefined;
        tx.queueId = this.macro('i');
        this.pending = this.endOfBody(tx, message).finally(() => (this.pending = undefined));
        return this.pending;
      }
      case 'abort':
        this.abandon();
        this.clearMessageMacros();
        return undefined;
      case 'quit':
        this.abandon();
        return undefined;
      case 'quit-nc':
        // The MTA goes on with a new SMTP connection over this one: nothing of the old stays.
        this.abandon();
        this.macros.clear();
        this.client = {};
        return undefined;
      case 'unknown':
        break;
    }
    const flag = REPLY_FLAG[command.kind];
    if (flag !== undefined && (this.protocol & flag) === 0) this.send([{ kind: 'continue' }]);
    return undefined;
  }

  /** The MTA went away: a transaction still open never reached its end. */
  closed(): void {
    this.abandon();
  }

  private negotiate(offer: Extract<MilterCommand, { kind: 'optneg' }>): void {
    if (this.negotiated) throw outOfOrder(offer, 'a second time');
    // Version 2 is the oldest Postfix and Sendmail speak; below that nothing here is defined.
    if (offer.version < 2) throw new MilterProtocolError('out-of-order', `milter protocol version ${offer.version} is too old`);
    this.negotiated = true;
    this.actions = offer.actions & WANTED_ACTIONS;
    // Only flags the MTA offered: an MTA that cannot skip a reply must still get one.
    this.protocol = offer.protocol & (NO_REPLY | NOT_SENT | C.SMFIP_HDR_LEADSPC);
    const settings = this.context.settings();
    if (settings.quarantine === 'hold' && (this.actions & C.SMFIF_QUARANTINE) === 0) {
      this.context.logger.warn({ event: 'milter-negotiation', conn: this.peer.connection, actions: offer.actions }, 'the MTA does not offer SMFIF_QUARANTINE: quarantined mail is tempfailed instead of held');
    }
    this.send([{ kind: 'optneg', version: Math.min(offer.version, C.SMFI_VERSION), actions: this.actions, protocol: this.protocol, macros: offer.version >= 6 ? MACROS : [] }]);
  }

  private defineMacros(pairs: ReadonlyArray<readonly [string, string]>): void {
    for (const [name, value] of pairs) {
      const key = name.replace(/^\{(.*)\}$/, '$1');
      if (!this.macros.has(key) && this.macros.size >= MAX_MACROS) throw new MilterProtocolError('limit', `more than ${MAX_MACROS} macros`);
      this.macros.set(key, value);
    }
  }

  /** Macros of a message's stages (MAIL, RCPT, EOH, EOM) do not outlive it. */
  private clearMessageMacros(): void {
    for (const key of ['i', 'mail_addr', 'auth_authen', 'rcpt_addr']) this.macros.delete(key);
  }

  private macro(name: string): string | undefined {
    const v = this.macros.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  private identity(): ClientIdentity {
    const c = this.client;
    // Postfix says "unknown" and Sendmail "[addr]" for a client without a verified name.
    const name = c.hostname && c.hostname !== 'unknown' && !c.hostname.startsWith('[') ? c.hostname : (this.macro('client_name') ?? undefined);
    return {
      name: name === 'unknown' ? undefined : name,
      addr: c.address ?? this.macro('client_addr'),
      port: c.port,
      helo: c.helo,
    };
  }

  private inEnvelope(command: MilterCommand): MilterTransaction {
    if (!this.transaction || this.message) throw outOfOrder(command, this.transaction ? 'after the message began' : 'outside a transaction');
    return this.transaction;
  }

  private messageOf(command: MilterCommand): MilterMessage {
    const tx = this.transaction;
    if (!tx) throw outOfOrder(command, 'outside a transaction');
    // Sendmail sends DATA only when asked; the first header starts the message either way.
    this.message ??= new MilterMessage(this.context.settings().maxMessageBytes, (this.protocol & C.SMFIP_HDR_LEADSPC) !== 0, this.context.inflight);
    return this.message;
  }

  private abandon(): void {
    const tx = this.transaction;
    this.transaction = undefined;
    this.message?.release();
    this.message = undefined;
    if (tx) this.log(tx.logRecord('abandoned', undefined));
  }

  /** The filter's disposition as the end-of-message answer, within our own deadline. */
  private async endOfBody(tx: MilterTransaction, collected: MilterMessage): Promise<void> {
    const settings = this.context.settings();
    if (collected.overBudget) {
      // The process holds smtp.max_inflight_bytes already: the MTA keeps this one and retries.
      tx.size = collected.size;
      tx.failure = 'inflight-budget';
      this.context.metrics.inflightRefused.inc();
      this.context.logger.warn({ event: 'inflight-budget', tx: tx.id, size: collected.size, used: this.context.inflight.used, limit: this.context.inflight.limit }, 'messages in flight over smtp.max_inflight_bytes: tempfailed');
      this.context.metrics.milterReplies.inc({ reply: TEMPFAIL_ANSWER.label });
      this.send(TEMPFAIL_ANSWER.replies);
      this.log(tx.logRecord(TEMPFAIL_ANSWER.label, undefined));
      this.clearMessageMacros();
      return;
    }
    const deps = this.context.filter();
    const message = collected.build(this.context.buffers);
    tx.size = collected.size;
    const filtering = filterMessage(
      {
        id: tx.id,
        receivedAt: tx.receivedAt,
        mail: tx.mail,
        rcpts: tx.rcpts,
        // Postfix's queue id as the client's IDENT: a release's XFORWARD names it for the mail log.
        client: tx.queueId ? { ...tx.client, ident: tx.queueId } : tx.client,
        message,
        oversized: collected.overLimit ? { bytes: collected.size, limit: settings.maxMessageBytes } : undefined,
      },
      deps,
    );
    // The buffer goes back only when the filter is done with it, even after our deadline.
    const done = () => {
      this.context.buffers.give(message);
      collected.release();
    };
    void filtering.then(done, done);
    let answer: EndOfMessage;
    let disposition: Disposition | undefined;
    try {
      disposition = await withDeadline(filtering, settings.answerDeadlineMs);
      tx.report = disposition?.report;
      if (!disposition) tx.failure = 'deadline';
      answer = disposition ? this.answerFor(disposition) : TEMPFAIL_ANSWER;
    } catch (err) {
      // The filter answers trouble with replies; an exception is a bug, and a bug must not lose mail.
      this.context.logger.error({ err, tx: tx.id }, 'filtering failed');
      tx.failure = 'internal';
      answer = TEMPFAIL_ANSWER;
    }
    this.context.metrics.milterReplies.inc({ reply: answer.label });
    this.send(answer.replies);
    this.log(tx.logRecord(answer.label, disposition));
    this.clearMessageMacros();
  }

  private answerFor(disposition: Disposition): EndOfMessage {
    // An MTA that cannot hold: the message stays with the sender (never lost, never passed).
    if (disposition.kind === 'quarantined' && !disposition.stored && (this.actions & C.SMFIF_QUARANTINE) === 0) return TEMPFAIL_ANSWER;
    if (disposition.kind === 'relay' && disposition.ops.length > 0 && !this.mayEdit(disposition.ops)) return TEMPFAIL_ANSWER;
    return endOfMessage(disposition, { leadingSpace: (this.protocol & C.SMFIP_HDR_LEADSPC) !== 0 });
  }

  /** Edits need the actions negotiated for them; without them a tagged message cannot go out as tagged. */
  private mayEdit(ops: readonly { kind: string }[]): boolean {
    const adds = ops.some((op) => op.kind === 'insert' || op.kind === 'add');
    const changes = ops.some((op) => op.kind === 'change' || op.kind === 'delete');
    return (!adds || (this.actions & C.SMFIF_ADDHDRS) !== 0) && (!changes || (this.actions & C.SMFIF_CHGHDRS) !== 0);
  }

  private log(record: Record<string, unknown>): void {
    if (record['outcome'] === 'tempfail' && record['reason']) this.context.logger.warn(record, 'transaction');
    else this.context.logger.info(record, 'transaction');
  }
}

function outOfOrder(command: MilterCommand, where: string): MilterProtocolError {
  return new MilterProtocolError('out-of-order', `${command.kind} ${where}`);
}

/** The promise's value, or undefined once `ms` have passed without one. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
