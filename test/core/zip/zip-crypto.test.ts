import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordCandidates } from '../../../src/core/zip/password-candidates.js';
import { decryptZipCrypto } from '../../../src/core/zip/zip-crypto.js';
import {
  entryNamed,
  infoZip,
  infoZipFromPipe,
  readRawEntries,
  removeDir,
  sevenZip,
  tempDir,
  type RawEntry,
} from '../../helpers/archive-tools.js';
import { decompress, sampleFiles } from './zip-test-files.js';

const PASSWORD = 'Kz8#pQ';
const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;

const files = sampleFiles(randomBytes(64 * 1024));
type Name = keyof typeof files;


/** True when `password` opens `entry` all the way: header check, inflate and CRC-32. */
function opens(entry: RawEntry, password: string): boolean {
  const data = decryptZipCrypto(entry.raw, Buffer.from(password, 'utf8'), entry);
  if (data === undefined) return false;
  try {
    const plain = decompress(entry.compressionMethod, data);
    return plain.length === entry.uncompressedSize && crc32(plain) === entry.crc32;
  } catch {
    return false; // garbage from a header false positive rarely inflates
  }
}

let dir = '';
const archives: Record<string, RawEntry[]> = {};

beforeAll(async () => {
  dir = tempDir('zipcrypto');
  archives['zip -P (deflate)'] = await readRawEntries(infoZip(dir, PASSWORD, files));
  archives['zip -0 -P (stored)'] = await readRawEntries(infoZip(dir, PASSWORD, files, { store: true }));
  archives['7z -mem=ZipCrypto -mx=9'] = await readRawEntries(sevenZip(dir, PASSWORD, files, 'ZipCrypto', 9));
  archives['7z -mem=ZipCrypto -mx=0'] = await readRawEntries(sevenZip(dir, PASSWORD, files, 'ZipCrypto', 0));
});

afterAll(() => removeDir(dir));

describe('decryptZipCrypto on archives made by zip and 7z', () => {
  it('the archives cover both header checks: DOS time (bit 3, Info-ZIP) and CRC (7-Zip)', () => {
    for (const entries of Object.values(archives)) {
      for (const e of entries) expect(e.generalPurposeBitFlag & FLAG_ENCRYPTED).toBe(FLAG_ENCRYPTED);
    }
    // Info-ZIP always streams encrypted entries with a data descriptor, so its check byte is
    // the time's high byte; 7-Zip knows the CRC up front and uses its high byte.
    expect(entryNamed(archives['zip -P (deflate)'] ?? [], 'invoice.txt').generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR).toBe(FLAG_DATA_DESCRIPTOR);
    expect(entryNamed(archives['7z -mem=ZipCrypto -mx=9'] ?? [], 'invoice.txt').generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR).toBe(0);
    expect(entryNamed(archives['zip -P (deflate)'] ?? [], 'invoice.txt').compressionMethod).toBe(8);
    expect(entryNamed(archives['zip -0 -P (stored)'] ?? [], 'invoice.txt').compressionMethod).toBe(0);
    expect(entryNamed(archives['7z -mem=ZipCrypto -mx=0'] ?? [], 'random.bin').compressionMethod).toBe(0);
  });

  for (const label of ['zip -P (deflate)', 'zip -0 -P (stored)', '7z -mem=ZipCrypto -mx=9', '7z -mem=ZipCrypto -mx=0']) {
    it(`${label}: the right password gives back every file exactly`, () => {
      const entries = archives[label] ?? [];
      expect(entries.map((e) => e.fileName).sort()).toEqual(Object.keys(files).sort());
      for (const entry of entries) {
        const data = decryptZipCrypto(entry.raw, Buffer.from(PASSWORD), entry);
        expect(data, entry.fileName).toBeDefined();
        expect(data?.length).toBe(entry.raw.length - 12);
        const plain = decompress(entry.compressionMethod, data ?? Buffer.alloc(0));
        expect(plain.equals(files[entry.fileName as Name]), entry.fileName).toBe(true);
        expect(crc32(plain)).toBe(entry.crc32);
      }
    });
  }

  it('a zip written to a pipe (data descriptor) decrypts with the time check', async () => {
    const data = Buffer.from('data from a pipe\n');
    const [entry, ...others] = await readRawEntries(infoZipFromPipe('pw', data));
    expect(others).toHaveLength(0);
    if (entry === undefined) throw new Error('no entry');
    expect(entry.fileName).toBe('-');
    expect(entry.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR).toBe(FLAG_DATA_DESCRIPTOR);
    const out = decryptZipCrypto(entry.raw, Buffer.from('pw'), entry);
    expect(decompress(entry.compressionMethod, out ?? Buffer.alloc(0)).equals(data)).toBe(true);
    expect(decryptZipCrypto(entry.raw, Buffer.from('pw'), { ...entry, lastModFileTime: entry.lastModFileTime ^ 0xff00 })).toBeUndefined();
  });

  it('the check byte follows the flag: a CRC-checked entry fails when told it has a data descriptor', () => {
    const entry = entryNamed(archives['7z -mem=ZipCrypto -mx=9'] ?? [], 'invoice.txt');
    // With bit 3 the time's high byte is compared; make it certainly differ from the CRC's.
    const time = (((entry.crc32 >>> 24) ^ 0x55) & 0xff) << 8;
    expect(decryptZipCrypto(entry.raw, Buffer.from(PASSWORD), { ...entry, generalPurposeBitFlag: entry.generalPurposeBitFlag | 8, lastModFileTime: time })).toBeUndefined();
  });

  it('hundreds of wrong passwords: none opens an entry; about 1 in 256 passes the header check', () => {
    const tries = 600;
    let headerPasses = 0;
    for (const label of ['zip -P (deflate)', '7z -mem=ZipCrypto -mx=9']) {
      const entry = entryNamed(archives[label] ?? [], 'invoice.txt');
      for (let i = 0; i < tries; i++) {
        const wrong = `wrong-${i}`;
        if (decryptZipCrypto(entry.raw, Buffer.from(wrong), entry) !== undefined) headerPasses++;
        expect(opens(entry, wrong), wrong).toBe(false);
      }
    }
    // Expected 2 * 600 / 256 ≈ 4.7; 25 would be astronomically unlikely for a 1-byte check.
    console.log(`ZipCrypto: ${headerPasses} of ${2 * tries} wrong passwords passed the 1-byte header check (all failed inflate/CRC)`);
    expect(headerPasses).toBeLessThan(25);
    expect(opens(entryNamed(archives['zip -P (deflate)'] ?? [], 'invoice.txt'), PASSWORD)).toBe(true);
  });

  it('a wrong password that passes the header check yields data the CRC rejects (stored entry)', () => {
    // A stored entry has no inflate to fail, so only the CRC can catch the false positive.
    const entry = entryNamed(archives['zip -0 -P (stored)'] ?? [], 'random.bin');
    let falsePositive: string | undefined;
    for (let i = 0; i < 20_000 && falsePositive === undefined; i++) {
      if (decryptZipCrypto(entry.raw, Buffer.from(`guess${i}`), entry) !== undefined) falsePositive = `guess${i}`;
    }
    if (falsePositive === undefined) throw new Error('no header false positive in 20000 tries (expected one per ~256)');
    const data = decryptZipCrypto(entry.raw, Buffer.from(falsePositive), entry);
    expect(data?.length).toBe(files['random.bin'].length);
    expect(crc32(data ?? Buffer.alloc(0))).not.toBe(entry.crc32);
  });

  it('the empty password and too-short data', () => {
    const entry = entryNamed(archives['zip -P (deflate)'] ?? [], 'one.txt');
    expect(opens(entry, '')).toBe(false);
    expect(decryptZipCrypto(entry.raw.subarray(0, 11), Buffer.from(PASSWORD), entry)).toBeUndefined();
    expect(decryptZipCrypto(Buffer.alloc(0), Buffer.from(PASSWORD), entry)).toBeUndefined();
  });

  it('the empty file: 12 header bytes, no data', () => {
    const entry = entryNamed(archives['zip -0 -P (stored)'] ?? [], 'empty.txt');
    expect(entry.raw.length).toBe(12);
    expect(decryptZipCrypto(entry.raw, Buffer.from(PASSWORD), entry)?.length).toBe(0);
  });

  // Speed is measured by npm run bench (scan benchmark), never asserted here.
  it('decrypts a 10 MB entry', async () => {
    const big = randomBytes(10 * 1024 * 1024);
    const entry = entryNamed(await readRawEntries(infoZip(dir, PASSWORD, { 'big.bin': big }, { store: true })), 'big.bin');
    const data = decryptZipCrypto(entry.raw, Buffer.from(PASSWORD), entry);
    expect(data?.equals(big)).toBe(true);
  });
});

describe('the SpamAssassin corpus sample zippwmacro.eml', () => {
  const eml = readFileSync(path.resolve(__dirname, '../../fixtures/mail-spamassassin/olevbmacro/zippwmacro.eml'), 'latin1');

  function attachment(): Buffer {
    const m = /filename="macro\.zip"\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(eml);
    if (m?.[1] === undefined) throw new Error('macro.zip not found in zippwmacro.eml');
    return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  }

  function bodyText(): string {
    const m = /Content-Type: text\/plain[^\n]*\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n--/.exec(eml);
    if (m?.[1] === undefined) throw new Error('text/plain part not found');
    return m[1];
  }

  it('macro.zip opens with the password the body states ("Password: sa")', async () => {
    const candidates = passwordCandidates(['zip pw macro', bodyText()], [], 20);
    expect(candidates).toEqual(['sa']);
    const entries = await readRawEntries(attachment());
    const entry = entryNamed(entries, 'macro.xlsm');
    expect(entry.generalPurposeBitFlag & FLAG_ENCRYPTED).toBe(FLAG_ENCRYPTED);
    expect(entry.compressionMethod).toBe(8);
    const data = decryptZipCrypto(entry.raw, Buffer.from(candidates[0] ?? ''), entry);
    expect(data).toBeDefined();
    const xlsm = inflateRawSync(data ?? Buffer.alloc(0));
    expect(xlsm.length).toBe(entry.uncompressedSize);
    expect(crc32(xlsm)).toBe(entry.crc32);
    // The xlsm is itself a zip carrying the VBA project: what the macro detector needs next.
    expect(xlsm.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(xlsm.includes(Buffer.from('xl/vbaProject.bin'))).toBe(true);
  });

  it('macro.zip does not open with other passwords', async () => {
    const entry = entryNamed(await readRawEntries(attachment()), 'macro.xlsm');
    for (const wrong of ['SA', 's', 'sa ', 'password', 'infected', '']) expect(opens(entry, wrong), wrong).toBe(false);
  });
});
