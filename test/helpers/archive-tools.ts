import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { requireTool } from './tools.js';

/**
 * Encrypted zips made by the real tools attackers and victims use: Info-ZIP `zip -P`
 * (ZipCrypto) and 7-Zip (ZipCrypto and WinZip AES). `.ci/run` installs `zip` and
 * `p7zip-full`; a missing tool fails the test (requireTool), never skips it.
 */

export type Files = Readonly<Record<string, Buffer>>;

/** A fresh temp directory; remove it with `removeDir` in afterAll. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `sekisho-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `files` into a new directory under `dir` and returns it (names stay relative). */
function stage(dir: string, files: Files): string {
  const src = mkdtempSync(path.join(dir, 'src-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(src, name), data);
  return src;
}

/** Info-ZIP `zip` (with a password: `-P`, ZipCrypto); `store` adds -0 (method 0). Returns the zip's bytes. */
export function infoZip(dir: string, password: string | undefined, files: Files, options: { store?: boolean } = {}): Buffer {
  const zip = requireTool('zip');
  const src = stage(dir, files);
  const out = path.join(src, 'out.zip');
  execFileSync(zip, ['-q', '-X', ...(options.store ? ['-0'] : []), ...(password === undefined ? [] : ['-P', password]), out, ...Object.keys(files)], { cwd: src, stdio: 'pipe' });
  return readFileSync(out);
}

/**
 * `zip -P password - -`: stdin to stdout, so zip cannot seek back and writes a data
 * descriptor (general purpose bit 3); the entry is named "-".
 */
export function infoZipFromPipe(password: string, data: Buffer): Buffer {
  const zip = requireTool('zip');
  return execFileSync(zip, ['-q', '-P', password, '-', '-'], { input: data, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

export type SevenZipMethod = 'ZipCrypto' | 'AES128' | 'AES192' | 'AES256';

/** `7z a -tzip -p<password> -mem=<method> -mx=<level>`. Level 0 stores (method 0). */
export function sevenZip(dir: string, password: string, files: Files, method: SevenZipMethod, level: 0 | 5 | 9): Buffer {
  const sevenZ = requireTool('7z');
  const src = stage(dir, files);
  const out = path.join(src, 'out.zip');
  execFileSync(sevenZ, ['a', '-tzip', `-p${password}`, `-mem=${method}`, `-mx=${level}`, '-bso0', '-bsp0', out, ...Object.keys(files)], {
    cwd: src,
    stdio: 'pipe',
  });
  return readFileSync(out);
}

export interface RawEntry {
  readonly fileName: string;
  readonly compressionMethod: number;
  readonly generalPurposeBitFlag: number;
  readonly crc32: number;
  readonly lastModFileTime: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** The central directory's extra field, as stored. */
  readonly extraField: Buffer;
  /** The local header's extra field, as stored. */
  readonly localExtraField: Buffer;
  /** The entry's file data exactly as stored: still encrypted, still compressed. */
  readonly raw: Buffer;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every entry of a zip with its raw (undecrypted, undecompressed) bytes, via yauzl. */
export async function readRawEntries(zip: Buffer): Promise<RawEntry[]> {
  const zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const entries: RawEntry[] = [];
  for await (const entry of zipfile.eachEntry()) {
    const local = await zipfile.readLocalFileHeaderPromise(entry);
    const raw = await readAll(await zipfile.openReadStreamPromise(entry, { decodeFileData: false }));
    entries.push({
      fileName: entry.fileName,
      compressionMethod: entry.compressionMethod,
      generalPurposeBitFlag: entry.generalPurposeBitFlag,
      crc32: entry.crc32,
      lastModFileTime: entry.lastModFileTime,
      compressedSize: entry.compressedSize,
      uncompressedSize: entry.uncompressedSize,
      extraField: entry.extraFieldRaw,
      localExtraField: local.extraField,
      raw,
    });
  }
  return entries;
}

/** The entry called `name`; throws when the archive has none. */
export function entryNamed(entries: readonly RawEntry[], name: string): RawEntry {
  const entry = entries.find((e) => e.fileName === name);
  if (entry === undefined) throw new Error(`no entry ${name} in [${entries.map((e) => e.fileName).join(', ')}]`);
  return entry;
}
