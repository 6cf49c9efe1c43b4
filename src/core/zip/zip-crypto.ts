/**
 * Traditional PKWARE encryption ("ZipCrypto", APPNOTE.TXT 6.1). It is what `zip -P` and
 * most "encrypt with password" dialogs produce, Windows Explorer opens it without extra
 * software, and the Emotet PPAP mails used it: the password is in the mail, so the gateway
 * can open the archive the recipient will open.
 *
 * The cipher is broken (Biham–Kocher known plaintext), but that is irrelevant here: we only
 * need to decrypt with a password we were told, quickly and without trusting the input.
 */

/** Bytes of the encryption header in front of every encrypted entry (APPNOTE 6.1.3). */
const HEADER_BYTES = 12;

/** General purpose flag bit 3: sizes and CRC follow the data (APPNOTE 4.4.4). */
const FLAG_DATA_DESCRIPTOR = 0x0008;

/**
 * CRC-32 (IEEE 802.3, reflected 0xEDB88320): the key schedule of APPNOTE 6.1.5 is built on
 * it. Int32Array, not Uint32Array: entries above 2^31 would load as doubles and push the
 * inner loop off V8's int32 fast path.
 */
const CRC_TABLE: Int32Array = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c | 0;
  }
  return table;
})();

/**
 * Decrypts one ZipCrypto entry. `raw` is the entry's file data as stored (12-byte header +
 * ciphertext); the result is still compressed with the entry's method. Returns undefined
 * when the header's check byte says the password is wrong. That check is one byte, so about
 * 1 in 256 wrong passwords pass it: the caller must still verify the CRC-32 of the
 * decompressed data (and expect inflate to fail on garbage) before trusting the result.
 */
export function decryptZipCrypto(
  raw: Buffer,
  password: Buffer,
  check: { crc32: number; lastModFileTime: number; generalPurposeBitFlag: number },
): Buffer | undefined {
  if (raw.length < HEADER_BYTES) return undefined;
  const table = CRC_TABLE;
  // Key state lives in locals, not an object or array, so V8 keeps it in registers; the
  // loops below run over every byte of possibly tens of megabytes.
  let k0 = 0x12345678;
  let k1 = 0x23456789;
  let k2 = 0x34567890;
  for (let i = 0; i < password.length; i++) {
    const b = password[i] as number;
    k0 = (table[(k0 ^ b) & 0xff] as number) ^ (k0 >>> 8);
    k1 = (Math.imul(k1 + (k0 & 0xff), 134775813) + 1) | 0;
    k2 = (table[(k2 ^ (k1 >>> 24)) & 0xff] as number) ^ (k2 >>> 8);
  }

  // Header first: APPNOTE 6.1.6 makes its last byte the CRC's high byte or, when the CRC was
  // not known while writing (streamed, bit 3), the high byte of the DOS time (Info-ZIP's
  // convention; unzip and 7-Zip check it the same way). Checking it before the body means a
  // certainly-wrong password costs 12 bytes of work, not megabytes.
  let p = 0;
  for (let i = 0; i < HEADER_BYTES; i++) {
    const t = (k2 | 2) & 0xffff;
    p = ((raw[i] as number) ^ (Math.imul(t, t ^ 1) >>> 8)) & 0xff;
    k0 = (table[(k0 ^ p) & 0xff] as number) ^ (k0 >>> 8);
    k1 = (Math.imul(k1 + (k0 & 0xff), 134775813) + 1) | 0;
    k2 = (table[(k2 ^ (k1 >>> 24)) & 0xff] as number) ^ (k2 >>> 8);
  }
  const expected =
    check.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR ? (check.lastModFileTime >>> 8) & 0xff : (check.crc32 >>> 24) & 0xff;
  if (p !== expected) return undefined;

  const length = raw.length;
  const out = Buffer.allocUnsafe(length - HEADER_BYTES);
  for (let i = HEADER_BYTES, o = 0; i < length; i++, o++) {
    const t = (k2 | 2) & 0xffff;
    p = ((raw[i] as number) ^ (Math.imul(t, t ^ 1) >>> 8)) & 0xff;
    out[o] = p;
    k0 = (table[(k0 ^ p) & 0xff] as number) ^ (k0 >>> 8);
    k1 = (Math.imul(k1 + (k0 & 0xff), 134775813) + 1) | 0;
    k2 = (table[(k2 ^ (k1 >>> 24)) & 0xff] as number) ^ (k2 >>> 8);
  }
  return out;
}
