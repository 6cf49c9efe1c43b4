import net from 'node:net';
import { domainToASCII } from 'node:url';
import { encodeXtext } from '../xtext.js';
import type { ClientIdentity, MailCommand, RcptCommand } from './next-hop.js';

/**
 * Builds the MAIL, RCPT and XFORWARD lines sent to the next hop. Parameters are passed on
 * only when the next hop advertised the extension they belong to, as Postfix's own SMTP
 * client does: a parameter a server does not know would get the whole command refused.
 */

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The path as it goes on the wire. smtp-server hands us domains as U-labels (it runs
 * punycode.toUnicode); the next hop gets the A-label form, which every server accepts
 * with or without SMTPUTF8 (RFC 6531 §3.2), so a client's `xn--` domain arrives as sent.
 */
export function wirePath(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return address;
  const domain = address.slice(at + 1);
  if (!NON_ASCII.test(domain) || domain.startsWith('[')) return address;
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

/** True when the path still needs SMTPUTF8 at the next hop (a non-ASCII local part). */
export function needsSmtpUtf8(path: string): boolean {
  return NON_ASCII.test(path);
}

export function mailLine(mail: MailCommand, ext: ReadonlyMap<string, string>): string {
  let line = `MAIL FROM:<${wirePath(mail.address)}>`;
  if (mail.size !== undefined && ext.has('SIZE')) line += ` SIZE=${mail.size}`;
  if (mail.body && ext.has('8BITMIME')) line += ` BODY=${mail.body}`;
  if (mail.smtpUtf8 && ext.has('SMTPUTF8')) line += ' SMTPUTF8';
  if (ext.has('DSN')) {
    if (mail.ret) line += ` RET=${mail.ret}`;
    if (mail.envid !== undefined) line += ` ENVID=${encodeXtext(mail.envid)}`;
  }
  return line;
}

export function rcptLine(rcpt: RcptCommand, ext: ReadonlyMap<string, string>): string {
  let line = `RCPT TO:<${wirePath(rcpt.address)}>`;
  if (ext.has('DSN')) {
    if (rcpt.notify && rcpt.notify.length > 0) line += ` NOTIFY=${rcpt.notify.join(',')}`;
    if (rcpt.orcpt !== undefined) line += ` ORCPT=${encodeXtext(rcpt.orcpt)}`;
  }
  return line;
}

const XFORWARD_MAX_LINE = 512;

/**
 * XFORWARD commands (Postfix XFORWARD_README) carrying the client's identity, limited to
 * the attributes the next hop advertised and split so no line exceeds 512 characters.
 * Unknown values are sent as [UNAVAILABLE], which the README defines for that purpose.
 */
export function xforwardLines(client: ClientIdentity, advertised: string): string[] {
  const wanted = new Set(advertised.toUpperCase().split(/\s+/).filter(Boolean));
  const values: Array<[string, string | undefined]> = [
    ['NAME', client.name],
    ['ADDR', client.addr === undefined ? undefined : xforwardAddr(client.addr)],
    ['PORT', client.port === undefined || client.port === 0 ? undefined : String(client.port)],
    ['PROTO', client.proto],
    ['HELO', client.helo],
    ['IDENT', client.ident],
    ['SOURCE', client.source],
  ];
  const attrs = values
    .filter(([key]) => wanted.has(key))
    .map(([key, value]) => `${key}=${value ? encodeXtext(value.slice(0, 255)) : '[UNAVAILABLE]'}`);
  const lines: string[] = [];
  let line = 'XFORWARD';
  for (const attr of attrs) {
    if (line.length + 1 + attr.length > XFORWARD_MAX_LINE && line !== 'XFORWARD') {
      lines.push(line);
      line = 'XFORWARD';
    }
    line += ' ' + attr;
  }
  if (line !== 'XFORWARD') lines.push(line);
  return lines;
}

/** IPv6 addresses carry the "IPV6:" prefix; v4-mapped ones are plain IPv4 to Postfix. */
function xforwardAddr(addr: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (mapped?.[1]) return mapped[1];
  return net.isIPv6(addr) ? `IPV6:${addr}` : addr;
}
