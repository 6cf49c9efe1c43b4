import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A minimal zip writer for hostile archives no real tool makes: entries that overlap
 * (David Fifield's "better zip bomb"), lying sizes, nesting built in memory. APPNOTE 4.3.7
 * (local header), 4.3.12 (central directory header), 4.3.16 (end of central directory).
 */
export interface RawEntry {
  readonly name: string;
  /** The content; deflated unless `stored`. */
  readonly content?: Buffer;
  readonly stored?: boolean;
  /** Point this entry's central record at another entry's local header (overlap). */
  readonly sameDataAs?: string;
  /** The name as raw bytes without the UTF-8 flag, as Japanese Windows writes CP932 names. */
  readonly rawName?: Buffer;
}

export function buildZip(entries: readonly RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  const placed = new Map<string, { offset: number; crc: number; method: number; compressed: number; size: number }>();
  let offset = 0;
  for (const e of entries) {
    const name = e.rawName ?? Buffer.from(e.name, 'utf8');
    const flags = e.rawName ? 0 : 0x0800;
    let record = e.sameDataAs ? placed.get(e.sameDataAs) : undefined;
    if (!record) {
      const content = e.content ?? Buffer.alloc(0);
      const data = e.stored ? content : deflateRawSync(content, { level: 9 });
      const method = e.stored ? 0 : 8;
      const crc = crc32(content) >>> 0;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(content.length, 22);
      local.writeUInt16LE(name.length, 26);
      record = { offset, crc, method, compressed: data.length, size: content.length };
      placed.set(e.name, record);
      locals.push(local, name, data);
      offset += local.length + name.length + data.length;
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(flags, 8);
    c.writeUInt16LE(record.method, 10);
    c.writeUInt32LE(record.crc, 16);
    c.writeUInt32LE(record.compressed, 20);
    c.writeUInt32LE(record.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(record.offset, 42);
    central.push(c, name);
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** 42.zip's idea: `copies` identical members at each of `levels` levels, zeros at the bottom. */
export function nestedBomb(levels: number, copies: number, leafBytes: number): Buffer {
  let current = buildZip([{ name: 'zeros.bin', content: Buffer.alloc(leafBytes) }]);
  for (let level = 1; level < levels; level++) {
    current = buildZip(Array.from({ length: copies }, (_, i) => ({ name: `level${level}-${i}.zip`, content: current })));
  }
  return current;
}
