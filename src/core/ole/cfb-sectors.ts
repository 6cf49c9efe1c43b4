import { Unscannable } from '../limits.js';

/** MS-CFB 2.2: the eight bytes every compound file starts with. */
export const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** MS-CFB 2.1 special sector numbers. */
export const ENDOFCHAIN = 0xfffffffe;
export const FREESECT = 0xffffffff;
const HEADER_DIFAT_ENTRIES = 109;

export function corrupt(detail: string): Unscannable {
  return new Unscannable('corrupt-ole', detail);
}

export function isCfb(bytes: Buffer): boolean {
  return bytes.length >= CFB_MAGIC.length && bytes.subarray(0, CFB_MAGIC.length).equals(CFB_MAGIC);
}

/**
 * Cycle detection for sector chains: each walk gets a new stamp, so checking "seen in this
 * walk" is O(1) per step without allocating a set per chain (a file may have many streams).
 */
export class ChainWalker {
  private readonly stamps: Uint32Array;
  private walk = 0;

  constructor(
    /** Number of valid sector indices: every link is checked against it. */
    readonly limit: number,
    private readonly nextOf: (n: number) => number,
    private readonly what: string,
  ) {
    this.stamps = new Uint32Array(limit);
  }

  /**
   * The chain from `start`, stopped after `maxLength` links (the caller knows how many a
   * stream needs, so a chain longer than its stream is harmless). A repeated sector is a
   * loop: hostile files link a chain back on itself to hang readers.
   */
  chain(start: number, maxLength: number, owner: string): number[] {
    this.walk += 1;
    if (this.walk === 0xffffffff) {
      this.stamps.fill(0);
      this.walk = 1;
    }
    const stamp = this.walk;
    const out: number[] = [];
    let current = start;
    while (current !== ENDOFCHAIN && out.length < maxLength) {
      if (current >= this.limit) throw corrupt(`${owner}: ${this.what} ${current} is outside the file (${this.limit} available)`);
      if (this.stamps[current] === stamp) throw corrupt(`${owner}: ${this.what} chain loops at ${current}`);
      this.stamps[current] = stamp;
      out.push(current);
      current = this.nextOf(current);
    }
    return out;
  }
}

/** The header fields the reader needs (MS-CFB 2.2). */
export interface CfbHeader {
  readonly majorVersion: number;
  readonly sectorSize: number;
  readonly miniSectorSize: number;
  readonly miniStreamCutoff: number;
  readonly firstDirSector: number;
  readonly firstMiniFatSector: number;
  readonly miniFatSectorCount: number;
}

/**
 * The sector layer of a compound file: where each sector lies and how sectors chain. Every
 * number read from the file is checked against the file's own sector count before use, so a
 * forged header or FAT can neither index outside the buffer nor make a chain run forever.
 */
export class SectorFile {
  readonly header: CfbHeader;
  /** Sectors that start inside the file (a short last sector counts; it reads as zeros). */
  readonly sectorCount: number;
  readonly walker: ChainWalker;
  private readonly fatSectors: number[];

  constructor(private readonly bytes: Buffer) {
    if (!isCfb(bytes)) throw corrupt('no compound file signature');
    if (bytes.length < 512) throw corrupt(`header truncated (${bytes.length} bytes)`);
    this.header = readHeader(bytes);
    const { sectorSize } = this.header;
    // The header occupies "sector -1", a whole sector in version 4 (MS-CFB 2.2).
    this.sectorCount = Math.max(0, Math.ceil((bytes.length - sectorSize) / sectorSize));
    if (this.sectorCount === 0) throw corrupt('no sectors after the header');
    this.walker = new ChainWalker(this.sectorCount, (n) => this.next(n), 'sector');
    this.fatSectors = this.readDifat(bytes.readUInt32LE(0x2c), bytes.readUInt32LE(0x44), bytes.readUInt32LE(0x48));
  }

  /** The bytes of sector `n`; a sector cut short by the end of the file is zero-filled. */
  sector(n: number): Buffer {
    if (n >= this.sectorCount) throw corrupt(`sector ${n} is outside the file (${this.sectorCount} sectors)`);
    const size = this.header.sectorSize;
    const start = (n + 1) * size;
    if (start + size <= this.bytes.length) return this.bytes.subarray(start, start + size);
    const padded = Buffer.alloc(size);
    this.bytes.copy(padded, 0, start);
    return padded;
  }

  /** Little-endian uint32 at `index` (in 4-byte units) of sector `n`, without copying. */
  u32(n: number, index: number): number {
    const offset = (n + 1) * this.header.sectorSize + index * 4;
    if (n >= this.sectorCount || offset + 4 > this.bytes.length) throw corrupt(`sector ${n} is truncated`);
    return this.bytes.readUInt32LE(offset);
  }

  /** FAT entry for sector `n`: the next sector of its chain. */
  next(n: number): number {
    const perSector = this.header.sectorSize / 4;
    const fatSector = this.fatSectors[Math.floor(n / perSector)];
    if (fatSector === undefined) throw corrupt(`sector ${n} is beyond the FAT`);
    return this.u32(fatSector, n % perSector);
  }

  /** MS-CFB 2.5: the FAT's own sectors, listed in the header and then in a chain of DIFAT sectors. */
  private readDifat(fatCount: number, firstDifat: number, difatCount: number): number[] {
    if (fatCount > this.sectorCount) throw corrupt(`header claims ${fatCount} FAT sectors in a file of ${this.sectorCount}`);
    if (difatCount > this.sectorCount) throw corrupt(`header claims ${difatCount} DIFAT sectors in a file of ${this.sectorCount}`);
    const fat: number[] = [];
    const take = (entry: number, where: string): void => {
      if (fat.length >= fatCount) return;
      if (entry === FREESECT || entry === ENDOFCHAIN) throw corrupt(`${where}: FAT sector ${fat.length} of ${fatCount} missing`);
      if (entry >= this.sectorCount) throw corrupt(`${where}: FAT sector ${entry} is outside the file`);
      fat.push(entry);
    };
    for (let i = 0; i < HEADER_DIFAT_ENTRIES; i++) take(this.bytes.readUInt32LE(0x4c + i * 4), 'header DIFAT');
    if (fat.length < fatCount) {
      const perSector = this.header.sectorSize / 4 - 1;
      // The last uint32 of each DIFAT sector links to the next one.
      const difat = new ChainWalker(this.sectorCount, (n) => this.u32(n, perSector), 'DIFAT sector');
      for (const s of difat.chain(firstDifat, difatCount, 'DIFAT')) {
        for (let i = 0; i < perSector; i++) take(this.u32(s, i), 'DIFAT');
      }
    }
    if (fat.length < fatCount) throw corrupt(`only ${fat.length} of ${fatCount} FAT sectors listed`);
    return fat;
  }
}

function readHeader(bytes: Buffer): CfbHeader {
  const sectorShift = bytes.readUInt16LE(0x1e);
  const miniShift = bytes.readUInt16LE(0x20);
  if (bytes.readUInt16LE(0x1c) !== 0xfffe) throw corrupt('byte order mark is not FFFE');
  if (sectorShift !== 9 && sectorShift !== 12) throw corrupt(`sector shift ${sectorShift} (must be 9 or 12)`);
  if (miniShift !== 6) throw corrupt(`mini sector shift ${miniShift} (must be 6)`);
  return {
    majorVersion: bytes.readUInt16LE(0x1a),
    sectorSize: 1 << sectorShift,
    miniSectorSize: 1 << miniShift,
    miniStreamCutoff: bytes.readUInt32LE(0x38),
    firstDirSector: bytes.readUInt32LE(0x30),
    firstMiniFatSector: bytes.readUInt32LE(0x3c),
    miniFatSectorCount: bytes.readUInt32LE(0x40),
  };
}
