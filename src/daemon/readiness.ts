import { constants } from 'node:fs';
import { access, open, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Upstream } from '../config/values.js';

export interface Check {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<'listening' | 'next_hop' | 'quarantine', Check>>;
}

/** A probe of the next hop is this old at most: a load balancer polling every second does not open a connection every second. */
const NEXT_HOP_CACHE_MS = 5000;
const PROBE_TIMEOUT_MS = 3000;

/**
 * /readyz: can this sekisho take mail now? It must be listening, its next hop must answer
 * (an SMTP greeting of 220, or a writable outbox), and its quarantine must be writable —
 * otherwise every message would end in a tempfail, and a load balancer should send the
 * mail elsewhere.
 */
export class ReadinessProbe {
  private cached: { at: number; check: Promise<Check> } | undefined;

  constructor(
    private readonly listening: () => Check,
    private readonly upstream: () => Upstream,
    private readonly quarantineDir: () => string,
  ) {}

  async check(): Promise<Readiness> {
    const [nextHop, quarantine] = await Promise.all([this.nextHop(), writable(path.join(this.quarantineDir(), 'tmp'))]);
    const checks = { listening: this.listening(), next_hop: nextHop, quarantine };
    return { ready: checks.listening.ok && nextHop.ok && quarantine.ok, checks };
  }

  private nextHop(): Promise<Check> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > NEXT_HOP_CACHE_MS) this.cached = { at: now, check: probeUpstream(this.upstream()) };
    return this.cached.check;
  }
}

function probeUpstream(upstream: Upstream): Promise<Check> {
  if (upstream.kind === 'outbox') {
    return access(upstream.dir, constants.W_OK).then(
      () => ({ ok: true, detail: `outbox ${upstream.dir} writable` }),
      (err: NodeJS.ErrnoException) => ({ ok: false, detail: `outbox ${upstream.dir}: ${err.code ?? err.message}` }),
    );
  }
  return smtpGreeting(upstream.host, upstream.port);
}

/** Connects, reads the greeting, says QUIT: the next hop is up when it greets with 220. */
function smtpGreeting(host: string, port: number): Promise<Check> {
  return new Promise((resolve) => {
    const where = `${host}:${port}`;
    const socket = net.connect({ host, port });
    let buffer = '';
    const done = (check: Check) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.end();
      resolve(check);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `${where}: no greeting within ${PROBE_TIMEOUT_MS} ms` }), PROBE_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // A multi-line greeting ends with "220 " (RFC 5321 §4.2.1).
      const last = buffer.split('\r\n').find((line) => /^\d{3} /.test(line));
      if (last === undefined) {
        if (buffer.length > 4096) done({ ok: false, detail: `${where}: not an SMTP greeting` });
        return;
      }
      socket.write('QUIT\r\n');
      done(last.startsWith('220') ? { ok: true, detail: `${where} greets: ${last.slice(0, 80)}` } : { ok: false, detail: `${where} refuses: ${last.slice(0, 80)}` });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: `${where}: ${err.code ?? err.message}` }));
    socket.on('close', () => done({ ok: false, detail: `${where}: closed before greeting` }));
  });
}

/** Creates and removes a file: permissions, a read-only mount and a full inode table all show. */
async function writable(dir: string): Promise<Check> {
  const file = path.join(dir, `.ready-${process.pid}-${Date.now()}`);
  try {
    const handle = await open(file, 'wx', 0o600);
    await handle.close();
    await rm(file, { force: true });
    return { ok: true, detail: `${path.dirname(dir)} writable` };
  } catch (err) {
    return { ok: false, detail: `${path.dirname(dir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}
