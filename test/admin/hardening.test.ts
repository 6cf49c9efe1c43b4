import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { hostAllowed } from '../../src/admin/admin-server.js';
import { AuthThrottle } from '../../src/admin/auth-throttle.js';
import { ConfigError, validateConfig } from '../../src/config/load-config.js';
import { selfSignedCertificate } from '../helpers/tls-material.js';
import { adminFixture, TOKEN } from './admin-fixture.js';

/**
 * The admin port against someone who is not the admin: guessing tokens, a page on another
 * site rebinding its name to 127.0.0.1, a plain-text network.
 */

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with a chosen Host header and source address (fetch can set neither). */
function send(port: number, options: { path: string; method?: string; host?: string; headers?: Record<string, string>; body?: string; from?: string; tls?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = (options.tls ? httpsRequest : httpRequest)(
      {
        host: '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        localAddress: options.from,
        headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers },
        ...(options.tls ? { ca: options.tls, servername: 'localhost' } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const api = (port: number, token: string, from?: string) => send(port, { path: '/api/quarantine', headers: { authorization: `Bearer ${token}` }, from });

describe('admin: wrong tokens', () => {
  const fixture = adminFixture();

  it('after five free mistakes an IP waits (429, Retry-After) and its token is not looked at; every failure is an audit line', async () => {
    const { port, logs } = await fixture.start();
    for (let i = 0; i < 5; i++) expect((await api(port, `wrong-token-number-${i}`)).status).toBe(401);
    const sixth = await api(port, 'wrong-token-number-5');
    expect(sixth.status).toBe(401);
    const blocked = await api(port, TOKEN);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const audit = logs.lines.filter((l) => l['event'] === 'admin-auth');
    expect(audit.filter((l) => l['result'] === 'wrong-token')).toHaveLength(6);
    expect(audit.filter((l) => l['result'] === 'wrong-token').map((l) => l['failures'])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(audit.at(-1)).toMatchObject({ kind: 'api', result: 'throttled', remote: '127.0.0.1' });
    // Another client is not held up by this one.
    expect((await api(port, TOKEN, '127.0.0.2')).status).toBe(200);
  });

  it('the web login is throttled the same way, with the same audit lines', async () => {
    const { port, logs } = await fixture.start();
    const login = (token: string) => send(port, { path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(token)}` });
    for (let i = 0; i < 6; i++) expect((await login(`not-the-token-${i}`)).status).toBe(401);
    const blocked = await login(TOKEN);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect(logs.lines.filter((l) => l['event'] === 'admin-auth' && l['kind'] === 'login' && l['result'] === 'wrong-token')).toHaveLength(6);
  });

  it('the backoff doubles per failure up to a cap, a success forgets the client, an hour of quiet too', () => {
    let now = 1_000_000;
    const t = new AuthThrottle(() => now);
    for (let i = 0; i < 5; i++) t.fail('192.0.2.1');
    expect(t.retryAfter('192.0.2.1')).toBe(0);
    t.fail('192.0.2.1');
    expect(t.retryAfter('192.0.2.1')).toBe(1);
    t.fail('192.0.2.1');
    expect(t.retryAfter('192.0.2.1')).toBe(2);
    for (let i = 0; i < 30; i++) t.fail('192.0.2.1');
    expect(t.retryAfter('192.0.2.1')).toBe(15 * 60);
    t.succeed('192.0.2.1');
    expect(t.retryAfter('192.0.2.1')).toBe(0);
    for (let i = 0; i < 7; i++) t.fail('192.0.2.9');
    now += 61 * 60 * 1000;
    expect(t.retryAfter('192.0.2.9')).toBe(0);
    // Forgotten: five free mistakes again.
    for (let i = 0; i < 5; i++) t.fail('192.0.2.9');
    expect(t.retryAfter('192.0.2.9')).toBe(0);
  });
});

describe('admin: Host header (DNS rebinding)', () => {
  const fixture = adminFixture();

  it('refuses a name the admin did not list (421), before any route; IP literals and localhost pass', async () => {
    const { port, logs } = await fixture.start();
    const rebound = await send(port, { path: '/api/quarantine', host: `attacker.example:${port}`, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(rebound.status).toBe(421);
    expect(logs.lines.find((l) => l['event'] === 'admin-host-refused')).toMatchObject({ host: `attacker.example:${port}` });
    expect((await send(port, { path: '/api/quarantine', host: `localhost:${port}`, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await send(port, { path: '/api/quarantine', host: `[::1]:${port}`, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('admin.hostnames lists the names it is reached by', async () => {
    const { port } = await fixture.start({ token: TOKEN, hostnames: ['sekisho.corp.example'] });
    expect((await send(port, { path: '/login', host: 'sekisho.corp.example' })).status).toBe(200);
    expect((await send(port, { path: '/login', host: 'SEKISHO.corp.example.:8025' })).status).toBe(200);
    expect((await send(port, { path: '/login', host: 'sekisho.corp.example.attacker.example' })).status).toBe(421);
    expect(hostAllowed(undefined, [])).toBe(true);
    expect(hostAllowed('192.0.2.7:8025', [])).toBe(true);
  });
});

describe('admin: TLS and token length', () => {
  const fixture = adminFixture();

  it('admin.tls serves HTTPS, and the session cookie is Secure', async () => {
    const tls = selfSignedCertificate();
    const { port } = await fixture.start({ token: TOKEN, tls: { cert: tls.cert, key: tls.key } });
    const login = await send(port, { path: '/login', method: 'POST', tls: tls.cert, host: `localhost:${port}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict; Secure/);
  });

  it('admin.token must be long (or "" for off), and the TLS files are read at load', () => {
    const base = { smtp: { listen: '127.0.0.1:0', upstream: 'outbox:/tmp/x' } };
    const problems = (admin: Record<string, unknown>) => {
      try {
        validateConfig('t.yaml', { ...base, admin });
        return [];
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
    };
    expect(problems({ token: 'x' })).toEqual(['admin.token: at least 16 characters (or "" to turn the API and web page off)']);
    expect(problems({ token: '' })).toEqual([]);
    expect(problems({ token: 'sixteen-chars-ok' })).toEqual([]);
    expect(problems({ tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } })).toEqual([
      'admin.tls.cert: cannot read /nonexistent/cert.pem: ENOENT',
      'admin.tls.key: cannot read /nonexistent/key.pem: ENOENT',
    ]);
    const tls = selfSignedCertificate();
    expect(validateConfig('t.yaml', { ...base, admin: { tls: { cert: tls.certFile, key: tls.keyFile } } }).tls.admin).toEqual({ cert: tls.cert, key: tls.key });
  });
});
