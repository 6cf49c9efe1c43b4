import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Html } from './html.js';

/** Admin requests are a login, a release or a search: anything bigger is not one of them. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An answer other than success, thrown anywhere below the router and sent by it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Headers for everything the admin server answers itself. The page needs no script, so
 * the policy allows none: an injected `<script>` would not run even if escaping failed.
 * no-store keeps quarantined mail out of browser and proxy caches.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function isTls(req: IncomingMessage): boolean {
  return (req.socket as Partial<TLSSocket>).encrypted === true;
}

/** The body, refused with 413 past `max` bytes (declared or actual) without reading the rest. */
export async function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) throw new HttpError(413, `request body larger than ${max} bytes`, { Connection: 'close' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new HttpError(413, `request body larger than ${max} bytes`, { Connection: 'close' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A JSON body, or undefined for an empty one. Not JSON: 400. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/** An application/x-www-form-urlencoded body, as HTML forms post it. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req)).toString('utf8'));
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  send(res, status, 'application/json; charset=utf-8', Buffer.from(`${JSON.stringify(value)}\n`, 'utf8'), headers);
}

export function sendHtml(res: ServerResponse, status: number, page: Html, headers: Readonly<Record<string, string>> = {}): void {
  send(res, status, 'text/html; charset=utf-8', Buffer.from(page.text, 'utf8'), headers);
}

/** 303: after a POST the browser GETs the target, so a reload does not post again. */
export function redirect(res: ServerResponse, location: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, ...headers, Location: location, 'Content-Length': '0' });
  res.end();
}

export function send(res: ServerResponse, status: number, contentType: string, body: Buffer, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': contentType, 'Content-Length': String(body.length) });
  res.end(body);
}

/**
 * The path split into decoded segments, without URL normalisation: "/api/quarantine/../x"
 * stays ["api", "quarantine", "..", "x"], so ".." reaches the id check (and is refused)
 * instead of silently becoming another route. A segment that does not decode is kept raw.
 */
export function pathSegments(url: string): string[] {
  const path = url.split('?', 1)[0] ?? '';
  return path
    .split('/')
    .slice(1)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function queryOf(url: string): URLSearchParams {
  const at = url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
}
