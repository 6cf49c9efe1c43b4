import type { Readable } from 'node:stream';
import type { InflightBytes } from '../../message/inflight-bytes.js';
import type { MessageBuffers } from '../../message/message-buffers.js';

export type Collected =
  | { readonly kind: 'message'; readonly message: Buffer }
  | { readonly kind: 'too-big'; readonly bytes: number }
  /** Keeping it would take the process past smtp.max_inflight_bytes. */
  | { readonly kind: 'over-budget'; readonly bytes: number };

/**
 * Reads the DATA stream into one buffer, the form the inspection core and the relay both
 * use (one copy, then only slices). The buffer is over a SharedArrayBuffer: an inspection
 * worker reads it where it is, and it outlives a worker terminated at its deadline
 * (message-buffers.ts). Past `maxBytes`, or past what the process's in-flight budget has
 * left, it stops keeping bytes but reads on to the end, so the client gets its 552 or 451
 * after the "." and memory stays bounded. A collected message's bytes stay taken from
 * `inflight` until the caller gives them back (its transaction ended).
 */
export function collectMessage(stream: Readable, maxBytes: number, buffers: MessageBuffers, onBytes: (n: number) => void, inflight: InflightBytes): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let bytes = 0;
    let taken = 0;
    let overBudget = false;
    const drop = () => {
      inflight.give(taken);
      taken = 0;
      chunks = [];
    };
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      onBytes(chunk.length);
      if (bytes > maxBytes || overBudget) {
        if (chunks.length > 0 || taken > 0) drop();
        return;
      }
      if (!inflight.tryTake(chunk.length)) {
        overBudget = true;
        drop();
        return;
      }
      taken += chunk.length;
      chunks.push(chunk);
    });
    stream.once('error', (err) => {
      drop();
      reject(err);
    });
    stream.once('end', () => {
      if (bytes > maxBytes) resolve({ kind: 'too-big', bytes });
      else if (overBudget) resolve({ kind: 'over-budget', bytes });
      else {
        const message = concatInto(buffers.take(bytes), chunks);
        // smtp-server keeps this stream (and so this closure) until the transaction ends:
        // the chunks must not stay beside their copy through inspection and relay.
        chunks = [];
        resolve({ kind: 'message', message });
      }
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
