import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { QuarantineAdmin } from '../quarantine/quarantine-admin.js';
import { isQuarantineId } from '../quarantine/quarantine-store.js';
import type { AuthGate } from './auth-throttle.js';
import { clearedSessionCookie, csrfMatches, sessionCookie, type Session, type SessionStore } from './auth.js';
import { headerText } from './entry-view.js';
import { HttpError, isTls, queryOf, readForm, redirect, send, sendHtml } from './http-util.js';
import { parseListQuery, parseRecipients } from './list-query.js';
import { loginPage } from './web-layout.js';
import { confirmDeletePage, confirmReleasePage, deletedPage, detailPage, listPage, releaseResultPage, type SearchForm } from './web-pages.js';

export interface WebContext {
  readonly admin: QuarantineAdmin;
  readonly sessions: SessionStore;
  /** The configured token, never empty here (the server answers 503 before that). */
  readonly token: string;
  readonly logger: Logger;
  readonly gate: AuthGate;
}

/**
 * The server-rendered admin page: plain links and forms, so every function works without
 * JavaScript. Every POST but the login needs the session's CSRF token; all of them
 * refuse a cross-site origin, which also stops a foreign page logging the browser in
 * (login CSRF).
 */
export async function handleWeb(ctx: WebContext, req: IncomingMessage, res: ServerResponse, segments: readonly string[]): Promise<void> {
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  if (method !== 'GET' && method !== 'POST') throw new HttpError(405, 'method not allowed', { Allow: 'GET, HEAD, POST' });
  if (method === 'POST') checkOrigin(req);
  const path = segments.join('/');
  const session = await ctx.sessions.find(req);

  if (path === '' && method === 'GET') return redirect(res, session ? '/quarantine' : '/login');
  if (path === 'login') return method === 'GET' ? (session ? redirect(res, '/quarantine') : sendHtml(res, 200, loginPage())) : login(ctx, req, res);
  if (path === 'logout' && method === 'POST') return logout(ctx, req, res, session);
  if (segments[0] !== 'quarantine') throw new HttpError(404, 'not found');
  // An expired session on a confirm page: log in again; nothing has changed yet.
  if (!session) return redirect(res, '/login');

  if (segments.length === 1 || (segments.length === 2 && segments[1] === '')) {
    if (method !== 'GET') throw new HttpError(405, 'method not allowed', { Allow: 'GET, HEAD' });
    return list(ctx, req, res, session);
  }
  const id = segments[1] ?? '';
  if (!isQuarantineId(id)) throw new HttpError(400, 'bad id');
  const action = segments.slice(2).join('/');
  if (method === 'POST') {
    if (action !== 'release' && action !== 'delete' && action !== 'open') throw new HttpError(405, 'method not allowed', { Allow: 'GET, HEAD' });
    const form = await readForm(req);
    if (!csrfMatches(session, form.get('csrf'))) throw new HttpError(403, 'the form is stale or from another site: open the page again and retry');
    if (action === 'open') return open(ctx, res, id, form);
    return action === 'release' ? release(ctx, res, session, id, form) : remove(ctx, res, session, id);
  }
  const meta = await ctx.admin.store.get(id);
  if (!meta) throw new HttpError(404, 'not found: the message is no longer in quarantine');
  switch (action) {
    case '': {
      const message = await ctx.admin.store.raw(id);
      return sendHtml(res, 200, detailPage(session, meta, message ? headerText(message) : ''));
    }
    case 'raw': {
      const message = await ctx.admin.store.raw(id);
      if (!message) throw new HttpError(404, 'not found');
      return send(res, 200, 'message/rfc822', message, { 'Content-Disposition': `attachment; filename="${id}.eml"` });
    }
    case 'release':
      return sendHtml(res, 200, confirmReleasePage(session, meta));
    case 'delete':
      return sendHtml(res, 200, confirmDeletePage(session, meta));
    default:
      throw new HttpError(404, 'not found');
  }
}

async function login(ctx: WebContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const remote = req.socket.remoteAddress ?? 'unknown';
  // A throttled client is refused before its form is read (up to 64 KiB, or a body trickled in).
  const wait = ctx.gate.blocked(remote, 'login');
  if (wait > 0) throw new HttpError(429, `Too many wrong tokens: try again in ${wait} s. / 間違いが多すぎます。${wait} 秒後にもう一度。`, { 'Retry-After': String(wait) });
  const form = await readForm(req);
  const token = form.get('token') ?? '';
  const auth = ctx.gate.check(remote, 'login', token === '' ? undefined : token, ctx.token);
  if (auth.result === 'throttled') throw new HttpError(429, `Too many wrong tokens: try again in ${auth.wait} s. / 間違いが多すぎます。${auth.wait} 秒後にもう一度。`, { 'Retry-After': String(auth.wait) });
  if (auth.result !== 'ok') return sendHtml(res, 401, loginPage('Wrong token. / トークンが違います。'));
  const session = await ctx.sessions.create();
  ctx.logger.info({ event: 'admin-login', result: 'ok', remote: req.socket.remoteAddress }, 'admin login');
  redirect(res, '/quarantine', { 'Set-Cookie': sessionCookie(session, isTls(req)) });
}

async function logout(ctx: WebContext, req: IncomingMessage, res: ServerResponse, session: Session | undefined): Promise<void> {
  if (session) {
    const form = await readForm(req);
    if (!csrfMatches(session, form.get('csrf'))) throw new HttpError(403, 'the form is stale or from another site');
    await ctx.sessions.end(session);
  }
  redirect(res, '/login', { 'Set-Cookie': clearedSessionCookie(isTls(req)) });
}

async function list(ctx: WebContext, req: IncomingMessage, res: ServerResponse, session: Session): Promise<void> {
  const params = queryOf(req.url ?? '');
  const query = parseListQuery(params);
  const form: SearchForm = {
    q: params.get('q') ?? '',
    sender: params.get('sender') ?? '',
    recipient: params.get('recipient') ?? '',
    verdict: params.get('verdict') ?? '',
    released: params.get('released') ?? '',
  };
  const page = await ctx.admin.store.list(query);
  sendHtml(res, 200, listPage(session, form, query, page));
}

async function release(ctx: WebContext, res: ServerResponse, session: Session, id: string, form: URLSearchParams): Promise<void> {
  const typed = (form.get('recipients') ?? '').split(/[\s,;]+/).filter((r) => r !== '');
  let recipients: string[];
  try {
    recipients = parseRecipients(typed);
  } catch (err) {
    const meta = await ctx.admin.store.get(id);
    if (!(err instanceof HttpError) || !meta) throw err;
    return sendHtml(res, 400, confirmReleasePage(session, meta, err.message));
  }
  const result = await ctx.admin.release(id, { by: 'web', recipients, force: form.get('force') === 'true' });
  const status = result.status === 'not-found' ? 404 : result.status === 'failed' ? 502 : result.status === 'in-doubt' ? 409 : 200;
  sendHtml(res, status, releaseResultPage(session, id, result));
}

/** PPAP by hand: the entry's page shows what the password did (the attempt is recorded there). */
async function open(ctx: WebContext, res: ServerResponse, id: string, form: URLSearchParams): Promise<void> {
  const password = form.get('password') ?? '';
  if (password === '' || password.length > 256) throw new HttpError(400, 'a password of 1 to 256 characters');
  if (!ctx.admin.canOpen) throw new HttpError(501, 'opening with a password is not available here');
  await ctx.admin.open(id, password, 'admin:web');
  redirect(res, `/quarantine/${id}`);
}

async function remove(ctx: WebContext, res: ServerResponse, session: Session, id: string): Promise<void> {
  const deleted = await ctx.admin.delete(id, 'web');
  sendHtml(res, deleted ? 200 : 404, deletedPage(session, deleted));
}

/**
 * Browsers say where a POST comes from: Sec-Fetch-Site, or else Origin. A form on another
 * site posting here is refused before the CSRF token is even looked at. Origin "null" is
 * let through: our own `Referrer-Policy: no-referrer` makes browsers send it for our own
 * forms, and the CSRF token and SameSite=Strict still stand.
 */
function checkOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'cross-site request refused');
    return;
  }
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return;
  const expected = `${isTls(req) ? 'https' : 'http'}://${req.headers.host ?? ''}`;
  if (origin !== expected) throw new HttpError(403, 'cross-site request refused');
}
