import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Upstream } from '../config/values.js';
import { probeGreeting } from '../smtp/greeting-probe.js';

export interface Check {
  readonly ok: boolean;
  /** For the admin: paths, addresses, banners. */
  readonly detail: string;
  /** When not ok, what is wrong in words that name no path or address (public /readyz). */
  readonly problem?: string;
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
 * (an SMTP greeting of 220, or a writable outbox), and its quarantine must take a message —
 * otherwise every message would end in a tempfail, and a load balancer should send the
 * mail elsewhere.
 */
export class ReadinessProbe {
  private cached: { at: number; check: Promise<Check> } | undefined;

  constructor(
    private readonly listening: () => Check,
    private readonly upstream: () => Upstream,
    /** The store's health(): a writable directory above its free-space floor, or a database that answers. */
    private readonly quarantineHealth: () => Promise<Check>,
  ) {}

  async check(): Promise<Readiness> {
    const [nextHop, quarantine] = await Promise.all([this.nextHop(), this.quarantineHealth()]);
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
      (err: NodeJS.ErrnoException) => ({ ok: false, detail: `outbox ${upstream.dir}: ${err.code ?? err.message}`, problem: 'outbox not writable' }),
    );
  }
  return smtpGreeting(upstream.host, upstream.port);
}

/** The next hop is up when it greets with 220. */
async function smtpGreeting(host: string, port: number): Promise<Check> {
  const where = `${host}:${port}`;
  const outcome = await probeGreeting(host, port, PROBE_TIMEOUT_MS);
  switch (outcome.kind) {
    case 'greeting':
      return outcome.code === 220 ? { ok: true, detail: `${where} greets: ${outcome.line.slice(0, 80)}` } : { ok: false, detail: `${where} refuses: ${outcome.line.slice(0, 80)}`, problem: 'next hop refuses' };
    case 'error':
      return { ok: false, detail: `${where}: ${outcome.error}`, problem: 'next hop not answering' };
    case 'timeout':
      return { ok: false, detail: `${where}: no greeting within ${PROBE_TIMEOUT_MS} ms`, problem: 'next hop not answering' };
    case 'closed':
      return { ok: false, detail: `${where}: closed before greeting`, problem: 'next hop not answering' };
    case 'not-smtp':
      return { ok: false, detail: `${where}: not an SMTP greeting`, problem: 'next hop not answering' };
  }
}
