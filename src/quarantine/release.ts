import { prependField } from '../edit/header-ops.js';
import type { ClientIdentity, MailCommand, RcptCommand } from '../message/smtp-envelope.js';
import { newTransactionId } from '../message/transaction-id.js';
import { isQuarantineId, QuarantineIdError, type QuarantineMeta, type QuarantineStore } from './quarantine-store.js';

/**
 * Where a release sends the message: the next hop, in practice. Declared here so that the
 * quarantine depends on no ingress; a NextHop fits it as it is.
 */
export interface ReleaseTransport {
  openSession(): ReleaseSession;
}

export interface ReleaseSession {
  mail(mail: MailCommand, meta: { readonly id: string; readonly client: ClientIdentity; readonly receivedAt: Date }): Promise<TransportReply>;
  rcpt(rcpt: RcptCommand): Promise<TransportReply>;
  data(message: Buffer): Promise<TransportReply>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The next hop's reply as a release reads it (SmtpReply fits). */
export interface TransportReply {
  readonly isPositive: boolean;
  toString(): string;
}

export interface ReleaseRequest {
  /** Who releases it, for the audit log and the optional header: "cli:alice", "api", "web". */
  readonly by: string;
  /** Send to these instead of the original recipients. */
  readonly recipients?: readonly string[];
  /** At the top of the message: `X-Sekisho-Released-By: <by>; <date>`, or this field, or nothing. */
  readonly header?: 'released-by' | { readonly name: string; readonly value: string };
  /** Send even if an earlier release was interrupted (its outcome unknown). */
  readonly force?: boolean;
  readonly now?: () => Date;
}

export type ReleaseResult =
  | { readonly status: 'released'; readonly meta: QuarantineMeta; readonly reply: string; readonly refused: ReadonlyArray<{ to: string; reply: string }> }
  | { readonly status: 'already-released'; readonly meta: QuarantineMeta }
  | { readonly status: 'in-doubt'; readonly meta: QuarantineMeta }
  | { readonly status: 'not-found' }
  | { readonly status: 'failed'; readonly meta: QuarantineMeta; readonly reply: string };

/**
 * Sends a quarantined message on to the next hop with its original envelope (sender, DSN
 * parameters, recipients, the original client by XFORWARD), or to recipients the admin
 * names. Exactly once: the entry is locked, marked "releasing" durably before the send
 * and "released" after the next hop's 250, so a second release, from any process, sends
 * nothing — and one interrupted mid-send is not repeated without `force`.
 */
export async function releaseMessage(store: QuarantineStore, nextHop: ReleaseTransport, id: string, request: ReleaseRequest): Promise<ReleaseResult> {
  if (!isQuarantineId(id)) throw new QuarantineIdError(id);
  const now = request.now ?? (() => new Date());
  const lock = await store.lock(id);
  try {
    const meta = await store.get(id);
    const raw = meta && (await store.raw(id));
    if (!meta || !raw) return { status: 'not-found' };
    const to = request.recipients && request.recipients.length > 0 ? [...request.recipients] : [...meta.rcpt_to];
    // The claim is the store's own conditional change: of two nodes racing past the lock
    // (a lock taken over as stale), only one gets "claimed".
    const claim = await store.claimRelease(id, { at: now().toISOString(), by: request.by, to }, request.force === true);
    if (claim.status !== 'claimed') return claim;
    const header = request.header;
    const message = header === 'released-by' ? withReleaseHeader(raw, request.by, now()) : header ? prependField(raw, header.name, header.value) : raw;
    const sent = await send(nextHop, meta, to, message, request.recipients === undefined || request.recipients.length === 0);
    if (!sent.ok) {
      // Nothing was delivered: the entry goes back to plain quarantined, ready for another try.
      await store.finishRelease(id, { failed: sent.reply, by: request.by });
      const { release: _dropped, ...rest } = meta;
      return { status: 'failed', meta: rest, reply: sent.reply };
    }
    const record = { state: 'released', at: now().toISOString(), by: request.by, node: claim.meta.release?.node, to: sent.accepted, reply: sent.reply } as const;
    await store.finishRelease(id, { released: record });
    return { status: 'released', meta: { ...meta, release: record }, reply: sent.reply, refused: sent.refused };
  } finally {
    await lock.release();
  }
}

type Sent = { ok: true; reply: string; accepted: string[]; refused: Array<{ to: string; reply: string }> } | { ok: false; reply: string };

async function send(nextHop: ReleaseTransport, meta: QuarantineMeta, to: readonly string[], message: Buffer, original: boolean): Promise<Sent> {
  const session = nextHop.openSession();
  try {
    const p = meta.mail_params;
    const mail = await session.mail(
      {
        address: meta.mail_from,
        size: message.length,
        body: p.body === '7BIT' || p.body === '8BITMIME' ? p.body : undefined,
        smtpUtf8: p.smtputf8 === true,
        ret: p.ret === 'FULL' || p.ret === 'HDRS' ? p.ret : undefined,
        envid: p.envid,
      },
      { id: newTransactionId(), client: meta.client, receivedAt: new Date(meta.received_at) },
    );
    if (!mail.isPositive) return { ok: false, reply: mail.toString() };
    const accepted: string[] = [];
    const refused: Array<{ to: string; reply: string }> = [];
    for (const [i, address] of to.entries()) {
      // The original recipients keep their DSN parameters; recipients an admin names get none.
      const params = original ? meta.rcpt_params[i] : undefined;
      const rcpt: RcptCommand = { address, notify: params?.notify, orcpt: params?.orcpt };
      const reply = await session.rcpt(rcpt);
      if (reply.isPositive) accepted.push(address);
      else refused.push({ to: address, reply: reply.toString() });
    }
    if (accepted.length === 0) {
      await session.reset();
      return { ok: false, reply: refused.map((r) => `${r.to}: ${r.reply}`).join('; ') };
    }
    const final = await session.data(message);
    return final.isPositive ? { ok: true, reply: final.toString(), accepted, refused } : { ok: false, reply: final.toString() };
  } catch (err) {
    // The transport rejects when no reply could be had (NextHopError: down, timeout, reset).
    const kind = (err as { kind?: unknown }).kind;
    return { ok: false, reply: `next hop: ${typeof kind === 'string' ? `${kind}: ` : ''}${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await session.close();
  }
}

/** The release header goes first, with the message's own line ending; nothing else changes. */
function withReleaseHeader(message: Buffer, by: string, at: Date): Buffer {
  return prependField(message, 'X-Sekisho-Released-By', `${by.slice(0, 200)}; ${at.toUTCString()}`);
}
