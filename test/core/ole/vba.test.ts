import { describe, expect, it } from 'vitest';
import { Unscannable } from '../../../src/core/limits.js';
import { parseCfb } from '../../../src/core/ole/cfb.js';
import { mraptor } from '../../../src/core/ole/mraptor.js';
import { decompressOvba } from '../../../src/core/ole/ovba-compression.js';
import { analyzeVbaProject, findVbaStorages } from '../../../src/core/ole/vba.js';
import { buildCfb } from './cfb-builder.js';
import { fixture } from './fixtures.js';
import { vbaProject } from './vba-builder.js';

describe('decompressOvba (MS-OVBA 2.4.1)', () => {
  // The three worked examples of MS-OVBA 3.2.
  it.each([
    ['no compression', '01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E', 'abcdefghijklmnopqrstuv.'],
    [
      'normal compression',
      '01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E 6F 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C',
      '#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa',
    ],
    ['maximum compression', '01 03 B0 02 61 45 00', 'a'.repeat(73)],
  ])('%s', (_name, hex, text) => {
    expect(decompressOvba(Buffer.from(hex.replaceAll(' ', ''), 'hex'), 1 << 20)?.toString('latin1')).toBe(text);
  });

  it('returns undefined for data that is not a compressed container', () => {
    expect(decompressOvba(Buffer.from('Attribute VB_Name'), 1 << 20)).toBeUndefined();
    expect(decompressOvba(Buffer.from([0x01, 0x19, 0x00]), 1 << 20)).toBeUndefined(); // bad chunk signature
    expect(decompressOvba(Buffer.from([0x01, 0x03, 0xb0, 0x02, 0x61, 0xff, 0xff]), 1 << 20)).toBeUndefined(); // copy before start
    expect(decompressOvba(Buffer.alloc(0), 1 << 20)).toBeUndefined();
  });

  it('stops at its output limit and charges output as it goes', () => {
    // Six bytes per 4096-byte chunk (a literal, then one copy of 4095): the best ratio there is.
    const chunk = Buffer.from('03B00261FC0F', 'hex');
    const bomb = Buffer.concat([Buffer.from([0x01]), ...Array.from({ length: 1000 }, () => chunk)]);
    expect(decompressOvba(bomb.subarray(0, 1 + 6 * 3), 1 << 20)?.toString()).toBe('a'.repeat(3 * 4096));
    expect(() => decompressOvba(bomb, 1 << 20)).toThrow(/decompressed-bytes: VBA data decompresses to more than 1048576 bytes/);
    const charged: number[] = [];
    expect(() => decompressOvba(bomb, 1 << 20, (n) => charged.push(n))).toThrow(Unscannable);
    expect(charged.reduce((a, b) => a + b, 0)).toBe(1 << 20);
  });
});

describe('mraptor', () => {
  it('flags AutoExec with Execute or Write as suspicious, as mraptor does', () => {
    const r = mraptor('Sub AutoOpen()\r\n  Shell "calc.exe"\r\nEnd Sub\r\n');
    expect(r).toEqual({ autoExec: ['AutoOpen'], write: [], execute: ['Shell'], suspicious: true });
    expect(mraptor('Sub Workbook_Open()\r\nEnd Sub').suspicious).toBe(false);
    expect(mraptor('Sub Foo()\r\n Set x = CreateObject("WScript.Shell")\r\nEnd Sub').suspicious).toBe(false);
  });

  it('recognises the keyword forms of mraptor 0.56', () => {
    expect(mraptor('Private Sub Document_Open()').autoExec).toEqual(['Document_Open']);
    expect(mraptor('Sub CommandButton1_Click()').autoExec).toEqual(['CommandButton1_Click']);
    expect(mraptor('Sub InkPicture1_Painted()').autoExec).toEqual(['InkPicture1_Painted']);
    expect(mraptor('Sub Workbook_BeforeClose(Cancel As Boolean)').autoExec).toEqual(['Workbook_BeforeClose']);
    expect(mraptor('=Auto_Ope').autoExec).toEqual(['Auto_Ope']);
    expect(mraptor('Open "c:\\x.exe" For Binary Access Write As #1').write).toEqual(['Open "c:\\x.exe" For Binary Access Write']);
    expect(mraptor('Set s = CreateObject("ADODB.Stream"): s.SaveToFile p').write).toEqual(['ADODB.Stream', 'SaveToFile']);
    expect(mraptor('URLDownloadToFileA 0, u, p, 0, 0').write).toEqual(['URLDownloadToFileA']);
    expect(mraptor('Private Declare PtrSafe Function X Lib "kernel32" ()').execute).toEqual(['Declare PtrSafe Function X Lib']);
    expect(mraptor('Application.ExecuteExcel4Macro "EXEC(""calc"")"').execute).toEqual(['ExecuteExcel4Macro', 'EXEC']);
    expect(mraptor('Application.Run "x"').execute).toEqual(['Run']);
    // Keywords match as whole words only (\b), case-insensitively.
    expect(mraptor('Dim Shellfish, Killer, Opening').execute).toEqual([]);
    expect(mraptor('x = SHELL(y)').execute).toEqual(['SHELL']);
  });

  it('joins lines continued with " _" before matching, like olevba', () => {
    expect(mraptor('Declare Function F _\r\n  Lib "user32" ()').execute).toEqual(['Declare Function F   Lib']);
    expect(mraptor('Open p For _\n Output As #1').write).toEqual(['Open p For  Output']);
  });

  // 100,000 repeats: a backtracking regex would not finish within the test timeout.
  it('stays linear on a long line full of Open and Declare (no regex backtracking blow-up)', () => {
    const line = 'Open Declare '.repeat(100_000);
    const r = mraptor(`${line}\n`);
    expect(r.write).toEqual([]);
    expect(mraptor(`${line} Output\n`).write[0]?.startsWith('Open Declare')).toBe(true);
  });
});

describe('VBA project discovery and analysis', () => {
  it('finds the project of an .xls under _VBA_PROJECT_CUR', () => {
    const cfb = parseCfb(fixture('office-oletools/encrypted/autostart-encrypt-standardpassword.xls'));
    const [storage, ...rest] = findVbaStorages(cfb);
    expect(rest).toEqual([]);
    if (!storage) throw new Error('no VBA storage');
    expect(analyzeVbaProject(cfb, storage)).toEqual({
      path: '_VBA_PROJECT_CUR/VBA',
      modules: ['Modul1', 'DieseArbeitsmappe', 'Tabelle1'],
      sourceReadable: true,
      unreadableModules: [],
      autoExec: ['Auto_Open'],
      write: [],
      execute: [],
      suspicious: false,
    });
  });

  it('reads module sources at their MODULEOFFSET and runs mraptor over them', () => {
    const cfb = parseCfb(
      vbaProject([
        { name: 'ThisDocument', source: 'Attribute VB_Name = "ThisDocument"\r\nSub AutoOpen()\r\n  Dropper\r\nEnd Sub\r\n' },
        { name: 'Module1', source: 'Attribute VB_Name = "Module1"\r\nSub Dropper()\r\n  Shell Environ("TEMP") & "\\x.exe"\r\nEnd Sub\r\n' },
      ]),
    );
    const [storage] = findVbaStorages(cfb);
    if (!storage) throw new Error('no VBA storage');
    expect(analyzeVbaProject(cfb, storage)).toEqual({
      path: 'Macros/VBA',
      modules: ['ThisDocument', 'Module1'],
      sourceReadable: true,
      unreadableModules: [],
      autoExec: ['AutoOpen'],
      write: [],
      execute: ['Shell'],
      suspicious: true,
    });
  });

  it('still reports a stomped project (p-code only) and says its source is not readable', () => {
    const cfb = parseCfb(vbaProject([{ name: 'ThisDocument', source: 'Sub AutoOpen()\r\nEnd Sub\r\n' }, { name: 'Module1', source: undefined }]));
    const [storage] = findVbaStorages(cfb);
    if (!storage) throw new Error('no VBA storage');
    const report = analyzeVbaProject(cfb, storage);
    expect(report.sourceReadable).toBe(false);
    expect(report.unreadableModules).toEqual(['Module1']);
    expect(report.modules).toEqual(['ThisDocument', 'Module1']);
  });

  it('falls back to stream names when the dir stream does not decompress', () => {
    const built = parseCfb(vbaProject([{ name: 'Module1', source: 'Sub X()\r\nEnd Sub' }]));
    const dir = built.find('Macros/VBA/dir');
    if (!dir) throw new Error('dir');
    // Corrupt the container signature byte of dir in a copy of the file.
    const bytes = Buffer.from(vbaProject([{ name: 'Module1', source: 'Sub X()\r\nEnd Sub' }]));
    const original = built.read(dir);
    const at = bytes.indexOf(original);
    bytes[at] = 0x02;
    const cfb = parseCfb(bytes);
    const [storage] = findVbaStorages(cfb);
    if (!storage) throw new Error('no VBA storage');
    expect(analyzeVbaProject(cfb, storage)).toMatchObject({ modules: ['Module1'], sourceReadable: false, suspicious: false });
  });

  it('needs dir, _VBA_PROJECT and a PROJECT stream beside the VBA storage', () => {
    const noProject = buildCfb([{ name: 'VBA', children: [{ name: 'dir', data: Buffer.alloc(1) }, { name: '_VBA_PROJECT', data: Buffer.alloc(1) }] }]);
    expect(findVbaStorages(parseCfb(noProject.bytes))).toEqual([]);
    const noDir = buildCfb([{ name: 'PROJECT', data: Buffer.alloc(1) }, { name: 'vba', children: [{ name: '_VBA_PROJECT', data: Buffer.alloc(1) }] }]);
    expect(findVbaStorages(parseCfb(noDir.bytes))).toEqual([]);
    const atRoot = buildCfb([{ name: 'PROJECT', data: Buffer.alloc(1) }, { name: 'vba', children: [{ name: 'DIR', data: Buffer.alloc(1) }, { name: '_vba_project', data: Buffer.alloc(1) }] }]);
    expect(findVbaStorages(parseCfb(atRoot.bytes)).map((s) => s.path)).toEqual(['vba']);
  });

  it('finds nothing in a document without macros', () => {
    expect(findVbaStorages(parseCfb(fixture('office-oletools/msodde/harmless-clean.doc')))).toEqual([]);
  });
});
