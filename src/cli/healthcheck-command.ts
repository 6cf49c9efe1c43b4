import net from 'node:net';
import type { LoadedConfig } from '../config/load-config.js';

/**
 * `sekisho healthcheck`: connects to the configured SMTP listener and expects a 220
 * greeting, then says QUIT. Used by the Docker HEALTHCHECK; exit 0 healthy, 1 not.
 */
export async function healthcheck(loaded: LoadedConfig, timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
  const { host, port } = loaded.config.smtp.listen;
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return new Promise((resolve) => {
    const socket = net.connect({ host: target, port });
    let greeting = '';
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => done(false, `no greeting from ${target}:${port} within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) => done(false, `cannot connect to ${target}:${port}: ${err.code ?? err.message}`));
    socket.on('data', (chunk) => {
      greeting += chunk.toString('latin1');
      const line = greeting.split('\r\n')[0];
      if (greeting.includes('\r\n') && line !== undefined) {
        socket.write('QUIT\r\n');
        done(line.startsWith('220'), line);
      }
    });
  });
}
