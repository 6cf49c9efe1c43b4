/**
 * Shared memory for messages in flight. A message is collected at the end of DATA into a
 * SharedArrayBuffer so that an inspection worker reads the very bytes (no copy, and still
 * there when the worker is terminated at its deadline). A fresh SharedArrayBuffer costs
 * ~40 µs to make and more to share with a worker the first time, several times a whole
 * small message's relay work, so slabs are kept and used again once their transaction has
 * ended: size classes of powers of two, a bounded number of bytes kept free.
 */

/** Below this a slab is this size: most mail is a few kilobytes. */
const MIN_SLAB = 16 * 1024;
/** Messages larger than this get a slab of their own, never kept: they are rare. */
const MAX_POOLED = 8 * 1024 * 1024;

export class MessageBuffers {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  /** Slabs in the free lists, so that one given back twice is kept once (two messages must never share one). */
  private readonly idle = new Set<SharedArrayBuffer>();
  private freeBytes = 0;

  constructor(private readonly maxFreeBytes = 64 * 1024 * 1024) {}

  /** A Buffer of exactly `bytes` bytes over shared memory; its contents are not cleared. */
  take(bytes: number): Buffer {
    const size = slabSize(bytes);
    if (size === undefined) return Buffer.from(new SharedArrayBuffer(bytes));
    const slab = this.free.get(size)?.pop();
    if (slab) {
      this.idle.delete(slab);
      this.freeBytes -= size;
      return Buffer.from(slab, 0, bytes);
    }
    return Buffer.from(new SharedArrayBuffer(size), 0, bytes);
  }

  /**
   * The transaction that held `buffer` is over (relayed, quarantined, refused): its slab may
   * hold the next message. Nothing may use the buffer afterwards.
   */
  give(buffer: Buffer): void {
    const slab = buffer.buffer;
    if (!(slab instanceof SharedArrayBuffer) || this.idle.has(slab)) return;
    const size = slab.byteLength;
    if (slabSize(size) !== size || this.freeBytes + size > this.maxFreeBytes) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(slab);
    this.idle.add(slab);
    this.freeBytes += size;
  }
}

function slabSize(bytes: number): number | undefined {
  if (bytes > MAX_POOLED) return undefined;
  let size = MIN_SLAB;
  while (size < bytes) size *= 2;
  return size;
}
