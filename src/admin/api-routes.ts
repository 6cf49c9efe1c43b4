import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QuarantineAdmin } from '../quarantine/quarantine-admin.js';
import { isQuarantineId } from '../quarantine/quarantine-store.js';
import type { ReleaseResult } from '../quarantine/release.js';
import { headerText, secondsLeft, summarise } from './entry-view.js';
import { HttpError, queryOf, readJson, send, sendJson } from './http-util.js';
import { parseListQuery, parseRecipients } from './list-query.js';

/**
 * The JSON API under /api, for scripts and the lead's tooling. The caller has already
 * checked the bearer token. Segments are the decoded path without "api".
 */
export async function handleApi(admin: QuarantineAdmin, req: IncomingMessage, res: ServerResponse, segments: readonly string[]): Promise<void> {
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  if (segments[0] !== 'quarantine') throw new HttpError(404, 'not found');
  if (segments.length === 1) {
    allow(method, ['GET']);
    return list(admin, req, res);
  }
  const id = segments[1] ?? '';
  // Before anything else: a bad id never reaches the store or a file name.
  if (!isQuarantineId(id)) throw new HttpError(400, 'bad id');
  const action = segments.slice(2).join('/');
  if (action === '') {
    allow(method, ['GET', 'DELETE']);
    return method === 'GET' ? detail(admin, res, id) : remove(admin, res, id);
  }
  if (action === 'raw') {
    allow(method, ['GET']);
    return raw(admin, res, id);
  }
  if (action === 'release') {
    allow(method, ['POST']);
    return release(admin, req, res, id);
  }
  if (action === 'open') {
    allow(method, ['POST']);
    return open(admin, req, res, id);
  }
  throw new HttpError(404, 'not found');
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
    throw new HttpError(405, 'method not allowed', { Allow: allowed.join(', ') });
  }
}

async function list(admin: QuarantineAdmin, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const query = parseListQuery(queryOf(req.url ?? ''));
  const page = await admin.store.list(query);
  sendJson(res, 200, { total: page.total, offset: query.offset, limit: query.limit, entries: page.entries.map(summarise) });
}

async function detail(admin: QuarantineAdmin, res: ServerResponse, id: string): Promise<void> {
  const meta = await admin.store.get(id);
  if (!meta) throw new HttpError(404, 'not found');
  const message = await admin.store.raw(id);
  // The audit trail, where the store keeps one (PostgreSQL: who claimed, released, from which node).
  const history = (await admin.store.history?.(id)) ?? [];
  const ppap = meta.ppap && { ...meta.ppap, seconds_left: secondsLeft(meta.ppap.until) };
  sendJson(res, 200, { ...meta, ...(ppap ? { ppap } : {}), headers: message ? headerText(message) : '', ...(history.length > 0 ? { history } : {}) });
}

/**
 * PPAP by hand: `{"password": "…"}` for an entry awaiting one. The archive is opened and
 * the whole message inspected again; clean is released as a pairing would release it.
 */
async function open(admin: QuarantineAdmin, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const body = await readJson(req);
  const password = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['password'] : undefined;
  if (typeof password !== 'string' || password === '' || password.length > 256) throw new HttpError(400, 'password must be a string of 1 to 256 characters');
  if (!admin.canOpen) throw new HttpError(501, 'opening with a password is not available here');
  const result = await admin.open(id, password, 'api');
  const status = result === 'released' || result === 'kept' ? 200 : result === 'wrong-password' ? 422 : result === 'not-awaiting' ? 409 : 502;
  sendJson(res, status, { id, result });
}

async function raw(admin: QuarantineAdmin, res: ServerResponse, id: string): Promise<void> {
  const message = await admin.store.raw(id);
  if (!message) throw new HttpError(404, 'not found');
  send(res, 200, 'message/rfc822', message, { 'Content-Disposition': `attachment; filename="${id}.eml"` });
}

async function remove(admin: QuarantineAdmin, res: ServerResponse, id: string): Promise<void> {
  if (!(await admin.delete(id, 'api'))) throw new HttpError(404, 'not found');
  sendJson(res, 200, { deleted: true });
}

async function release(admin: QuarantineAdmin, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const body = await readJson(req);
  const options = releaseOptions(body);
  const result = await admin.release(id, { by: 'api', ...options });
  const [status, reply] = releaseReply(result);
  sendJson(res, status, reply);
}

function releaseOptions(body: unknown): { recipients?: string[]; force?: boolean } {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (key !== 'recipients' && key !== 'force') throw new HttpError(400, `unknown field ${key}`);
  const out: { recipients?: string[]; force?: boolean } = {};
  if (fields['recipients'] !== undefined) {
    if (!Array.isArray(fields['recipients'])) throw new HttpError(400, 'recipients must be an array of addresses');
    out.recipients = parseRecipients(fields['recipients'] as unknown[]);
  }
  if (fields['force'] !== undefined) {
    if (typeof fields['force'] !== 'boolean') throw new HttpError(400, 'force must be true or false');
    out.force = fields['force'];
  }
  return out;
}

/**
 * already-released is a success (the caller's goal holds, nothing was sent twice);
 * in-doubt is a conflict only `force` resolves; failed is the next hop's fault (502).
 */
function releaseReply(result: ReleaseResult): [number, Record<string, unknown>] {
  switch (result.status) {
    case 'released':
      return [200, { status: result.status, id: result.meta.id, to: result.meta.release?.to ?? [], reply: result.reply, refused: result.refused }];
    case 'already-released':
      return [200, { status: result.status, id: result.meta.id, release: result.meta.release }];
    case 'in-doubt':
      return [409, { status: result.status, id: result.meta.id, release: result.meta.release, error: 'an earlier release was interrupted; whether it was delivered is unknown. Send again with {"force": true}' }];
    case 'failed':
      return [502, { status: result.status, id: result.meta.id, reply: result.reply, error: 'the next hop did not accept the message' }];
    case 'not-found':
      return [404, { status: result.status, error: 'not found' }];
  }
}
