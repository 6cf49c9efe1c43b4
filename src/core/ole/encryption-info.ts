/**
 * The EncryptionInfo stream of an encrypted OOXML file (MS-OFFCRYPTO 2.3.4.5, 2.3.4.10): which
 * scheme it uses and the parameters of its password key encryptor. Values that would make a
 * try unbounded or impossible leave the parameters undefined: the file is still reported as
 * encrypted, just never decrypted.
 */
export type EncryptionInfo =
  | { readonly kind: 'agile'; readonly params: AgileParams | undefined }
  | { readonly kind: 'standard'; readonly params: StandardParams | undefined }
  | { readonly kind: 'unknown'; readonly version: string };

export interface AgileParams {
  /** keyData: the package's cipher (salt for segment IVs). */
  readonly keyDataSalt: Buffer;
  readonly keyDataBlockSize: number;
  readonly keyDataHash: string;
  readonly keyDataKeyBits: number;
  /** The password key encryptor (`p:encryptedKey`). */
  readonly salt: Buffer;
  readonly spinCount: number;
  readonly keyBits: number;
  readonly blockSize: number;
  readonly hash: string;
  readonly encryptedVerifierHashInput: Buffer;
  readonly encryptedVerifierHashValue: Buffer;
  readonly encryptedKeyValue: Buffer;
}

export interface StandardParams {
  readonly keyBits: number;
  readonly salt: Buffer;
  readonly encryptedVerifier: Buffer;
  readonly encryptedVerifierHash: Buffer;
}

/** MS-OFFCRYPTO 2.3.4.11: "MUST be … less than or equal to 10,000,000". */
export const MAX_SPIN_COUNT = 10_000_000;
/** Real descriptors are about 1-2 KB; the attribute scan is linear but need not read megabytes. */
const MAX_XML = 64 * 1024;
const HASHES: Record<string, string> = { SHA1: 'sha1', 'SHA-1': 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512', MD5: 'md5' };
const AES_ALG_IDS = new Set([0, 0x660e, 0x660f, 0x6610]);
const F_AES = 0x20;

export function parseEncryptionInfo(data: Buffer): EncryptionInfo {
  if (data.length < 8) return { kind: 'unknown', version: 'truncated' };
  const major = data.readUInt16LE(0);
  const minor = data.readUInt16LE(2);
  if (major === 4 && minor === 4) return { kind: 'agile', params: agile(data.subarray(8, 8 + MAX_XML).toString('utf8')) };
  if (minor === 2 && major >= 2 && major <= 4) return { kind: 'standard', params: standard(data.subarray(4)) };
  return { kind: 'unknown', version: `${major}.${minor}` };
}

function agile(xml: string): AgileParams | undefined {
  const keyData = element(xml, 'keyData');
  // The password key encryptor is the encryptedKey with a spinCount; a certificate one has none.
  const key = elements(xml, 'encryptedKey').find((e) => e.spinCount !== undefined);
  if (keyData === undefined || key === undefined) return undefined;
  const spinCount = Number(key.spinCount);
  const keyBits = Number(key.keyBits);
  const blockSize = Number(key.blockSize);
  const keyDataBlockSize = Number(keyData.blockSize);
  const keyDataKeyBits = Number(keyData.keyBits);
  const hash = HASHES[(key.hashAlgorithm ?? '').toUpperCase()];
  const keyDataHash = HASHES[(keyData.hashAlgorithm ?? '').toUpperCase()];
  const aesCbc = (e: Record<string, string>): boolean => e.cipherAlgorithm === 'AES' && (e.cipherChaining ?? 'ChainingModeCBC') === 'ChainingModeCBC';
  if (!aesCbc(key) || !aesCbc(keyData) || hash === undefined || keyDataHash === undefined) return undefined;
  if (!Number.isInteger(spinCount) || spinCount < 0 || spinCount > MAX_SPIN_COUNT) return undefined;
  if (![128, 192, 256].includes(keyBits) || ![128, 192, 256].includes(keyDataKeyBits) || blockSize !== 16 || keyDataBlockSize !== 16) return undefined;
  const b64 = (v: string | undefined): Buffer => Buffer.from(v ?? '', 'base64');
  const params: AgileParams = {
    keyDataSalt: b64(keyData.saltValue),
    keyDataBlockSize,
    keyDataHash,
    keyDataKeyBits,
    salt: b64(key.saltValue),
    spinCount,
    keyBits,
    blockSize,
    hash,
    encryptedVerifierHashInput: b64(key.encryptedVerifierHashInput),
    encryptedVerifierHashValue: b64(key.encryptedVerifierHashValue),
    encryptedKeyValue: b64(key.encryptedKeyValue),
  };
  const blocks = [params.encryptedVerifierHashInput, params.encryptedVerifierHashValue, params.encryptedKeyValue];
  if (params.salt.length === 0 || params.keyDataSalt.length === 0 || blocks.some((b) => b.length === 0 || b.length % 16 !== 0)) return undefined;
  return params;
}

/** MS-OFFCRYPTO 2.3.4.5: flags, header size, EncryptionHeader (2.3.2), EncryptionVerifier (2.3.3). */
function standard(data: Buffer): StandardParams | undefined {
  if (data.length < 8) return undefined;
  const headerSize = data.readUInt32LE(4);
  const header = data.subarray(8, 8 + headerSize);
  const verifier = data.subarray(8 + headerSize);
  if (header.length < 32 || header.length !== headerSize || verifier.length < 4) return undefined;
  const flags = header.readUInt32LE(0);
  const algId = header.readUInt32LE(8);
  const keyBits = header.readUInt32LE(16) || 128;
  const saltSize = verifier.readUInt32LE(0);
  // Standard encryption of OOXML is AES only; RC4 CryptoAPI here cannot be a real package.
  if ((flags & F_AES) === 0 || !AES_ALG_IDS.has(algId) || ![128, 192, 256].includes(keyBits)) return undefined;
  if (saltSize !== 16 || verifier.length < 4 + 16 + 16 + 4 + 32) return undefined;
  return {
    keyBits,
    salt: verifier.subarray(4, 20),
    encryptedVerifier: verifier.subarray(20, 36),
    encryptedVerifierHash: verifier.subarray(40, 72),
  };
}

/** Attributes of the elements with this local name, any namespace prefix. */
function elements(xml: string, localName: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${localName}\\b([^>]*)>`, 'g');
  for (const m of xml.matchAll(re)) {
    // No prototype: attribute names come from the file.
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    // The lookbehind starts a name only at a name boundary: without it a long run of name
    // characters with no "=" is rescanned from every position (quadratic).
    for (const a of (m[1] ?? '').matchAll(/(?<![\w.:-])([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const name = (a[1] ?? '').replace(/^.*:/, '');
      attrs[name] = a[2] ?? a[3] ?? '';
    }
    out.push(attrs);
  }
  return out;
}

function element(xml: string, localName: string): Record<string, string> | undefined {
  return elements(xml, localName)[0];
}
