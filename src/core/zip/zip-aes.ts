/**
 * WinZip AES encryption (AE-1 / AE-2, https://www.winzip.com/en/support/aes-encryption/),
 * what 7-Zip writes with `-mem=AES256` and what campaigns switched to once gateways learned
 * to open ZipCrypto. Entries carry compression method 99 and the real method in extra
 * field 0x9901.
 */
import { createCipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export interface AesExtraField {
  /** 1 = AE-1 (CRC stored and checked), 2 = AE-2 (CRC is 0; the HMAC alone authenticates). */
  readonly version: 1 | 2;
  /** 1 = AES-128, 2 = AES-192, 3 = AES-256. */
  readonly strength: 1 | 2 | 3;
  /** The compression method of the decrypted data (0 stored, 8 deflate, ...). */
  readonly actualMethod: number;
}

const AES_EXTRA_ID = 0x9901;
/** The spec's data size; later versions may grow it, so only a smaller one is refused. */
const AES_EXTRA_MIN_SIZE = 7;
const VERIFIER_BYTES = 2;
/** HMAC-SHA1 truncated to 80 bits. */
const AUTH_CODE_BYTES = 10;
/** Fixed by the spec; it is what makes each wrong guess cost ~1 ms. */
const PBKDF2_ITERATIONS = 1000;
const BLOCK = 16;
/** Counter blocks encrypted per call into OpenSSL: 64 KiB of keystream. */
const BATCH_BLOCKS = 4096;

/**
 * Finds the WinZip AES record (id 0x9901) in an entry's extra data, a sequence of
 * (id u16le, size u16le, data) records (APPNOTE 4.5). Undefined when there is none or it
 * is malformed: a record running past the end, a vendor other than "AE", an unknown
 * version or strength. The caller then treats a method-99 entry as one it cannot open.
 */
export function parseAesExtraField(extra: Buffer): AesExtraField | undefined {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = extra.readUInt16LE(pos);
    const size = extra.readUInt16LE(pos + 2);
    const start = pos + 4;
    const end = start + size;
    if (end > extra.length) return undefined;
    if (id === AES_EXTRA_ID) {
      if (size < AES_EXTRA_MIN_SIZE) return undefined;
      const version = extra.readUInt16LE(start);
      const strength = extra[start + 4];
      if (extra[start + 2] !== 0x41 || extra[start + 3] !== 0x45) return undefined;
      if (version !== 1 && version !== 2) return undefined;
      if (strength !== 1 && strength !== 2 && strength !== 3) return undefined;
      return { version, strength, actualMethod: extra.readUInt16LE(start + 5) };
    }
    pos = end;
  }
  return undefined;
}

/**
 * Decrypts one WinZip AES entry. `raw` is the entry's file data as stored: salt (8/12/16
 * bytes) + 2-byte password verifier + ciphertext + 10-byte authentication code. The result
 * is the data still compressed with the extra field's `actualMethod`.
 *
 * Undefined when the verifier rejects the password, or when the authentication code does
 * not match: a wrong password that got past the 2-byte verifier (1 in 65,536), or data that
 * was truncated or tampered with. The code is checked before anything is decrypted, so
 * forged ciphertext never reaches the inflater.
 */
export function decryptWinZipAes(raw: Buffer, password: Buffer, info: { strength: 1 | 2 | 3 }): Buffer | undefined {
  const keyBytes = 8 + 8 * info.strength;
  const saltBytes = 4 + 4 * info.strength;
  if (raw.length < saltBytes + VERIFIER_BYTES + AUTH_CODE_BYTES) return undefined;

  const salt = raw.subarray(0, saltBytes);
  const verifier = raw.subarray(saltBytes, saltBytes + VERIFIER_BYTES);
  const ciphertext = raw.subarray(saltBytes + VERIFIER_BYTES, raw.length - AUTH_CODE_BYTES);
  const authCode = raw.subarray(raw.length - AUTH_CODE_BYTES);

  // Key material: AES key, then HMAC key (same length), then the verifier.
  const material = pbkdf2Sync(password, salt, PBKDF2_ITERATIONS, 2 * keyBytes + VERIFIER_BYTES, 'sha1');
  if (material[2 * keyBytes] !== verifier[0] || material[2 * keyBytes + 1] !== verifier[1]) return undefined;

  // Encrypt-then-MAC: the HMAC covers the ciphertext only (not salt or verifier).
  const mac = createHmac('sha1', material.subarray(keyBytes, 2 * keyBytes)).update(ciphertext).digest();
  if (!timingSafeEqual(mac.subarray(0, AUTH_CODE_BYTES), authCode)) return undefined;

  return aesCtrLittleEndian(material.subarray(0, keyBytes), ciphertext);
}

/**
 * AES-CTR as WinZip (Gladman's fcrypt) does it: a 128-bit counter, incremented as a
 * little-endian integer, starting at 1. Node's aes-*-ctr increments big-endian and would
 * diverge after the first block, so the keystream is made here by encrypting counter blocks
 * with ECB, a batch at a time.
 */
function aesCtrLittleEndian(key: Buffer, input: Buffer): Buffer {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const out = Buffer.allocUnsafe(input.length);
  input.copy(out);
  const counters = Buffer.alloc(BATCH_BLOCKS * BLOCK);
  const view = new DataView(counters.buffer, counters.byteOffset, counters.byteLength);
  let counter = 1;
  for (let offset = 0; offset < input.length; offset += BATCH_BLOCKS * BLOCK) {
    const bytes = Math.min(BATCH_BLOCKS * BLOCK, input.length - offset);
    const blocks = Math.ceil(bytes / BLOCK);
    for (let b = 0; b < blocks; b++, counter++) {
      // Bytes 8..15 stay 0: they would only change after 2^64 blocks.
      const low = counter >>> 0;
      view.setUint32(b * BLOCK, low, true);
      view.setUint32(b * BLOCK + 4, (counter - low) / 0x1_0000_0000, true);
    }
    xorInto(out, offset, ecb.update(counters.subarray(0, blocks * BLOCK)), bytes);
  }
  ecb.final();
  return out;
}

/** out[offset + i] ^= keystream[i] for i < bytes; a word at a time when both are aligned. */
function xorInto(out: Buffer, offset: number, keystream: Buffer, bytes: number): void {
  let i = 0;
  if (((out.byteOffset + offset) & 3) === 0 && (keystream.byteOffset & 3) === 0) {
    const words = bytes >>> 2;
    const o32 = new Int32Array(out.buffer, out.byteOffset + offset, words);
    const k32 = new Int32Array(keystream.buffer, keystream.byteOffset, words);
    for (let w = 0; w < words; w++) o32[w] = (o32[w] as number) ^ (k32[w] as number);
    i = words << 2;
  }
  for (; i < bytes; i++) out[offset + i] = (out[offset + i] as number) ^ (keystream[i] as number);
}
