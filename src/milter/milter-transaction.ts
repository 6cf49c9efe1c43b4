import { performance } from 'node:perf_hooks';
import { reportLogFields, type Disposition, type FilterReport } from '../filter/filter-message.js';
import type { ClientIdentity, MailCommand, RcptCommand } from '../message/smtp-envelope.js';
import { newTransactionId } from '../message/transaction-id.js';
import type { MilterReplyLabel } from '../metrics/metrics.js';

/**
 * One message the MTA passes through the milter, MAIL to the end-of-message answer, kept
 * for the single log line it ends with. The fields are the proxy's transaction line's, and
 * `queue_id` is the MTA's own (Postfix's `i` macro) so that a line in sekisho's log finds
 * the message in the mail log and in `postqueue -j`.
 */
export class MilterTransaction {
  readonly id = newTransactionId();
  readonly receivedAt = new Date();
  private readonly started = performance.now();
  readonly rcpts: RcptCommand[] = [];
  queueId: string | undefined;
  size: number | undefined;
  report: FilterReport | undefined;
  /** Our own failure when there is no report: the deadline, or a bug. */
  failure: string | undefined;

  constructor(
    readonly mail: MailCommand,
    readonly client: ClientIdentity,
    private readonly peer: { readonly connection: string; readonly address: string },
    private readonly auth: string | undefined,
  ) {}

  logRecord(outcome: MilterReplyLabel | 'abandoned', disposition: Disposition | undefined): Record<string, unknown> {
    const ms = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);
    const reply = disposition?.kind === 'refuse' ? disposition.reply.toString() : undefined;
    return {
      event: 'transaction',
      ingress: 'milter',
      tx: this.id,
      queue_id: this.queueId,
      conn: this.peer.connection,
      client: { ip: this.client.addr, name: this.client.name, helo: this.client.helo },
      peer: this.peer.address,
      auth: this.auth,
      mail_from: this.mail.address,
      rcpt: this.rcpts.map((r) => r.address),
      size: this.size,
      ...reportLogFields(this.report, this.failure),
      outcome,
      reply,
      quarantine: disposition?.kind === 'quarantined' ? (disposition.stored ? 'store' : 'hold') : undefined,
      latency_ms: { total: ms(performance.now() - this.started), scan: ms(this.report?.scanMs) },
    };
  }
}
