/**
 * Deadlines a client cannot stretch. smtp-server's idle timeout only measures silence, so a
 * client that sends one byte every few seconds (slowloris) held a DATA phase for minutes and
 * still got its 250, and ten such addresses hold every connection slot. This watch gives the
 * whole transaction (MAIL to the end of DATA) and the DATA phase each an absolute deadline,
 * and the DATA phase a minimum average rate once a grace period is over. What breaks one
 * calls `expire` once, with why; the proxy answers 421 and closes the connection.
 */

export interface DeadlineSettings {
  /** MAIL to the "." (smtp.timeouts.transaction). */
  readonly transactionMs: number;
  /** 354 to the "." (smtp.timeouts.data). */
  readonly dataMs: number;
  /** Bytes per second, averaged over the DATA phase so far (smtp.min_data_rate). */
  readonly minDataRate: number;
  /** The rate is only judged after this long into DATA: slow starts and stalls are normal. */
  readonly rateGraceMs: number;
}

export type DeadlineBreach = 'transaction-deadline' | 'data-deadline' | 'data-rate';

/** How often the rate is looked at during DATA. */
const RATE_CHECK_MS = 1000;

export class ClientDeadline {
  private txTimer: NodeJS.Timeout | undefined;
  private dataTimer: NodeJS.Timeout | undefined;
  private rateTimer: NodeJS.Timeout | undefined;
  private dataStarted = 0;
  private dataBytes = 0;
  private expired: DeadlineBreach | undefined;

  constructor(
    private readonly settings: () => DeadlineSettings,
    private readonly expire: (breach: DeadlineBreach) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why the client was cut, if it was. */
  get breach(): DeadlineBreach | undefined {
    return this.expired;
  }

  /** MAIL was accepted: the transaction's clock starts. */
  transaction(): void {
    this.stop();
    this.expired = undefined;
    this.txTimer = this.timer(this.settings().transactionMs, 'transaction-deadline');
  }

  /** 354 was sent: the DATA phase's clock starts. */
  data(): void {
    const s = this.settings();
    this.dataStarted = this.now();
    this.dataBytes = 0;
    this.dataTimer = this.timer(s.dataMs, 'data-deadline');
    if (s.minDataRate > 0) {
      this.rateTimer = setInterval(() => {
        const elapsed = this.now() - this.dataStarted;
        if (elapsed >= s.rateGraceMs && (this.dataBytes * 1000) / elapsed < s.minDataRate) this.fire('data-rate');
      }, RATE_CHECK_MS);
      this.rateTimer.unref();
    }
  }

  received(bytes: number): void {
    this.dataBytes += bytes;
  }

  /** The "." arrived (or the transaction ended): what follows is our time, not the client's. */
  stop(): void {
    for (const t of [this.txTimer, this.dataTimer]) if (t) clearTimeout(t);
    if (this.rateTimer) clearInterval(this.rateTimer);
    this.txTimer = this.dataTimer = this.rateTimer = undefined;
  }

  private timer(ms: number, breach: DeadlineBreach): NodeJS.Timeout {
    const t = setTimeout(() => this.fire(breach), ms);
    t.unref();
    return t;
  }

  private fire(breach: DeadlineBreach): void {
    if (this.expired) return;
    this.expired = breach;
    this.stop();
    this.expire(breach);
  }
}
