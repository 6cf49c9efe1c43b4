import type { Cfb } from './cfb.js';
import { corrupt } from './cfb-sectors.js';
import { parseEncryptionInfo } from './encryption-info.js';
import type { BiffReport } from './excel4.js';
import { agileDecrypt, agileKeyTry, type KeyTry, standardDecrypt, standardKeyTry } from './ooxml-decrypt.js';
import { candidatePasswords, type PasswordTrial } from './password-trial.js';
import { isEncryptedPpt } from './ppt.js';

export type OleEncryptionKind = 'ooxml-agile' | 'ooxml-standard' | 'ooxml-unknown' | 'xls-filepass' | 'doc-encrypted' | 'ppt-encrypted';

export interface OleEncryptionReport {
  kind: OleEncryptionKind;
  /** The OOXML package (a zip) and the password that opened it. */
  decrypted?: { package: Buffer; password: string };
  /** Passwords tried on an OOXML package. */
  passwordsTried?: number;
  /** For xls-filepass: the password that decrypted the sheet list (the rest is not decrypted). */
  password?: string;
}

export interface EncryptionOptions extends PasswordTrial {
  /** Counts bytes produced, before they are: the caller's decompression budget. */
  readonly charge?: (bytes: number) => void;
}

/** MS-DOC 2.5.2 FibBase: flags at offset 0x0A, fEncrypted = 0x0100. */
const FIB_FLAGS = 0x0a;
const F_ENCRYPTED = 0x0100;

/**
 * Which Office encryption a compound file carries, if any, and for encrypted OOXML the
 * decrypted package when one of the passwords opens it. `biff` is the workbook scan, which
 * already tried the passwords on an RC4 FILEPASS.
 */
export function detectEncryption(cfb: Cfb, biff: BiffReport | undefined, options: EncryptionOptions): OleEncryptionReport | undefined {
  const info = cfb.find('EncryptionInfo');
  if (info?.type === 'stream') return ooxml(cfb, cfb.read(info), options);
  if (biff?.filePass) return biff.password === undefined ? { kind: 'xls-filepass' } : { kind: 'xls-filepass', password: biff.password };
  const word = cfb.find('WordDocument');
  if (word?.type === 'stream') {
    const fib = cfb.read(word);
    if (fib.length >= FIB_FLAGS + 2 && (fib.readUInt16LE(FIB_FLAGS) & F_ENCRYPTED) !== 0) return { kind: 'doc-encrypted' };
  }
  if (cfb.find('PowerPoint Document')?.type === 'stream' && isEncryptedPpt(cfb)) return { kind: 'ppt-encrypted' };
  return undefined;
}

/** MS-OFFCRYPTO 2.3.4: EncryptionInfo + EncryptedPackage (uint64 size, then ciphertext). */
function ooxml(cfb: Cfb, infoBytes: Buffer, options: EncryptionOptions): OleEncryptionReport {
  const info = parseEncryptionInfo(infoBytes);
  if (info.kind === 'unknown') return { kind: 'ooxml-unknown' };
  const kind = info.kind === 'agile' ? 'ooxml-agile' : 'ooxml-standard';
  const packageNode = cfb.find('EncryptedPackage');
  if (info.params === undefined || packageNode?.type !== 'stream') return { kind, passwordsTried: 0 };
  const tryKey: KeyTry = info.kind === 'agile' ? agileKeyTry(info.params) : standardKeyTry(info.params);
  let tried = 0;
  for (const password of candidatePasswords(options)) {
    options.checkTime?.();
    tried++;
    const key = tryKey(password, options.checkTime);
    if (key === undefined) continue;
    const encrypted = cfb.read(packageNode);
    if (encrypted.length < 8) throw corrupt('EncryptedPackage shorter than its size field');
    const size = Number(encrypted.readBigUInt64LE(0));
    const ciphertext = encrypted.subarray(8);
    if (size > ciphertext.length) throw corrupt(`EncryptedPackage declares ${size} bytes but holds ${ciphertext.length}`);
    if (ciphertext.length % 16 !== 0) throw corrupt(`EncryptedPackage ciphertext of ${ciphertext.length} bytes is not whole AES blocks`);
    options.charge?.(size);
    const plain = info.kind === 'agile' ? agileDecrypt(info.params, key, ciphertext, size) : standardDecrypt(key, ciphertext, size);
    return { kind, passwordsTried: tried, decrypted: { package: plain, password } };
  }
  return { kind, passwordsTried: tried };
}
