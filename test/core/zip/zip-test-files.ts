import { inflateRawSync } from 'node:zlib';

/** Sample members for the zip decryption tests: text, incompressible, empty and one byte. */
export function sampleFiles(random: Buffer) {
  return {
    'invoice.txt': Buffer.from('請求書を添付いたします。ご確認ください。\nPlease find the invoice attached.\n'.repeat(200)),
    'random.bin': random,
    'empty.txt': Buffer.alloc(0),
    'one.txt': Buffer.from('x'),
  };
}

/** What the caller does after decryption: undo the entry's compression method. */
export function decompress(method: number, data: Buffer): Buffer {
  if (method === 0) return data;
  if (method === 8) return inflateRawSync(data);
  throw new Error(`unexpected method ${method}`);
}
