import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from '../config/load-config.js';
import { inspectOptions } from '../config/inspect-options.js';
import type { Logger } from '../log/logger.js';
import { createNextHop, nextHopKey } from '../smtp/next-hop/create-next-hop.js';
import { SmtpProxy, type ProxySettings } from '../smtp/proxy/smtp-proxy.js';

/** A running sekisho: what main, the cluster workers and the tests hold on to. */
export interface Daemon {
  readonly smtpAddress: AddressInfo;
  /** Applies a new, already validated configuration without dropping connections. */
  reload(loaded: LoadedConfig): void;
  /** Graceful stop: finish transactions in flight within the grace period, then close. */
  drain(): Promise<void>;
}

export function proxySettings(loaded: LoadedConfig): ProxySettings {
  const smtp = loaded.config.smtp;
  return {
    hostname: smtp.hostname,
    maxMessageBytes: smtp.max_message_bytes,
    maxConnections: smtp.max_connections,
    maxConnectionsPerIp: smtp.max_connections_per_ip,
    maxRecipients: smtp.max_recipients,
    idleTimeoutMs: smtp.timeouts.idle,
    shutdownGraceMs: smtp.timeouts.shutdown_grace,
    xforwardHosts: smtp.xforward_hosts,
    tls: loaded.tls.inbound,
    inspect: inspectOptions(loaded),
  };
}

/** Starts the ingresses the configuration asks for. The logger comes from main. */
export async function startDaemon(loaded: LoadedConfig, logger: Logger): Promise<Daemon> {
  let current = loaded;
  let nextHop = createNextHop(loaded);
  const proxy = new SmtpProxy(proxySettings(loaded), nextHop, logger);
  const smtpAddress = await proxy.listen(loaded.config.smtp.listen);
  logger.info({ event: 'listening', smtp: `${smtpAddress.address}:${smtpAddress.port}`, next_hop: nextHop.description }, 'sekisho is listening');

  return {
    smtpAddress,
    reload(next: LoadedConfig): void {
      const before = current.config.smtp.listen;
      const after = next.config.smtp.listen;
      if (before.host !== after.host || before.port !== after.port) {
        logger.warn({ event: 'reload', key: 'smtp.listen' }, 'smtp.listen changed: takes effect after a restart');
      }
      if (next.config.smtp.workers !== current.config.smtp.workers) {
        logger.warn({ event: 'reload', key: 'smtp.workers' }, 'smtp.workers changed: takes effect after a restart');
      }
      if (nextHopKey(next) !== nextHopKey(current)) nextHop = createNextHop(next);
      proxy.reconfigure(proxySettings(next), nextHop);
      logger.level = next.config.log.level;
      current = next;
      logger.info({ event: 'reload', result: 'ok', next_hop: nextHop.description }, 'configuration reloaded');
    },
    async drain(): Promise<void> {
      logger.info({ event: 'drain', open: proxy.openConnections, grace_ms: current.config.smtp.timeouts.shutdown_grace }, 'draining');
      await proxy.drain();
      logger.info({ event: 'drained' }, 'all connections closed');
    },
  };
}
