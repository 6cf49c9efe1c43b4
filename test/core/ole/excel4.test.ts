import { describe, expect, it } from 'vitest';
import { parseCfb } from '../../../src/core/ole/cfb.js';
import { scanBiff } from '../../../src/core/ole/excel4.js';
import { buildCfb } from './cfb-builder.js';
import { fixture } from './fixtures.js';

const trial = { passwords: [], maxTries: 5 };
const scan = (path: string) => scanBiff(parseCfb(fixture(`office-oletools/${path}`)), trial);

function record(type: number, data: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(type);
  header.writeUInt16LE(data.length, 2);
  return Buffer.concat([header, data]);
}

/** BoundSheet8 (MS-XLS 2.4.28): lbPlyPos, hsState, dt, ShortXLUnicodeString name. */
function boundSheet(name: string, hsState: number, dt: number, wide = false): Buffer {
  const chars = wide ? Buffer.from(name, 'utf16le') : Buffer.from(name, 'latin1');
  return record(0x0085, Buffer.concat([Buffer.from([0, 0, 0, 0, hsState, dt, name.length, wide ? 1 : 0]), chars]));
}

const bof8 = record(0x0809, Buffer.from([0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
const eof = record(0x000a, Buffer.alloc(0));

function workbook(...records: Buffer[]): ReturnType<typeof scanBiff> {
  return scanBiff(parseCfb(buildCfb([{ name: 'Workbook', data: Buffer.concat(records) }]).bytes), trial);
}

describe('scanBiff on the oletools samples', () => {
  it.each(['excel4-macros/excel4_sample_macro.xls', 'excel4-macros/excel4_sample_macro.xlt', 'excel4-macros/excel4_sample_macro_excel5_format.xls'])('finds the macro sheet of %s', (path) => {
    expect(scan(path)).toEqual({ macroSheets: [{ name: 'Macro1', visibility: 'visible' }], filePass: false, password: undefined, sheetsUnreadable: false });
  });

  it('decrypts the sheet list of a workbook encrypted with the default password (RC4, FILEPASS)', () => {
    // After FILEPASS only BOUNDSHEET's first four bytes are clear (MS-XLS 2.2.10).
    expect(scan('encrypted/autostart-encrypt-standardpassword.xls')).toEqual({ macroSheets: [], filePass: true, password: 'VelvetSweatshop', sheetsUnreadable: false });
    expect(scan('encrypted/dde-test-encrypt-standardpassword.xls')).toMatchObject({ filePass: true, password: 'VelvetSweatshop' });
  });

  it('says the sheet list is unknown when no password opens the workbook', () => {
    expect(scan('encrypted/encrypted.xls')).toEqual({ macroSheets: [], filePass: true, password: undefined, sheetsUnreadable: true });
    expect(scanBiff(parseCfb(fixture('office-oletools/encrypted/autostart-encrypt-standardpassword.xls')), { passwords: [], maxTries: 0 })?.sheetsUnreadable).toBe(true);
  });

  it('has nothing to say about a file without a workbook stream', () => {
    expect(scan('msodde/harmless-clean.doc')).toBeUndefined();
  });
});

describe('scanBiff on built workbooks', () => {
  it('reports visibility and Unicode names of macro sheets, and skips other sheet types', () => {
    const report = workbook(bof8, boundSheet('Sheet1', 0, 0), boundSheet('Hidden', 1, 1), boundSheet('マクロ', 2, 1, true), boundSheet('Chart', 0, 2), boundSheet('Module', 0, 6), eof);
    expect(report?.macroSheets).toEqual([
      { name: 'Hidden', visibility: 'hidden' },
      { name: 'マクロ', visibility: 'very hidden' },
    ]);
  });

  it('reads only the globals substream (sheets follow the first EOF)', () => {
    expect(workbook(bof8, eof, boundSheet('Late', 0, 1))?.macroSheets).toEqual([]);
  });

  it('survives records cut short or running past the stream', () => {
    expect(workbook(bof8, boundSheet('Macro1', 0, 1).subarray(0, 14))?.macroSheets).toEqual([{ name: 'Ma', visibility: 'visible' }]);
    const overrun = record(0x0085, Buffer.from([0, 0, 0, 0, 0, 1]));
    overrun.writeUInt16LE(0xffff, 2);
    expect(workbook(bof8, overrun)?.macroSheets).toEqual([{ name: '', visibility: 'visible' }]);
    expect(workbook(Buffer.from([0x09]))?.macroSheets).toEqual([]);
  });

  it('treats a FILEPASS it cannot open (XOR obfuscation) as unreadable', () => {
    const xorFilePass = record(0x002f, Buffer.from([0, 0, 0x12, 0x34, 0x56, 0x78]));
    expect(workbook(bof8, xorFilePass, boundSheet('Macro1', 0, 1), eof)).toEqual({ macroSheets: [], filePass: true, password: undefined, sheetsUnreadable: true });
  });
});
