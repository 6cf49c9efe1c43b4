import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { adminFixture, IDS, TOKEN, type RunningAdmin } from './admin-fixture.js';

const auth = { Authorization: `Bearer ${TOKEN}` };

async function api(admin: RunningAdmin, path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${admin.base}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

async function listIds(admin: RunningAdmin, query: string): Promise<string[]> {
  const { status, body } = await api(admin, `/api/quarantine${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return (body['entries'] as Array<{ id: string }>).map((e) => e.id);
}

/** A request with the path exactly as written: fetch() would resolve "../" before sending. */
function rawRequest(admin: RunningAdmin, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: admin.port, method, path, headers: auth }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin API', () => {
  const fixture = adminFixture();

  describe('authentication', () => {
    it('refuses a request without a token or with a wrong one, with WWW-Authenticate', async () => {
      const admin = await fixture.start();
      const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong-token' }, { Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { Authorization: `Bearer ${TOKEN}x` }];
      for (const headers of attempts) {
        const res = await fetch(`${admin.base}/api/quarantine`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await res.json()).toHaveProperty('error');
      }
      // Nothing is read or changed on the way: the entry is still there.
      const del = await fetch(`${admin.base}/api/quarantine/${IDS.invoice}`, { method: 'DELETE' });
      expect(del.status).toBe(401);
      expect(await admin.store.get(IDS.invoice)).toBeDefined();
    });

    it('answers 503 to everything but public routes while admin.token is unset or empty', async () => {
      for (const settings of [{}, { token: '' }]) {
        const admin = await fixture.start(settings);
        admin.server.addPublicRoute('/healthz', (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end('ok\n');
        });
        const res = await fetch(`${admin.base}/api/quarantine`, { headers: auth });
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({ error: 'admin.token is not set' });
        const web = await fetch(`${admin.base}/quarantine`);
        expect(web.status).toBe(503);
        expect(web.headers.get('content-type')).toMatch(/^text\/html/);
        expect(await web.text()).toContain('admin.token is not set');
        const health = await fetch(`${admin.base}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.text()).toBe('ok\n');
      }
    });

    it('takes a new token on reconfigure, and an empty one turns the API off', async () => {
      const admin = await fixture.start();
      admin.server.reconfigure({ token: 'the-new-token' });
      expect((await api(admin, '/api/quarantine')).status).toBe(401);
      expect((await fetch(`${admin.base}/api/quarantine`, { headers: { Authorization: 'Bearer the-new-token' } })).status).toBe(200);
      admin.server.reconfigure({});
      expect((await api(admin, '/api/quarantine')).status).toBe(503);
    });

    it('serves public routes without a token, exact path, GET and HEAD only', async () => {
      const admin = await fixture.start();
      admin.server.addPublicRoute('/readyz', async (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(`ready ${req.method}\n`);
      });
      expect(await (await fetch(`${admin.base}/readyz`)).text()).toBe('ready GET\n');
      const head = await fetch(`${admin.base}/readyz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      expect((await fetch(`${admin.base}/readyz`, { method: 'POST' })).status).toBe(405);
      // Not a prefix match: anything else is the admin page, behind the login.
      const other = await fetch(`${admin.base}/readyz/x`, { redirect: 'manual' });
      expect(other.status).not.toBe(200);
    });
  });

  describe('ids', () => {
    it('refuses ids that are not quarantine ids with 400, before touching the store', async () => {
      const admin = await fixture.start();
      const bad = ['..', '../x', '..%2fx', '%2e%2e%2fx', '%2e%2e', '..%2f..%2fetc%2fpasswd', 'INVOICEAAAAAAAAAAAAAAAAAAA', 'invoiceaaaaaaaaaaaaaaaaaa', '%zz', `${IDS.invoice}.json`];
      for (const id of bad) {
        for (const [method, suffix] of [['GET', ''], ['GET', '/raw'], ['POST', '/release'], ['DELETE', '']] as const) {
          const res = await rawRequest(admin, method, `/api/quarantine/${id}${suffix}`);
          expect(res.status, `${method} ${id}${suffix}`).toBe(400);
          expect(JSON.parse(res.body)).toEqual({ error: 'bad id' });
        }
      }
      // Even "/api/quarantine/../x" as written on the wire: ".." is the id, refused.
      expect((await rawRequest(admin, 'GET', '/api/quarantine/../x')).status).toBe(400);
      expect((await rawRequest(admin, 'GET', '/api/quarantine/../../etc/passwd')).status).toBe(400);
      // Nothing was deleted or released on the way.
      expect((await admin.store.list()).total).toBe(5);
      expect(admin.sink.messages).toHaveLength(0);
    });

    it('answers 404 to an unknown id for every route', async () => {
      const admin = await fixture.start();
      const unknown = 'unknownaaaaaaaaaaaaaaaaaaa';
      expect((await api(admin, `/api/quarantine/${unknown}`)).status).toBe(404);
      expect((await api(admin, `/api/quarantine/${unknown}/raw`)).status).toBe(404);
      expect((await api(admin, `/api/quarantine/${unknown}`, { method: 'DELETE' })).status).toBe(404);
      const release = await api(admin, `/api/quarantine/${unknown}/release`, { method: 'POST' });
      expect(release.status).toBe(404);
      expect(release.body['status']).toBe('not-found');
    });
  });

  describe('listing', () => {
    it('lists newest first with summaries', async () => {
      const admin = await fixture.start();
      const { status, body, headers } = await api(admin, '/api/quarantine');
      expect(status).toBe(200);
      expect(headers.get('cache-control')).toBe('no-store');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(body['total']).toBe(5);
      expect(body['offset']).toBe(0);
      expect(body['limit']).toBe(50);
      const entries = body['entries'] as Array<Record<string, unknown>>;
      expect(entries.map((e) => e['id'])).toEqual([IDS.script, IDS.invoice, IDS.rejected, IDS.released, IDS.interrupted]);
      expect(entries[1]).toEqual({
        id: IDS.invoice,
        received_at: '2025-04-01T00:59:58.000Z',
        quarantined_at: '2025-04-01T01:00:00.000Z',
        mail_from: 'bounce@partner.example',
        from: '経理部 <keiri@examp1e-bank.example>',
        rcpt_to: ['tanaka@corp.example.jp'],
        subject: '【重要】請求書のご確認をお願いします',
        verdict: 'malicious',
        score: 100,
        reason: 'macro/vba-in-ole',
        size: admin.held.invoice.message.length,
        released: false,
        findings: ['macro/vba-in-ole', 'brand/lookalike-sender'],
      });
      expect(entries[3]?.['released']).toBe(true);
    });

    it('filters by each parameter', async () => {
      const admin = await fixture.start();
      expect(await listIds(admin, `?q=${encodeURIComponent('請求書')}`)).toEqual([IDS.invoice]);
      expect(await listIds(admin, '?q=lookalike-sender')).toEqual([IDS.invoice]);
      expect(await listIds(admin, '?sender=EVIL@bad')).toEqual([IDS.script]);
      expect(await listIds(admin, '?sender=examp1e-bank')).toEqual([IDS.invoice]);
      expect(await listIds(admin, '?recipient=suzuki')).toEqual([IDS.script]);
      expect(await listIds(admin, '?verdict=malicious')).toEqual([IDS.invoice]);
      expect(await listIds(admin, '?verdict=unscannable')).toEqual([IDS.released]);
      expect(await listIds(admin, '?released=true')).toEqual([IDS.released]);
      expect(await listIds(admin, '?released=false')).toEqual([IDS.script, IDS.invoice, IDS.rejected, IDS.interrupted]);
      expect(await listIds(admin, '?since=2025-04-01')).toEqual([IDS.script, IDS.invoice]);
      expect(await listIds(admin, '?until=2025-03-16T00:00:00Z')).toEqual([IDS.released, IDS.interrupted]);
      expect(await listIds(admin, `?since=${encodeURIComponent('2025-04-01T10:00:00+09:00')}&until=2025-04-02`)).toEqual([IDS.invoice]);
      expect(await listIds(admin, '?verdict=suspicious&recipient=tanaka')).toEqual([IDS.rejected, IDS.interrupted]);
      // Empty values are absent, as an HTML form sends them.
      expect(await listIds(admin, '?q=&sender=&verdict=')).toHaveLength(5);
    });

    it('pages with offset and limit, total counting every match', async () => {
      const admin = await fixture.start();
      const page = async (q: string) => (await api(admin, `/api/quarantine${q}`)).body;
      const p1 = await page('?limit=2');
      expect(p1['total']).toBe(5);
      expect(p1['limit']).toBe(2);
      expect((p1['entries'] as Array<{ id: string }>).map((e) => e.id)).toEqual([IDS.script, IDS.invoice]);
      expect(await listIds(admin, '?limit=2&offset=2')).toEqual([IDS.rejected, IDS.released]);
      expect(await listIds(admin, '?limit=2&offset=4')).toEqual([IDS.interrupted]);
      expect(await listIds(admin, '?offset=10')).toEqual([]);
      expect((await page('?limit=500'))['limit']).toBe(500);
    });

    it('refuses bad parameter values with 400 naming the parameter', async () => {
      const admin = await fixture.start();
      const cases: Array<[string, string]> = [
        ['since=yesterday', 'since'],
        ['until=2025-13-45', 'until'],
        ['verdict=evil', 'verdict'],
        ['released=yes', 'released'],
        ['limit=0', 'limit'],
        ['limit=501', 'limit'],
        ['limit=ten', 'limit'],
        ['offset=-1', 'offset'],
        ['offset=1.5', 'offset'],
        ['recipent=x', 'recipent'],
      ];
      for (const [query, name] of cases) {
        const { status, body } = await api(admin, `/api/quarantine?${query}`);
        expect(status, query).toBe(400);
        expect(String(body['error']), query).toContain(name);
      }
    });
  });

  describe('one entry', () => {
    it('gives the full metadata and the header block', async () => {
      const admin = await fixture.start();
      const { status, body } = await api(admin, `/api/quarantine/${IDS.invoice}`);
      expect(status).toBe(200);
      const { headers, ...meta } = body;
      expect(meta).toEqual(JSON.parse(JSON.stringify(admin.held.invoice.meta)));
      expect(headers).toContain('Subject: =?UTF-8?B?');
      expect(headers).toContain('Message-ID: <inv-1@examp1e-bank.example>');
      expect(headers).not.toContain('パスワード');
    });

    it('decodes a header block that is not UTF-8 as latin1, losing no byte', async () => {
      const admin = await fixture.start();
      const raw = Buffer.concat([Buffer.from('From: a@b.example\r\nSubject: caf', 'latin1'), Buffer.from([0xe9]), Buffer.from('\r\n\r\nbody\r\n', 'latin1')]);
      const id = 'latinaaaaaaaaaaaaaaaaaaaaa';
      await admin.store.put({ ...admin.held.rejected.meta, id, size: raw.length }, raw);
      const { body } = await api(admin, `/api/quarantine/${id}`);
      expect(body['headers']).toBe('From: a@b.example\r\nSubject: café\r\n');
    });

    it('downloads the message byte for byte as message/rfc822', async () => {
      const admin = await fixture.start();
      const res = await fetch(`${admin.base}/api/quarantine/${IDS.invoice}/raw`, { headers: auth });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('message/rfc822');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${IDS.invoice}.eml"`);
      expect(Buffer.from(await res.arrayBuffer()).equals(admin.held.invoice.message)).toBe(true);
    });
  });

  describe('release', () => {
    it('sends the message with its original envelope, once; a second release sends nothing', async () => {
      const admin = await fixture.start();
      const { meta, message } = admin.held.invoice;
      const first = await api(admin, `/api/quarantine/${IDS.invoice}/release`, { method: 'POST' });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body['status']).toBe('released');
      expect(first.body['to']).toEqual(['tanaka@corp.example.jp']);
      expect(String(first.body['reply'])).toMatch(/^250 /);

      expect(admin.sink.messages).toHaveLength(1);
      const got = admin.sink.messages[0];
      expect(got?.mailFrom).toBe(meta.mail_from);
      expect(got?.rcptTo).toEqual(meta.rcpt_to);
      const data = got?.data ?? Buffer.alloc(0);
      const firstLine = data.subarray(0, data.indexOf('\r\n') + 2).toString('latin1');
      expect(firstLine).toMatch(/^X-Sekisho-Released-By: api; .+ GMT\r\n$/);
      expect(data.subarray(firstLine.length).equals(message)).toBe(true);

      const again = await api(admin, `/api/quarantine/${IDS.invoice}/release`, { method: 'POST', body: '{}' });
      expect(again.status).toBe(200);
      expect(again.body['status']).toBe('already-released');
      expect(admin.sink.messages).toHaveLength(1);

      const detail = await api(admin, `/api/quarantine/${IDS.invoice}`);
      expect(detail.body['release']).toMatchObject({ state: 'released', by: 'api', to: ['tanaka@corp.example.jp'] });
      const audit = admin.logs.lines.filter((l) => l['event'] === 'quarantine-release').map((l) => [l['id'], l['by'], l['result']]);
      expect(audit).toEqual([
        [IDS.invoice, 'api', 'released'],
        [IDS.invoice, 'api', 'already-released'],
      ]);
    });

    it('sends to other recipients when asked', async () => {
      const admin = await fixture.start();
      const res = await api(admin, `/api/quarantine/${IDS.script}/release`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ recipients: ['security@corp.example.jp', '担当@corp.example.jp'] }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body['to']).toEqual(['security@corp.example.jp', '担当@corp.example.jp']);
      expect(admin.sink.messages[0]?.rcptTo).toEqual(['security@corp.example.jp', '担当@corp.example.jp']);
      expect(admin.sink.messages[0]?.mailFrom).toBe('evil@bad.example');
    });

    it('refuses bad bodies and recipients that could inject SMTP commands', async () => {
      const admin = await fixture.start();
      const post = (body: string) => api(admin, `/api/quarantine/${IDS.invoice}/release`, { method: 'POST', body });
      for (const body of [
        '{not json',
        '[]',
        '"x"',
        '{"recipients":"a@b.example"}',
        '{"recipients":["a@b.example>\\r\\nRCPT TO:<c@d.example"]}',
        '{"recipients":["a b@c.example"]}',
        '{"recipients":["no-at-sign"]}',
        '{"recipients":[42]}',
        '{"force":"yes"}',
        '{"to":["a@b.example"]}',
      ]) {
        const res = await post(body);
        expect(res.status, body).toBe(400);
        expect(res.body['error'], body).toBeTruthy();
      }
      expect(admin.sink.messages).toHaveLength(0);
      expect(admin.sink.commands.filter((c) => c.startsWith('RCPT'))).toEqual([]);
    });

    it('refuses a body over the size cap with 413', async () => {
      const admin = await fixture.start();
      const res = await api(admin, `/api/quarantine/${IDS.invoice}/release`, { method: 'POST', body: JSON.stringify({ recipients: [], pad: 'x'.repeat(70 * 1024) }) });
      expect(res.status).toBe(413);
      expect(admin.sink.messages).toHaveLength(0);
    });

    it('answers 502 with the next hop reply when it refuses, and keeps the entry', async () => {
      const admin = await fixture.start();
      const res = await api(admin, `/api/quarantine/${IDS.rejected}/release`, { method: 'POST' });
      expect(res.status).toBe(502);
      expect(res.body['status']).toBe('failed');
      expect(String(res.body['reply'])).toContain('554');
      expect((await admin.store.get(IDS.rejected))?.release).toBeUndefined();
    });

    it('answers 409 to an interrupted release unless forced', async () => {
      const admin = await fixture.start();
      const res = await api(admin, `/api/quarantine/${IDS.interrupted}/release`, { method: 'POST' });
      expect(res.status).toBe(409);
      expect(res.body['status']).toBe('in-doubt');
      expect(admin.sink.messages).toHaveLength(0);
      const forced = await api(admin, `/api/quarantine/${IDS.interrupted}/release`, { method: 'POST', body: '{"force":true}' });
      expect(forced.status).toBe(200);
      expect(forced.body['status']).toBe('released');
      expect(admin.sink.messages).toHaveLength(1);
    });

    it('answers 409 while someone else holds the entry', async () => {
      const admin = await fixture.start();
      const lock = await admin.store.lock(IDS.invoice);
      try {
        const release = await api(admin, `/api/quarantine/${IDS.invoice}/release`, { method: 'POST' });
        expect(release.status).toBe(409);
        expect(release.body['error']).toMatch(/someone else/);
        const del = await api(admin, `/api/quarantine/${IDS.invoice}`, { method: 'DELETE' });
        expect(del.status).toBe(409);
      } finally {
        await lock.release();
      }
      expect(admin.sink.messages).toHaveLength(0);
      expect((await api(admin, `/api/quarantine/${IDS.invoice}`, { method: 'DELETE' })).status).toBe(200);
    });
  });

  describe('delete', () => {
    it('deletes an entry, then it is gone', async () => {
      const admin = await fixture.start();
      const res = await api(admin, `/api/quarantine/${IDS.invoice}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deleted: true });
      expect((await api(admin, `/api/quarantine/${IDS.invoice}`, { method: 'DELETE' })).status).toBe(404);
      expect((await api(admin, `/api/quarantine/${IDS.invoice}`)).status).toBe(404);
      expect(await admin.store.raw(IDS.invoice)).toBeUndefined();
      expect(admin.logs.lines.find((l) => l['event'] === 'quarantine-delete')).toMatchObject({ id: IDS.invoice, by: 'api', result: 'deleted' });
    });
  });

  describe('routing', () => {
    it('answers 405 to a wrong method and 404 to unknown API paths', async () => {
      const admin = await fixture.start();
      const put = await api(admin, `/api/quarantine/${IDS.invoice}`, { method: 'PUT' });
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toContain('DELETE');
      expect((await api(admin, `/api/quarantine/${IDS.invoice}/release`)).status).toBe(405);
      expect((await api(admin, `/api/quarantine/${IDS.invoice}/other`)).status).toBe(404);
      expect((await api(admin, '/api/other')).status).toBe(404);
    });

    it('answers 500 without details when the store fails, and logs it', async () => {
      const admin = await fixture.start();
      admin.store.list = () => Promise.reject(new Error('disk on fire at /secret/path'));
      const res = await api(admin, '/api/quarantine');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'internal error' });
      expect(JSON.stringify(admin.logs.lines)).toContain('disk on fire');
    });
  });
});
