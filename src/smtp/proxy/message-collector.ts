import type { Readable } from 'node:stream';

export type Collected = { readonly kind: 'message'; readonly message: Buffer } | { readonly kind: 'too-big'; readonly bytes: number };

/**
 * Reads the DATA stream into one buffer, the form the inspection core and the relay both
 * use (one concat, then only slices). Past `maxBytes` it stops keeping bytes but reads on
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
      else resolve({ kind: 'message', message: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes) });
    });
  });
}
