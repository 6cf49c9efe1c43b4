import { describe, expect, it } from 'vitest';
import { Unscannable } from '../../../src/core/limits.js';
import { type CfbNode, isCfb, MAX_CFB_ENTRIES, parseCfb } from '../../../src/core/ole/cfb.js';
import { buildCfb } from './cfb-builder.js';
import { fixture } from './fixtures.js';

function expectCorrupt(run: () => unknown, detail: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(Unscannable);
  expect((caught as Unscannable).reason).toBe('corrupt-ole');
  expect((caught as Unscannable).detail).toMatch(detail);
}

describe('parseCfb on real files', () => {
  it('lists the storages and streams of an .xls with a VBA project, with full paths', () => {
    const cfb = parseCfb(fixture('office-oletools/encrypted/autostart-encrypt-standardpassword.xls'));
    const paths = cfb.nodes.map((n) => n.path);
    expect(paths).toEqual(expect.arrayContaining(['Workbook', '_VBA_PROJECT_CUR', '_VBA_PROJECT_CUR/PROJECT', '_VBA_PROJECT_CUR/VBA', '_VBA_PROJECT_CUR/VBA/dir', '_VBA_PROJECT_CUR/VBA/_VBA_PROJECT']));
    expect(cfb.find('_vba_project_cur/vba/DIR')?.path).toBe('_VBA_PROJECT_CUR/VBA/dir');
    const vba = cfb.find('_VBA_PROJECT_CUR/VBA');
    expect(vba?.type).toBe('storage');
    expect(vba?.parent?.path).toBe('_VBA_PROJECT_CUR');
    expect(vba && cfb.child(vba, 'dir')?.size).toBe(583);
  });

  it('reads streams from regular sectors and from the mini stream at their declared size', () => {
    const cfb = parseCfb(fixture('office-oletools/encrypted/autostart-encrypt-standardpassword.xls'));
    const workbook = cfb.find('Workbook');
    const dir = cfb.find('_VBA_PROJECT_CUR/VBA/dir');
    if (!workbook || !dir) throw new Error('missing streams');
    const wb = cfb.read(workbook);
    expect(wb.length).toBe(14079);
    // A BIFF stream starts with a BOF record (0x0809).
    expect(wb.readUInt16LE(0)).toBe(0x0809);
    const d = cfb.read(dir);
    expect(d.length).toBe(583);
    // A compressed container (MS-OVBA 2.4.1.1) starts with 0x01.
    expect(d[0]).toBe(0x01);
  });

  it('parses every OLE fixture', () => {
    for (const f of ['olevba/sample_with_vba.ppt', 'encrypted/encrypted.doc', 'encrypted/encrypted.ppt', 'encrypted/encrypted.docx', 'excel4-macros/excel4_sample_macro_excel5_format.xls', 'msodde/harmless-clean.doc']) {
      const cfb = parseCfb(fixture(`office-oletools/${f}`));
      expect(cfb.root.type).toBe('root');
      for (const n of cfb.nodes) if (n.type === 'stream') expect(cfb.read(n).length).toBe(n.size);
    }
  });

  it('recognises the signature', () => {
    expect(isCfb(fixture('office-oletools/encrypted/encrypted.doc'))).toBe(true);
    expect(isCfb(fixture('office-oletools/msodde/dde-test.docx'))).toBe(false);
    expect(isCfb(Buffer.alloc(3))).toBe(false);
  });
});

describe('parseCfb on built files', () => {
  const big = Buffer.alloc(5000, 7);
  big.write('end', 4997);
  const tree = [
    { name: 'Small', data: Buffer.from('hello') },
    { name: 'Folder', children: [{ name: 'Big', data: big }, { name: 'Empty', data: Buffer.alloc(0) }] },
  ];

  it.each([9, 12] as const)('round-trips streams with %i-bit sectors (versions 3 and 4)', (sectorShift) => {
    const built = buildCfb(tree, { sectorShift });
    const cfb = parseCfb(built.bytes);
    expect(cfb.nodes.map((n) => n.path)).toEqual(['Small', 'Folder', 'Folder/Big', 'Folder/Empty']);
    const read = (p: string): Buffer => {
      const n = cfb.find(p);
      if (!n) throw new Error(p);
      return cfb.read(n);
    };
    expect(read('Small').toString()).toBe('hello');
    expect(read('Folder/Big').equals(big)).toBe(true);
    expect(read('Folder/Empty').length).toBe(0);
    expect(() => cfb.read(cfb.root)).toThrow(Unscannable);
  });
});

describe('parseCfb on hostile input', () => {
  const tree = [
    { name: 'A', data: Buffer.alloc(2048, 1) },
    { name: 'B', data: Buffer.alloc(100, 2) },
    { name: 'S', children: [{ name: 'C', data: Buffer.alloc(10, 3) }] },
  ];

  it('rejects what is not a compound file, or a header cut short', () => {
    expectCorrupt(() => parseCfb(Buffer.from('PK\x03\x04 not ole')), /signature/);
    const ok = buildCfb(tree).bytes;
    expectCorrupt(() => parseCfb(ok.subarray(0, 300)), /header truncated/);
    expectCorrupt(() => parseCfb(ok.subarray(0, 512)), /no sectors/);
  });

  it('rejects impossible header fields', () => {
    const shift = Buffer.from(buildCfb(tree).bytes);
    shift.writeUInt16LE(13, 0x1e);
    expectCorrupt(() => parseCfb(shift), /sector shift 13/);
    const mini = Buffer.from(buildCfb(tree).bytes);
    mini.writeUInt16LE(7, 0x20);
    expectCorrupt(() => parseCfb(mini), /mini sector shift/);
    const fatCount = Buffer.from(buildCfb(tree).bytes);
    fatCount.writeUInt32LE(0x7fffffff, 0x2c);
    expectCorrupt(() => parseCfb(fatCount), /FAT sectors in a file of/);
    const difat = Buffer.from(buildCfb(tree).bytes);
    difat.writeUInt32LE(0xfffff, 0x4c);
    expectCorrupt(() => parseCfb(difat), /outside the file/);
    const dirStart = Buffer.from(buildCfb(tree).bytes);
    dirStart.writeUInt32LE(123456, 0x30);
    expectCorrupt(() => parseCfb(dirStart), /outside the file/);
  });

  it('stops a FAT chain that loops back on itself', () => {
    const built = buildCfb(tree);
    const start = built.startOf('A');
    // A needs four sectors: link its second back to its first. (A loop after the last sector
    // a stream needs is never followed, so it cannot hang the reader and is not an error.)
    built.bytes.writeUInt32LE(start, built.fatEntry(start + 1));
    const cfb = parseCfb(built.bytes);
    const a = cfb.find('A');
    if (!a) throw new Error('A');
    expectCorrupt(() => cfb.read(a), /loops at/);
  });

  it('stops a directory chain that loops', () => {
    const built = buildCfb(tree);
    const dirStart = built.bytes.readUInt32LE(0x30);
    built.bytes.writeUInt32LE(dirStart, built.fatEntry(dirStart));
    expectCorrupt(() => parseCfb(built.bytes), /directory: sector chain loops|chain loops/);
  });

  it('rejects a chain shorter than its stream, and links to free sectors', () => {
    const built = buildCfb(tree);
    built.bytes.writeUInt32LE(0xfffffffe, built.fatEntry(built.startOf('A') + 1));
    const cfb = parseCfb(built.bytes);
    const a = cfb.find('A');
    if (!a) throw new Error('A');
    expectCorrupt(() => cfb.read(a), /chain of 2 sectors for 2048 bytes/);
    const free = buildCfb(tree);
    free.bytes.writeUInt32LE(0xffffffff, free.fatEntry(free.startOf('A')));
    const cfb2 = parseCfb(free.bytes);
    const a2 = cfb2.find('A');
    if (!a2) throw new Error('A');
    expectCorrupt(() => cfb2.read(a2), /outside the file/);
  });

  it('rejects a sibling loop and a child loop in the directory tree', () => {
    const siblings = buildCfb(tree);
    // B's right sibling back to A.
    siblings.bytes.writeUInt32LE(siblings.idOf('A'), siblings.dirEntry(siblings.idOf('B')) + 0x44);
    expectCorrupt(() => parseCfb(siblings.bytes), /reached twice/);
    const child = buildCfb(tree);
    // S's child is S itself.
    child.bytes.writeUInt32LE(child.idOf('S'), child.dirEntry(child.idOf('S')) + 0x4c);
    expectCorrupt(() => parseCfb(child.bytes), /reached twice/);
    const outside = buildCfb(tree);
    outside.bytes.writeUInt32LE(999, outside.dirEntry(outside.idOf('B')) + 0x48);
    expectCorrupt(() => parseCfb(outside.bytes), /outside the directory/);
  });

  it('rejects absurd sizes and names', () => {
    const size = buildCfb(tree);
    size.bytes.writeUInt32LE(0xfffffff0, size.dirEntry(size.idOf('A')) + 0x78);
    // The tree still parses (real files have an absurd size on a stream nobody reads); reading it fails.
    const parsed = parseCfb(size.bytes);
    expectCorrupt(() => parsed.read(parsed.find('A') as CfbNode), /claims 4294967280 bytes/);
    const v4 = buildCfb(tree, { sectorShift: 12 });
    v4.bytes.writeUInt32LE(1, v4.dirEntry(v4.idOf('A')) + 0x7c);
    expectCorrupt(() => parseCfb(v4.bytes), /beyond 4 GiB/);
    const name = buildCfb(tree);
    name.bytes.writeUInt16LE(200, name.dirEntry(name.idOf('B')) + 0x40);
    expectCorrupt(() => parseCfb(name.bytes), /name length 200/);
    const type = buildCfb(tree);
    type.bytes.writeUInt8(5, type.dirEntry(type.idOf('B')) + 0x42);
    expectCorrupt(() => parseCfb(type.bytes), /type 5 inside the tree/);
  });

  it('ignores the high 32 bits of a version 3 size, as MS-CFB allows', () => {
    const built = buildCfb(tree);
    built.bytes.writeUInt32LE(0xdeadbeef, built.dirEntry(built.idOf('B')) + 0x7c);
    expect(parseCfb(built.bytes).find('B')?.size).toBe(100);
  });

  it('refuses to multiply a file whose streams all share the same sectors', () => {
    const shared = Buffer.alloc(64 * 1024, 0x41);
    const names = Array.from({ length: 300 }, (_, i) => ({ name: `S${i}`, data: i === 0 ? shared : Buffer.alloc(0) }));
    const built = buildCfb(names);
    for (let i = 1; i < 300; i++) {
      const at = built.dirEntry(built.idOf(`S${i}`));
      built.bytes.writeUInt32LE(built.startOf('S0'), at + 0x74);
      built.bytes.writeUInt32LE(shared.length, at + 0x78);
    }
    const cfb = parseCfb(built.bytes);
    expectCorrupt(() => {
      for (const n of cfb.nodes) cfb.read(n);
    }, /more than 8 times the file/);
  });

  it(`bounds the number of directory entries (${MAX_CFB_ENTRIES})`, () => {
    const many = Array.from({ length: MAX_CFB_ENTRIES + 1 }, (_, i) => ({ name: `E${i}`, data: Buffer.alloc(0) }));
    const built = buildCfb(many, { sectorShift: 12 });
    expectCorrupt(() => parseCfb(built.bytes), /more than 100000 directory entries/);
  });
});
