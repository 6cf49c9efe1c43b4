import type { AddressInfo } from 'node:net';
import { inspectorPlan, inspectorSettings } from '../config/inspect-options.js';
import { createInspector } from '../filter/create-inspector.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { policyFromConfig } from '../policy/policy-config.js';
import { createQuarantineStore, quarantineLimits } from '../quarantine/create-store.js';
import { createNextHop, nextHopKey } from '../smtp/next-hop/create-next-hop.js';
import { SmtpProxy, type ProxySettings } from '../smtp/proxy/smtp-proxy.js';
import { MilterServer, type MilterServerSettings } from '../milter/milter-server.js';
import { startPpap } from '../ppap/start-ppap.js';
import { InflightBytes } from '../message/inflight-bytes.js';
import { startAdminService, type AdminService } from './admin-service.js';

/** A running sekisho: what main, the cluster workers and the tests hold on to. */
export interface Daemon {
  /** The proxy's address, when smtp.listen is set. */
  readonly smtpAddress?: AddressInfo;
  /** The milter's address ("127.0.0.1:8891", "unix:/path") and TCP port, when milter.listen is set. */
  readonly milterAddress?: { readonly description: string; readonly port?: number };
  /** The admin HTTP server, when this process runs it (admin.listen set, not a cluster worker). */
  readonly adminAddress?: AddressInfo;
  /** Release, delete and purge, when this process runs the admin service. */
  readonly adminService?: AdminService;
  /** Ends the PPAP windows that are over now (a timer does it every minute); how many. */
  ppapSweep(): Promise<number>;
  /** Applies a new, already validated configuration without dropping connections. */
  reload(loaded: LoadedConfig): void;
  /** Graceful stop: finish transactions in flight within the grace period, then close. */
  drain(): Promise<void>;
}

export interface DaemonOptions {
  /** Run the admin service here (false in cluster workers: their primary runs it). */
  readonly admin: boolean;
  /** This process's metrics, created by main (or a test). */
  readonly metrics: Metrics;
}

export function milterSettings(loaded: LoadedConfig): MilterServerSettings {
  const { smtp, milter, inspect } = loaded.config;
  const { policy, tag } = policyFromConfig(loaded.config);
  return {
    maxMessageBytes: smtp.max_message_bytes,
    maxRecipients: smtp.max_recipients,
    quarantine: milter.quarantine,
    // The pool answers within the time budget and a second; past that, something is wrong.
    answerDeadlineMs: inspect.time_budget + 5000,
    maxConnections: milter.max_connections,
    idleTimeoutMs: milter.timeouts.idle,
    shutdownGraceMs: smtp.timeouts.shutdown_grace,
    policy,
    tag,
  };
}

export function proxySettings(loaded: LoadedConfig): ProxySettings {
  const smtp = loaded.config.smtp;
  const { policy, tag } = policyFromConfig(loaded.config);
  return {
    hostname: smtp.hostname,
    maxMessageBytes: smtp.max_message_bytes,
    maxConnections: smtp.max_connections,
    maxConnectionsPerIp: smtp.max_connections_per_ip,
    maxRecipients: smtp.max_recipients,
    idleTimeoutMs: smtp.timeouts.idle,
    shutdownGraceMs: smtp.timeouts.shutdown_grace,
    deadlines: { transactionMs: smtp.timeouts.transaction, dataMs: smtp.timeouts.data, minDataRate: smtp.min_data_rate, rateGraceMs: smtp.timeouts.data_rate_grace },
    xforwardHosts: smtp.xforward_hosts,
    tls: loaded.tls.inbound,
    policy,
    tag,
  };
}

/** Starts the ingresses the configuration asks for. The logger comes from main. */
export async function startDaemon(loaded: LoadedConfig, logger: Logger, options: DaemonOptions): Promise<Daemon> {
  const { metrics } = options;
  let current = loaded;
  let nextHop = createNextHop(loaded);
  const store = createQuarantineStore(loaded, logger);
  // A database that is down at start does not keep the node from taking mail: clean mail
  // flows, quarantine-bound mail gets 451 4.3.0 and the store tries again on each use.
  await store.open().catch((err: unknown) =>
    logger.error({ event: 'quarantine-db', store: store.description, err: (err as Error).message }, 'quarantine store not ready: mail the policy quarantines gets 451 until it is'),
  );
  const inspector = createInspector(inspectorSettings(loaded), inspectorPlan(loaded), logger, metrics);
  // Listening only once messages can be inspected: the first ones would wait otherwise.
  await inspector.ready();
  const ppap = startPpap(() => current, store, () => nextHop, inspector, logger, metrics, options.admin);
  const smtpListen = loaded.config.smtp.listen;
  const inflight = new InflightBytes(loaded.config.smtp.max_inflight_bytes);
  metrics.watchInflight(inflight);
  const proxy = smtpListen ? new SmtpProxy(proxySettings(loaded), nextHop, store, inspector, logger, metrics, inflight, ppap.pairing) : undefined;
  const smtpAddress = proxy && smtpListen ? await proxy.listen(smtpListen) : undefined;
  const milterListen = loaded.config.milter.listen;
  const milter = milterListen ? new MilterServer(milterSettings(loaded), store, inspector, logger, metrics, inflight, ppap.pairing) : undefined;
  const milterAddress = milter && milterListen ? await milter.listen(milterListen, loaded.config.milter.socket_mode) : undefined;
  const listening = [smtpAddress && `smtp ${smtpAddress.address}:${smtpAddress.port}`, milterAddress && `milter ${milterAddress.description}`].filter(Boolean).join(', ');
  logger.info(
    {
      event: 'listening',
      smtp: smtpAddress && `${smtpAddress.address}:${smtpAddress.port}`,
      milter: milterAddress?.description,
      milter_quarantine: milter ? loaded.config.milter.quarantine : undefined,
      next_hop: nextHop.description,
      quarantine: store.description,
    },
    'sekisho is listening',
  );
  const observability = {
    metrics,
    exposition: () => metrics.registry.metrics(),
    listening: () => ({ ok: true, detail: listening }),
  };
  const adminService = options.admin ? await startAdminService(loaded, logger, store, () => nextHop, observability, (id, password, by) => ppap.pairing.open(id, password, by)) : undefined;

  return {
    smtpAddress,
    milterAddress,
    ppapSweep: () => ppap.pairing.sweep(),
    adminAddress: adminService?.address,
    adminService,
    reload(next: LoadedConfig): void {
      if (JSON.stringify(current.config.smtp.listen) !== JSON.stringify(next.config.smtp.listen)) {
        logger.warn({ event: 'reload', key: 'smtp.listen' }, 'smtp.listen changed: takes effect after a restart');
      }
      if (JSON.stringify(current.config.milter.listen) !== JSON.stringify(next.config.milter.listen)) {
        logger.warn({ event: 'reload', key: 'milter.listen' }, 'milter.listen changed: takes effect after a restart');
      }
      if (next.config.smtp.workers !== current.config.smtp.workers) {
        logger.warn({ event: 'reload', key: 'smtp.workers' }, 'smtp.workers changed: takes effect after a restart');
      }
      if (nextHopKey(next) !== nextHopKey(current)) nextHop = createNextHop(next);
      proxy?.reconfigure(proxySettings(next), nextHop, store);
      milter?.reconfigure(milterSettings(next), store);
      store.setLimits(quarantineLimits(next.config));
      inflight.setLimit(next.config.smtp.max_inflight_bytes);
      inspector.reconfigure(inspectorSettings(next));
      if (next.config.inspect.threads !== current.config.inspect.threads) {
        logger.warn({ event: 'reload', key: 'inspect.threads' }, 'inspect.threads changed: takes effect after a restart');
      }
      adminService?.reload(next);
      logger.level = next.config.log.level;
      current = next;
      logger.info({ event: 'reload', result: 'ok', next_hop: nextHop.description }, 'configuration reloaded');
    },
    async drain(): Promise<void> {
      logger.info({ event: 'drain', open: (proxy?.openConnections ?? 0) + (milter?.openConnections ?? 0), grace_ms: current.config.smtp.timeouts.shutdown_grace }, 'draining');
      await Promise.all([proxy?.drain(), milter?.drain()]);
      ppap.stop();
      // Without the proxy, the next hop (used for releases) still has connections to close.
      if (!proxy) await nextHop.close();
      await inspector.close();
      await adminService?.close();
      await store.close();
      logger.info({ event: 'drained' }, 'all connections closed');
    },
  };
}
