import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Unscannable } from '../../../src/core/limits.js';
import { parseCfb } from '../../../src/core/ole/cfb.js';
import { parseEncryptionInfo } from '../../../src/core/ole/encryption-info.js';
import { scanBiff } from '../../../src/core/ole/excel4.js';
import { detectEncryption, type EncryptionOptions } from '../../../src/core/ole/office-encryption.js';
import { analyzeOle } from '../../../src/core/ole/ole-analysis.js';
import { buildCfb } from './cfb-builder.js';
import { encryptedEmlDocx, fixture } from './fixtures.js';
import { zipEntries } from './zip-entries.js';

const options: EncryptionOptions = { passwords: [], maxTries: 5 };

function detect(bytes: Buffer, opts: EncryptionOptions = options) {
  const cfb = parseCfb(bytes);
  return detectEncryption(cfb, scanBiff(cfb, opts), opts);
}

const oletools = (path: string): Buffer => fixture(`office-oletools/${path}`);

describe('ECMA-376 agile encryption', () => {
  it.each(['autostart-encrypt-standardpassword.xlsm', 'autostart-encrypt-standardpassword.xlsb'])(
    'decrypts %s with the default password to a package whose vbaProject.bin has readable VBA',
    async (name) => {
      const report = detect(oletools(`encrypted/${name}`));
      expect(report?.kind).toBe('ooxml-agile');
      expect(report?.passwordsTried).toBe(1);
      const decrypted = report?.decrypted;
      if (!decrypted) throw new Error('not decrypted');
      expect(decrypted.password).toBe('VelvetSweatshop');
      expect(decrypted.package.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
      const entries = await zipEntries(decrypted.package);
      const vbaProject = entries.get('xl/vbaProject.bin');
      if (!vbaProject) throw new Error(`no xl/vbaProject.bin in ${[...entries.keys()].join(', ')}`);
      const inner = analyzeOle(vbaProject, { passwords: [], maxPasswordTries: 0 });
      expect(inner.vba).toHaveLength(1);
      expect(inner.vba[0]).toMatchObject({ path: 'VBA', sourceReadable: true, autoExec: ['Auto_Open'] });
    },
  );

  it.each(['dde-test-encrypt-standardpassword.xlsx', 'dde-test-encrypt-standardpassword.xlsm', 'dde-test-encrypt-standardpassword.xlsb'])('decrypts %s (no macros inside)', async (name) => {
    const report = detect(oletools(`encrypted/${name}`));
    const entries = await zipEntries(report?.decrypted?.package ?? Buffer.alloc(0));
    expect(entries.has('[Content_Types].xml')).toBe(true);
    expect([...entries.keys()].some((k) => k.endsWith('vbaProject.bin'))).toBe(false);
  });

  it.each(['encrypted/encrypted.docx', 'encrypted/encrypted.docm', 'encrypted/encrypted.xlsx', 'encrypted/encrypted.xlsm', 'encrypted/encrypted.xlsb', 'encrypted/encrypted.pptx', 'encrypted/encrypted.pptm', 'basic/encrypted.docx'])(
    'detects %s but cannot open it without its password',
    (path) => {
      const report = detect(oletools(path), { passwords: ['password', '123456'], maxTries: 2 });
      expect(report).toEqual({ kind: 'ooxml-agile', passwordsTried: 2 });
    },
  );

  it('opens the .docx of SpamAssassin encrypted.eml with the password stated in the mail (SHA-512)', async () => {
    const docx = encryptedEmlDocx();
    const report = detect(docx, { passwords: ['infected', 'password'], maxTries: 5 });
    expect(report).toMatchObject({ kind: 'ooxml-agile', passwordsTried: 3, decrypted: { password: 'password' } });
    const entries = await zipEntries(report?.decrypted?.package ?? Buffer.alloc(0));
    expect(entries.has('word/document.xml')).toBe(true);
    expect(detect(docx, { passwords: ['password'], maxTries: 1 })).toEqual({ kind: 'ooxml-agile', passwordsTried: 1 });
  });

  it('charges the package size before decrypting, and stops when the budget says so', () => {
    const charged: number[] = [];
    const report = detect(oletools('encrypted/dde-test-encrypt-standardpassword.xlsx'), { ...options, charge: (n) => charged.push(n) });
    expect(charged).toEqual([report?.decrypted?.package.length]);
    const refuse = (): void => {
      throw new Unscannable('decompressed-bytes', 'over budget');
    };
    expect(() => detect(oletools('encrypted/dde-test-encrypt-standardpassword.xlsx'), { ...options, charge: refuse })).toThrow(/over budget/);
  });

  it('calls checkTime between tries and lets it end the search', () => {
    let calls = 0;
    detect(oletools('encrypted/encrypted.docx'), { passwords: ['a', 'b'], maxTries: 3, checkTime: () => calls++ });
    expect(calls).toBeGreaterThanOrEqual(3);
    let tries = 0;
    const budget = (): void => {
      if (++tries > 1) throw new Unscannable('time', 'out of time');
    };
    expect(() => detect(oletools('encrypted/encrypted.docx'), { passwords: ['a', 'b'], maxTries: 3, checkTime: budget })).toThrow(/out of time/);
  });

  it('refuses descriptors whose tries would be unbounded or impossible', () => {
    const info = parseCfb(oletools('encrypted/encrypted.docx'));
    const node = info.find('EncryptionInfo');
    if (!node) throw new Error('EncryptionInfo');
    const bytes = info.read(node);
    const forged = (from: string, to: string): Buffer => Buffer.concat([bytes.subarray(0, 8), Buffer.from(bytes.subarray(8).toString('utf8').replace(from, to))]);
    expect(parseEncryptionInfo(bytes)).toMatchObject({ kind: 'agile', params: { spinCount: 100000, keyBits: 128, hash: 'sha1' } });
    expect(parseEncryptionInfo(forged('spinCount="100000"', 'spinCount="4000000000"'))).toEqual({ kind: 'agile', params: undefined });
    expect(parseEncryptionInfo(forged('cipherAlgorithm="AES"', 'cipherAlgorithm="DES"'))).toEqual({ kind: 'agile', params: undefined });
    expect(parseEncryptionInfo(forged('hashAlgorithm="SHA1"', 'hashAlgorithm="WHIRLPOOL"'))).toEqual({ kind: 'agile', params: undefined });
    expect(parseEncryptionInfo(Buffer.from([3, 0, 3, 0, 0, 0, 0, 0]))).toEqual({ kind: 'unknown', version: '3.3' });
  });

  // Sized so that a quadratic attribute scan would run far past the test timeout.
  it('reads a hostile descriptor (a scan that is not linear would not finish)', () => {
    const xml = `<encryption><keyData ${'a'.repeat(60_000)}><p:encryptedKey ${'b:'.repeat(30_000)}/></encryption>`;
    expect(parseEncryptionInfo(Buffer.concat([Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0]), Buffer.from(xml)]))).toEqual({ kind: 'agile', params: undefined });
  });
});

/** Standard encryption (MS-OFFCRYPTO 2.3.4.5-2.3.4.9), written independently of the code under test. */
function standardEncrypted(password: string, plain: Buffer, version: [number, number] = [4, 2]): Buffer {
  const salt = randomBytes(16);
  let h = createHash('sha1').update(salt).update(Buffer.from(password, 'utf16le')).digest();
  for (let i = 0; i < 50_000; i++) {
    const iterator = Buffer.alloc(4);
    iterator.writeUInt32LE(i);
    h = createHash('sha1').update(iterator).update(h).digest();
  }
  const final = createHash('sha1').update(h).update(Buffer.alloc(4)).digest();
  const x = (fill: number): Buffer => createHash('sha1').update(Buffer.from(Buffer.alloc(64, fill).map((b, i) => (i < 20 ? b ^ (final[i] ?? 0) : b)))).digest();
  const key = Buffer.concat([x(0x36), x(0x5c)]).subarray(0, 16);
  const ecb = (data: Buffer): Buffer => {
    const c = createCipheriv('aes-128-ecb', key, null);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(data), c.final()]);
  };
  const verifier = randomBytes(16);
  const verifierHash = Buffer.concat([createHash('sha1').update(verifier).digest(), Buffer.alloc(12)]);
  const csp = Buffer.from('Microsoft Enhanced RSA and AES Cryptographic Provider\0', 'utf16le');
  const header = Buffer.alloc(32);
  [0x24, 0, 0x660e, 0x8004, 128, 0x18, 0, 0].forEach((v, i) => header.writeUInt32LE(v, i * 4));
  const encryptionHeader = Buffer.concat([header, csp]);
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const info = Buffer.concat([
    Buffer.from([version[0], 0, version[1], 0]),
    u32(0x24),
    u32(encryptionHeader.length),
    encryptionHeader,
    u32(16),
    salt,
    ecb(verifier),
    u32(20),
    ecb(verifierHash),
  ]);
  const padded = Buffer.concat([plain, Buffer.alloc((16 - (plain.length % 16)) % 16)]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(plain.length));
  return buildCfb([
    { name: 'EncryptionInfo', data: info },
    { name: 'EncryptedPackage', data: Buffer.concat([size, ecb(padded)]) },
  ]).bytes;
}

describe('ECMA-376 standard encryption', () => {
  const plain = Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(5000)]);

  it.each([
    [4, 2],
    [3, 2],
  ] as const)('verifies the password and decrypts the package (version %i.%i)', (major, minor) => {
    const file = standardEncrypted('secret', plain, [major, minor]);
    expect(detect(file, { passwords: ['wrong', 'secret'], maxTries: 5 })).toEqual({ kind: 'ooxml-standard', passwordsTried: 3, decrypted: { package: plain, password: 'secret' } });
    expect(detect(file, { passwords: ['wrong'], maxTries: 5 })).toEqual({ kind: 'ooxml-standard', passwordsTried: 2 });
  });

  it('rejects a package that claims more plaintext than it holds', () => {
    const file = standardEncrypted('VelvetSweatshop', plain);
    const cfb = parseCfb(file);
    const pkg = cfb.find('EncryptedPackage');
    if (!pkg) throw new Error('EncryptedPackage');
    const at = file.indexOf(cfb.read(pkg));
    file.writeUInt32LE(0x7fffffff, at);
    expect(() => detect(file)).toThrow(/declares 2147483647 bytes/);
  });
});

describe('legacy (RC4/XOR) encryption', () => {
  it.each([
    ['encrypted/encrypted.doc', { kind: 'doc-encrypted' }],
    ['encrypted/encrypted.ppt', { kind: 'ppt-encrypted' }],
    ['encrypted/encrypted.xls', { kind: 'xls-filepass' }],
    ['encrypted/autostart-encrypt-standardpassword.xls', { kind: 'xls-filepass', password: 'VelvetSweatshop' }],
  ])('detects %s', (path, expected) => {
    expect(detect(oletools(path))).toEqual(expected);
  });

  it.each(['msodde/harmless-clean.doc', 'olevba/sample_with_vba.ppt', 'excel4-macros/excel4_sample_macro.xls'])('finds no encryption in %s', (path) => {
    expect(detect(oletools(path))).toBeUndefined();
  });
});
