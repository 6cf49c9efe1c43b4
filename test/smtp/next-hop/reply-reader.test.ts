import { describe, expect, it } from 'vitest';
import { ReplyReader } from '../../../src/smtp/next-hop/reply-reader.js';

describe('ReplyReader', () => {
  it('assembles multi-line replies across arbitrary chunking', () => {
    const wire = Buffer.from('250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 XFORWARD NAME ADDR\r\n550 5.1.1 <x@y>: Recipient address rejected\r\n');
    for (let split = 1; split < wire.length; split++) {
      const reader = new ReplyReader();
      const replies = [...reader.push(wire.subarray(0, split)), ...reader.push(wire.subarray(split))];
      expect(replies).toHaveLength(2);
      expect(replies[0]!.code).toBe(250);
      expect(replies[0]!.lines).toEqual(['mx.example', 'PIPELINING', 'SIZE 10240000', 'XFORWARD NAME ADDR']);
      expect(replies[1]!.toString()).toBe('550 5.1.1 <x@y>: Recipient address rejected');
      expect(replies[1]!.enhanced).toBe('5.1.1');
    }
  });

  it('keeps an enhanced code only when its class matches the reply code', () => {
    const [ok, odd] = new ReplyReader().push(Buffer.from('250 2.0.0 Ok: queued as 4X\r\n451 5.0.0 confused server\r\n'));
    expect(ok!.enhanced).toBe('2.0.0');
    expect(ok!.message).toBe('2.0.0 Ok: queued as 4X');
    expect(odd!.enhanced).toBeUndefined();
    expect(odd!.message).toBe('5.0.0 confused server');
  });

  it('accepts bare LF line ends and a code without text', () => {
    const [r] = new ReplyReader().push(Buffer.from('354\n'));
    expect(r!.code).toBe(354);
    expect(r!.lines).toEqual(['']);
  });

  it('rejects garbage, a code change inside a reply, and unbounded input', () => {
    expect(() => new ReplyReader().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(/not an SMTP reply line/);
    expect(() => new ReplyReader().push(Buffer.from('250-a\r\n550 b\r\n'))).toThrow(/reply code changed/);
    expect(() => new ReplyReader().push(Buffer.alloc(5000, 0x61))).toThrow(/longer than 4096/);
    const reader = new ReplyReader();
    expect(() => {
      for (let i = 0; i < 300; i++) reader.push(Buffer.from('250-more\r\n'));
    }).toThrow(/longer than 200 lines/);
  });

  it('decodes UTF-8 reply text (SMTPUTF8 servers)', () => {
    const [r] = new ReplyReader().push(Buffer.from('550 5.1.1 宛先がありません\r\n'));
    expect(r!.text).toBe('宛先がありません');
  });
});
