import net from 'node:net';
import { decodeReply, encodeCommand, FrameReader } from './milter-codec.js';
import { SMFI_VERSION } from './milter-constants.js';

/**
 * Whether a milter answers: connect, offer an option negotiation as an MTA would, and read
 * the filter's reply. `sekisho healthcheck` uses it when the milter is the only ingress.
 * The connection is closed right after, as Postfix does when it gives up on a filter.
 */
export function probeMilter(target: { readonly host: string; readonly port: number } | { readonly path: string }, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const where = 'path' in target ? `unix:${target.path}` : `${target.host}:${target.port}`;
  return new Promise((resolve) => {
    const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
    const reader = new FrameReader(64 * 1024);
    const done = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ ok, detail });
    };
    socket.setTimeout(timeoutMs, () => done(false, `no answer from the milter at ${where} within ${timeoutMs} ms`));
    socket.on('error', (err: NodeJS.ErrnoException) => done(false, `cannot connect to the milter at ${where}: ${err.code ?? err.message}`));
    socket.on('connect', () => socket.write(encodeCommand({ kind: 'optneg', version: SMFI_VERSION, actions: 0x1ff, protocol: 0x1fffff })));
    socket.on('data', (chunk: Buffer) => {
      try {
        const frame = reader.push(chunk)[0];
        if (!frame) return;
        const reply = decodeReply(frame);
        if (reply.kind === 'optneg') done(true, `milter at ${where}: protocol version ${reply.version}`);
        else done(false, `milter at ${where} answered ${reply.kind} to an option negotiation`);
      } catch (err) {
        done(false, `milter at ${where}: ${(err as Error).message}`);
      }
    });
  });
}
