import iconv from 'iconv-lite';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { Unscannable, type Budget } from '../limits.js';

/** One archive member, from the central directory. */
export interface ZipMember {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly encrypted: boolean;
  /** 0 stored, 8 deflate, 99 WinZip AES, others not decodable here. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  readonly lastModFileTime: number;
  readonly generalPurposeBitFlag: number;
  /** Raw extra fields (the WinZip AES record lives here). */
  readonly extra: Buffer;
  readonly entry: Entry;
}

/** Bytes a member's type is judged by before deciding to keep or drop the rest. */
const SNIFF_BYTES = 4096;

/** Smallest local header: 30 bytes plus the name (its extra field may only add to it). */
const LOCAL_HEADER_MIN = 30;

/**
 * A zip archive held in memory, read with yauzl. The whole central directory is read first
 * (bounded by maxEntries) so that overlapping members — David Fifield's "better zip bomb",
 * where thousands of entries share one compressed kernel — are refused before anything is
 * inflated; yauzl itself does not check for overlap. Members are then inflated one at a
 * time as streams, each byte counted against the message's budget and the member's ratio.
 */
export class ZipArchive {
  private constructor(
    private readonly zip: ZipFile,
    readonly members: readonly ZipMember[],
  ) {}

  static async open(bytes: Buffer, maxEntries: number): Promise<ZipArchive> {
    let zip: ZipFile;
    try {
      zip = await yauzl.fromBufferPromise(withCommentLengthFixed(bytes), { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false, autoClose: false });
    } catch (err) {
      throw new Unscannable('corrupt-zip', (err as Error).message);
    }
    if (zip.entryCount > maxEntries) {
      zip.close();
      throw new Unscannable('entries', `${zip.entryCount} entries (more than ${maxEntries})`);
    }
    const members: ZipMember[] = [];
    try {
      for (;;) {
        const entry = await nextEntry(zip);
        if (!entry) break;
        members.push(member(entry));
      }
    } catch (err) {
      zip.close();
      throw err instanceof Unscannable ? err : new Unscannable('corrupt-zip', (err as Error).message);
    }
    checkOverlap(members, bytes.length);
    return new ZipArchive(zip, members);
  }

  close(): void {
    this.zip.close();
  }

  /** The member's stored bytes (still compressed and, if so, encrypted). Counted against the budget. */
  async readStored(m: ZipMember, budget: Budget): Promise<Buffer> {
    budget.charge(m.compressedSize);
    const stream = await this.open(m, { decodeFileData: false });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Inflates a member. `keep` decides from the first bytes whether the content is worth
   * keeping (a container or an Office file); otherwise it is counted and discarded as it
   * streams, so a 20 MB image costs no memory. Returns the content, or its first bytes
   * when it was not kept.
   */
  async inflate(m: ZipMember, budget: Budget, keep: (head: Buffer) => boolean): Promise<{ kept: boolean; bytes: Buffer }> {
    if (m.encrypted || !m.entry.canDecodeFileData()) throw new Unscannable('unsupported-zip', `${m.name}: ${methodName(m.method)} cannot be decoded`);
    // Excel writes empty parts (docProps/thumbnail.wmf) as deflate with no stored bytes at all,
    // which is no valid deflate stream; Excel, Info-ZIP and Python read them as empty.
    if (m.compressedSize === 0 && m.uncompressedSize === 0) return { kept: keep(Buffer.alloc(0)), bytes: Buffer.alloc(0) };
    const limits = budget.limits;
    const stream = await this.open(m, {});
    const chunks: Buffer[] = [];
    let total = 0;
    let decision: boolean | undefined;
    try {
      for await (const chunk of stream) {
        const piece = chunk as Buffer;
        total += piece.length;
        budget.charge(piece.length);
        // A zip bomb inflates a small member into gigabytes; stop as soon as the ratio shows it.
        if (total > limits.ratioExemptBytes && total > limits.maxRatio * Math.max(1, m.compressedSize)) {
          throw new Unscannable('ratio', `${m.name}: expands more than ${limits.maxRatio}× (${m.compressedSize} bytes stored)`);
        }
        if (decision === undefined) {
          chunks.push(piece);
          const head = Buffer.concat(chunks);
          if (head.length >= SNIFF_BYTES || total === m.uncompressedSize) {
            decision = keep(head);
            chunks.length = 0;
            chunks.push(decision ? head : head.subarray(0, SNIFF_BYTES));
          }
        } else if (decision) {
          chunks.push(piece);
        }
        budget.checkTime();
      }
    } catch (err) {
      stream.destroy();
      if (err instanceof Unscannable) throw err;
      throw new Unscannable('corrupt-zip', `${m.name}: ${(err as Error).message}`);
    }
    if (decision === undefined) decision = keep(Buffer.concat(chunks));
    return { kept: decision, bytes: Buffer.concat(chunks) };
  }

  private async open(m: ZipMember, options: { decodeFileData?: boolean }): Promise<NodeJS.ReadableStream & { destroy(): void }> {
    try {
      return (await this.zip.openReadStreamPromise(m.entry, options)) as NodeJS.ReadableStream & { destroy(): void };
    } catch (err) {
      throw new Unscannable('corrupt-zip', `${m.name}: ${(err as Error).message}`);
    }
  }
}

/**
 * The archive with its end-of-central-directory comment length made to match the bytes
 * that follow the record. yauzl refuses a length that disagrees with them ("Invalid comment
 * length"), but PowerPoint, Info-ZIP and Python open such files: real presentations in
 * Apache POI's test data end one byte short of the comment their record declares. The
 * record is the one yauzl takes: the last signature in the file.
 */
function withCommentLengthFixed(bytes: Buffer): Buffer {
  const EOCD = 0x06054b50;
  const last = bytes.length - 22;
  for (let at = last; at >= Math.max(0, last - 0xffff); at--) {
    if (bytes.readUInt32LE(at) !== EOCD) continue;
    const actual = bytes.length - at - 22;
    if (bytes.readUInt16LE(at + 20) === actual) return bytes;
    const fixed = Buffer.from(bytes);
    fixed.writeUInt16LE(actual, at + 20);
    return fixed;
  }
  return bytes;
}

/** APPNOTE 4.4.5 names of the methods yauzl does not decode. */
const METHODS: Readonly<Record<number, string>> = { 1: 'Shrink', 6: 'Implode', 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 19: 'IBM LZ77', 93: 'Zstandard', 95: 'xz', 96: 'JPEG', 97: 'WavPack', 98: 'PPMd', 99: 'WinZip AES' };

export function methodName(method: number): string {
  return `compression method ${method}${METHODS[method] ? ` (${METHODS[method]})` : ''}`;
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: Entry) => done(undefined, entry);
    const onEnd = () => done(undefined, undefined);
    const onError = (err: Error) => done(err, undefined);
    const done = (err: Error | undefined, entry: Entry | undefined) => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
      if (err) reject(err);
      else resolve(entry);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function member(entry: Entry): ZipMember {
  const raw = entry.fileNameRaw;
  const name = decodeName(raw, entry.generalPurposeBitFlag, entry.extraFields);
  return {
    name,
    isDirectory: name.endsWith('/'),
    encrypted: entry.isEncrypted(),
    method: entry.compressionMethod,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
    lastModFileTime: entry.lastModFileTime,
    generalPurposeBitFlag: entry.generalPurposeBitFlag,
    extra: Buffer.concat(entry.extraFields.flatMap((f) => {
      const head = Buffer.alloc(4);
      head.writeUInt16LE(f.id, 0);
      head.writeUInt16LE(f.data.length, 2);
      return [head, f.data];
    })),
    entry,
  };
}

/**
 * Member names as people wrote them. The UTF-8 flag (APPNOTE bit 11) and Info-ZIP's Unicode
 * Path field are honoured; without them, names from Japanese Windows are Shift_JIS (CP932),
 * and "請求書.xlsm" must not turn into mojibake in the evidence an admin reads.
 */
function decodeName(raw: Buffer, flag: number, extra: ReadonlyArray<{ id: number; data: Buffer }>): string {
  const unicodePath = extra.find((f) => f.id === 0x7075);
  if (unicodePath && unicodePath.data.length > 5 && unicodePath.data[0] === 1) return unicodePath.data.subarray(5).toString('utf8');
  if (flag & 0x800) return raw.toString('utf8');
  if (raw.every((b) => b < 0x80)) return raw.toString('latin1');
  const utf8 = raw.toString('utf8');
  if (!utf8.includes('\ufffd')) return utf8;
  const sjis = iconv.decode(raw, 'cp932');
  if (!sjis.includes('\ufffd')) return sjis;
  return iconv.decode(raw, 'cp437');
}

/** Members whose stored data ranges overlap: the mark of an overlapping-entry zip bomb. */
function checkOverlap(members: readonly ZipMember[], archiveSize: number): void {
  const ranges = members
    .map((m) => {
      const start = m.entry.relativeOffsetOfLocalHeader;
      return { name: m.name, start, end: start + LOCAL_HEADER_MIN + m.entry.fileNameLength + m.compressedSize };
    })
    .sort((a, b) => a.start - b.start);
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as { name: string; start: number; end: number };
    if (r.end > archiveSize) throw new Unscannable('corrupt-zip', `${r.name}: data runs past the end of the archive`);
    const next = ranges[i + 1];
    if (next && next.start < r.end) throw new Unscannable('overlapping-entries', `${r.name} and ${next.name} share stored bytes`);
  }
}
