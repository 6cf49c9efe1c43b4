import type { Readable } from 'node:stream';
import type { MessageBuffers } from '../../message/message-buffers.js';

export type Collected = { readonly kind: 'message'; readonly message: Buffer } | { readonly kind: 'too-big'; readonly bytes: number };

/**
 * Reads the DATA stream into one buffer, the form the inspection core and the relay both
 * use (one copy, then only slices). The buffer is over a SharedArrayBuffer: an inspection
 * worker reads it where it is, and it outlives a worker terminated at its deadline
 * (message-buffers.ts). Past `maxBytes` it stops keeping bytes but reads on
 * to the end, so the client gets its 552 after the "." and memory stays bounded.
 */
export function collectMessage(stream: Readable, maxBytes: number, buffers: MessageBuffers, onBytes?: (n: number) => void): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      onBytes?.(chunk.length);
      if (bytes > maxBytes) chunks = [];
      else chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => {
      if (bytes > maxBytes) resolve({ kind: 'too-big', bytes });
      else resolve({ kind: 'message', message: concatInto(buffers.take(bytes), chunks) });
    });
  });
}

/** Buffer.concat into a buffer of the right size: the same one copy. */
function concatInto(out: Buffer, chunks: readonly Buffer[]): Buffer {
  let at = 0;
  for (const chunk of chunks) {
    chunk.copy(out, at);
    at += chunk.length;
  }
  return out;
}
