import { ChainWalker, corrupt, ENDOFCHAIN, SectorFile } from './cfb-sectors.js';

export { CFB_MAGIC, isCfb } from './cfb-sectors.js';

/** A storage or stream of a compound file, with its full path from the root ("Macros/VBA/dir"). */
export interface CfbNode {
  readonly id: number;
  readonly name: string;
  /** Names joined with "/"; "" for the root. */
  readonly path: string;
  readonly type: 'root' | 'storage' | 'stream';
  /** Stream size in bytes (0 for storages; the mini stream's size for the root). */
  readonly size: number;
  readonly children: readonly CfbNode[];
  readonly parent: CfbNode | undefined;
}

/** A parsed compound file: its tree, and the bytes of any stream on demand. */
export interface Cfb {
  readonly root: CfbNode;
  /** Every storage and stream below the root, parents before children. */
  readonly nodes: readonly CfbNode[];
  /** The node at `path` (names compared case-insensitively, as Office does), if any. */
  find(path: string): CfbNode | undefined;
  /** The child of `storage` named `name`, case-insensitively. */
  child(storage: CfbNode, name: string): CfbNode | undefined;
  /** The stream's bytes. Throws Unscannable('corrupt-ole') if its sectors are broken. */
  read(stream: CfbNode): Buffer;
}

const ENTRY_SIZE = 128;
const NOSTREAM = 0xffffffff;
/** Real documents have tens to a few thousand entries; far more is a resource attack. */
export const MAX_CFB_ENTRIES = 100_000;
/** Bytes all reads of one file may return together, as a multiple of its size: sectors shared between streams must not multiply work. */
const READ_AMPLIFICATION = 8;

const TYPES: Record<number, CfbNode['type']> = { 1: 'storage', 2: 'stream', 5: 'root' };

interface RawEntry {
  readonly name: string;
  readonly type: number;
  readonly left: number;
  readonly right: number;
  readonly child: number;
  readonly start: number;
  readonly size: number;
}

interface MutableNode extends CfbNode {
  readonly children: CfbNode[];
}

/**
 * Parses a compound file (MS-CFB) from untrusted bytes. Every chain is bounded and checked for
 * loops, every size against the file, and every directory entry is visited at most once, so
 * hostile input ends in `Unscannable('corrupt-ole')` rather than a hang or a large allocation.
 */
export function parseCfb(bytes: Buffer): Cfb {
  const file = new SectorFile(bytes);
  const { header } = file;
  const { sectorSize } = header;
  const dirSectors = file.walker.chain(header.firstDirSector, file.sectorCount, 'directory');
  const entryCount = dirSectors.length * (sectorSize / ENTRY_SIZE);
  if (entryCount === 0) throw corrupt('empty directory');
  const maxStreamSize = file.sectorCount * sectorSize;
  // MS-CFB 2.6.3: version 3 writers may leave garbage in the high 32 bits of the size.
  const ignoreSizeHigh = header.majorVersion === 3 || sectorSize === 512;

  const entry = (id: number): RawEntry => {
    const sector = dirSectors[Math.floor((id * ENTRY_SIZE) / sectorSize)];
    if (sector === undefined) throw corrupt(`directory entry ${id} is outside the directory`);
    const data = file.sector(sector);
    const at = (id * ENTRY_SIZE) % sectorSize;
    const nameLength = data.readUInt16LE(at + 0x40);
    if (nameLength > 64) throw corrupt(`directory entry ${id}: name length ${nameLength} > 64`);
    const high = data.readUInt32LE(at + 0x7c);
    const low = data.readUInt32LE(at + 0x78);
    if (!ignoreSizeHigh && high !== 0) throw corrupt(`directory entry ${id}: size beyond 4 GiB`);
    return {
      name: data.toString('utf16le', at, at + Math.max(0, nameLength - 2) - (nameLength % 2)),
      type: data.readUInt8(at + 0x42),
      left: data.readUInt32LE(at + 0x44),
      right: data.readUInt32LE(at + 0x48),
      child: data.readUInt32LE(at + 0x4c),
      start: data.readUInt32LE(at + 0x74),
      size: low,
    };
  };

  const rootEntry = entry(0);
  if (rootEntry.type !== 5) throw corrupt(`directory entry 0 is not the root (type ${rootEntry.type})`);
  if (rootEntry.size > maxStreamSize) throw corrupt(`mini stream of ${rootEntry.size} bytes in a file of ${bytes.length}`);
  const root: MutableNode = { id: 0, name: rootEntry.name, path: '', type: 'root', size: rootEntry.size, children: [], parent: undefined };
  const starts = new Map<number, number>();
  const nodes = buildTree(root, rootEntry, entry, entryCount, starts);
  const byPath = new Map<string, CfbNode>();
  for (const node of nodes) if (!byPath.has(node.path.toLowerCase())) byPath.set(node.path.toLowerCase(), node);

  const mini = lazyMiniStream(file, rootEntry);
  let readBudget = READ_AMPLIFICATION * bytes.length + 1024 * 1024;

  const read = (stream: CfbNode): Buffer => {
    const start = starts.get(stream.id);
    const owner = quote(stream.path);
    if (stream.type !== 'stream' || start === undefined) throw corrupt(`${owner} is not a stream`);
    if (stream.size === 0) return Buffer.alloc(0);
    if (stream.size > maxStreamSize) throw corrupt(`stream ${owner} claims ${stream.size} bytes, more than the file holds`);
    readBudget -= stream.size;
    if (readBudget < 0) throw corrupt(`streams add up to more than ${READ_AMPLIFICATION} times the file (sectors shared between streams)`);
    if (stream.size < header.miniStreamCutoff) return mini().read(start, stream.size, owner);
    const needed = Math.ceil(stream.size / sectorSize);
    const chain = file.walker.chain(start, needed, owner);
    if (chain.length < needed) throw corrupt(`${owner}: chain of ${chain.length} sectors for ${stream.size} bytes`);
    const out = Buffer.allocUnsafe(stream.size);
    chain.forEach((s, i) => file.sector(s).copy(out, i * sectorSize, 0, Math.min(sectorSize, stream.size - i * sectorSize)));
    return out;
  };

  return {
    root,
    nodes,
    find: (path) => (path === '' ? root : byPath.get(path.toLowerCase())),
    child: (storage, name) => storage.children.find((c) => c.name.toLowerCase() === name.toLowerCase()),
    read,
  };
}

/**
 * Walks the red-black sibling trees (MS-CFB 2.6.4) iteratively, with one visited set for the
 * whole directory: an entry reached twice is a loop or a shared subtree, both hostile.
 */
function buildTree(root: MutableNode, rootEntry: RawEntry, entry: (id: number) => RawEntry, entryCount: number, starts: Map<number, number>): CfbNode[] {
  const visited = new Uint8Array(entryCount);
  visited[0] = 1;
  const nodes: CfbNode[] = [];
  const storages: Array<{ node: MutableNode; child: number }> = [{ node: root, child: rootEntry.child }];
  for (let s = 0; s < storages.length; s++) {
    const storage = storages[s];
    if (storage === undefined) break;
    const pending = [storage.child];
    while (pending.length > 0) {
      const id = pending.pop();
      if (id === undefined || id === NOSTREAM) continue;
      if (id >= entryCount) throw corrupt(`directory entry ${id} is outside the directory (${entryCount} entries)`);
      if (visited[id] === 1) throw corrupt(`directory entry ${id} is reached twice (sibling or child loop)`);
      visited[id] = 1;
      if (nodes.length >= MAX_CFB_ENTRIES) throw corrupt(`more than ${MAX_CFB_ENTRIES} directory entries`);
      const raw = entry(id);
      const type = TYPES[raw.type];
      if (type === undefined || type === 'root') throw corrupt(`directory entry ${id} has type ${raw.type} inside the tree`);
      // An absurd size is refused when the stream is read, not here: real workbooks have a
      // \x05SummaryInformation that claims 4 GB (Apache POI's file for its bug 61300, which
      // olefile and POI read), and no macro check reads that stream.
      const size = type === 'stream' ? raw.size : 0;
      if (type === 'stream') starts.set(id, raw.start);
      const parentPath = storage.node.path;
      const node: MutableNode = { id, name: raw.name, path: parentPath === '' ? raw.name : `${parentPath}/${raw.name}`, type, size, children: [], parent: storage.node };
      storage.node.children.push(node);
      nodes.push(node);
      if (type === 'storage') storages.push({ node, child: raw.child });
      pending.push(raw.right, raw.left);
    }
  }
  return nodes;
}

/** Names come from the file: quoted and escaped, control characters (\x05SummaryInformation) included. */
function quote(name: string): string {
  return JSON.stringify(name);
}

interface MiniStream {
  read(start: number, size: number, owner: string): Buffer;
}

/** MS-CFB 2.4 / 2.6.3: streams under the cutoff live in 64-byte sectors of the root's stream. */
function lazyMiniStream(file: SectorFile, rootEntry: RawEntry): () => MiniStream {
  let cached: MiniStream | undefined;
  return () => {
    cached ??= openMiniStream(file, rootEntry);
    return cached;
  };
}

function openMiniStream(file: SectorFile, rootEntry: RawEntry): MiniStream {
  const { sectorSize, miniSectorSize, firstMiniFatSector } = file.header;
  const containerNeeded = Math.ceil(rootEntry.size / sectorSize);
  const container = file.walker.chain(rootEntry.start, containerNeeded, 'mini stream');
  if (container.length < containerNeeded) throw corrupt(`mini stream: chain of ${container.length} sectors for ${rootEntry.size} bytes`);
  const miniFat = firstMiniFatSector === ENDOFCHAIN ? [] : file.walker.chain(firstMiniFatSector, file.sectorCount, 'mini FAT');
  const perFatSector = sectorSize / 4;
  const miniCount = Math.min(Math.ceil(rootEntry.size / miniSectorSize), miniFat.length * perFatSector);
  const walker = new ChainWalker(
    miniCount,
    (m) => {
      const fatSector = miniFat[Math.floor(m / perFatSector)];
      if (fatSector === undefined) throw corrupt(`mini sector ${m} is beyond the mini FAT`);
      return file.u32(fatSector, m % perFatSector);
    },
    'mini sector',
  );
  return {
    read(start, size, owner) {
      const needed = Math.ceil(size / miniSectorSize);
      const chain = walker.chain(start, needed, owner);
      if (chain.length < needed) throw corrupt(`${owner}: mini chain of ${chain.length} sectors for ${size} bytes`);
      const out = Buffer.allocUnsafe(size);
      chain.forEach((m, i) => {
        const offset = m * miniSectorSize;
        const sector = container[Math.floor(offset / sectorSize)];
        if (sector === undefined) throw corrupt(`${owner}: mini sector ${m} is outside the mini stream`);
        const at = offset % sectorSize;
        file.sector(sector).copy(out, i * miniSectorSize, at, at + Math.min(miniSectorSize, size - i * miniSectorSize));
      });
      return out;
    },
  };
}
