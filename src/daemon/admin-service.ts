import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminServer, remoteOf, type AdminSettings } from '../admin/admin-server.js';
import { bearerToken, MemorySessionStore, sameSecret, type SessionStore } from '../admin/auth.js';
import { SessionTable } from '../admin/session-table.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { BudgetedQuarantineStore } from '../quarantine/budgeted-store.js';
import { quarantineIdentity } from '../quarantine/create-store.js';
import { PostgresQuarantineStore } from '../quarantine/postgres-store.js';
import { countAwaiting } from '../ppap/ppap-pairing.js';
import { QuarantineAdmin, type OpenResult } from '../quarantine/quarantine-admin.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import type { NextHop } from '../smtp/next-hop/next-hop.js';
import { ReadinessProbe, type Check } from './readiness.js';

/** How often expired quarantine entries are purged. */
const PURGE_EVERY_MS = 6 * 60 * 60 * 1000;

/** What the admin service reports about the SMTP side, which may live in other processes. */
export interface Observability {
  readonly metrics: Metrics;
  /** The Prometheus text: this process's metrics, or every worker's added up. */
  exposition(): Promise<string>;
  listening(): Check;
}

export interface AdminService {
  /** The admin HTTP server's address, when admin.listen is set. */
  readonly address?: AddressInfo;
  readonly admin: QuarantineAdmin;
  reload(loaded: LoadedConfig): void;
  close(): Promise<void>;
}

/**
 * What runs once per installation rather than once per SMTP worker: the admin HTTP server
 * (quarantine API and web page, /metrics, /healthz, /readyz) and the retention purge of
 * the quarantine. In one process it runs beside the proxy; with smtp.workers > 1 in the
 * cluster primary. With the shared PostgreSQL store every node runs it: the purge takes
 * an advisory lock (one node purges), the gauges are the database's, and web sessions
 * live in its table.
 */
export async function startAdminService(
  loaded: LoadedConfig,
  logger: Logger,
  store: QuarantineStore,
  nextHop: () => NextHop,
  observability: Observability,
  /** PPAP by hand: an admin's password rescans an entry and releases it if clean. */
  opener?: (id: string, password: string, by: string) => Promise<OpenResult>,
): Promise<AdminService> {
  let current = loaded;
  const { metrics } = observability;
  const admin = new QuarantineAdmin(store, nextHop, () => ({ releaseHeader: current.config.quarantine.release_header }), logger, (event, count) => {
    if (event === 'released') metrics.quarantineReleased.inc(count);
    else metrics.quarantineDeleted.inc(count);
  });
  if (opener) admin.attachOpener(opener);
  metrics.watchQuarantine(() => store.stats(), quarantineIdentity(loaded));
  metrics.watchQuarantineStore(() => store.health());
  metrics.watchPpap(() => countAwaiting(store, current.config.ppap.window));
  const purge = () => {
    const before = new Date(Date.now() - current.config.quarantine.retention);
    admin.purge(before, 'retention').catch((err: unknown) => logger.error({ err, event: 'quarantine-purge' }, 'quarantine purge failed'));
  };
  purge();
  const timer = setInterval(purge, PURGE_EVERY_MS);
  timer.unref();

  const listen = loaded.config.admin.listen;
  let server: AdminServer | undefined;
  let address: AddressInfo | undefined;
  if (listen) {
    server = new AdminServer(adminSettings(loaded), admin, logger, webSessions(store, loaded.config.smtp.hostname));
    const gate = server.gate;
    const readiness = new ReadinessProbe(observability.listening, () => current.config.smtp.upstream, () => store.health());
    server.addPublicRoute('/metrics', async (req, res) => {
      const token = current.config.admin.metrics_token;
      if (token) {
        const auth = gate.check(remoteOf(req), 'metrics', bearerToken(req), token);
        if (auth.result === 'throttled') return reply(res, 429, 'text/plain', 'too many wrong tokens\n', { 'retry-after': String(auth.wait) });
        if (auth.result !== 'ok') return reply(res, 401, 'text/plain', 'metrics token required\n', { 'www-authenticate': 'Bearer' });
      }
      reply(res, 200, metrics.registry.contentType, await observability.exposition());
    });
    server.addPublicRoute('/healthz', (_req, res) => reply(res, 200, 'application/json', '{"status":"alive"}\n'));
    server.addPublicRoute('/readyz', async (req, res) => {
      const r = await readiness.check();
      // Paths, addresses and the next hop's banner are for the admin: a load balancer needs
      // only ok/not ok and which part is wrong. With admin.token or admin.metrics_token as
      // bearer the details come too.
      const detailed = readyzDetailed(req, current.config.admin.token, current.config.admin.metrics_token);
      const checks = detailed ? r.checks : Object.fromEntries(Object.entries(r.checks).map(([name, c]) => [name, c.ok ? { ok: true } : { ok: false, problem: c.problem }]));
      reply(res, r.ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks })}\n`);
    });
    address = await server.listen(listen);
    logger.info({ event: 'listening', admin: `${address.address}:${address.port}`, api: loaded.config.admin.token ? 'on' : 'off (admin.token not set)' }, 'admin server is listening');
  }
  return {
    address,
    admin,
    reload(next: LoadedConfig): void {
      const before = current.config.admin.listen;
      const after = next.config.admin.listen;
      if (before?.host !== after?.host || before?.port !== after?.port) {
        logger.warn({ event: 'reload', key: 'admin.listen' }, 'admin.listen changed: takes effect after a restart');
      }
      if (next.config.quarantine.dir !== current.config.quarantine.dir) {
        logger.warn({ event: 'reload', key: 'quarantine.dir' }, 'quarantine.dir changed: takes effect after a restart');
      }
      if (JSON.stringify(next.config.quarantine.store) !== JSON.stringify(current.config.quarantine.store) || next.quarantinePassword !== current.quarantinePassword) {
        logger.warn({ event: 'reload', key: 'quarantine.store' }, 'quarantine.store changed: takes effect after a restart');
      }
      server?.reconfigure(adminSettings(next));
      current = next;
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await server?.close();
    },
  };
}

/** In the shared database when the quarantine is there (a login valid on every node), else in memory. */
function webSessions(store: QuarantineStore, node: string): SessionStore {
  const inner = store instanceof BudgetedQuarantineStore ? store.inner : store;
  return inner instanceof PostgresQuarantineStore ? new SessionTable(inner, node) : new MemorySessionStore();
}

function reply(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function adminSettings(loaded: LoadedConfig): AdminSettings {
  return { token: loaded.config.admin.token, hostnames: loaded.config.admin.hostnames, tls: loaded.tls.admin };
}

/** A bearer that is one of the admin's secrets asks for the full /readyz (not throttled: no secret is revealed by it). */
function readyzDetailed(req: IncomingMessage, token: string | undefined, metricsToken: string | undefined): boolean {
  const presented = bearerToken(req);
  if (presented === undefined) return false;
  return [token, metricsToken].some((t) => t !== undefined && t !== '' && sameSecret(presented, t));
}
