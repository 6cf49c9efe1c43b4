import type { LoadedConfig } from '../../config/load-config.js';
import type { NextHop } from './next-hop.js';
import { OutboxNextHop } from './outbox-next-hop.js';
import { SmtpNextHop } from './smtp-next-hop.js';

/**
 * What the next hop depends on: a reload with the same key keeps the running next hop
 * (and its cached connections) instead of building a new one.
 */
export function nextHopKey(loaded: LoadedConfig): string {
  const smtp = loaded.config.smtp;
  const { upstream_connect, upstream_command, upstream_data } = smtp.timeouts;
  return JSON.stringify([smtp.upstream, smtp.hostname, smtp.upstream_tls, loaded.tls.upstreamCa, smtp.upstream_cache, upstream_connect, upstream_command, upstream_data]);
}

/** The next hop `smtp.upstream` names, with the timeouts and TLS settings that go with it. */
export function createNextHop(loaded: LoadedConfig): NextHop {
  const smtp = loaded.config.smtp;
  const upstream = smtp.upstream;
  if (upstream.kind === 'outbox') return new OutboxNextHop(upstream.dir);
  return new SmtpNextHop({
    host: upstream.host,
    port: upstream.port,
    heloName: smtp.hostname,
    connectTimeoutMs: smtp.timeouts.upstream_connect,
    commandTimeoutMs: smtp.timeouts.upstream_command,
    dataTimeoutMs: smtp.timeouts.upstream_data,
    tls: {
      starttls: smtp.upstream_tls.starttls,
      verify: smtp.upstream_tls.verify,
      ca: loaded.tls.upstreamCa,
      servername: smtp.upstream_tls.servername,
    },
  }, { maxIdle: smtp.upstream_cache.max_idle, idleMs: smtp.upstream_cache.idle_timeout });
}
