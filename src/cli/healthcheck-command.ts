import net from 'node:net';
import type { LoadedConfig } from '../config/load-config.js';

/**
 * `sekisho healthcheck`, the Docker HEALTHCHECK (exit 0 healthy, 1 not): GET /healthz on
 * the admin port when there is one — alive, not /readyz: a next hop that is down makes
 * sekisho tempfail, which is right, and restarting it would not help — and otherwise an
 * SMTP greeting of 220 from the listener.
 */
export async function healthcheck(loaded: LoadedConfig, timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
  const admin = loaded.config.admin.listen;
  if (admin) return httpHealth(local(admin.host), admin.port, timeoutMs);
  const { host, port } = loaded.config.smtp.listen;
  const target = local(host);
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

/** A wildcard listen address is reached on loopback. */
function local(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

async function httpHealth(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { ok: res.status === 200, detail: `${url}: ${res.status} ${(await res.text()).trim()}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, detail: `${url}: ${cause ?? (err as Error).message}` };
  }
}
