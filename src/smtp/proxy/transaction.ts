import { performance } from 'node:perf_hooks';
import { reportLogFields, type FilterReport } from '../../filter/filter-message.js';
import type { ClientIdentity, MailCommand, RcptCommand } from '../next-hop/next-hop.js';
import type { SmtpReply } from '../smtp-reply.js';
import { newTransactionId } from '../../message/transaction-id.js';

export type Outcome = 'delivered' | 'quarantined' | 'rejected' | 'tempfailed' | 'abandoned';

/**
 * One mail transaction (MAIL to the final reply) as it goes through the proxy, kept for
 * the single log line it ends with. Holds envelope and replies, never message content.
 */
export class Transaction {
  readonly id = newTransactionId();
  readonly receivedAt = new Date();
  private readonly started = performance.now();
  private readonly recipients: Array<{ to: string; reply: string }> = [];
  readonly accepted: string[] = [];
  /** The accepted RCPT commands, DSN parameters included: what a quarantine release re-sends. */
  readonly acceptedRcpts: RcptCommand[] = [];
  mailCommand: MailCommand | undefined;
  size: number | undefined;
  /** What the filter found (verdict, decision, scan time), once DATA was filtered. */
  private report: FilterReport = {};
  nextHopMs: number | undefined;
  nextHopError: string | undefined;
  /** The client broke a deadline (client-deadline.ts) and was cut. */
  deadline: string | undefined;
  private mailReply: string | undefined;

  constructor(
    readonly mailFrom: string,
    readonly client: ClientIdentity,
    private readonly peer: { readonly connection: string; readonly ip: string; readonly tls: boolean },
  ) {}

  recordMail(reply: SmtpReply): void {
    this.mailReply = reply.toString();
  }

  /** What the filter found: verdict, action and why, scan time. */
  recordFilter(report: FilterReport): void {
    this.report = report;
  }

  recordRcpt(rcpt: RcptCommand, reply: SmtpReply): void {
    this.recipients.push({ to: rcpt.address, reply: reply.toString() });
    if (!reply.isPositive) return;
    this.accepted.push(rcpt.address);
    this.acceptedRcpts.push(rcpt);
  }

  /** The transaction's log line: who, envelope, size, verdict, replies, latency. */
  logRecord(outcome: Outcome, reply: SmtpReply | undefined, nextHop: string): Record<string, unknown> {
    const ms = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);
    return {
      event: 'transaction',
      tx: this.id,
      conn: this.peer.connection,
      client: { ip: this.client.addr ?? this.peer.ip, name: this.client.name, helo: this.client.helo, ident: this.client.ident },
      peer: this.peer.ip,
      tls: this.peer.tls,
      mail_from: this.mailFrom,
      mail_reply: this.mailReply,
      rcpt: this.recipients,
      size: this.size,
      ...reportLogFields(this.report, this.deadline),
      outcome,
      reply: reply?.toString(),
      next_hop: nextHop,
      next_hop_error: this.nextHopError,
      latency_ms: { total: ms(performance.now() - this.started), scan: ms(this.report.scanMs), next_hop: ms(this.nextHopMs) },
    };
  }
}
