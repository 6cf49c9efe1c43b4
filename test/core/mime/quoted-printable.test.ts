import libqp from 'libqp';
import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable } from '../../../src/core/mime/quoted-printable.js';
import { prng } from '../../helpers/prng.js';

// The decoder replaces libqp.decode for speed; it must give the same bytes for any input.
const expected = (b: Buffer): Buffer => libqp.decode(b.toString('latin1'));

describe('decodeQuotedPrintable', () => {
  it('decodes escapes, soft breaks and trailing blanks as libqp does', () => {
    for (const s of ['a=3Db', 'soft=\r\nbreak', 'lf=\nonly', 'blank  \t\r\nline', 'end=', 'tail  ', '==\r\n41', '=4', '=G1', 'a =\r\n b', 'x= \r\ny', '=\r', 'caf=C3=A9']) {
      const b = Buffer.from(s, 'latin1');
      expect(decodeQuotedPrintable(b), JSON.stringify(s)).toEqual(expected(b));
    }
  });

  it('matches libqp on random mixes of the characters that matter', () => {
    const rnd = prng(0x9f);
    const alphabet = ['=', '=', '3', 'D', 'a', 'f', 'G', ' ', '\t', '\r', '\n', '\r\n', 'x', '\xe9'];
    for (let round = 0; round < 3000; round++) {
      let s = '';
      const len = Math.floor(rnd() * 24);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const b = Buffer.from(s, 'latin1');
      expect(decodeQuotedPrintable(b), JSON.stringify(s)).toEqual(expected(b));
    }
  });

  it('leaves its input untouched', () => {
    const b = Buffer.from('a=3D  \r\nb', 'latin1');
    decodeQuotedPrintable(b);
    expect(b.toString('latin1')).toBe('a=3D  \r\nb');
  });
});
