import { Unscannable } from '../limits.js';

/**
 * MS-OVBA 2.4.1 decompression (the LZ77 variant of VBA source and the `dir` stream). Returns
 * undefined for anything that is not a valid CompressedContainer: a VBA project whose source
 * does not decompress is reported as unreadable, not as a broken file. Output beyond
 * `maxOutput` is a limit reached, not corruption, and throws Unscannable('decompressed-bytes').
 */
export function decompressOvba(data: Buffer, maxOutput: number, charge?: (bytes: number) => void): Buffer | undefined {
  if (data.length === 0 || data[0] !== 0x01) return undefined;
  const out: Buffer[] = [];
  let produced = 0;
  let pos = 1;
  while (pos < data.length) {
    if (pos + 2 > data.length) return undefined;
    const header = data.readUInt16LE(pos);
    // Bits 12-14 are the fixed signature 0b011; anything else is not a chunk.
    if (((header >> 12) & 0x7) !== 0b011) return undefined;
    const chunkEnd = Math.min(data.length, pos + (header & 0x0fff) + 3);
    const compressed = (header & 0x8000) !== 0;
    pos += 2;
    const chunk = compressed ? decompressChunk(data, pos, chunkEnd) : rawChunk(data, pos, chunkEnd);
    if (chunk === undefined) return undefined;
    produced += chunk.length;
    // One 6-byte chunk can expand to 4096 bytes: count output as it grows, not after.
    if (produced > maxOutput) throw new Unscannable('decompressed-bytes', `VBA data decompresses to more than ${maxOutput} bytes`);
    charge?.(chunk.length);
    out.push(chunk);
    pos = chunkEnd;
  }
  return Buffer.concat(out, produced);
}

function rawChunk(data: Buffer, start: number, end: number): Buffer | undefined {
  // An uncompressed chunk holds exactly 4096 bytes; olevba also accepts a short last one.
  return end - start > 4096 ? undefined : data.subarray(start, end);
}

function decompressChunk(data: Buffer, start: number, end: number): Buffer | undefined {
  const out = Buffer.alloc(4096);
  let length = 0;
  let pos = start;
  while (pos < end) {
    const flags = data[pos++] ?? 0;
    for (let bit = 0; bit < 8 && pos < end; bit++) {
      if ((flags & (1 << bit)) === 0) {
        if (length >= 4096) return undefined;
        out[length++] = data[pos++] ?? 0;
        continue;
      }
      if (pos + 2 > end) return undefined;
      const token = data.readUInt16LE(pos);
      pos += 2;
      if (length === 0) return undefined;
      // 2.4.1.3.19.1: the split between offset and length bits grows with the position in the chunk.
      let bitCount = 4;
      while (1 << bitCount < length) bitCount++;
      const lengthMask = 0xffff >>> bitCount;
      const offset = (token >>> (16 - bitCount)) + 1;
      const copyLength = (token & lengthMask) + 3;
      if (offset > length || length + copyLength > 4096) return undefined;
      for (let i = 0; i < copyLength; i++, length++) out[length] = out[length - offset] ?? 0;
    }
  }
  return out.subarray(0, length);
}
