import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptWinZipAes, parseAesExtraField } from '../../../src/core/zip/zip-aes.js';
import { entryNamed, readRawEntries, removeDir, sevenZip, tempDir, type RawEntry } from '../../helpers/archive-tools.js';
import { decompress, sampleFiles } from './zip-test-files.js';

// ASCII: 7-Zip refuses non-ASCII passwords for zip AES (E_INVALIDARG).
const PASSWORD = 'Kz8#pQ-2024!';
const METHOD_AES = 99;

const files = sampleFiles(randomBytes(100_003));
type Name = keyof typeof files;


function aesInfo(entry: RawEntry): { version: 1 | 2; strength: 1 | 2 | 3; actualMethod: number } {
  const info = parseAesExtraField(entry.extraField);
  if (info === undefined) throw new Error(`${entry.fileName}: no AES extra field`);
  return info;
}

const variants = [
  { label: '7z -mem=AES128 -mx=0 (stored)', method: 'AES128', level: 0, strength: 1 },
  { label: '7z -mem=AES128 -mx=9 (deflate)', method: 'AES128', level: 9, strength: 1 },
  { label: '7z -mem=AES192 -mx=5 (deflate)', method: 'AES192', level: 5, strength: 2 },
  { label: '7z -mem=AES256 -mx=0 (stored)', method: 'AES256', level: 0, strength: 3 },
  { label: '7z -mem=AES256 -mx=9 (deflate)', method: 'AES256', level: 9, strength: 3 },
] as const;

let dir = '';
const archives = new Map<string, RawEntry[]>();
function archive(label: string): RawEntry[] {
  const entries = archives.get(label);
  if (entries === undefined) throw new Error(`no archive ${label}`);
  return entries;
}

beforeAll(async () => {
  dir = tempDir('zipaes');
  for (const v of variants) archives.set(v.label, await readRawEntries(sevenZip(dir, PASSWORD, files, v.method, v.level)));
});

afterAll(() => removeDir(dir));

describe('decryptWinZipAes on archives made by 7-Zip', () => {
  for (const v of variants) {
    it(`${v.label}: method 99, extra field 0x9901, and the right password gives back every file`, () => {
      const entries = archive(v.label);
      expect(entries.map((e) => e.fileName).sort()).toEqual(Object.keys(files).sort());
      for (const entry of entries) {
        expect(entry.compressionMethod).toBe(METHOD_AES);
        const info = aesInfo(entry);
        expect(parseAesExtraField(entry.localExtraField)).toEqual(info);
        expect(info.strength).toBe(v.strength);
        if (v.level === 0) expect(info.actualMethod).toBe(0);
        if (entry.fileName === 'invoice.txt' && v.level > 0) expect(info.actualMethod).toBe(8);
        // 7-Zip writes AE-2: the CRC field is 0 and the HMAC is the only integrity check.
        if (info.version === 2) expect(entry.crc32).toBe(0);
        const saltBytes = 4 + 4 * v.strength;
        const data = decryptWinZipAes(entry.raw, Buffer.from(PASSWORD, 'utf8'), info);
        expect(data, entry.fileName).toBeDefined();
        expect(data?.length).toBe(entry.raw.length - saltBytes - 2 - 10);
        const plain = decompress(info.actualMethod, data ?? Buffer.alloc(0));
        expect(plain.equals(files[entry.fileName as Name]), entry.fileName).toBe(true);
      }
    });
  }

  it('wrong passwords are all rejected (verifier, then HMAC)', () => {
    for (const label of ['7z -mem=AES128 -mx=9 (deflate)', '7z -mem=AES256 -mx=0 (stored)']) {
      const entry = entryNamed(archive(label), 'invoice.txt');
      const info = aesInfo(entry);
      for (let i = 0; i < 150; i++) expect(decryptWinZipAes(entry.raw, Buffer.from(`wrong-${i}`), info), `wrong-${i}`).toBeUndefined();
      for (const wrong of ['', 'Kz8#pQ', 'kz8#pq-2024!', `${PASSWORD} `, `${PASSWORD}x`]) {
        expect(decryptWinZipAes(entry.raw, Buffer.from(wrong), info), wrong).toBeUndefined();
      }
    }
  });

  it('the wrong strength is rejected, not misread', () => {
    const entry = entryNamed(archive('7z -mem=AES256 -mx=9 (deflate)'), 'invoice.txt');
    expect(decryptWinZipAes(entry.raw, Buffer.from(PASSWORD), { strength: 1 })).toBeUndefined();
    expect(decryptWinZipAes(entry.raw, Buffer.from(PASSWORD), { strength: 2 })).toBeUndefined();
  });

  it('corrupted or tampered data fails the HMAC even with the right password', () => {
    for (const label of ['7z -mem=AES128 -mx=0 (stored)', '7z -mem=AES256 -mx=9 (deflate)']) {
      const entry = entryNamed(archive(label), 'random.bin');
      const info = aesInfo(entry);
      const saltBytes = 4 + 4 * info.strength;
      const pw = Buffer.from(PASSWORD);
      expect(decryptWinZipAes(entry.raw, pw, info)).toBeDefined();
      // One flipped bit anywhere in the ciphertext: the verifier still passes, the MAC does not.
      for (const at of [saltBytes + 2, saltBytes + 2 + 1000, entry.raw.length - 11]) {
        const bad = Buffer.from(entry.raw);
        bad[at] = (bad[at] as number) ^ 0x01;
        expect(decryptWinZipAes(bad, pw, info), `bit flipped at ${at}`).toBeUndefined();
      }
      const badMac = Buffer.from(entry.raw);
      badMac[badMac.length - 1] = (badMac[badMac.length - 1] as number) ^ 0x80;
      expect(decryptWinZipAes(badMac, pw, info)).toBeUndefined();
      const badSalt = Buffer.from(entry.raw);
      badSalt[0] = (badSalt[0] as number) ^ 0x01;
      expect(decryptWinZipAes(badSalt, pw, info)).toBeUndefined();
      // Truncated: the last 10 bytes are then ciphertext, not the MAC.
      expect(decryptWinZipAes(entry.raw.subarray(0, entry.raw.length - 1), pw, info)).toBeUndefined();
      expect(decryptWinZipAes(entry.raw.subarray(0, saltBytes + 2 + 9), pw, info)).toBeUndefined();
      expect(decryptWinZipAes(Buffer.alloc(0), pw, info)).toBeUndefined();
      // Ciphertext appended: the MAC position moves.
      expect(decryptWinZipAes(Buffer.concat([entry.raw, Buffer.alloc(16)]), pw, info)).toBeUndefined();
    }
  });

  it('the empty file: salt, verifier and MAC, no ciphertext', () => {
    const entry = entryNamed(archive('7z -mem=AES256 -mx=0 (stored)'), 'empty.txt');
    expect(entry.raw.length).toBe(16 + 2 + 10);
    expect(decryptWinZipAes(entry.raw, Buffer.from(PASSWORD), aesInfo(entry))?.length).toBe(0);
    expect(decryptWinZipAes(entry.raw, Buffer.from('nope'), aesInfo(entry))).toBeUndefined();
  });

  // Speed is measured by npm run bench (scan benchmark), never asserted here.
  it('decrypts a 10 MB entry', async () => {
    const big = randomBytes(10 * 1024 * 1024);
    for (const method of ['AES128', 'AES256'] as const) {
      const entry = entryNamed(await readRawEntries(sevenZip(dir, PASSWORD, { 'big.bin': big }, method, 0)), 'big.bin');
      const info = aesInfo(entry);
      const data = decryptWinZipAes(entry.raw, Buffer.from(PASSWORD), info);
      expect(data?.equals(big)).toBe(true);
    }
  });
});

describe('parseAesExtraField', () => {
  function record(id: number, data: Buffer): Buffer {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(id, 0);
    head.writeUInt16LE(data.length, 2);
    return Buffer.concat([head, data]);
  }
  function aes(version: number, vendor: string, strength: number, method: number): Buffer {
    const d = Buffer.alloc(7);
    d.writeUInt16LE(version, 0);
    d.write(vendor, 2, 'latin1');
    d[4] = strength;
    d.writeUInt16LE(method, 5);
    return record(0x9901, d);
  }
  const ntfs = record(0x000a, Buffer.alloc(32));
  const unix = record(0x7875, Buffer.from([1, 4, 0xe8, 3, 0, 0, 4, 0, 0, 0, 0]));

  it('AE-1 and AE-2, any strength, after other records', () => {
    expect(parseAesExtraField(aes(1, 'AE', 3, 8))).toEqual({ version: 1, strength: 3, actualMethod: 8 });
    expect(parseAesExtraField(Buffer.concat([ntfs, aes(2, 'AE', 1, 0)]))).toEqual({ version: 2, strength: 1, actualMethod: 0 });
    expect(parseAesExtraField(Buffer.concat([unix, ntfs, aes(1, 'AE', 2, 12), unix]))).toEqual({ version: 1, strength: 2, actualMethod: 12 });
  });

  it('a longer record (a future version of the field) still parses', () => {
    const d = Buffer.concat([aes(2, 'AE', 3, 8).subarray(4), Buffer.from([9, 9])]);
    expect(parseAesExtraField(record(0x9901, d))).toEqual({ version: 2, strength: 3, actualMethod: 8 });
  });

  it('none, or malformed: undefined', () => {
    expect(parseAesExtraField(Buffer.alloc(0))).toBeUndefined();
    expect(parseAesExtraField(Buffer.concat([ntfs, unix]))).toBeUndefined();
    expect(parseAesExtraField(aes(3, 'AE', 3, 8))).toBeUndefined();
    expect(parseAesExtraField(aes(0, 'AE', 3, 8))).toBeUndefined();
    expect(parseAesExtraField(aes(2, 'XX', 3, 8))).toBeUndefined();
    expect(parseAesExtraField(aes(2, 'AE', 0, 8))).toBeUndefined();
    expect(parseAesExtraField(aes(2, 'AE', 4, 8))).toBeUndefined();
    expect(parseAesExtraField(record(0x9901, Buffer.from([2, 0, 0x41, 0x45, 3, 8])))).toBeUndefined(); // 6 bytes
    expect(parseAesExtraField(aes(2, 'AE', 3, 8).subarray(0, 10))).toBeUndefined(); // record runs past the end
    // A record whose size runs past the end hides whatever follows it.
    const overrun = Buffer.from(ntfs);
    overrun.writeUInt16LE(0xffff, 2);
    expect(parseAesExtraField(Buffer.concat([overrun, aes(2, 'AE', 3, 8)]))).toBeUndefined();
    // Trailing bytes shorter than a record header are ignored.
    expect(parseAesExtraField(Buffer.concat([aes(2, 'AE', 3, 8), Buffer.from([1, 2])]))).toEqual({ version: 2, strength: 3, actualMethod: 8 });
  });
});
