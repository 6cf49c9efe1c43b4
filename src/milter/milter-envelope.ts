import type { MailCommand, RcptCommand } from '../message/smtp-envelope.js';

/**
 * MAIL and RCPT argument vectors as the MTA passes them (`<address>` first, then the ESMTP
 * parameters as the client wrote them: "SIZE=1234", "BODY=8BITMIME", "NOTIFY=SUCCESS,FAILURE",
 * "ORCPT=rfc822;a+2Bb@example.com"), into the envelope types every ingress shares, so that
 * a release from sekisho's store re-sends the message with its original DSN parameters.
 */

export function mailCommandOfArgs(args: readonly string[], macroAddress?: string): MailCommand {
  const params = paramsOf(args);
  const size = params.get('SIZE');
  const body = params.get('BODY')?.toUpperCase();
  const ret = params.get('RET')?.toUpperCase();
  const envid = params.get('ENVID');
  return {
    address: addressOf(args[0], macroAddress),
    size: size !== undefined && /^\d{1,15}$/.test(size) ? Number(size) : undefined,
    body: body === '7BIT' || body === '8BITMIME' ? body : undefined,
    smtpUtf8: params.has('SMTPUTF8'),
    ret: ret === 'FULL' || ret === 'HDRS' ? ret : undefined,
    envid: envid === undefined ? undefined : decodeXtext(envid),
  };
}

export function rcptCommandOfArgs(args: readonly string[], macroAddress?: string): RcptCommand {
  const params = paramsOf(args);
  const notify = params.get('NOTIFY');
  const orcpt = params.get('ORCPT');
  return {
    address: addressOf(args[0], macroAddress),
    notify: notify === undefined ? undefined : notify.toUpperCase().split(','),
    orcpt: orcpt === undefined ? undefined : decodeXtext(orcpt),
  };
}

/**
 * "<a@example.com>" → "a@example.com"; "<>" → "" (the null sender). The `{mail_addr}` /
 * `{rcpt_addr}` macro stands in when the argument is missing.
 */
function addressOf(arg: string | undefined, macro: string | undefined): string {
  if (arg === undefined) return macro ?? '';
  const trimmed = arg.trim();
  const inner = trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1) : trimmed;
  // A source route (RFC 5321 §4.1.2, obsolete) is not part of the mailbox.
  const colon = inner.startsWith('@') ? inner.indexOf(':') : -1;
  return colon >= 0 ? inner.slice(colon + 1) : inner;
}

/** Parameter keys upper case; a keyword without "=" (SMTPUTF8) maps to "". */
function paramsOf(args: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const arg of args.slice(1)) {
    const eq = arg.indexOf('=');
    if (eq < 0) params.set(arg.toUpperCase(), '');
    else params.set(arg.slice(0, eq).toUpperCase(), arg.slice(eq + 1));
  }
  return params;
}

/** RFC 3461 §4: "+" followed by two upper-case hex digits is that byte. */
function decodeXtext(value: string): string {
  return value.replace(/\+([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
