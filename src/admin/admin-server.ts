import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/values.js';
import type { Logger } from '../log/logger.js';
import type { QuarantineAdmin } from '../quarantine/quarantine-admin.js';
import { QuarantineIdError, QuarantineLockedError } from '../quarantine/quarantine-store.js';
import { handleApi } from './api-routes.js';
import { bearerToken, MemorySessionStore, type SessionStore } from './auth.js';
import { AuthGate } from './auth-throttle.js';
import { HttpError, pathSegments, sendHtml, sendJson } from './http-util.js';
import { disabledPage, errorPage } from './web-layout.js';
import { handleWeb } from './web-routes.js';

export interface AdminSettings {
  /** The shared secret of the API (bearer) and the web login. Unset or empty: both are off. */
  readonly token?: string;
  /** Names the admin port is reached by (admin.hostnames), besides IP literals and localhost. */
  readonly hostnames?: readonly string[];
  /** admin.tls: PEM certificate and key; the listener speaks HTTPS and cookies are Secure. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export type PublicHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const DISABLED = 'admin.token is not set';

/**
 * The admin listener (`admin.listen`): the quarantine API under /api, the web page
 * everywhere else, and public routes (metrics, health) that need no token. One node:http
 * server: the surface is a dozen routes, not worth a framework.
 */
export class AdminServer {
  private settings: AdminSettings;
  private readonly publicRoutes = new Map<string, PublicHandler>();
  private readonly server: Server;
  /** Backoff and audit of wrong tokens, for the API, the login and the public routes alike. */
  readonly gate: AuthGate;

  constructor(
    settings: AdminSettings,
    private readonly admin: QuarantineAdmin,
    private readonly logger: Logger,
    /** Memory for one node; the shared database's table when several serve one admin name. */
    private readonly sessions: SessionStore = new MemorySessionStore(),
  ) {
    this.settings = settings;
    this.gate = new AuthGate(logger);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ event: 'admin-http', err }, 'admin request failed after the reply started');
        res.destroy();
      });
    };
    this.server = settings.tls ? createTlsServer({ cert: settings.tls.cert, key: settings.tls.key }, handler) : createServer(handler);
    // A slow client must not hold a connection (and a file descriptor) for minutes.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  listen(address: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: address.host, port: address.port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** New token on SIGHUP reload; existing web sessions made with the old token end. */
  reconfigure(settings: AdminSettings): void {
    if ((settings.token ?? '') !== (this.settings.token ?? '')) {
      this.sessions.clear().catch((err: unknown) => this.logger.error({ event: 'admin-sessions', err }, 'could not end the web sessions of the old admin.token'));
    }
    const tls = settings.tls;
    if (tls && 'setSecureContext' in this.server && (tls.cert !== this.settings.tls?.cert || tls.key !== this.settings.tls?.key)) {
      (this.server as import('node:https').Server).setSecureContext({ cert: tls.cert, key: tls.key });
    }
    this.settings = settings;
  }

  /** Routes served without the token (issue 6 adds /metrics, /healthz, /readyz). Exact path match, GET/HEAD. */
  addPublicRoute(path: string, handler: PublicHandler): void {
    this.publicRoutes.set(path, handler);
  }

  /** Sessions stay: in memory they go with the process, in a shared table other nodes still serve them. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const segments = pathSegments(url);
    const isApi = segments[0] === 'api';
    try {
      if (!hostAllowed(req.headers.host, this.settings.hostnames ?? [])) {
        this.logger.warn({ event: 'admin-host-refused', host: (req.headers.host ?? '').slice(0, 100), remote: remoteOf(req) }, 'admin request for an unknown host name');
        throw new HttpError(421, 'unknown host name (admin.hostnames)');
      }
      const publicRoute = this.publicRoutes.get(url.split('?', 1)[0] ?? '');
      if (publicRoute) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed', { Allow: 'GET, HEAD' });
        return await publicRoute(req, res);
      }
      const token = this.settings.token ?? '';
      if (token === '') {
        if (isApi) return sendJson(res, 503, { error: DISABLED });
        return sendHtml(res, 503, disabledPage());
      }
      if (isApi) {
        const auth = this.gate.check(remoteOf(req), 'api', bearerToken(req), token);
        if (auth.result === 'throttled') throw new HttpError(429, 'too many wrong tokens, try again later', { 'Retry-After': String(auth.wait) });
        if (auth.result !== 'ok') throw new HttpError(401, auth.result === 'missing-token' ? 'bearer token required' : 'wrong token', { 'WWW-Authenticate': 'Bearer realm="sekisho"' });
        return await handleApi(this.admin, req, res, segments.slice(1));
      }
      return await handleWeb({ admin: this.admin, sessions: this.sessions, token, logger: this.logger, gate: this.gate }, req, res, segments);
    } catch (err) {
      if (res.headersSent) throw err;
      const [status, message, headers] = this.describe(err, req);
      // The request body may be unread (a 413, an early 401): do not keep the connection.
      if (!req.complete) res.setHeader('Connection', 'close');
      if (isApi) return sendJson(res, status, { error: message }, headers);
      const session = status >= 500 ? undefined : await this.sessions.find(req).catch(() => undefined);
      sendHtml(res, status, errorPage(status, message, session ?? {}), headers);
    }
  }

  private describe(err: unknown, req: IncomingMessage): [number, string, Readonly<Record<string, string>>] {
    if (err instanceof HttpError) return [err.status, err.message, err.headers];
    if (err instanceof QuarantineIdError) return [400, 'bad id', {}];
    if (err instanceof QuarantineLockedError) return [409, 'the message is being changed by someone else right now; try again shortly', {}];
    // Details stay in the log: a stack trace in a reply tells an attacker about the host.
    this.logger.error({ event: 'admin-http', method: req.method, path: (req.url ?? '').split('?', 1)[0], err }, 'admin request failed');
    return [500, 'internal error', {}];
  }
}

export function remoteOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * DNS rebinding: a page on attacker.example whose name then resolves to the admin's
 * 127.0.0.1 makes the admin's own browser talk to this port, with "Host: attacker.example".
 * IP literals and localhost cannot be rebound; any other name must be one the admin listed.
 * A request without Host (HTTP/1.0, a script) is not from a browser.
 */
export function hostAllowed(host: string | undefined, hostnames: readonly string[]): boolean {
  if (host === undefined || host === '') return true;
  if (host.startsWith('[')) return true;
  const name = (host.split(':', 1)[0] ?? '').toLowerCase().replace(/\.$/, '');
  if (isIP(name) !== 0 || name === 'localhost') return true;
  return hostnames.some((h) => h.toLowerCase().replace(/\.$/, '') === name);
}
