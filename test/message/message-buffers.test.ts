import { describe, expect, it } from 'vitest';
import { MessageBuffers } from '../../src/message/message-buffers.js';

describe('MessageBuffers', () => {
  it('gives buffers of exactly the size asked for, over shared memory', () => {
    const buffers = new MessageBuffers();
    for (const size of [0, 1, 16 * 1024, 16 * 1024 + 1, 3_000_000, 9 * 1024 * 1024]) {
      const b = buffers.take(size);
      expect(b.length).toBe(size);
      expect(b.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('uses a slab again once it is given back, and never hands one slab to two messages', () => {
    const buffers = new MessageBuffers();
    const a = buffers.take(10_000);
    buffers.give(a);
    buffers.give(a); // twice: kept once
    const b = buffers.take(12_000);
    const c = buffers.take(12_000);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(b.buffer);
  });

  it('keeps at most the bytes it is allowed, and never keeps what it did not make', () => {
    const buffers = new MessageBuffers(32 * 1024);
    const slabs = [buffers.take(16 * 1024), buffers.take(16 * 1024), buffers.take(16 * 1024)];
    for (const s of slabs) buffers.give(s);
    const again = [buffers.take(100), buffers.take(100), buffers.take(100)];
    expect(again.filter((b) => slabs.some((s) => s.buffer === b.buffer))).toHaveLength(2);
    buffers.give(Buffer.alloc(16 * 1024));
    buffers.give(Buffer.from(new SharedArrayBuffer(20_000)));
    const fresh = buffers.take(100);
    expect(slabs.some((s) => s.buffer === fresh.buffer)).toBe(false);
  });
});
