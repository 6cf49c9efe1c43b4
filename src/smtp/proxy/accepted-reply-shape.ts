import { randomInt } from 'node:crypto';
import { SmtpReply } from '../smtp-reply.js';

/**
 * The 250 a client hears for a message sekisho holds must not differ from the one it hears
 * for a relayed message: a sender who can tell them apart can probe what gets through
 * (which attachment, which link, which From name) before the real campaign. So the proxy
 * learns the next hop's own final 250 and answers a quarantined message with that very
 * text, each queue-id-like token replaced by a fresh one of the same shape. The quarantine
 * id goes to the log only.
 */
export class AcceptedReplyShape {
  private sample: SmtpReply | undefined;

  /** A final reply the next hop gave to a relayed message. */
  learn(reply: SmtpReply): void {
    if (reply.code === 250) this.sample = reply;
  }

  /** A 250 as the next hop would say it, for a message it never saw. */
  imitate(): SmtpReply {
    const sample = this.sample;
    // Before the first relay: Postfix's own form, the commonest next hop, with a short queue id.
    if (!sample) return SmtpReply.of(250, '2.0.0', `Ok: queued as ${freshLike('4A1B2C3D4E')}`);
    return new SmtpReply(sample.code, sample.enhanced, sample.lines.map(disguise));
  }
}

/**
 * Tokens that identify one message: runs of 6 or more letters and digits with a digit among
 * them (Postfix's "4XyZ9kQ1bz", Exchange's InternalId=123456789, an outbox file name). Words
 * ("queued", "Ok") have no digit and stay.
 */
const ID_TOKEN = /[A-Za-z0-9]{6,}/g;

function disguise(line: string): string {
  return line.replace(ID_TOKEN, (token) => (/[0-9]/.test(token) ? freshLike(token) : token));
}

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const HEX_UPPER = '0123456789ABCDEF';

/** Random characters of the same kind at each position (all-hex stays hex: Postfix's short ids). */
function freshLike(token: string): string {
  const hex = /^[0-9A-F]+$/.test(token) && /[A-F]/.test(token);
  let out = '';
  for (const ch of token) {
    const set = hex ? HEX_UPPER : ch >= '0' && ch <= '9' ? DIGITS : ch >= 'A' && ch <= 'Z' ? UPPER : LOWER;
    out += set[randomInt(set.length)];
  }
  return out;
}
