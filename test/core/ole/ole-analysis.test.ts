import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Unscannable } from '../../../src/core/limits.js';
import { parseCfb } from '../../../src/core/ole/cfb.js';
import { analyzeOle, type OleReport } from '../../../src/core/ole/ole-analysis.js';
import { buildCfb } from './cfb-builder.js';
import { encryptedEmlDocx, fixture, prng } from './fixtures.js';
import { vbaProject } from './vba-builder.js';
import { zipEntries } from './zip-entries.js';

const quick = { passwords: [], maxPasswordTries: 0 };

interface Label {
  readonly path: string;
  readonly container: string;
  readonly vba: string;
  readonly xlm: string;
  readonly encryption: string;
}

/** Rows of office-labels.tsv that are compound files (the zip-based ones belong to the OOXML reader). */
function oleLabels(): Label[] {
  const [, ...rows] = fixture('office-labels.tsv').toString('utf8').trim().split('\n');
  return rows
    .map((row) => row.split('\t'))
    .map(([path = '', , , container = '', vba = '', xlm = '', encryption = '']) => ({ path, container, vba, xlm, encryption }))
    .filter((l) => ['OLE', 'PPT', 'OLE-encrypted'].includes(l.container));
}

function load(path: string): Buffer {
  return path === 'mail-spamassassin/olevbmacro/encrypted.eml#encrypted_word_doc.docx' ? encryptedEmlDocx() : fixture(path);
}

describe('analyzeOle against office-labels.tsv', () => {
  const labels = oleLabels();

  it('covers every compound file the labels list', () => {
    expect(labels.length).toBe(24);
  });

  it.each(labels.map((l) => [l.path, l] as const))('%s', async (_path, label) => {
    const report = analyzeOle(load(label.path), { passwords: ['password'], maxPasswordTries: 2 });
    const decrypted = report.encryption?.decrypted;
    const inner = decrypted ? [...(await zipEntries(decrypted.package)).keys()] : [];
    const hasVba = report.vba.length > 0 || inner.some((n) => /vbaProject\.bin$/i.test(n));
    const hasXlm = report.macroSheets.length > 0 || inner.some((n) => n.startsWith('xl/macrosheets/'));
    if (label.vba === '?') {
      expect(report.encryption?.kind).toMatch(/^ooxml-/);
      expect(decrypted).toBeUndefined();
    } else {
      expect(String(hasVba).toLowerCase()).toBe(label.vba.toLowerCase());
      expect(String(hasXlm).toLowerCase()).toBe(label.xlm.toLowerCase());
    }
    const password = /pw=([^)]+)/.exec(label.encryption)?.[1];
    if (password) expect(decrypted?.password).toBe(password);
    if (label.container === 'OLE-encrypted') expect(report.encryption?.kind).toBe('ooxml-agile');
  });
});

describe('analyzeOle', () => {
  it('reports the VBA project PowerPoint 97-2003 embeds in its document stream', () => {
    const report = analyzeOle(fixture('office-oletools/olevba/sample_with_vba.ppt'), quick);
    expect(report).toEqual({
      vba: [
        {
          path: 'PowerPoint Document/ExOleObjStg@0x9ad1/VBA',
          modules: ['Module1'],
          sourceReadable: true,
          unreadableModules: [],
          autoExec: ['Action_Click'],
          write: [],
          execute: [],
          suspicious: false,
        },
      ],
      macroSheets: [],
      macroSheetsUnknown: false,
      streamCount: 4,
    } satisfies OleReport);
  });

  it('reports VBA and RC4 encryption of an .xls encrypted with the default password', () => {
    const report = analyzeOle(fixture('office-oletools/encrypted/autostart-encrypt-standardpassword.xls'), quick);
    expect(report.vba.map((v) => [v.path, v.sourceReadable, v.autoExec])).toEqual([['_VBA_PROJECT_CUR/VBA', true, ['Auto_Open']]]);
    // maxPasswordTries 0: the default password is not even tried, so the sheet list is unknown.
    expect(report).toMatchObject({ macroSheets: [], macroSheetsUnknown: true, encryption: { kind: 'xls-filepass' } });
  });

  it('reports macro sheets of BIFF8 and BIFF5 workbooks', () => {
    for (const f of ['excel4_sample_macro.xls', 'excel4_sample_macro_excel5_format.xls', 'excel4_sample_macro.xlt']) {
      expect(analyzeOle(fixture(`office-oletools/excel4-macros/${f}`), quick)).toEqual({ vba: [], macroSheets: [{ name: 'Macro1', visibility: 'visible' }], macroSheetsUnknown: false, streamCount: 3 });
    }
  });

  it('reports legacy encryption without VBA', () => {
    expect(analyzeOle(fixture('office-oletools/encrypted/encrypted.doc'), quick)).toMatchObject({ vba: [], encryption: { kind: 'doc-encrypted' } });
    expect(analyzeOle(fixture('office-oletools/encrypted/encrypted.ppt'), quick)).toMatchObject({ vba: [], encryption: { kind: 'ppt-encrypted' } });
    expect(analyzeOle(fixture('office-oletools/encrypted/encrypted.xls'), quick)).toMatchObject({ vba: [], macroSheetsUnknown: true, encryption: { kind: 'xls-filepass' } });
    expect(analyzeOle(fixture('office-oletools/msodde/harmless-clean.doc'), quick)).toEqual({ vba: [], macroSheets: [], macroSheetsUnknown: false, streamCount: 5 });
  });

  it('charges the inflated size of PowerPoint embedded storages', () => {
    const charged: number[] = [];
    analyzeOle(fixture('office-oletools/olevba/sample_with_vba.ppt'), { ...quick, charge: (n) => charged.push(n) });
    expect(charged[0]).toBe(10240);
  });
});

/** A .ppt whose `PowerPoint Document` stream holds `records` (MS-PPT RecordHeader + body each). */
function presentation(...records: Buffer[]): Buffer {
  return buildCfb([
    { name: 'PowerPoint Document', data: Buffer.concat(records) },
    { name: 'Current User', data: Buffer.from('0000f60f1800000014000000' + '5fc091e3' + '0'.repeat(24), 'hex') },
  ]).bytes;
}

/** ExOleObjStg (recType 0x1011); recInstance 1 = uint32 size + zlib. */
function exOleObjStg(storage: Buffer, compressed = true, declared = storage.length): Buffer {
  const body = compressed ? Buffer.concat([Buffer.alloc(4), deflateSync(storage)]) : storage;
  if (compressed) body.writeUInt32LE(declared);
  const header = Buffer.alloc(8);
  header.writeUInt16LE(compressed ? 0x0010 : 0x0000);
  header.writeUInt16LE(0x1011, 2);
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('analyzeOle on PowerPoint 97-2003 embedded storages', () => {
  const project = vbaProject([{ name: 'Module1', source: 'Sub Auto_Close()\r\n  Kill "x"\r\nEnd Sub' }], 'Unused');
  // vbaProject() nests the project under a storage; PowerPoint keeps it at the root.
  const atRoot = buildCfb([
    { name: 'PROJECT', data: Buffer.from('Module=Module1\r\n') },
    { name: 'VBA', children: [...['dir', '_VBA_PROJECT', 'Module1'].map((name) => ({ name, data: readStream(project, `Unused/VBA/${name}`) }))] },
  ]).bytes;

  it('finds the project behind junk the persist directory would skip, compressed or not', () => {
    for (const record of [exOleObjStg(atRoot), exOleObjStg(atRoot, false)]) {
      const report = analyzeOle(presentation(Buffer.alloc(37, 0x55), record), quick);
      expect(report.vba).toEqual([
        expect.objectContaining({ path: 'PowerPoint Document/ExOleObjStg@0x25/VBA', modules: ['Module1'], autoExec: ['Auto_Close'], write: ['Kill'], suspicious: true }),
      ]);
    }
  });

  it('refuses an embedded storage that claims to inflate beyond any real one', () => {
    // Incompressible, so that zlib's own 1032:1 bound does not already rule the size out.
    const random = prng(3);
    const padding = Buffer.from(Array.from({ length: 40_000 }, () => Math.floor(random() * 256)));
    expect(() => analyzeOle(presentation(exOleObjStg(Buffer.concat([atRoot, padding]), true, 0x7fffffff)), quick)).toThrow(/decompressed-bytes/);
  });

  it('reports an embedded compound file that is broken as corrupt', () => {
    const broken = Buffer.from(atRoot);
    broken.writeUInt16LE(13, 0x1e);
    expect(() => analyzeOle(presentation(exOleObjStg(broken)), quick)).toThrow(/corrupt-ole: "PowerPoint Document\/ExOleObjStg@0x0\/": sector shift 13/);
  });
});

function readStream(cfbBytes: Buffer, path: string): Buffer {
  const cfb = parseCfb(cfbBytes);
  const node = cfb.find(path);
  if (!node) throw new Error(path);
  return cfb.read(node);
}

/** The only acceptable outcomes for any input: a report, or Unscannable('corrupt-ole'). */
function expectReportOrCorrupt(bytes: Buffer): 'report' | 'corrupt' {
  let outcome: 'report' | 'corrupt';
  try {
    analyzeOle(bytes, quick);
    outcome = 'report';
  } catch (error) {
    if (!(error instanceof Unscannable) || error.reason !== 'corrupt-ole') throw error;
    // The safety net in analyzeOle turns an unforeseen exception into corrupt-ole too; the
    // parsers themselves should have caught every malformation with a reason of their own.
    expect(error.detail).not.toMatch(/^unexpected /);
    outcome = 'corrupt';
  }
  return outcome;
}

describe('analyzeOle on hostile input', () => {
  const samples = [
    'office-oletools/encrypted/autostart-encrypt-standardpassword.xls',
    'office-oletools/olevba/sample_with_vba.ppt',
    'office-oletools/excel4-macros/excel4_sample_macro.xls',
    'office-oletools/encrypted/encrypted.docx',
    'office-oletools/msodde/harmless-clean.doc',
  ].map((p) => [p, fixture(p)] as const);

  it.each(samples)('truncations of %s end in a report or corrupt-ole', (_path, bytes) => {
    const outcomes = new Set<string>();
    for (let length = 0; length < bytes.length; length += Math.max(1, Math.floor(bytes.length / 97))) outcomes.add(expectReportOrCorrupt(bytes.subarray(0, length)));
    expect(outcomes.has('corrupt')).toBe(true);
  });

  it.each(samples)('random bytes after the header of %s end in a report or corrupt-ole', (_path, bytes) => {
    const random = prng(0x5eed);
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.from(Array.from({ length: 512 * (1 + Math.floor(random() * 40)) }, () => Math.floor(random() * 256)));
      expectReportOrCorrupt(Buffer.concat([bytes.subarray(0, 512), junk]));
    }
  });

  it.each(samples)('bytes flipped at random in %s end in a report or corrupt-ole', (_path, bytes) => {
    const random = prng(0xf11b);
    for (let i = 0; i < 300; i++) {
      const copy = Buffer.from(bytes);
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      expectReportOrCorrupt(copy);
    }
  });

  it.each(samples)('structural numbers forged at random in %s end in a report or corrupt-ole', (_path, bytes) => {
    const random = prng(0xbad);
    const forged = [0, 1, 2, 0x7f, 0x1000, 0xfffa, 0x7fffffff, 0xfffffffa, 0xfffffffc, 0xfffffffd, 0xfffffffe, 0xffffffff];
    for (let i = 0; i < 300; i++) {
      const copy = Buffer.from(bytes);
      // Header, FAT and directory sit near the start of these small files: aim there.
      const span = Math.min(copy.length, random() < 0.5 ? 512 : 8192) - 4;
      for (let f = 0; f < 1 + Math.floor(random() * 4); f++) copy.writeUInt32LE(forged[Math.floor(random() * forged.length)] ?? 0, Math.floor((random() * span) / 4) * 4);
      expectReportOrCorrupt(copy);
    }
  });

  it('rejects what is not a compound file', () => {
    expect(() => analyzeOle(fixture('office-oletools/msodde/dde-test.docx'), quick)).toThrow(Unscannable);
    expect(() => analyzeOle(Buffer.alloc(0), quick)).toThrow(/corrupt-ole/);
  });
});
