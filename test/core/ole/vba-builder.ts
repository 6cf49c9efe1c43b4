import { buildCfb, ovbaCompressLiterals } from './cfb-builder.js';

/** A VBA project as Office writes one: PROJECT, VBA/dir, VBA/_VBA_PROJECT and module streams. */
export function vbaProject(modules: Array<{ name: string; source: string | undefined }>, root = 'Macros'): Buffer {
  const record = (id: number, data: Buffer): Buffer => {
    const header = Buffer.alloc(6);
    header.writeUInt16LE(id);
    header.writeUInt32LE(data.length, 2);
    return Buffer.concat([header, data]);
  };
  const u16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const pcode = Buffer.alloc(300, 0xcc);
  const dir = Buffer.concat([
    record(0x0001, u32(1)),
    record(0x0003, u16(1252)),
    record(0x0004, Buffer.from('VBAProject')),
    // PROJECTVERSION: a reserved 4 where the size would be, then 6 bytes.
    Buffer.from([0x09, 0x00, 0x04, 0x00, 0x00, 0x00, 1, 0, 0, 0, 2, 0]),
    record(0x000f, u16(modules.length)),
    record(0x0013, u16(0xffff)),
    ...modules.flatMap((m) => [
      record(0x0019, Buffer.from(m.name, 'latin1')),
      record(0x0047, Buffer.from(m.name, 'utf16le')),
      record(0x001a, Buffer.from(m.name, 'latin1')),
      record(0x0032, Buffer.from(m.name, 'utf16le')),
      record(0x0031, u32(pcode.length)),
      record(0x0021, Buffer.alloc(0)),
      record(0x002b, Buffer.alloc(0)),
    ]),
    record(0x0010, Buffer.alloc(0)),
  ]);
  const moduleStream = (source: string | undefined): Buffer => (source === undefined ? pcode : Buffer.concat([pcode, ovbaCompressLiterals(Buffer.from(source, 'latin1'))]));
  return buildCfb([
    { name: 'WordDocument', data: Buffer.alloc(64) },
    {
      name: root,
      children: [
        { name: 'PROJECT', data: Buffer.from(`ID="{00000000-0000-0000-0000-000000000000}"\r\n${modules.map((m) => `Module=${m.name}`).join('\r\n')}\r\n`) },
        {
          name: 'VBA',
          children: [{ name: 'dir', data: ovbaCompressLiterals(dir) }, { name: '_VBA_PROJECT', data: Buffer.from([0xcc, 0x61, 0xff, 0xff]) }, ...modules.map((m) => ({ name: m.name, data: moduleStream(m.source) }))],
        },
      ],
    },
  ]).bytes;
}
