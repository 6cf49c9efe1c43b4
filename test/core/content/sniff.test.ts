import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OFFICE_NAME, sniff } from '../../../src/core/content/sniff.js';

const F = path.resolve(__dirname, '../../fixtures');

describe('sniff: type by bytes at offset 0, never by name', () => {
  it.each([
    ['office-oletools/msodde/harmless-clean.docx', 'zip'],
    ['office-oletools/msodde/harmless-clean.doc', 'ole'],
    ['office-oletools/olevba/sample_with_vba.ppt', 'ole'],
    ['office-oletools/excel4-macros/excel4_sample_macro.slk', 'sylk'],
    ['office-oletools/msodde/harmless-clean-2003.xml', 'office-xml'],
    ['office-oletools/msodde/harmless-clean.xml', 'office-xml'],
    ['mail-ruby/multi_charset/japanese.eml', 'message'],
  ])('%s is %s', (file, kind) => {
    expect(sniff(readFileSync(path.join(F, file)))).toBe(kind);
  });

  it('knows other formats and does not guess from a stray "PK" inside', () => {
    expect(sniff(Buffer.from('%PDF-1.7\n'))).toBe('pdf');
    expect(sniff(Buffer.from('{\\rtf1\\ansi'))).toBe('rtf');
    expect(sniff(Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'))).toBe('rar');
    expect(sniff(Buffer.from('7z\xbc\xaf\x27\x1c', 'latin1'))).toBe('7z');
    expect(sniff(Buffer.from([0x1f, 0x8b, 0x08, 0]))).toBe('gzip');
    expect(sniff(Buffer.from('hello PK\x03\x04 world'))).toBe('other');
    expect(sniff(Buffer.from('Note: this is not a mail'))).toBe('other');
    expect(sniff(Buffer.alloc(0))).toBe('other');
  });

  it('recognises Office names, the payloads of PPAP zips', () => {
    for (const n of ['請求書.xlsm', 'a.DOC', 'x.docx', 'y.pptm', 'z.xlsb', 'w.xls', 'v.one', 'u.slk']) expect(OFFICE_NAME.test(n), n).toBe(true);
    for (const n of ['photo.jpg', 'readme.txt', 'x.pdf', 'doc']) expect(OFFICE_NAME.test(n), n).toBe(false);
  });
});
