/**
 * Builds small compound files for tests: valid by default, with the offsets of every FAT entry
 * and directory entry exposed so a test can forge exactly one malformation.
 *
 * Streams all live in regular sectors (the header's mini stream cutoff is set to 0), which
 * keeps the builder simple; the mini stream path is covered by the real fixtures.
 */
export interface BuildStream {
  readonly name: string;
  readonly data: Buffer;
}
export interface BuildStorage {
  readonly name: string;
  readonly children: ReadonlyArray<BuildStream | BuildStorage>;
}
export type BuildNode = BuildStream | BuildStorage;

export interface BuiltCfb {
  readonly bytes: Buffer;
  /** Byte offset of FAT entry `sector`. */
  fatEntry(sector: number): number;
  /** Byte offset of directory entry `id` (0 is the root). */
  dirEntry(id: number): number;
  /** Directory id of the node at a "/" path. */
  idOf(path: string): number;
  /** First sector of the stream at a path. */
  startOf(path: string): number;
}

const ENDOFCHAIN = 0xfffffffe;
const FREESECT = 0xffffffff;
const FATSECT = 0xfffffffd;
const NOSTREAM = 0xffffffff;

interface Flat {
  readonly node: BuildNode | undefined;
  readonly path: string;
  readonly id: number;
  child: number;
  right: number;
  start: number;
}

export function buildCfb(children: readonly BuildNode[], options: { sectorShift?: 9 | 12 } = {}): BuiltCfb {
  const shift = options.sectorShift ?? 9;
  const size = 1 << shift;
  const flat: Flat[] = [{ node: undefined, path: '', id: 0, child: NOSTREAM, right: NOSTREAM, start: ENDOFCHAIN }];
  const place = (nodes: readonly BuildNode[], parent: Flat): void => {
    let previous: Flat | undefined;
    for (const node of nodes) {
      const entry: Flat = { node, path: parent.path === '' ? node.name : `${parent.path}/${node.name}`, id: flat.length, child: NOSTREAM, right: NOSTREAM, start: ENDOFCHAIN };
      flat.push(entry);
      // A right-leaning sibling chain is a valid (if unbalanced) tree for readers.
      if (previous === undefined) parent.child = entry.id;
      else previous.right = entry.id;
      previous = entry;
      if ('children' in node) place(node.children, entry);
    }
  };
  const root = flat[0];
  if (root === undefined) throw new Error('unreachable');
  place(children, root);

  const dirSectors = Math.ceil((flat.length * 128) / size);
  const streamSectors = flat.map((f) => (f.node && 'data' in f.node ? Math.ceil(f.node.data.length / size) : 0));
  const dataSectors = streamSectors.reduce((a, b) => a + b, 0);
  let fatSectors = 1;
  while (fatSectors * (size / 4) < fatSectors + dirSectors + dataSectors) fatSectors++;
  if (fatSectors > 109) throw new Error('too big for a header-only DIFAT');
  const total = fatSectors + dirSectors + dataSectors;
  const bytes = Buffer.alloc(size + total * size);
  const sectorAt = (n: number): number => (n + 1) * size;

  // Header (MS-CFB 2.2).
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(bytes, 0);
  bytes.writeUInt16LE(0x3e, 0x18);
  bytes.writeUInt16LE(shift === 9 ? 3 : 4, 0x1a);
  bytes.writeUInt16LE(0xfffe, 0x1c);
  bytes.writeUInt16LE(shift, 0x1e);
  bytes.writeUInt16LE(6, 0x20);
  bytes.writeUInt32LE(shift === 12 ? dirSectors : 0, 0x28);
  bytes.writeUInt32LE(fatSectors, 0x2c);
  bytes.writeUInt32LE(fatSectors, 0x30);
  bytes.writeUInt32LE(0, 0x38);
  bytes.writeUInt32LE(ENDOFCHAIN, 0x3c);
  bytes.writeUInt32LE(0, 0x40);
  bytes.writeUInt32LE(ENDOFCHAIN, 0x44);
  bytes.writeUInt32LE(0, 0x48);
  for (let i = 0; i < 109; i++) bytes.writeUInt32LE(i < fatSectors ? i : FREESECT, 0x4c + i * 4);

  const fatEntry = (sector: number): number => sectorAt(Math.floor(sector / (size / 4))) + (sector % (size / 4)) * 4;
  for (let s = 0; s < (fatSectors * size) / 4; s++) bytes.writeUInt32LE(FREESECT, fatEntry(s));
  const chain = (first: number, count: number): void => {
    for (let i = 0; i < count; i++) bytes.writeUInt32LE(i === count - 1 ? ENDOFCHAIN : first + i + 1, fatEntry(first + i));
  };
  for (let s = 0; s < fatSectors; s++) bytes.writeUInt32LE(FATSECT, fatEntry(s));
  chain(fatSectors, dirSectors);
  let next = fatSectors + dirSectors;
  flat.forEach((f, i) => {
    const count = streamSectors[i] ?? 0;
    if (count === 0 || !f.node || !('data' in f.node)) return;
    f.start = next;
    chain(next, count);
    f.node.data.copy(bytes, sectorAt(next));
    next += count;
  });

  const dirEntry = (id: number): number => sectorAt(fatSectors + Math.floor((id * 128) / size)) + ((id * 128) % size);
  // Unused directory slots must read as empty entries with no siblings.
  for (let id = flat.length; id < (dirSectors * size) / 128; id++) {
    const at = dirEntry(id);
    bytes.writeUInt32LE(NOSTREAM, at + 0x44);
    bytes.writeUInt32LE(NOSTREAM, at + 0x48);
    bytes.writeUInt32LE(NOSTREAM, at + 0x4c);
  }
  for (const f of flat) {
    const at = dirEntry(f.id);
    const name = f.node?.name ?? 'Root Entry';
    bytes.write(name, at, 62, 'utf16le');
    bytes.writeUInt16LE((Math.min(name.length, 31) + 1) * 2, at + 0x40);
    bytes.writeUInt8(f.node === undefined ? 5 : 'data' in f.node ? 2 : 1, at + 0x42);
    bytes.writeUInt8(1, at + 0x43);
    bytes.writeUInt32LE(NOSTREAM, at + 0x44);
    bytes.writeUInt32LE(f.right, at + 0x48);
    bytes.writeUInt32LE(f.child, at + 0x4c);
    bytes.writeUInt32LE(f.start, at + 0x74);
    bytes.writeUInt32LE(f.node && 'data' in f.node ? f.node.data.length : 0, at + 0x78);
  }

  const byPath = new Map(flat.map((f) => [f.path, f]));
  const get = (path: string): Flat => {
    const f = byPath.get(path);
    if (f === undefined) throw new Error(`no ${path}`);
    return f;
  };
  return { bytes, fatEntry, dirEntry, idOf: (p) => get(p).id, startOf: (p) => get(p).start };
}

/** MS-OVBA 2.4.1 container with literal-only chunks: valid input for the decompressor. */
export function ovbaCompressLiterals(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x01])];
  for (let at = 0; at < data.length; at += 3584) {
    const chunk = data.subarray(at, at + 3584);
    const body: number[] = [];
    for (let i = 0; i < chunk.length; i += 8) {
      body.push(0x00);
      for (const b of chunk.subarray(i, i + 8)) body.push(b);
    }
    const header = Buffer.alloc(2);
    header.writeUInt16LE(0x8000 | 0x3000 | (body.length + 2 - 3));
    parts.push(header, Buffer.from(body));
  }
  return Buffer.concat(parts);
}
