import type { Envelope } from '../core/envelope.js';
import type { Inspection } from '../core/verdict.js';
import type { Inspector } from '../filter/inspector.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { decide, type Policy } from '../policy/decide.js';
import { messageParties } from '../policy/message-parties.js';
import type { OpenResult, ReleaseOptions } from '../quarantine/quarantine-admin.js';
import type { ReleaseResult } from '../quarantine/release.js';
import { QuarantineLockedError, type PpapAttempt, type PpapState, type QuarantineMeta, type QuarantineStore } from '../quarantine/quarantine-store.js';
import type { PasswordVault } from './password-vault.js';

export interface PpapSettings {
  /** How long a zip waits for its password, and a password for its zip (ppap.window). */
  readonly windowMs: number;
  /** Also pair on the From address, not only the envelope sender (ppap.match_header_from). */
  readonly matchHeaderFrom: boolean;
  /** Put X-Sekisho-PPAP on a message released by pairing (ppap.release_header). */
  readonly releaseHeader: boolean;
}


/** A mail that states passwords, as the filter saw it. */
export interface PasswordMail {
  readonly mailFrom: string;
  readonly headerFrom: readonly string[];
  readonly rcpts: readonly string[];
  readonly passwords: readonly string[];
  readonly messageId: string;
  readonly at: Date;
}

/** Entries of one sender looked at per password mail: a sender with thousands held is an attack, not a customer. */
const MAX_ENTRIES_PER_MAIL = 50;
/**
 * Pairings run one at a time per process, and at most this many wait: each costs a store
 * lookup and perhaps a rescan, and a flood of "password" mails must not turn into a flood
 * of them (the file store reads one file per entry for a lookup). Beyond it an offer is
 * dropped with a log line: its zip stays held, an admin can still open it.
 */
const MAX_WAITING_PAIRINGS = 200;

/**
 * PPAP pairing (docs/ppap.md): a zip whose password stays closed is held "awaiting
 * password"; a later mail of the same sender to one of the same recipients that states
 * passwords gets them tried on it (and a password-only mail's passwords wait in the vault
 * for a zip that comes after). An archive that opens is inspected again, whole, with the
 * same limits, and the policy decides again: a clean one is released through the normal
 * release path (exactly once, original envelope), anything else stays quarantined with
 * what was found inside. Passwords are never logged, never stored in an entry.
 */
export class PpapPairing {
  constructor(
    private readonly store: QuarantineStore,
    private readonly vault: PasswordVault,
    private readonly release: (id: string, options: ReleaseOptions) => Promise<ReleaseResult>,
    private readonly inspector: Inspector,
    private readonly policy: () => Policy,
    private readonly settings: () => PpapSettings,
    private readonly metrics: Metrics | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The state a newly held entry starts in. */
  awaiting(mailFrom: string, headerFrom: readonly string[], receivedAt: Date): PpapState {
    const s = this.settings();
    return { state: 'awaiting', until: new Date(receivedAt.getTime() + s.windowMs).toISOString(), senders: this.sendersOf(mailFrom, headerFrom), attempts: [] };
  }

  /**
   * A zip was just held awaiting its password: passwords that came first may open it. In
   * the same queue as offers, under the same cap: a flood of zips must not start a flood of
   * lookups and rescans either.
   */
  held(meta: QuarantineMeta): Promise<void> {
    if (meta.ppap?.state !== 'awaiting') return Promise.resolve();
    return this.enqueue(() => this.heldNow(meta), `held ${meta.id}`);
  }

  private async heldNow(meta: QuarantineMeta): Promise<void> {
    const ppap = meta.ppap;
    if (ppap?.state !== 'awaiting') return;
    for (const record of await this.vault.lookup(ppap.senders, meta.rcpt_to, this.now())) {
      const result = await this.tryOpen(meta.id, record.passwords, record.messageId);
      if (result === 'released' || result === 'kept') {
        await this.vault.wipe(record.id);
        return;
      }
      if (result !== 'wrong-password') return;
    }
  }

  /**
   * A mail stated passwords: remember them for the window, and try them on the sender's
   * entries that await one. The mail itself goes its own way (the filter relays it as usual).
   */
  offer(mail: PasswordMail): Promise<void> {
    return this.enqueue(() => this.offerNow(mail), mail.messageId.slice(0, 200));
  }

  /** One pairing step after the others; beyond MAX_WAITING_PAIRINGS it is dropped with a log line. */
  private enqueue(step: () => Promise<void>, source: string): Promise<void> {
    if (this.waiting >= MAX_WAITING_PAIRINGS) {
      this.logger.warn({ event: 'ppap-pairing', result: 'dropped', source, waiting: this.waiting }, 'ppap pairing: too many waiting, not tried now (the zip stays held; a later password mail or an admin can open it)');
      return Promise.resolve();
    }
    this.waiting++;
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined).finally(() => this.waiting--);
    return run;
  }

  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  private async offerNow(mail: PasswordMail): Promise<void> {
    const senders = this.sendersOf(mail.mailFrom, mail.headerFrom);
    if (senders.length === 0 || mail.passwords.length === 0) return;
    const rcpts = mail.rcpts.map((r) => r.toLowerCase());
    let opened = false;
    for (const meta of await this.awaitingFor(senders, rcpts)) {
      const result = await this.tryOpen(meta.id, mail.passwords, mail.messageId);
      if (result === 'released' || result === 'kept') opened = true;
    }
    // Used up when it opened something; otherwise a zip may still come within the window.
    if (!opened) await this.vault.remember({ senders, rcpts, passwords: mail.passwords, messageId: mail.messageId, until: mail.at.getTime() + this.settings().windowMs });
  }

  /** An admin typed a password (web page, API, `sekisho quarantine open`): the same path as a mail's. */
  open(id: string, password: string, by: string): Promise<OpenResult> {
    return this.tryOpen(id, [password], by, `ppap: password entered by ${by}`);
  }

  /** Windows that are over: plain quarantine, and their passwords gone. */
  async sweep(): Promise<number> {
    const now = this.now();
    await this.vault.purge(now);
    let expired = 0;
    const page = await this.store.list({ released: false, since: new Date(now - 2 * this.settings().windowMs - 86_400_000), limit: 10_000 });
    for (const meta of page.entries) {
      if (meta.ppap?.state !== 'awaiting' || Date.parse(meta.ppap.until) > now) continue;
      try {
        if ((await this.record(meta.id, 'expired', 'window over')) === 'expired') expired++;
      } catch (err) {
        // Being released, opened or swept by another process just now: that one decides it.
        if (err instanceof QuarantineLockedError) continue;
        throw err;
      }
    }
    return expired;
  }

  private sendersOf(mailFrom: string, headerFrom: readonly string[]): string[] {
    const all = [mailFrom, ...(this.settings().matchHeaderFrom ? headerFrom : [])].map((a) => a.trim().toLowerCase());
    // The null sender is a bounce: nobody's password notice.
    return [...new Set(all.filter((a) => a !== '' && a.includes('@')))];
  }

  private async awaitingFor(senders: readonly string[], rcpts: readonly string[]): Promise<QuarantineMeta[]> {
    const now = this.now();
    const since = new Date(now - this.settings().windowMs);
    const found = new Map<string, QuarantineMeta>();
    for (const sender of senders) {
      const page = await this.store.list({ sender, since, released: false, limit: MAX_ENTRIES_PER_MAIL });
      for (const meta of page.entries) {
        const p = meta.ppap;
        if (p?.state !== 'awaiting' || Date.parse(p.until) < now) continue;
        if (!p.senders.some((s) => senders.includes(s))) continue;
        if (!meta.rcpt_to.some((r) => rcpts.includes(r.toLowerCase()))) continue;
        found.set(meta.id, meta);
      }
    }
    return [...found.values()];
  }

  /** Re-inspects one entry with these passwords and acts on the new verdict. */
  private async tryOpen(id: string, passwords: readonly string[], source: string, releasedBy = `ppap pairing, password from message ${source}`): Promise<OpenResult> {
    const meta = await this.store.get(id);
    const raw = meta && (await this.store.raw(id));
    if (!meta || !raw || meta.ppap?.state !== 'awaiting' || meta.release) return 'not-awaiting';
    const envelope: Envelope = {
      mailFrom: meta.mail_from,
      rcptTo: meta.rcpt_to,
      client: meta.client.addr ? { address: meta.client.addr, hostname: meta.client.name, helo: meta.client.helo } : undefined,
    };
    const outcome = await this.inspector.inspect(envelope, raw, { pairedPasswords: passwords });
    if (outcome.kind !== 'inspected') return this.record(id, 'error', source);
    const inspection = outcome.inspection;
    if (stillClosed(inspection)) return this.record(id, 'wrong-password', source);
    const decision = decide(inspection, messageParties(meta.mail_from, meta.rcpt_to, inspection.headers), this.policy());
    const kind = decision.action.kind;
    if (kind === 'pass' || kind === 'tag') {
      const settings = this.settings();
      const result = await this.release(id, {
        by: releasedBy,
        header: settings.releaseHeader ? { name: 'X-Sekisho-PPAP', value: `opened and inspected: ${inspection.verdict}; password from ${source.slice(0, 200)}` } : false,
      });
      if (result.status !== 'released') {
        this.logger.warn({ event: 'ppap-pairing', id, result: 'error', release: result.status }, 'ppap pairing: the archive opened but the release did not go through');
        return this.record(id, 'error', source);
      }
      return this.record(id, 'released', source);
    }
    // Bad inside (a macro, say): stays quarantined, now with what was found inside.
    return this.record(id, 'kept', source, inspection, decision.action.reason);
  }

  /** One attempt's outcome on the entry, under its lock; a metric and an audit line. */
  private async record(id: string, result: Exclude<OpenResult, 'not-awaiting'>, source: string, inspection?: Inspection, reason?: string): Promise<OpenResult> {
    const lock = await this.store.lock(id);
    try {
      const meta = await this.store.get(id);
      if (!meta?.ppap) return 'not-awaiting';
      const attempt: PpapAttempt = { at: new Date(this.now()).toISOString(), result, source: source.slice(0, 200) };
      const state: PpapState['state'] = result === 'released' ? 'released' : result === 'kept' ? 'kept' : result === 'expired' ? 'expired' : meta.ppap.state;
      if (result !== 'released' && meta.ppap.state !== 'awaiting') return 'not-awaiting';
      const ppap: PpapState = { ...meta.ppap, state, attempts: [...meta.ppap.attempts, attempt].slice(-50) };
      const updated: QuarantineMeta = inspection
        ? { ...meta, ppap, verdict: inspection.verdict, score: inspection.score, findings: inspection.findings, reason: reason ?? meta.reason }
        : { ...meta, ppap };
      await this.store.update(id, updated);
    } finally {
      await lock.release();
    }
    if (result !== 'error') this.metrics?.ppapPairings.inc({ result });
    // The audit line: what happened, and which mail's password; never the password.
    this.logger.info({ event: 'ppap-pairing', id, result, source: source.slice(0, 200) }, 'ppap pairing');
    return result;
  }
}

/** The archive still did not open: the finding of a closed encrypted zip is still there. */
function stillClosed(inspection: Inspection): boolean {
  return inspection.findings.some((f) => f.detector === 'archive' && (f.code === 'encrypted-office-zip' || f.code === 'encrypted-zip'));
}

/** Entries awaiting a password now, within their window (the sekisho_ppap_awaiting gauge). */
export async function countAwaiting(store: QuarantineStore, windowMs: number, now = Date.now()): Promise<number> {
  const page = await store.list({ released: false, since: new Date(now - 2 * windowMs - 86_400_000), limit: 10_000 });
  return page.entries.filter((m) => m.ppap?.state === 'awaiting' && Date.parse(m.ppap.until) > now).length;
}
