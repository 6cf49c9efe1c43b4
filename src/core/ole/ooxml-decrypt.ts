import * as crypto from 'node:crypto';
import { createDecipheriv, createHash } from 'node:crypto';
import type { AgileParams, StandardParams } from './encryption-info.js';

/** A password's key material: undefined when the verifier says the password is wrong. */
export type KeyTry = (password: string, checkTime?: () => void) => Buffer | undefined;

/** MS-OFFCRYPTO 2.3.4.11 block keys. */
const VERIFIER_INPUT_BLOCK = Buffer.from('fea7d2763b4b9e79', 'hex');
const VERIFIER_VALUE_BLOCK = Buffer.from('d7aa0f6d3061344e', 'hex');
const ENCRYPTED_KEY_BLOCK = Buffer.from('146e0be7abacd0d6', 'hex');
const SEGMENT = 4096;
/** MS-OFFCRYPTO 2.3.4.7: Standard encryption's fixed iteration count. */
const STANDARD_SPIN = 50_000;
/**
 * Office writes 100,000; the format allows 10,000,000 (~15 s of CPU per try on the event
 * loop that also serves SMTP). A document asking for more than ten times Office's own
 * count is not tried: it stays "encrypted, contents not checked".
 */
export const MAX_TRIED_SPIN_COUNT = 1_000_000;
/** Iterations between calls of checkTime: a forged spinCount must not outlast the time budget. */
const CHECK_EVERY = 1 << 16;

/**
 * One-shot hashing (Node >= 20.12) is about a third faster than createHash in the spin loop;
 * older Node 20 releases fall back to createHash.
 */
const digest: (algorithm: string, data: Buffer) => Buffer =
  typeof crypto.hash === 'function' ? (algorithm, data) => crypto.hash(algorithm, data, 'buffer') : (algorithm, data) => createHash(algorithm).update(data).digest();

/**
 * 2.3.4.7 / 2.3.4.11: H0 = H(salt + password), then H(i + H) spin times. This is where a
 * password try spends its time, so the loop reuses one buffer for the iterator and hash.
 */
export function iteratedHash(algorithm: string, salt: Buffer, password: string, spinCount: number, checkTime?: () => void): Buffer {
  let h: Buffer = createHash(algorithm).update(salt).update(Buffer.from(password, 'utf16le')).digest();
  const buf = Buffer.alloc(4 + h.length);
  for (let i = 0; i < spinCount; i++) {
    if (i % CHECK_EVERY === CHECK_EVERY - 1) checkTime?.();
    buf.writeUInt32LE(i, 0);
    h.copy(buf, 4);
    h = digest(algorithm, buf);
  }
  return h;
}

/** The agile key for one block key: truncated, or padded with 0x36 (2.3.4.11). */
function agileKey(algorithm: string, h: Buffer, blockKey: Buffer, keyBits: number): Buffer {
  const full = createHash(algorithm).update(h).update(blockKey).digest();
  const length = keyBits / 8;
  return full.length >= length ? full.subarray(0, length) : Buffer.concat([full, Buffer.alloc(length - full.length, 0x36)]);
}

function aes(mode: 'cbc' | 'ecb', key: Buffer, iv: Buffer | null, data: Buffer): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-${mode}`, key, iv);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

function fitIv(iv: Buffer, blockSize: number): Buffer {
  return iv.length >= blockSize ? iv.subarray(0, blockSize) : Buffer.concat([iv, Buffer.alloc(blockSize - iv.length, 0x36)]);
}

/** 2.3.4.13: verify the password, then unwrap the package's secret key with it. */
export function agileKeyTry(p: AgileParams): KeyTry {
  return (password, checkTime) => {
    if (p.spinCount > MAX_TRIED_SPIN_COUNT) return undefined;
    const h = iteratedHash(p.hash, p.salt, password, p.spinCount, checkTime);
    const iv = fitIv(p.salt, p.blockSize);
    const input = aes('cbc', agileKey(p.hash, h, VERIFIER_INPUT_BLOCK, p.keyBits), iv, p.encryptedVerifierHashInput);
    const expected = createHash(p.hash).update(input.subarray(0, p.salt.length)).digest();
    const value = aes('cbc', agileKey(p.hash, h, VERIFIER_VALUE_BLOCK, p.keyBits), iv, p.encryptedVerifierHashValue);
    if (!value.subarray(0, expected.length).equals(expected)) return undefined;
    const secret = aes('cbc', agileKey(p.hash, h, ENCRYPTED_KEY_BLOCK, p.keyBits), iv, p.encryptedKeyValue);
    return secret.length >= p.keyDataKeyBits / 8 ? secret.subarray(0, p.keyDataKeyBits / 8) : undefined;
  };
}

/** 2.3.4.15: 4096-byte segments, each AES-CBC with IV = H(keyData salt + segment index). */
export function agileDecrypt(p: AgileParams, key: Buffer, ciphertext: Buffer, size: number): Buffer {
  const out = Buffer.allocUnsafe(ciphertext.length);
  for (let i = 0, at = 0; at < ciphertext.length; i++, at += SEGMENT) {
    const index = Buffer.alloc(4);
    index.writeUInt32LE(i);
    const iv = fitIv(createHash(p.keyDataHash).update(p.keyDataSalt).update(index).digest(), p.keyDataBlockSize);
    aes('cbc', key, iv, ciphertext.subarray(at, at + SEGMENT)).copy(out, at);
  }
  return out.subarray(0, size);
}

/** 2.3.4.7 key derivation and 2.3.4.9 verification, SHA-1 and AES-ECB throughout. */
export function standardKeyTry(p: StandardParams): KeyTry {
  return (password, checkTime) => {
    const h = iteratedHash('sha1', p.salt, password, STANDARD_SPIN, checkTime);
    const final = createHash('sha1').update(h).update(Buffer.alloc(4)).digest();
    const derive = (fill: number): Buffer => {
      const buf = Buffer.alloc(64, fill);
      for (let i = 0; i < final.length; i++) buf[i] = (buf[i] ?? 0) ^ (final[i] ?? 0);
      return createHash('sha1').update(buf).digest();
    };
    const key = Buffer.concat([derive(0x36), derive(0x5c)]).subarray(0, p.keyBits / 8);
    const verifier = aes('ecb', key, null, p.encryptedVerifier);
    const hash = aes('ecb', key, null, p.encryptedVerifierHash);
    return createHash('sha1').update(verifier).digest().equals(hash.subarray(0, 20)) ? key : undefined;
  };
}

export function standardDecrypt(key: Buffer, ciphertext: Buffer, size: number): Buffer {
  return aes('ecb', key, null, ciphertext).subarray(0, size);
}
