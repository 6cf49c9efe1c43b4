import type { Readable } from 'node:stream';

export type Collected = { readonly kind: 'message'; readonly message: Buffer } | { readonly kind: 'too-big'; readonly bytes: number };

/**
 * Reads the DATA stream into one buffer, the form the inspection core and the relay both
 * use (one copy, then only slices). The buffer is over a SharedArrayBuffer: an inspection
 * worker reads it where it is, and it outlives a worker terminated at its deadline. Past `maxBytes` it stops keeping bytes but reads on
 * to the end, so the client gets its 552 after the "." and memory stays bounded.
 */
export function collectMessage(stream: Readable, maxBytes: number): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) chunks = [];
      else chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => {
      if (bytes > maxBytes) resolve({ kind: 'too-big', bytes });
      else resolve({ kind: 'message', message: sharedConcat(chunks, bytes) });
    });
  });
}

/** Buffer.concat into shared memory: the same one copy. */
export function sharedConcat(chunks: readonly Buffer[], bytes: number): Buffer {
  const out = Buffer.from(new SharedArrayBuffer(bytes));
  let at = 0;
  for (const chunk of chunks) {
    chunk.copy(out, at);
    at += chunk.length;
  }
  return out;
}
