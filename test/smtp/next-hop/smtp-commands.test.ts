import { describe, expect, it } from 'vitest';
import { mailLine, rcptLine, wirePath, xforwardLines } from '../../../src/smtp/next-hop/smtp-commands.js';
import { encodeXtext } from '../../../src/smtp/xtext.js';

const ALL = new Map([['SIZE', '1000'], ['8BITMIME', ''], ['SMTPUTF8', ''], ['DSN', '']]);

describe('next-hop command lines', () => {
  it('wirePath turns U-label domains back into A-labels and leaves the rest alone', () => {
    expect(wirePath('a@bücher.example')).toBe('a@xn--bcher-kva.example');
    expect(wirePath('a@example.com')).toBe('a@example.com');
    expect(wirePath('')).toBe('');
    expect(wirePath('postmaster')).toBe('postmaster');
    expect(wirePath('a@[192.0.2.1]')).toBe('a@[192.0.2.1]');
    expect(wirePath('山田@例え.jp')).toBe('山田@xn--r8jz45g.jp');
  });

  it('MAIL and RCPT carry parameters only for advertised extensions', () => {
    const mail = { address: 's@example.com', size: 99, body: '8BITMIME' as const, smtpUtf8: true, ret: 'HDRS' as const, envid: 'id+=1' };
    expect(mailLine(mail, ALL)).toBe('MAIL FROM:<s@example.com> SIZE=99 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B+3D1');
    expect(mailLine(mail, new Map())).toBe('MAIL FROM:<s@example.com>');
    const rcpt = { address: 'r@example.net', notify: ['SUCCESS', 'DELAY'], orcpt: 'rfc822;r@example.net' };
    expect(rcptLine(rcpt, ALL)).toBe('RCPT TO:<r@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;r@example.net');
    expect(rcptLine(rcpt, new Map([['SIZE', '']]))).toBe('RCPT TO:<r@example.net>');
  });

  it('xtext encodes +, = and non-printables, UTF-8 byte by byte', () => {
    expect(encodeXtext('a+b=c d')).toBe('a+2Bb+3Dc+20d');
    expect(encodeXtext('é')).toBe('+C3+A9');
  });

  it('XFORWARD sends only advertised attributes, [UNAVAILABLE] for unknowns, and splits at 512 characters', () => {
    const client = { addr: '2001:db8::1', port: 25, proto: 'ESMTP', helo: 'h.example' };
    expect(xforwardLines(client, 'ADDR HELO NAME')).toEqual(['XFORWARD NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::1 HELO=h.example']);
    expect(xforwardLines({ addr: '::ffff:192.0.2.5' }, 'ADDR')).toEqual(['XFORWARD ADDR=192.0.2.5']);
    const long = xforwardLines({ name: 'n'.repeat(250), helo: 'h'.repeat(250), addr: '192.0.2.1', ident: 'i'.repeat(250) }, 'NAME ADDR PORT PROTO HELO IDENT SOURCE');
    expect(long.length).toBeGreaterThan(1);
    for (const line of long) expect(line.length).toBeLessThanOrEqual(512);
    expect(long.join(' ')).toContain(`NAME=${'n'.repeat(250)}`);
    expect(xforwardLines({ addr: '192.0.2.1' }, '')).toEqual([]);
  });
});
