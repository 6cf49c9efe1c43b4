import type { HeaderOp } from '../edit/header-ops.js';
import type { Disposition } from '../filter/filter-message.js';
import type { MilterReplyLabel } from '../metrics/metrics.js';
import type { MilterReply } from './milter-codec.js';

/** What was negotiated that changes how edits are written. */
export interface MilterWire {
  /** SMFIP_HDR_LEADSPC: values we send carry their own space after the colon. */
  readonly leadingSpace: boolean;
}

/** The end-of-message answer: modifications first, then the one verdict, and its metric label. */
export interface EndOfMessage {
  readonly replies: readonly MilterReply[];
  readonly label: MilterReplyLabel;
}

/**
 * The one place where the filter's disposition becomes milter replies at end of body
 * (modifications are only allowed there, before the verdict):
 * - relay → the header operations (SMFIR_INSHEADER / ADDHEADER / CHGHEADER), then ACCEPT;
 * - quarantined in sekisho's store (durable already) → DISCARD: Postfix tells the client
 *   250 and drops its copy, the release goes out through sekisho with the original envelope;
 * - quarantined by the MTA (milter.quarantine: hold, or a message too large to store) → the
 *   verdict headers, SMFIR_QUARANTINE (Postfix: the hold queue, `postsuper -H` releases),
 *   then ACCEPT, since quarantine is not itself a verdict;
 * - refused by the policy (reject, tempfail) → SMFIR_REPLYCODE with the proxy's very text;
 * - refused by a fault of our own (busy, worker crash, quarantine write) → SMFIR_TEMPFAIL.
 */
export function endOfMessage(disposition: Disposition, wire: MilterWire): EndOfMessage {
  switch (disposition.kind) {
    case 'relay':
      return { replies: [...disposition.ops.map((op) => headerReply(op, wire)), { kind: 'accept' }], label: 'accept' };
    case 'quarantined':
      if (disposition.stored) return { replies: [{ kind: 'discard' }], label: 'discard' };
      return {
        replies: [...disposition.ops.map((op) => headerReply(op, wire)), { kind: 'quarantine', reason: quarantineReason(disposition) }, { kind: 'accept' }],
        label: 'quarantine',
      };
    case 'refuse': {
      const reply = disposition.reply;
      if (disposition.report.failure && reply.isTransient) return { replies: [{ kind: 'tempfail' }], label: 'tempfail' };
      return { replies: [{ kind: 'replycode', text: reply.toString() }], label: 'replycode' };
    }
  }
}

/** Internal errors and our own deadline: the MTA keeps the message and the client retries. */
export const TEMPFAIL_ANSWER: EndOfMessage = { replies: [{ kind: 'tempfail' }], label: 'tempfail' };

/**
 * The quarantine reason: the verdict and the finding codes, never the finding text (it may
 * carry the sender's words). Sendmail keeps it with the queued message and logs it
 * ("milter=…, quarantine=…"). Postfix reads it and drops it (milter8.c: "XXX What to do
 * with the reason text?"): its log says only "milter-hold: END-OF-MESSAGE from …: milter
 * triggers HOLD action" (seen with Postfix 3.7), so there the verdict headers sent with
 * the hold (`postcat -hq ID`) and sekisho's transaction line (`queue_id`) tell why.
 */
function quarantineReason(d: Extract<Disposition, { kind: 'quarantined' }>): string {
  const inspection = d.report.inspection;
  const codes = [...new Set(inspection?.findings.map((f) => `${f.detector}/${f.code}`) ?? [])].slice(0, 8);
  return ['sekisho', d.id, inspection?.verdict ?? 'unscannable', ...codes].join(' ');
}

/**
 * One header operation as a milter packet. Values go with "\n" between folded lines, as
 * the MTA stores them; with HDR_LEADSPC negotiated Postfix adds no space after the colon
 * itself (MILTER8_HDR_SPACE), so ours goes in front. An empty CHGHEADER value deletes.
 *
 * Insert indexes are one past the operation's. The MTA's own Received header is the first
 * header of its queue file and the filter never sees it (Postfix milter8_header(): "Don't
 * expose our first (received) header"; Sendmail likewise), but SMFIR_INSHEADER counts it:
 * milter8.c passes index + 1 to cleanup_ins_header(), so index 0 goes *above* the MTA's
 * Received and index 1 just below it (cleanup_milter.c: "header insert operations are
 * relative to the content as delivered, that is, including our own first (received)
 * header"). Index 0 would put the verdict above the trace header of the hop that added it
 * (RFC 5321 §4.4 wants that one at the top), unlike the proxy path, where the MTA behind
 * sekisho puts its Received above them. It would also end the MTA's hiding of its own
 * header: from then on CHGHEADER skips our field instead of the MTA's Received, and a
 * milter after sekisho is shown the MTA's Received but not our first field (cleanup_milter.c:
 * "None of the above is applicable after a Milter inserts a header before our own
 * Received: header"). CHGHEADER indexes need no shift: they count from after it.
 */
function headerReply(op: HeaderOp, wire: MilterWire): MilterReply {
  if (op.kind === 'delete') return { kind: 'chgheader', index: op.index, name: op.name, value: '' };
  const value = `${wire.leadingSpace ? ' ' : ''}${op.value.replace(/\r\n/g, '\n')}`;
  switch (op.kind) {
    case 'insert':
      return { kind: 'insheader', index: op.index + 1, name: op.name, value };
    case 'add':
      return { kind: 'addheader', name: op.name, value };
    case 'change':
      return { kind: 'chgheader', index: op.index, name: op.name, value };
  }
}
