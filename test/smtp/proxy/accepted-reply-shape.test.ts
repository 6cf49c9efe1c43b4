import { describe, expect, it } from 'vitest';
import { AcceptedReplyShape } from '../../../src/smtp/proxy/accepted-reply-shape.js';
import { SmtpReply, replyFromLines } from '../../../src/smtp/smtp-reply.js';

/** A held message's 250 must be told apart from a relayed one's by nothing but chance. */
describe('AcceptedReplyShape', () => {
  it("imitates the next hop's last 250: same words, a fresh queue id of the same shape", () => {
    const shape = new AcceptedReplyShape();
    shape.learn(SmtpReply.of(250, '2.0.0', 'Ok: queued as 4Vq7Lm2HbXz9kQ'));
    const a = shape.imitate().toString();
    const b = shape.imitate().toString();
    const classes = (t: string) => t.replace(/[0-9]/g, '9').replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a');
    expect(a).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Za-z]{14}$/);
    expect(classes(a.slice(-14))).toBe(classes('4Vq7Lm2HbXz9kQ'));
    expect(a).not.toBe(b);
    expect(a).not.toContain('4Vq7Lm2HbXz9kQ');
  });

  it("keeps Postfix's short hex ids hex, and other servers' words and layout", () => {
    const shape = new AcceptedReplyShape();
    shape.learn(SmtpReply.of(250, '2.0.0', 'Ok: queued as 3F2A91C0B7'));
    expect(shape.imitate().toString()).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{10}$/);
    shape.learn(replyFromLines(250, ['2.6.0 <ab12cd34ef@mx.example> [InternalId=123456789012, Hostname=EX01] Queued mail for delivery']));
    const exchange = shape.imitate().toString();
    expect(exchange).toMatch(/^250 2\.6\.0 <[a-z]{2}\d{2}[a-z]{2}\d{2}[a-z]{2}@mx\.example> \[InternalId=\d{12}, Hostname=EX01\] Queued mail for delivery$/);
    expect(exchange).not.toContain('123456789012');
  });

  it('learns only from 250s; before any, answers in the form of Postfix, the commonest next hop', () => {
    const shape = new AcceptedReplyShape();
    shape.learn(SmtpReply.of(451, '4.3.0', 'try later 123456'));
    expect(shape.imitate().toString()).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{10}$/);
  });
});
