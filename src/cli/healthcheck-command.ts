import type { LoadedConfig } from '../config/load-config.js';
import { probeMilter } from '../milter/milter-probe.js';
import { probeGreeting } from '../smtp/greeting-probe.js';

/**
 * `sekisho healthcheck`, the Docker HEALTHCHECK (exit 0 healthy, 1 not): GET /healthz on
 * the admin port when there is one — alive, not /readyz: a next hop that is down makes
 * sekisho tempfail, which is right, and restarting it would not help — and otherwise an
 * SMTP greeting of 220 from the listener, or for the milter alone an answered option
 * negotiation.
 */
export async function healthcheck(loaded: LoadedConfig, timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
  const admin = loaded.config.admin.listen;
  if (admin) return httpHealth(local(admin.host), admin.port, timeoutMs);
  const smtp = loaded.config.smtp.listen;
  if (!smtp) return milterHealth(loaded, timeoutMs);
  const { host, port } = smtp;
  const target = local(host);
  const where = `${target}:${port}`;
  const outcome = await probeGreeting(target, port, timeoutMs);
  switch (outcome.kind) {
    case 'greeting':
      return { ok: outcome.code === 220, detail: outcome.line };
    case 'error':
      return { ok: false, detail: `cannot connect to ${where}: ${outcome.error}` };
    case 'timeout':
      return { ok: false, detail: `no greeting from ${where} within ${timeoutMs} ms` };
    case 'closed':
      return { ok: false, detail: `${where} closed the connection before its greeting` };
    case 'not-smtp':
      return { ok: false, detail: `${where} does not answer with an SMTP greeting` };
  }
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

async function milterHealth(loaded: LoadedConfig, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const listen = loaded.config.milter.listen;
  if (!listen) return { ok: false, detail: 'neither smtp.listen nor milter.listen is set' };
  const target = listen.kind === 'unix' ? { path: listen.path } : { host: local(listen.host), port: listen.port };
  return probeMilter(target, timeoutMs);
}
