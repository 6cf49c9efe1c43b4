import { describe, expect, it } from 'vitest';
import { inspect } from '../../../src/core/inspect.js';
import { Budget, DEFAULT_LIMITS } from '../../../src/core/limits.js';
import { ZipArchive } from '../../../src/core/zip/zip-reader.js';
import { mailOf } from '../../helpers/wrappings.js';
import { buildZip } from '../../helpers/zip-writer.js';

const ENVELOPE = { mailFrom: 's@example.com', rcptTo: ['r@example.net'] };
const budget = () => new Budget(DEFAULT_LIMITS, () => 0);
const names = async (bytes: Buffer) => (await ZipArchive.open(bytes, 100)).members.map((m) => m.name);

/** Sets the compression method of every entry, in local and central headers alike. */
function withMethod(zip: Buffer, method: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = 0; at + 4 <= out.length; at++) {
    const sig = out.readUInt32LE(at);
    if (sig === 0x04034b50) out.writeUInt16LE(method, at + 8);
    if (sig === 0x02014b50) out.writeUInt16LE(method, at + 10);
  }
  return out;
}

describe('ZipArchive: archives real tools write and yauzl alone would refuse', () => {
  const zip = buildZip([{ name: 'a.txt', content: Buffer.from('hello') }]);

  it('an end record whose comment length disagrees with the bytes after it (POI test presentations)', async () => {
    // One stray byte after the record, comment length 0: "Invalid comment length" in yauzl.
    expect(await names(Buffer.concat([zip, Buffer.from([0])]))).toEqual(['a.txt']);
    // A declared comment longer than what is left of the file.
    const cut = Buffer.from(zip);
    cut.writeUInt16LE(5, cut.length - 2);
    expect(await names(Buffer.concat([cut, Buffer.from('ab')]))).toEqual(['a.txt']);
  });

  it('an empty member stored as deflate with no bytes at all (Excel\'s docProps/thumbnail.wmf)', async () => {
    const empty = withMethod(buildZip([{ name: 'docProps/thumbnail.wmf', content: Buffer.alloc(0), stored: true }]), 8);
    const archive = await ZipArchive.open(empty, 100);
    const m = archive.members[0];
    expect(m).toMatchObject({ method: 8, compressedSize: 0, uncompressedSize: 0 });
    expect((await archive.inflate(m as NonNullable<typeof m>, budget(), () => true)).bytes.length).toBe(0);
  });

  it('methods it cannot inflate stay unscannable, named in the finding', async () => {
    for (const [method, name] of [[12, 'bzip2'], [14, 'LZMA'], [9, 'Deflate64'], [98, 'PPMd'], [93, 'Zstandard'], [95, 'xz']] as const) {
      const bytes = withMethod(buildZip([{ name: 'invoice.xlsm', content: Buffer.from('x'.repeat(100)) }]), method);
      const verdict = await inspect(ENVELOPE, mailOf({ body: 'x', attachments: [{ name: 'a.zip', bytes }] }));
      expect(verdict.verdict, name).toBe('unscannable');
      expect(verdict.findings[0]).toMatchObject({ code: 'unsupported-zip', evidence: { part: '2/a.zip/invoice.xlsm' } });
      expect(String(verdict.findings[0]?.evidence['detail'])).toContain(`compression method ${method} (${name})`);
    }
  });
});
