import type { Envelope } from '../core/envelope.js';
import type { Inspection } from '../core/verdict.js';
import { applyHeaderOps, planHeaderOps, type EditRequest, type HeaderOp } from '../edit/header-ops.js';
import type { TagSettings } from '../edit/tag-settings.js';
import { verdictHeaders } from '../edit/verdict-headers.js';
import type { Logger } from '../log/logger.js';
import type { ClientIdentity, MailCommand, RcptCommand } from '../message/smtp-envelope.js';
import type { Ingress, Metrics } from '../metrics/metrics.js';
import { decide, type Action, type Decision, type Policy } from '../policy/decide.js';
import { messageParties } from '../policy/message-parties.js';
import { quarantineMetaOf } from '../quarantine/entry-meta.js';
import { QuarantineFullError } from '../quarantine/budgeted-store.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import type { SmtpReply } from '../smtp/smtp-reply.js';
import { HEADER_TOO_LARGE, INSPECTION_BUSY, INTERNAL_ERROR, QUARANTINE_FAILED, INSUFFICIENT_STORAGE, replyForAction } from './filter-replies.js';
import type { InspectionOutcome, Inspector } from './inspector.js';
import type { PpapPairing } from '../ppap/ppap-pairing.js';
import { oversizedInspection } from '../core/inspect.js';
import { headerFactsOf } from '../message/header-facts.js';

/** One message at the end of its DATA phase, as an ingress received it. */
export interface FilterInput {
  /** The transaction id: in logs, and the quarantine id when it is held. */
  readonly id: string;
  readonly receivedAt: Date;
  readonly mail: MailCommand;
  /** The recipients the next hop (or the MTA) accepted. */
  readonly rcpts: readonly RcptCommand[];
  readonly client: ClientIdentity;
  /** The message as received; over a SharedArrayBuffer it reaches a worker without a copy. */
  readonly message: Buffer;
  /**
   * The message was over the size limit and only its header block is in `message` (the
   * milter: the MTA has taken the message, so there must still be an answer). It is not
   * inspected: the policy's answer for unscannable mail, and a quarantine is the ingress's
   * own (the bytes to store were never kept).
   */
  readonly oversized?: { readonly bytes: number; readonly limit: number };
}

export interface FilterDeps {
  readonly ingress: Ingress;
  readonly inspector: Inspector;
  readonly policy: Policy;
  readonly tag: TagSettings;
  /**
   * Where quarantined mail goes: sekisho's store (the 250 waits for its durable copy), or
   * "ingress": the ingress holds it itself (the milter's hold queue; `scan` only reports).
   */
  readonly quarantine: QuarantineStore | 'ingress';
  /** Absent for `scan`: nothing it sees is traffic. */
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** The proxy wants the edited bytes; the milter sends the header operations instead. */
  readonly editBytes: boolean;
  /** PPAP pairing (docs/ppap.md); used only where sekisho keeps the quarantine itself. */
  readonly ppap?: PpapPairing;
}

/** Mails larger than this are not read for stated passwords: a password notice is short. */
const MAX_PASSWORD_MAIL_BYTES = 1024 * 1024;

/** What the filter found out on the way, for the ingress's log line. */
export interface FilterReport {
  readonly inspection?: Inspection;
  readonly decision?: Decision;
  readonly scanMs?: number;
  /** Why the filter itself refused, when it did (busy, crash, memory, quarantine, header, internal). */
  readonly failure?: string;
}

/**
 * The filter's part of an ingress's transaction log line, the same fields for the proxy and
 * the milter: what the inspection found and what the policy did, and why.
 */
export function reportLogFields(report: FilterReport | undefined, otherReason?: string): Record<string, unknown> {
  const verdict = report?.inspection;
  const decision = report?.decision;
  return {
    // The Message-ID finds a transaction from a user's complaint.
    message_id: verdict?.headers.messageId || undefined,
    verdict: verdict?.verdict,
    score: verdict?.score,
    findings: verdict?.findings.map((f) => `${f.detector}/${f.code}`),
    action: decision?.action.kind,
    reason: decision?.action.reason ?? report?.failure ?? otherReason,
    rule: decision?.rule,
    allowlisted: decision?.allowlisted,
  };
}

/**
 * What the ingress does with the message. `relay`: pass it on with these header
 * operations (and, when asked, the edited bytes); the final reply is the next hop's.
 * `quarantined`: held (a stored copy is durable already); the ingress answers as for a
 * relayed message. `refuse`: this
 * one reply, the message goes nowhere.
 */
export type Disposition =
  | { readonly kind: 'relay'; readonly ops: readonly HeaderOp[]; readonly message: Buffer; readonly action: Action; readonly report: FilterReport }
  /**
   * `stored`: the copy in sekisho's store is durable. Otherwise the ingress holds the
   * message itself (the MTA's hold queue), with `ops` applied: forged X-Sekisho-* fields
   * removed and the verdict headers added, for the admin who looks at it there.
   */
  | { readonly kind: 'quarantined'; readonly id: string; readonly stored: boolean; readonly ops: readonly HeaderOp[]; readonly report: FilterReport }
  | { readonly kind: 'refuse'; readonly reply: SmtpReply; readonly report: FilterReport };

/**
 * The filter every ingress calls at the end of DATA: inspection, policy, metrics and
 * quarantine happen here and nowhere else, and the answer is a value the ingress puts on
 * its own wire. Never throws for anything a message can do; an exception that still gets
 * out is a bug, and the ingress answers INTERNAL_ERROR (the sender keeps the message).
 */
export async function filterMessage(input: FilterInput, deps: FilterDeps): Promise<Disposition> {
  // PPAP pairs zips in sekisho's own store: nothing to pair when the MTA holds the quarantine.
  const pairing = deps.quarantine === 'ingress' ? undefined : deps.ppap;
  const envelope: Envelope = {
    mailFrom: input.mail.address,
    rcptTo: input.rcpts.map((r) => r.address),
    client: input.client.addr ? { address: input.client.addr, hostname: input.client.name, helo: input.client.helo } : undefined,
  };
  const outcome: InspectionOutcome = input.oversized
    ? { kind: 'inspected', inspection: oversizedInspection(headerFactsOf(input.message), input.oversized.bytes, input.oversized.limit), ms: 0 }
    : await deps.inspector.inspect(envelope, input.message, pairing && input.message.length <= MAX_PASSWORD_MAIL_BYTES ? { statedPasswords: true } : undefined);
  if (outcome.kind === 'busy') return { kind: 'refuse', reply: INSPECTION_BUSY, report: { failure: 'busy' } };
  if (outcome.kind === 'failed') {
    deps.logger?.error({ tx: input.id, reason: outcome.reason, detail: outcome.detail }, 'inspection failed');
    return { kind: 'refuse', reply: INTERNAL_ERROR, report: { failure: outcome.reason } };
  }
  const inspection = outcome.inspection;
  const decision = decide(inspection, messageParties(envelope.mailFrom, envelope.rcptTo, inspection.headers), deps.policy);
  const action = decision.action;
  const report: FilterReport = { inspection, decision, scanMs: outcome.ms };
  deps.metrics?.recordMessage(deps.ingress, inspection, action.kind, input.oversized?.bytes ?? input.message.length, outcome.ms / 1000);

  const wire = replyForAction(action);
  if (wire === 'quarantine') return quarantine(input, inspection, action, report, deps);
  if (wire !== 'relay') return { kind: 'refuse', reply: wire, report };
  const ops = planHeaderOps(input.message, inspection.headers, editRequest(action, inspection, deps.tag));
  // Headers past the edit step's cap could hide a forged X-Sekisho verdict: not relayed.
  if (ops === 'header-too-large') return { kind: 'refuse', reply: HEADER_TOO_LARGE, report: { ...report, failure: 'header-too-large' } };
  // A mail that is let through and states passwords may be the notice for a zip held
  // earlier (or later). Offered only once the filter relays it: a refused mail pairs nothing.
  if (pairing && inspection.statedPasswords) offerPasswords(pairing, input, inspection, deps.logger);
  const message = deps.editBytes ? applyHeaderOps(input.message, inspection.headers, ops) : input.message;
  return { kind: 'relay', ops, message, action, report };
}

/**
 * Which header edits an action asks for. Every relayed message loses forged X-Sekisho-*
 * headers (nothing else changes for a pass, so clean mail stays byte for byte); a tagged
 * one gets the verdict headers and, unless in header-only mode, the Subject tag.
 */
export function editRequest(action: Action, inspection: Inspection, tag: TagSettings): EditRequest {
  if (action.kind !== 'tag') return { stripOwnHeaders: true };
  return {
    stripOwnHeaders: true,
    subjectPrefix: tag.mode === 'subject' ? tag.prefixes[inspection.verdict] : undefined,
    knownPrefixes: tag.known,
    addHeaders: verdictHeaders(inspection),
  };
}

/**
 * Holds the message: a copy in sekisho's store is durable (fsynced) before the reply says
 * 250, and the next hop never gets it. A copy that cannot be written is a tempfail.
 */
async function quarantine(input: FilterInput, inspection: Inspection, action: Action, report: FilterReport, deps: FilterDeps): Promise<Disposition> {
  const reason = action.reason ?? inspection.verdict;
  if (deps.quarantine === 'ingress' || input.oversized) {
    const ops = planHeaderOps(input.message, inspection.headers, { stripOwnHeaders: true, addHeaders: verdictHeaders(inspection) });
    return { kind: 'quarantined', id: input.id, stored: false, ops: ops === 'header-too-large' ? [] : ops, report };
  }
  const ppap = action.kind === 'await-password' ? deps.ppap?.awaiting(input.mail.address, inspection.headers.from, input.receivedAt) : undefined;
  const held = { id: input.id, receivedAt: input.receivedAt, mail: input.mail, rcpts: input.rcpts, client: input.client, verdict: inspection, headers: inspection.headers, sha256: inspection.sha256, reason, ppap };
  const meta = quarantineMetaOf(held, input.message, new Date());
  try {
    await deps.quarantine.put(meta, input.message);
  } catch (err) {
    if (err instanceof QuarantineFullError) {
      // Kept by the sender, never dropped or passed: the admin makes room or raises the quota.
      deps.logger?.warn({ event: 'quarantine-full', tx: input.id, reason: err.reason, detail: err.message }, 'quarantine full: message tempfailed');
      deps.metrics?.quarantineFull.inc({ reason: err.reason });
      return { kind: 'refuse', reply: INSUFFICIENT_STORAGE, report: { ...report, failure: 'quarantine-full' } };
    }
    deps.logger?.error({ err, tx: input.id }, 'quarantine write failed');
    deps.metrics?.quarantineStoreErrors.inc();
    return { kind: 'refuse', reply: QUARANTINE_FAILED, report: { ...report, failure: 'quarantine' } };
  }
  // Durable now: a password stated by a mail that came first may open it (after the reply).
  if (ppap && deps.ppap) {
    const pairing = deps.ppap;
    void pairing.held(meta).catch((err: unknown) => deps.logger?.error({ err, tx: input.id }, 'ppap pairing failed'));
  }
  return { kind: 'quarantined', id: input.id, stored: true, ops: [], report };
}

/** In the background: the mail's reply does not wait for the zips its passwords may open. */
function offerPasswords(ppap: PpapPairing, input: FilterInput, inspection: Inspection, logger: Logger | undefined): void {
  const mail = {
    mailFrom: input.mail.address,
    headerFrom: inspection.headers.from,
    rcpts: input.rcpts.map((r) => r.address),
    passwords: inspection.statedPasswords ?? [],
    // As the audit line shows it: "<id@host>", or sekisho's transaction id when there is none.
    messageId: inspection.headers.messageId ? `<${inspection.headers.messageId}>` : input.id,
    at: input.receivedAt,
  };
  void ppap.offer(mail).catch((err: unknown) => logger?.error({ err, tx: input.id }, 'ppap pairing failed'));
}
