import { createHash } from 'node:crypto';
import { candidatePasswords, type PasswordTrial } from './password-trial.js';
import { rc4Keystream, xor } from './rc4.js';

/** MS-XLS 2.2.10: the RC4 keystream restarts with a new key every 1024 bytes of the stream. */
const BLOCK = 1024;

/** Decrypts bytes of an RC4-encrypted BIFF stream at their absolute stream offset. */
export interface BiffDecryptor {
  readonly password: string;
  decrypt(data: Buffer, streamOffset: number): Buffer;
}

/**
 * Opens the FILEPASS record's RC4 encryption (MS-XLS 2.4.117) with the first password that
 * passes the verifier: RC4 "Office 97" (version 1.1, MS-OFFCRYPTO 2.3.6) and RC4 CryptoAPI
 * (version 2-4.2, 2.3.5). XOR obfuscation and anything else yields undefined.
 */
export function openFilePass(filePass: Buffer, trial: PasswordTrial): BiffDecryptor | undefined {
  if (filePass.length < 6 || filePass.readUInt16LE(0) !== 1) return undefined;
  const major = filePass.readUInt16LE(2);
  const minor = filePass.readUInt16LE(4);
  const blockKey = major === 1 && minor === 1 ? office97(filePass.subarray(6)) : minor === 2 && major >= 2 && major <= 4 ? cryptoApi(filePass.subarray(6)) : undefined;
  if (blockKey === undefined) return undefined;
  for (const password of candidatePasswords(trial)) {
    trial.checkTime?.();
    const keyFor = blockKey(password);
    if (keyFor === undefined) continue;
    const streams = new Map<number, Buffer>();
    const keystream = (block: number): Buffer => {
      let ks = streams.get(block);
      if (ks === undefined) {
        ks = rc4Keystream(keyFor(block), BLOCK);
        streams.set(block, ks);
      }
      return ks;
    };
    return {
      password,
      decrypt(data, streamOffset) {
        const out = Buffer.alloc(data.length);
        for (let i = 0; i < data.length; i++) {
          const at = streamOffset + i;
          out[i] = (data[i] ?? 0) ^ (keystream(Math.floor(at / BLOCK))[at % BLOCK] ?? 0);
        }
        return out;
      },
    };
  }
  return undefined;
}

type BlockKeys = (password: string) => ((block: number) => Buffer) | undefined;

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();
const sha1 = (...parts: Buffer[]): Buffer => createHash('sha1').update(Buffer.concat(parts)).digest();
const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

/** MS-OFFCRYPTO 2.3.6: salt(16), encrypted verifier(16), encrypted verifier hash(16). */
function office97(info: Buffer): BlockKeys | undefined {
  if (info.length < 48) return undefined;
  const salt = info.subarray(0, 16);
  const verifierAndHash = info.subarray(16, 48);
  return (password) => {
    const truncated = md5(Buffer.from(password, 'utf16le')).subarray(0, 5);
    const h1 = md5(Buffer.concat(Array.from({ length: 16 }, () => Buffer.concat([truncated, salt])))).subarray(0, 5);
    const keyFor = (block: number): Buffer => md5(h1, le32(block));
    const plain = xor(verifierAndHash, rc4Keystream(keyFor(0), 32));
    return md5(plain.subarray(0, 16)).equals(plain.subarray(16, 32)) ? keyFor : undefined;
  };
}

/** MS-OFFCRYPTO 2.3.5.1-2.3.5.6: flags, header size, EncryptionHeader, EncryptionVerifier. */
function cryptoApi(info: Buffer): BlockKeys | undefined {
  if (info.length < 8) return undefined;
  const headerSize = info.readUInt32LE(4);
  const header = info.subarray(8, 8 + headerSize);
  const verifier = info.subarray(8 + headerSize);
  if (header.length < 32 || verifier.length < 4) return undefined;
  const keyBits = header.readUInt32LE(16) || 40;
  const saltSize = verifier.readUInt32LE(0);
  if (saltSize !== 16 || verifier.length < 4 + 16 + 16 + 4 + 20 || keyBits % 8 !== 0 || keyBits < 40 || keyBits > 128) return undefined;
  const salt = verifier.subarray(4, 20);
  const encrypted = Buffer.concat([verifier.subarray(20, 36), verifier.subarray(40, 60)]);
  return (password) => {
    const h0 = sha1(salt, Buffer.from(password, 'utf16le'));
    // 2.3.5.2: a 40-bit key is padded with zeros to 128 bits.
    const keyFor = (block: number): Buffer => {
      const key = sha1(h0, le32(block)).subarray(0, keyBits / 8);
      return keyBits === 40 ? Buffer.concat([key, Buffer.alloc(11)]) : key;
    };
    const plain = xor(encrypted, rc4Keystream(keyFor(0), encrypted.length));
    return sha1(plain.subarray(0, 16)).equals(plain.subarray(16, 36)) ? keyFor : undefined;
  };
}
