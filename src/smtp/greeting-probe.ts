import net from 'node:net';

/**
 * What an SMTP server said, or did instead, when connected to. The caller decides what
 * counts as up and how to word it: /readyz about the next hop, `sekisho healthcheck` about
 * sekisho's own listener.
 */
export type GreetingOutcome =
  /** The last line of the greeting (a multi-line one included); the server is up when `code` is 220. */
  | { readonly kind: 'greeting'; readonly code: number; readonly line: string }
  /** The socket failed (ECONNREFUSED, ENOTFOUND, ECONNRESET, ...): its error code, or message. */
  | { readonly kind: 'error'; readonly error: string }
  | { readonly kind: 'timeout' }
  /** The server closed the connection before a complete greeting. */
  | { readonly kind: 'closed' }
  /** A line that is no reply line, or more than GREETING_MAX_BYTES without the end of a greeting. */
  | { readonly kind: 'not-smtp' };

/** RFC 5321 §4.5.3.1.5 allows 512 octets a reply line; a few such lines is plenty for a greeting. */
const GREETING_MAX_BYTES = 4096;

/**
 * Connects to host:port, reads the greeting, says QUIT and hangs up. Never rejects: every
 * failure is an outcome. `timeoutMs` bounds the wait for the whole greeting.
 */
export function probeGreeting(host: string, port: number, timeoutMs: number): Promise<GreetingOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    let settled = false;
    const done = (outcome: GreetingOutcome, quit = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (quit) {
        socket.end('QUIT\r\n');
        // A server that never closes its side must not keep the socket open, nor keep a
        // `sekisho healthcheck` process from exiting.
        socket.setTimeout(timeoutMs, () => socket.destroy());
        socket.unref();
      } else {
        socket.destroy();
      }
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // Only complete lines; the greeting ends with the line whose code is followed by a
      // space or by nothing ("220-" lines continue it, RFC 5321 §4.2.1).
      const lines = buffer.split('\r\n').slice(0, -1);
      const last = lines.find((line) => /^\d{3}( |$)/.test(line));
      if (last !== undefined) return done({ kind: 'greeting', code: Number(last.slice(0, 3)), line: last }, true);
      // Any other complete line is not SMTP: an SSH or HTTP server on that port, say.
      if (buffer.length > GREETING_MAX_BYTES || lines.some((line) => !/^\d{3}-/.test(line))) done({ kind: 'not-smtp' });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ kind: 'error', error: err.code ?? err.message }));
    socket.on('close', () => done({ kind: 'closed' }));
  });
}
