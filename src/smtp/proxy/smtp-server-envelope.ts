import type { SMTPServerAddress, SMTPServerEnvelope, SMTPServerSession } from 'smtp-server';
import type { ClientIdentity, MailCommand, RcptCommand } from '../next-hop/next-hop.js';

/** Translates smtp-server's parsed commands and session into sekisho's own types. */

export function mailCommandOf(address: SMTPServerAddress, envelope: SMTPServerEnvelope): MailCommand {
  const args = address.args || {};
  const size = args['SIZE'];
  // From the command itself: smtp-server's envelope.bodyType says "7bit" when BODY was absent.
  const body = typeof args['BODY'] === 'string' ? args['BODY'].toUpperCase() : undefined;
  return {
    address: address.address,
    size: typeof size === 'string' ? Number(size) : undefined,
    body: body === '7BIT' || body === '8BITMIME' ? body : undefined,
    smtpUtf8: envelope.smtpUtf8 === true,
    ret: envelope.dsn?.ret === 'FULL' || envelope.dsn?.ret === 'HDRS' ? envelope.dsn.ret : undefined,
    envid: envelope.dsn?.envid ?? undefined,
  };
}

export function rcptCommandOf(address: SMTPServerAddress): RcptCommand {
  return { address: address.address, notify: address.dsn?.notify, orcpt: address.dsn?.orcpt };
}

/**
 * The client as the next hop should log it. smtp-server has already applied XFORWARD
 * from an authorised client (Postfix in front of us) to the session, so this is the
 * original client where Postfix told us, our peer otherwise.
 */
export function clientIdentityOf(session: SMTPServerSession): ClientIdentity {
  const xf = session.xForward;
  const text = (key: string): string | undefined => {
    const v = xf.get(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  // Without reverse lookups smtp-server puts "[ip]" here: that is not a name.
  const hostname = session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : undefined;
  return {
    name: xf.has('NAME') ? text('NAME') : hostname,
    addr: xf.get('ADDR') === false ? undefined : session.remoteAddress,
    port: xf.get('PORT') === false ? undefined : session.remotePort,
    proto: text('PROTO') ?? (session.openingCommand === 'EHLO' ? 'ESMTP' : 'SMTP'),
    helo: xf.has('HELO') ? text('HELO') : session.hostNameAppearsAs || undefined,
    ident: text('IDENT'),
    source: text('SOURCE'),
  };
}
