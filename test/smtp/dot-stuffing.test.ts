import { describe, expect, it } from 'vitest';
import { dotStuff, endOfData } from '../../src/smtp/dot-stuffing.js';

const stuffed = (s: string) => Buffer.concat(dotStuff(Buffer.from(s))).toString();

describe('dot-stuffing', () => {
  it('adds a dot before every line-initial dot, after CRLF and after bare LF', () => {
    expect(stuffed('.a\r\n..b\r\nc.\r\n.\r\n')).toBe('..a\r\n...b\r\nc.\r\n..\r\n');
    expect(stuffed('x\n.y\n')).toBe('x\n..y\n');
    expect(stuffed('no dots\r\n')).toBe('no dots\r\n');
    expect(stuffed('')).toBe('');
  });

  it('returns slices of the message, not copies', () => {
    const message = Buffer.from('a\r\n.b\r\n');
    const pieces = dotStuff(message);
    expect(pieces[0]!.buffer).toBe(message.buffer);
    expect(pieces[2]!.buffer).toBe(message.buffer);
  });

  it('ends data with ".\\r\\n" after a final CRLF and adds CRLF only when there is none', () => {
    expect(endOfData(Buffer.from('x\r\n')).toString()).toBe('.\r\n');
    expect(endOfData(Buffer.from('')).toString()).toBe('.\r\n');
    expect(endOfData(Buffer.from('x')).toString()).toBe('\r\n.\r\n');
    expect(endOfData(Buffer.from('x\n')).toString()).toBe('\r\n.\r\n');
  });
});
