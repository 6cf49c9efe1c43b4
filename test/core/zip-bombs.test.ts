import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../src/core/inspect.js';
import type { Verdict } from '../../src/core/verdict.js';
import { mailOf } from '../helpers/wrappings.js';
import { buildZip, nestedBomb } from '../helpers/zip-writer.js';

/**
 * Archive bombs built in test setup must end as `unscannable` — never a pass, never a
 * hang — within the time budget and without holding their expansion in memory.
 */
const ENVELOPE = { mailFrom: 's@example.com', rcptTo: ['r@example.net'] };

async function inspectWatchingMemory(mail: Buffer): Promise<{ verdict: Verdict; rssGrowth: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    const verdict = await inspect(ENVELOPE, mail);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { verdict, rssGrowth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

const limitCodes = (v: Verdict) => v.findings.filter((f) => f.detector === 'limits').map((f) => f.code);

describe('zip bombs', () => {
  it('42.zip-style nesting (16 copies × 6 levels, 64 MiB of zeros at the bottom: petabytes) is unscannable', async () => {
    const bomb = nestedBomb(6, 16, 64 * 1024 * 1024);
    const mail = mailOf({ body: '添付をご確認ください。', attachments: [{ name: '42.zip', bytes: bomb }] });
    const { verdict, rssGrowth } = await inspectWatchingMemory(mail);
    expect(verdict.verdict).toBe('unscannable');
    const codes = limitCodes(verdict);
    expect(codes.length).toBeGreaterThan(0);
    // Stopped by the structure (depth, ratio, total bytes), not by running out of time.
    expect(codes).not.toContain('time');
    expect(codes.every((c) => ['depth', 'ratio', 'decompressed-bytes'].includes(c))).toBe(true);
    // Its expansion is never held: far below the 256 MiB per-message allowance.
    expect(rssGrowth).toBeLessThan(300 * 1024 * 1024);
  });

  it('a single member that inflates 1000× (128 MiB of zeros) stops at the ratio limit once past ratio_exempt_bytes (64 MiB)', async () => {
    const mail = mailOf({ body: 'x', attachments: [{ name: 'zeros.zip', bytes: buildZip([{ name: 'zeros.bin', content: Buffer.alloc(128 * 1024 * 1024) }]) }] });
    const { verdict, rssGrowth } = await inspectWatchingMemory(mail);
    expect(limitCodes(verdict)).toEqual(['ratio']);
    expect(verdict.findings[0]?.evidence['part']).toBe('2/zeros.zip/zeros.bin');
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
  });

  it('overlapping entries (every member pointing at one kernel, as in Fifield’s bomb) are refused before inflating', async () => {
    const kernel = { name: 'kernel.bin', content: Buffer.alloc(8 * 1024 * 1024) };
    const entries = [kernel, ...Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}.bin`, sameDataAs: 'kernel.bin' }))];
    const mail = mailOf({ body: 'x', attachments: [{ name: 'overlap.zip', bytes: buildZip(entries) }] });
    const { verdict } = await inspectWatchingMemory(mail);
    expect(limitCodes(verdict)).toEqual(['overlapping-entries']);
    expect(verdict.verdict).toBe('unscannable');
  });

  it('the total decompressed bytes of a message are bounded even when each member looks harmless', async () => {
    // 10 members of 4 MiB random lowercase text (ratio ~1.6): 40 MiB, over a 32 MiB allowance.
    const text = Buffer.from(randomBytes(4 * 1024 * 1024).map((b) => 97 + (b % 26)));
    const zip = buildZip(Array.from({ length: 10 }, (_, i) => ({ name: `part${i}.txt`, content: text })));
    const mail = mailOf({ body: 'x', attachments: [{ name: 'big.zip', bytes: zip }] });
    const verdict = await inspect(ENVELOPE, mail, { limits: { maxDecompressedBytes: 32 * 1024 * 1024 } });
    expect(limitCodes(verdict)).toEqual(['decompressed-bytes']);
  });

  it('too many entries is unscannable', async () => {
    const zip = buildZip(Array.from({ length: 50 }, (_, i) => ({ name: `e${i}.txt`, content: Buffer.from('x') })));
    const mail = mailOf({ body: 'x', attachments: [{ name: 'many.zip', bytes: zip }] });
    const verdict = await inspect(ENVELOPE, mail, { limits: { maxEntries: 10 } });
    expect(limitCodes(verdict)).toEqual(['entries']);
  });

  it('running out of time is unscannable, recorded once', async () => {
    let clock = 0;
    const zip = buildZip(Array.from({ length: 5 }, (_, i) => ({ name: `e${i}.zip`, content: buildZip([{ name: 'x.txt', content: Buffer.from('x') }]) })));
    const mail = mailOf({ body: 'x', attachments: [{ name: 'slow.zip', bytes: zip }] });
    // Each reading of the clock advances it by 1 s: the 10 s budget runs out midway.
    const verdict = await inspect(ENVELOPE, mail, { now: () => (clock += 1000) });
    expect(limitCodes(verdict)).toEqual(['time']);
    expect(verdict.verdict).toBe('unscannable');
  });
});
