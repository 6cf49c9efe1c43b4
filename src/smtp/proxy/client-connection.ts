import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { filterMessage, type Disposition, type FilterDeps } from '../../filter/filter-message.js';
import { INSUFFICIENT_STORAGE, INTERNAL_ERROR } from '../../filter/filter-replies.js';
import type { Logger } from '../../log/logger.js';
import type { MessageBuffers } from '../../message/message-buffers.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { NextHopSession } from '../next-hop/next-hop.js';
import { NextHopError } from '../next-hop/next-hop-error.js';
import type { SmtpReply } from '../smtp-reply.js';
import type { AcceptedReplyShape } from './accepted-reply-shape.js';
import { collectMessage } from './message-collector.js';
import { ClientDeadline, type DeadlineBreach, type DeadlineSettings } from './client-deadline.js';
import type { InflightBytes } from '../../message/inflight-bytes.js';
import { CLIENT_GONE, DATA_DEADLINE, DATA_TOO_SLOW, messageTooBig, nextHopFailureReply, TRANSACTION_DEADLINE } from './proxy-replies.js';
import { clientIdentityOf, mailCommandOf, rcptCommandOf } from './smtp-server-envelope.js';
import { Transaction, type Outcome } from './transaction.js';

export interface ConnectionContext {
  readonly logger: Logger;
  readonly nextHopDescription: string;
  maxMessageBytes(): number;
  /** Where messages are collected; each goes back once its transaction has ended. */
  readonly buffers: MessageBuffers;
  /** The filter's dependencies as configured now (they change on reload). */
  filter(): FilterDeps;
  readonly metrics: Metrics;
  /** The next hop's usual 250, which a quarantined message's 250 imitates (no tells). */
  readonly acceptedShape: AcceptedReplyShape;
  deadlines(): DeadlineSettings;
  /** The process's budget of message bytes in flight (smtp.max_inflight_bytes), shared with the milter. */
  readonly inflight: InflightBytes;
  /** Says `reply` to this client and closes its connection (a deadline it broke). */
  hangUp(reply: SmtpReply): void;
}

/**
 * One client connection of the proxy, driven by smtp-server's hooks: each command is
 * relayed to the next hop in lock-step and its reply handed back, and at the end of DATA
 * the message is inspected and, when the policy lets it pass, relayed; the client's
 * final reply is the next hop's. Every transaction ends in exactly one log line.
 */
export class ClientConnection {
  private transaction: Transaction | undefined;
  /** The hook running now (a next-hop round trip or the DATA phase), if any. */
  private inFlight: Promise<unknown> | undefined;
  /** The client disconnected; a step still in flight finishes without it. */
  private gone = false;
  /** See `deciding`. */
  private committing = false;
  private readonly deadline: ClientDeadline;

  constructor(
    readonly session: SMTPServerSession,
    /** Our peer's address (before any XFORWARD). */
    readonly peerAddress: string,
    /** Whether the per-client connection limit counted this connection. */
    readonly countedForLimit: boolean,
    private readonly nextHop: NextHopSession,
    private readonly context: ConnectionContext,
  ) {
    this.deadline = new ClientDeadline(context.deadlines, (breach) => this.cut(breach));
  }

  /**
   * The whole message is in and being judged, stored or handed to the next hop: from here
   * the quarantine or the next hop may take it at any moment, so a 421 now could follow a
   * delivery and make the client send it again. A drain lets this finish (SmtpProxy.drain).
   */
  get deciding(): boolean {
    return this.committing;
  }

  /** A hook is running. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** True while the client is between an accepted MAIL and the end of its transaction. */
  get inTransaction(): boolean {
    return this.busy || this.session.envelope.mailFrom !== false;
  }

  /** Runs one hook's work; the connection knows it is busy until it settles. */
  run<T>(step: Promise<T>): Promise<T> {
    const tracked = step.finally(() => {
      if (this.inFlight === tracked) this.inFlight = undefined;
    });
    this.inFlight = tracked;
    return tracked;
  }

  async mail(address: SMTPServerAddress): Promise<SmtpReply> {
    // A transaction still open here was abandoned by RSET (smtp-server has no hook for it).
    if (this.transaction) this.finish(this.transaction, 'abandoned', undefined);
    const session = this.session;
    const tx = new Transaction(address.address, clientIdentityOf(session), {
      connection: session.id,
      ip: this.peerAddress,
      tls: session.secure,
    });
    this.transaction = tx;
    const reply = await this.relay(tx, () =>
      this.nextHop.mail(mailCommandOf(address, session.envelope), { id: tx.id, client: tx.client, receivedAt: tx.receivedAt }),
    );
    tx.recordMail(reply);
    tx.mailCommand = mailCommandOf(address, session.envelope);
    if (!reply.isPositive) this.finish(tx, outcomeOf(reply), reply);
    else this.deadline.transaction();
    return reply;
  }

  async rcpt(address: SMTPServerAddress): Promise<SmtpReply> {
    const tx = this.current();
    const rcpt = rcptCommandOf(address);
    const reply = await this.relay(tx, () => this.nextHop.rcpt(rcpt));
    tx.recordRcpt(rcpt, reply);
    return reply;
  }

  async data(stream: Readable): Promise<SmtpReply> {
    const tx = this.current();
    this.deadline.data();
    let collected;
    try {
      collected = await collectMessage(stream, this.context.maxMessageBytes(), this.context.buffers, (n) => this.deadline.received(n), this.context.inflight);
    } catch (err) {
      // The connection was closed under the stream: by us at a deadline, or by the client.
      const breach = this.deadline.breach;
      if (breach) {
        const reply = deadlineReply(breach);
        this.finish(tx, 'tempfailed', reply);
        return reply;
      }
      // The client hung up mid-message (or a drain cut it): no "." was sent on, nothing was
      // acknowledged, the sender still has the message. Routine, not an internal error.
      if ((err as NodeJS.ErrnoException).code !== 'ECONNECTION') throw err;
      this.finish(tx, 'abandoned', undefined);
      return CLIENT_GONE;
    } finally {
      this.deadline.stop();
    }
    if (collected.kind === 'too-big') {
      tx.size = collected.bytes;
      return this.refuse(tx, messageTooBig(this.context.maxMessageBytes()));
    }
    if (collected.kind === 'over-budget') {
      tx.size = collected.bytes;
      tx.deadline = 'inflight-budget';
      this.context.metrics.inflightRefused.inc();
      this.context.logger.warn({ event: 'inflight-budget', tx: tx.id, size: collected.bytes, used: this.context.inflight.used, limit: this.context.inflight.limit }, 'messages in flight over smtp.max_inflight_bytes: tempfailed');
      return this.refuse(tx, INSUFFICIENT_STORAGE);
    }
    const message = collected.message;
    this.committing = true;
    try {
      return await this.filterAndAct(tx, message);
    } finally {
      this.committing = false;
      // Relayed (the next hop's final reply is in, every byte was written), held (durable)
      // or refused: nothing uses the message any more.
      this.context.buffers.give(message);
      this.context.inflight.give(message.length);
    }
  }

  private async filterAndAct(tx: Transaction, message: Buffer): Promise<SmtpReply> {
    tx.size = message.length;
    let disposition: Disposition;
    try {
      disposition = await filterMessage(
        { id: tx.id, receivedAt: tx.receivedAt, mail: this.mailOf(tx), rcpts: tx.acceptedRcpts, client: tx.client, message },
        this.context.filter(),
      );
    } catch (err) {
      // The filter reports trouble as findings and replies; an exception is a bug, and a bug must not lose mail.
      this.context.logger.error({ err, tx: tx.id }, 'filtering failed');
      return this.refuse(tx, INTERNAL_ERROR);
    }
    tx.recordFilter(disposition.report);
    switch (disposition.kind) {
      case 'refuse':
        return this.refuse(tx, disposition.reply);
      case 'quarantined': {
        await this.nextHop.reset();
        // The sender hears what a relayed message gets; the quarantine id is in the log line (tx).
        const reply = this.context.acceptedShape.imitate();
        this.finish(tx, 'quarantined', reply);
        return reply;
      }
      case 'relay': {
        const outgoing = disposition.message;
        const reply = await this.relay(tx, () => this.nextHop.data(outgoing));
        this.context.acceptedShape.learn(reply);
        this.finish(tx, outcomeOf(reply), reply);
        return reply;
      }
    }
  }

  private mailOf(tx: Transaction) {
    const mail = tx.mailCommand;
    if (!mail) throw new Error('DATA without MAIL');
    return mail;
  }

  /**
   * The client went away. A step in flight is let finish: if the next hop already has the
   * message, its reply is what happened, and the log says the client did not hear it (it
   * will likely send the message again). A transaction still open after that is abandoned;
   * the next hop never saw its ".".
   */
  async closed(): Promise<void> {
    this.gone = true;
    await this.inFlight?.catch(() => undefined);
    if (this.transaction) this.finish(this.transaction, 'abandoned', undefined);
    await this.nextHop.close();
  }

  /** Ends the transaction without relaying the message: the next hop's transaction is reset. */
  private async refuse(tx: Transaction, reply: SmtpReply): Promise<SmtpReply> {
    await this.nextHop.reset();
    this.finish(tx, outcomeOf(reply), reply);
    return reply;
  }

  /** One next-hop round trip; no answer (down, timeout, reset) becomes our 4xx. */
  private async relay(tx: Transaction, step: () => Promise<SmtpReply>): Promise<SmtpReply> {
    const started = performance.now();
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof NextHopError)) throw err;
      tx.nextHopError = `${err.kind}: ${err.message}`;
      this.context.metrics.upstreamErrors.inc({ kind: err.kind });
      return nextHopFailureReply(err);
    } finally {
      const ms = performance.now() - started;
      tx.nextHopMs = (tx.nextHopMs ?? 0) + ms;
      this.context.metrics.upstreamLatency.observe(ms / 1000);
    }
  }

  private current(): Transaction {
    if (!this.transaction) throw new Error('no transaction: smtp-server called a hook out of order');
    return this.transaction;
  }

  /** A deadline broke: 421 and the connection closes; nothing was acknowledged, so nothing is lost. */
  private cut(breach: DeadlineBreach): void {
    const tx = this.transaction;
    if (tx) tx.deadline = breach;
    this.context.metrics.smtpDeadlines.inc({ breach });
    this.context.logger.warn({ event: 'client-deadline', breach, conn: this.session.id, ip: this.peerAddress, tx: tx?.id }, 'client too slow: connection closed');
    this.context.hangUp(deadlineReply(breach));
  }

  private finish(tx: Transaction, outcome: Outcome, reply: SmtpReply | undefined): void {
    if (this.transaction === tx) {
      this.transaction = undefined;
      this.deadline.stop();
    }
    const record = tx.logRecord(outcome, reply, this.context.nextHopDescription);
    if (this.gone && outcome !== 'abandoned') record['client_gone'] = true;
    if ((outcome === 'tempfailed' && tx.nextHopError) || record['client_gone']) this.context.logger.warn(record, 'transaction');
    else this.context.logger.info(record, 'transaction');
  }
}

function deadlineReply(breach: DeadlineBreach): SmtpReply {
  return breach === 'data-rate' ? DATA_TOO_SLOW : breach === 'data-deadline' ? DATA_DEADLINE : TRANSACTION_DEADLINE;
}

function outcomeOf(reply: SmtpReply): Outcome {
  if (reply.isPositive) return 'delivered';
  return reply.isTransient ? 'tempfailed' : 'rejected';
}
