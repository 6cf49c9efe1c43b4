import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresQuarantineStore } from '../../src/quarantine/postgres-store.js';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { PostgresCluster } from '../helpers/postgres-cluster.js';
import { waitFor } from '../helpers/processes.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { TestSink } from '../helpers/test-sink.js';
import { PASSWORD, passwordMail, RCPT, SENDER, zipMail } from '../helpers/ppap-mail.js';

/**
 * Two real `sekisho serve` processes, two MX nodes, sharing one quarantine in a real
 * PostgreSQL: what one node holds the other lists, releases once, and no failure of the
 * database or of a node loses a message or acknowledges one that was not stored.
 */

const MACRO = readFileSync(path.resolve(__dirname, '../fixtures/mail-spamassassin/olevbmacro/malicemacro.eml'));
const TOKEN = 'shared-quarantine-token-9f41';
const CLEAN_DOCX = readFileSync(path.resolve(__dirname, '../fixtures/office-oletools/msodde/harmless-clean.docx'));
const CLEAN = (n: string) => Buffer.from(`Message-ID: <clean-${n}@shared.test>\r\nSubject: clean ${n}\r\n\r\nhello\r\n`);
const macro = (n: string) => Buffer.concat([Buffer.from(`Message-ID: <macro-${n}@shared.test>\r\n`), MACRO, Buffer.from('\r\n')]);

const yaml = (node: string, upstream: string, url: string) => `smtp:
  listen: 127.0.0.1:0
  upstream: ${upstream}
  hostname: ${node}
admin:
  listen: 127.0.0.1:0
  token: ${TOKEN}
quarantine:
  store:
    url: ${url}
    connect_timeout: 2s
    statement_timeout: 3s
`;

interface Node {
  readonly daemon: DaemonProcess;
  readonly smtp: number;
  readonly admin: string;
}

async function startNode(name: string, upstream: string, url: string): Promise<Node> {
  const daemon = DaemonProcess.start(yaml(name, upstream, url));
  return { daemon, smtp: await daemon.port(), admin: `http://127.0.0.1:${await daemon.adminPort()}` };
}

async function send(node: Node, from: string, to: string[], message: Buffer): Promise<{ code?: number; text?: string }> {
  const client = await SmtpTestClient.connect(node.smtp);
  try {
    const r = await client.send(from, to, message);
    return { code: r.data?.final?.code, text: r.data?.final?.text };
  } finally {
    await client.quit();
  }
}

const api = (node: Node, route: string, init: RequestInit = {}) => fetch(`${node.admin}/api/quarantine${route}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });

async function heldIds(node: Node, sender: string): Promise<string[]> {
  const body = (await (await api(node, `?sender=${encodeURIComponent(sender)}`)).json()) as { entries: Array<{ id: string }> };
  return body.entries.map((e) => e.id);
}

describe('two nodes, one quarantine in PostgreSQL', () => {
  let cluster: PostgresCluster;
  let url: string;
  let sink: TestSink;
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    cluster = await PostgresCluster.start();
    url = await cluster.createDatabase('shared');
    sink = await TestSink.start();
    [a, b] = await Promise.all([startNode('mx-a', sink.url, url), startNode('mx-b', sink.url, url)]);
  }, 120_000);

  afterAll(async () => {
    a?.daemon.kill();
    b?.daemon.kill();
    await sink?.stop();
    cluster?.destroy();
  });

  it('what A quarantined, B lists (API and web page) and releases with the original envelope; a second release through A sends nothing', async () => {
    const held = await send(a, 'keiri@partner.example', ['user@example.net', 'boss@example.net'], macro('one'));
    expect(held.code).toBe(250);
    const [id] = await heldIds(b, 'keiri@partner.example');
    expect(id).toMatch(/^[a-z2-7]{26}$/);
    // The gauges are the database's: B reports what A stored, under the same store label
    // as A (a hash of the database's host, port and name), so a dashboard counts it once.
    const gauge = async (node: { admin: string }) => /^sekisho_quarantine_messages\{store="([^"]*)"\} (\d+)$/m.exec(await (await fetch(`${node.admin}/metrics`)).text())?.slice(1);
    const [storeOfB, countOfB] = (await gauge(b)) ?? [];
    expect(countOfB).toBe('1');
    expect(storeOfB).toMatch(/^[0-9a-f]{12}$/);
    expect(await gauge(a)).toEqual([storeOfB, '1']);

    // The web page of B, with a session made on A: a login holds on every node.
    const login = await fetch(`${a.admin}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^sekisho_session=/);
    const page = await fetch(`${b.admin}/quarantine`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(id);

    const released = await api(b, `/${id}/release`, { method: 'POST', body: '{}' });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ status: 'released', to: ['user@example.net', 'boss@example.net'] });
    expect(sink.messages).toHaveLength(1);
    const got = sink.messages[0]!;
    expect(got.mailFrom).toBe('keiri@partner.example');
    expect(got.rcptTo).toEqual(['user@example.net', 'boss@example.net']);
    expect(got.xforward.join(' ')).toContain('ADDR=127.0.0.1');
    expect(got.data.toString('latin1')).toMatch(/^X-Sekisho-Released-By: api; /);
    expect(got.data.includes(macro('one'))).toBe(true);

    const second = await api(a, `/${id}/release`, { method: 'POST', body: '{}' });
    expect(await second.json()).toMatchObject({ status: 'already-released', release: { by: 'api', node: 'mx-b' } });
    expect(sink.messages).toHaveLength(1);
    const detail = (await (await api(a, `/${id}`)).json()) as { history: Array<{ action: string; node: string }> };
    expect(detail.history.map((e) => [e.action, e.node])).toEqual([
      ['release-claimed', 'mx-b'],
      ['released', 'mx-b'],
    ]);
  });

  it('PPAP across nodes: the zip held through A, its password mail received by B, released once (and the other way round)', async () => {
    const before = sink.messages.length;
    expect((await send(a, SENDER, [RCPT], zipMail('x1', { name: '請求書.docx', bytes: CLEAN_DOCX }))).code).toBe(250);
    expect((await send(b, SENDER, [RCPT], passwordMail('x1'))).code).toBe(250);
    await waitFor(() => sink.messages.filter((m) => m.data.includes(Buffer.from('zip-x1@partner.example'))).length === 1, 30_000, () => 'the zip released by B');
    // The other order: B remembers the password in the database, A holds the zip after.
    expect((await send(b, SENDER, [RCPT], passwordMail('x2'))).code).toBe(250);
    expect((await send(a, SENDER, [RCPT], zipMail('x2', { name: '注文書.docx', bytes: CLEAN_DOCX }))).code).toBe(250);
    await waitFor(() => sink.messages.filter((m) => m.data.includes(Buffer.from('zip-x2@partner.example'))).length === 1, 30_000, () => 'the zip released by A');
    await new Promise((r) => setTimeout(r, 500));
    // Each zip once, each password mail once: four messages, nothing twice.
    expect(sink.messages.length - before).toBe(4);
    for (const d of [a.daemon, b.daemon]) expect(JSON.stringify(d.lines)).not.toContain(PASSWORD);
  });

  it('20 concurrent releases of one entry through both nodes deliver it exactly once', async () => {
    expect((await send(b, 'x@partner.example', ['user@example.net'], macro('race'))).code).toBe(250);
    const [id] = await heldIds(a, 'x@partner.example');
    const before = sink.messages.length;
    const replies = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await api(i % 2 === 0 ? a : b, `/${id}/release`, { method: 'POST', body: '{}' });
        const body = (await res.json()) as { status?: string };
        return `${res.status} ${body.status ?? 'locked'}`;
      }),
    );
    expect(replies.filter((r) => r === '200 released')).toHaveLength(1);
    // The others found it locked by the release in progress (409) or already released.
    expect(replies.every((r) => ['200 released', '200 already-released', '409 locked'].includes(r))).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.length - before).toBe(1);
  });

  it('a node that dies mid-release leaves the entry in doubt, named after it; another node sends it again only with force', async () => {
    // Node C releases to a next hop that takes the message and is slow to say 250.
    const slow = await TestSink.start({ dataReplyDelayMs: 30_000 });
    const c = await startNode('mx-c', slow.url, url);
    try {
      expect((await send(a, 'doubt@partner.example', ['user@example.net'], macro('doubt'))).code).toBe(250);
      const [id] = await heldIds(b, 'doubt@partner.example');
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        void api(c, `/${id}/release`, { method: 'POST', body: '{}' }).catch(() => undefined);
        await waitFor(async () => slow.commands.some((line) => line.startsWith('DATA')) && (await db.query("SELECT 1 FROM quarantine_entry WHERE id = $1 AND state = 'releasing'", [id])).rowCount === 1, 20_000, () => 'C sending');
        c.daemon.signal('SIGKILL');
        await c.daemon.exited;
        // C's lease still stands: the entry is being changed, as far as anyone can tell.
        expect((await api(b, `/${id}/release`, { method: 'POST', body: '{}' })).status).toBe(409);
        // Five minutes later the lease has expired (aged here): in doubt, with the node that was sending.
        await db.query(`UPDATE quarantine_lock SET expires_at = now() - interval '1 second' WHERE entry_id = $1`, [id]);
      } finally {
        await db.end();
      }
      const doubt = await api(b, `/${id}/release`, { method: 'POST', body: '{}' });
      expect(doubt.status).toBe(409);
      expect(await doubt.json()).toMatchObject({ status: 'in-doubt', release: { state: 'releasing', node: 'mx-c' } });
      const before = sink.messages.length;
      const forced = await api(b, `/${id}/release`, { method: 'POST', body: '{"force": true}' });
      expect(await forced.json()).toMatchObject({ status: 'released' });
      expect(sink.messages.length - before).toBe(1);
    } finally {
      c.daemon.kill();
      await slow.stop();
    }
  });

  it('with the database stopped: 451 for quarantine-bound mail, clean mail relayed, /readyz not ready, a metric; back when it returns', async () => {
    cluster.stopServer('fast');
    try {
      const started = Date.now();
      const held = await send(a, 'y@partner.example', ['user@example.net'], macro('down'));
      expect(held.text).toMatch(/^451 4\.3\.0 /);
      expect(Date.now() - started).toBeLessThan(15_000);
      const before = sink.messages.length;
      expect((await send(b, 'z@partner.example', ['user@example.net'], CLEAN('down'))).code).toBe(250);
      expect(sink.messages.length - before).toBe(1);
      const ready = await fetch(`${a.admin}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { quarantine: { ok: false, problem: 'quarantine database not answering' } } });
      const metrics = await (await fetch(`${a.admin}/metrics`)).text();
      expect(metrics).toMatch(/^sekisho_quarantine_store_up 0$/m);
      expect(metrics).toMatch(/^sekisho_quarantine_store_errors_total 1$/m);
    } finally {
      cluster.startServer();
    }
    // The pool reconnects by itself.
    await waitFor(async () => (await fetch(`${a.admin}/readyz`)).status === 200, 20_000, () => 'node A ready again');
    expect((await send(a, 'y@partner.example', ['user@example.net'], macro('back'))).code).toBe(250);
    expect(await heldIds(b, 'y@partner.example')).toHaveLength(1);
  });

  it('a node killed while it stores leaves no entry, partial or whole, and its client heard no 250', async () => {
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const count = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM quarantine_entry')).rows[0]?.n);
    const entries = await count();
    // Hold the table: A's insert waits on the lock, mid-store.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE quarantine_entry IN EXCLUSIVE MODE');
    const client = await SmtpTestClient.connect(a.smtp);
    const reply = client.send('k@partner.example', ['user@example.net'], macro('killed')).then(
      (r) => r.data?.final?.code,
      (err: Error) => err.message,
    );
    await waitFor(
      async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'sekisho mx-a' AND wait_event_type = 'Lock'")).rowCount === 1,
      20_000,
      () => 'A waiting on the lock',
    );
    a.daemon.signal('SIGKILL');
    expect(await reply).toBe('connection closed');
    await new Promise((r) => setTimeout(r, 2500));
    await blocker.query('COMMIT');
    await blocker.end();
    // The server noticed the dead client and rolled the insert back.
    await waitFor(async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'sekisho mx-a' AND state = 'active'")).rowCount === 0, 10_000, () => 'A gone');
    expect(await count()).toBe(entries);
    expect(await heldIds(b, 'k@partner.example')).toEqual([]);
    // And every entry there is whole: bytes, hash and size as recorded.
    const store = new PostgresQuarantineStore({ url, poolSize: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, node: 'check' });
    try {
      for (const meta of (await store.list({ limit: 500 })).entries) {
        const raw = await store.raw(meta.id);
        expect(raw?.length).toBe(meta.size);
        expect(createHash('sha256').update(raw!).digest('hex')).toBe(meta.sha256);
      }
    } finally {
      await store.close();
      await db.end();
    }
  });
});
