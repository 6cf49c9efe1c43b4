import { describe, expect, it } from 'vitest';
import { headerText, MAX_HEADER_TEXT_BYTES } from '../../src/admin/entry-view.js';

describe('headerText', () => {
  it('stops at the empty line, CRLF or bare LF', () => {
    expect(headerText(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody\r\n'))).toBe('A: 1\r\nB: 2\r\n');
    expect(headerText(Buffer.from('A: 1\nB: 2\n\nbody\n'))).toBe('A: 1\nB: 2\n');
    expect(headerText(Buffer.from('\r\nbody only'))).toBe('');
  });

  it('keeps raw UTF-8 as UTF-8 and anything else as latin1', () => {
    expect(headerText(Buffer.from('Subject: 請求書\r\n\r\n'))).toBe('Subject: 請求書\r\n');
    expect(headerText(Buffer.from([0x53, 0x3a, 0x20, 0x82, 0xa0, 0x0d, 0x0a, 0x0d, 0x0a]))).toBe('S: \x82\xa0\r\n');
  });

  it('cuts a header block that never ends', () => {
    const endless = Buffer.from(`X: ${'a'.repeat(200)}\r\n`.repeat(1000));
    expect(headerText(endless).length).toBe(MAX_HEADER_TEXT_BYTES);
  });
});
