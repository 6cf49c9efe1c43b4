import type { AddressInfo } from 'node:net';
import { AdminServer } from '../admin/admin-server.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import { QuarantineAdmin } from '../quarantine/quarantine-admin.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import type { NextHop } from '../smtp/next-hop/next-hop.js';

/** How often expired quarantine entries are purged. */
const PURGE_EVERY_MS = 6 * 60 * 60 * 1000;

export interface AdminService {
  /** The admin HTTP server's address, when admin.listen is set. */
  readonly address?: AddressInfo;
  readonly admin: QuarantineAdmin;
  reload(loaded: LoadedConfig): void;
  close(): Promise<void>;
}

/**
 * What runs once per installation rather than once per SMTP worker: the admin HTTP server
 * (API, web page; metrics and health later) and the retention purge of the quarantine. In
 * one process it runs beside the proxy; with smtp.workers > 1 in the cluster primary.
 */
export async function startAdminService(loaded: LoadedConfig, logger: Logger, store: QuarantineStore, nextHop: () => NextHop): Promise<AdminService> {
  let current = loaded;
  const admin = new QuarantineAdmin(store, nextHop, () => ({ releaseHeader: current.config.quarantine.release_header }), logger);
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
    server = new AdminServer({ token: loaded.config.admin.token }, admin, logger);
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
      server?.reconfigure({ token: next.config.admin.token });
      current = next;
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await server?.close();
    },
  };
}
