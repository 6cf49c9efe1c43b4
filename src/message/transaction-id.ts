import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * 128 random bits in lower-case base32 (26 characters): unguessable, safe in file names
 * on case-insensitive file systems, and short enough to grep for in logs.
 */
export function newTransactionId(): string {
  const bytes = nextRandom16();
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Random bytes fetched 4 KiB at a time: one getrandom call per 256 ids, not one per id. */
let pool = Buffer.alloc(0);
let used = 0;

function nextRandom16(): Buffer {
  if (used + 16 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += 16;
  return pool.subarray(used - 16, used);
}
