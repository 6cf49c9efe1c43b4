#!/usr/bin/env node
// Quarantine store benchmark (not a test), issue 13: the file store against PostgreSQL.
//   1. Writes per second: put() as the filter calls it (durable before it resolves), 16 at
//      a time, into an empty store and again into one of BENCH_ENTRIES (100,000) entries.
//   2. List latency at BENCH_ENTRIES: the first page, a deep page and each filter, median
//      and slowest of several runs; PostgreSQL with and without the pg_trgm indexes.
//   3. Relay throughput of quarantine-bound mail (a policy that quarantines everything):
//      smtp-source through one sekisho with the file store, one with PostgreSQL, and two
//      nodes sharing the PostgreSQL store (one smtp-source each, at the same time). Every
//      message acknowledged must be in the store afterwards, or the run is reported failed.
// PostgreSQL runs from its own temporary cluster with stock durability (fsync and
// synchronous_commit on) on the same machine as everything else.
//
//   npm run bench:store
//   BENCH_ENTRIES=20000 BENCH_RELAY_MESSAGES=1000 npm run bench:store   # a quicker look
//
// Needs Debian's postgresql (server binaries), smtp-source and smtp-sink (postfix).
// Results and how to read them: docs/benchmarks.md.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { FileQuarantineStore } from '../dist/quarantine/file-store.js';
import { PostgresQuarantineStore } from '../dist/quarantine/postgres-store.js';
import { newTransactionId } from '../dist/message/transaction-id.js';
import { startPostgres } from './postgres-server.mjs';
import { fmt, freePort, median, requireTools, runSource, startSekisho, startSink, stopProcess } from './smtp-tools.mjs';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const TIMED = Number(process.env.BENCH_TIMED_WRITES ?? 3000);
const SIZE = Number(process.env.BENCH_SIZE ?? 16_384);
const PARALLEL = 16;
const RELAY_MESSAGES = Number(process.env.BENCH_RELAY_MESSAGES ?? 3000);
const RELAY_SIZE = 10_240;
const SESSIONS = 20;
const DAY = 86_400_000;

requireTools();
const work = mkdtempSync(path.join(os.tmpdir(), 'sekisho-store-bench-'));
const server = startPostgres(await freePort());
const now = Date.now();
// A base64 attachment of random bytes, as a zipped macro document is: PostgreSQL's TOAST
// compression gains little on it, as on real quarantined mail.
const body = Buffer.from(`MIME-Version: 1.0\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n${(randomBytes(SIZE).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')}\r\n`).subarray(0, SIZE);

/** Entry i of a month of a 10,000-user company's quarantine: 5,000 senders, 30 % suspicious, 1 in 20 released. */
function entry(i, total) {
  const message = Buffer.concat([Buffer.from(`Message-ID: <bench-${i}@bench.example>\r\nSubject: invoice ${i}\r\n`), body]);
  const sender = `s${i % 5000}@sender${i % 997}.example`;
  const rcpt = `user${(i * 7) % 10_000}@corp.example.jp`;
  const at = new Date(now - 30 * DAY + Math.floor((i * 30 * DAY) / total)).toISOString();
  const meta = {
    id: newTransactionId(),
    received_at: at,
    quarantined_at: at,
    mail_from: sender,
    rcpt_to: [rcpt],
    mail_params: { body: '8BITMIME' },
    rcpt_params: [{}],
    client: { addr: '203.0.113.5', name: 'mail.sender.example', helo: 'mail.sender.example', proto: 'ESMTP' },
    size: message.length,
    sha256: createHash('sha256').update(message).digest('hex'),
    subject: i % 1000 === 0 ? `urgent-wire transfer ${i}` : i % 2 ? `請求書の送付 ${i}` : `Invoice no. ${i}`,
    from: `"Sender ${i % 5000}" <${sender}>`,
    verdict: i % 50 === 0 ? 'unscannable' : i % 10 < 3 ? 'suspicious' : 'malicious',
    score: 80,
    findings: [{ detector: 'macro', code: 'vba', severity: 'high', summary: 'VBA macros in 2/invoice.xlsm', evidence: { part: '2/invoice.xlsm' } }],
    reason: 'VBA macros in 2/invoice.xlsm',
    ...(i % 20 === 0 ? { release: { state: 'released', at, by: 'web', to: [rcpt], reply: '250 ok' } } : {}),
  };
  return { meta, message };
}

/** put() `count` entries from `from` on, PARALLEL at a time; writes per second. */
async function timedPuts(store, from, count, total) {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < from + count) {
        const { meta, message } = entry(next++, total);
        await store.put(meta, message);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const FILTERS = [
  ['first page (50, newest)', {}],
  ['page 101 (offset 5,000)', { offset: 5000 }],
  ['sender "s1234@"', { sender: 's1234@' }],
  ['recipient "user4321@"', { recipient: 'user4321@' }],
  ['text "urgent-wire"', { text: 'urgent-wire' }],
  ['verdict suspicious', { verdict: 'suspicious' }],
  ['unreleased, last 24 h', { released: false, since: new Date(now - DAY) }],
];

/** Each filter `runs` times: median and slowest ms, and the total it reports. */
async function listLatencies(store, runs) {
  const out = {};
  for (const [name, filter] of FILTERS) {
    const ms = [];
    let total = 0;
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      total = (await store.list({ limit: 50, ...filter })).total;
      ms.push(performance.now() - t);
    }
    out[name] = { median: median(ms), max: Math.max(...ms), total };
  }
  return out;
}

/** The file store filled without fsync (only the timed puts pay for durability). */
function fillFiles(dir, from, to) {
  for (let i = from; i < to; i++) {
    const { meta, message } = entry(i, ENTRIES);
    writeFileSync(path.join(dir, `${meta.id}.eml`), message);
    writeFileSync(path.join(dir, `${meta.id}.json`), JSON.stringify(meta));
  }
}

const results = { writes: {}, lists: {}, relay: {} };
const log = (text) => console.log(`[${((performance.now() / 1000) | 0).toString().padStart(5)} s] ${text}`);

try {
  // 1 and 2, the file store.
  const dir = path.join(work, 'quarantine');
  const files = new FileQuarantineStore(dir, 'bench');
  results.writes.file = { empty: await timedPuts(files, 0, TIMED, ENTRIES) };
  log(`file store: ${fmt(results.writes.file.empty)} puts/s into an empty store; filling to ${fmt(ENTRIES)}`);
  fillFiles(dir, TIMED, ENTRIES - TIMED);
  results.writes.file.full = await timedPuts(files, ENTRIES - TIMED, TIMED, ENTRIES);
  log(`file store: ${fmt(results.writes.file.full)} puts/s at ${fmt(ENTRIES)}`);
  // Every file-store list reads every metadata file: at 100,000 entries one run each is minutes already.
  results.lists.file = await listLatencies(files, ENTRIES > 20_000 ? 1 : 3);
  log('file store: lists measured');

  // 1 and 2, PostgreSQL.
  const admin = new pg.Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.query('CREATE DATABASE relay');
  await admin.end();
  const db = new PostgresQuarantineStore({ url: server.url('bench'), poolSize: PARALLEL, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000, node: 'bench' });
  await db.open();
  results.writes.postgres = { empty: await timedPuts(db, 0, TIMED, ENTRIES) };
  log(`PostgreSQL: ${fmt(results.writes.postgres.empty)} puts/s into an empty store; filling to ${fmt(ENTRIES)} with put()`);
  results.writes.postgres.fill = await timedPuts(db, TIMED, ENTRIES - 2 * TIMED, ENTRIES);
  results.writes.postgres.full = await timedPuts(db, ENTRIES - TIMED, TIMED, ENTRIES);
  log(`PostgreSQL: ${fmt(results.writes.postgres.fill)} puts/s while filling, ${fmt(results.writes.postgres.full)} at ${fmt(ENTRIES)}`);
  await db.query('VACUUM ANALYZE quarantine_entry');
  results.lists.postgres = await listLatencies(db, 15);
  const t = performance.now();
  await db.stats();
  results.statsMs = performance.now() - t;
  for (const column of ['sender_search', 'recipient_search', 'text_search']) await db.query(`DROP INDEX quarantine_entry_${column}_trgm`);
  results.lists.postgresPlain = await listLatencies(db, 15);
  const sizes = (await db.query(`SELECT pg_total_relation_size('quarantine_entry') AS entry, pg_total_relation_size('quarantine_message') AS message, pg_total_relation_size('quarantine_finding') AS finding`)).rows[0];
  results.tableBytes = Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, Number(v)]));
  await db.close();
  log('PostgreSQL: lists measured (with and without pg_trgm)');

  // 3. Relay throughput of quarantine-bound mail.
  const sinkPort = await freePort();
  const sink = startSink(sinkPort);
  const quarantineAll = (store) => `quarantine:\n${store}  max_messages: 100000000\n  max_bytes: 1000GiB\npolicy:\n  rules:\n    - action: quarantine\n`;
  const relayDb = new PostgresQuarantineStore({ url: server.url('relay'), poolSize: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000, node: 'count' });
  const count = async (kind, relayDir) => (kind === 'file' ? readdirSync(relayDir).filter((f) => f.endsWith('.json')).length : (await relayDb.stats()).messages);
  const relay = async (name, kind, nodes) => {
    const relayDir = path.join(work, `relay-${name}`);
    const store = kind === 'file' ? `  dir: ${relayDir}\n` : `  store: ${server.url('relay')}\n`;
    const daemons = [];
    for (let n = 0; n < nodes; n++) daemons.push(await startSekisho({ work, name: `${name}-${n}`, upstream: `smtp://127.0.0.1:${sinkPort}`, extraYaml: quarantineAll(store) }));
    try {
      const before = await count(kind, relayDir);
      const started = performance.now();
      const runs = await Promise.all(daemons.map((d) => runSource(d.port, { messages: RELAY_MESSAGES / nodes, sessions: SESSIONS / nodes, size: RELAY_SIZE, timeoutMs: 600_000 })));
      const ms = performance.now() - started;
      const stored = (await count(kind, relayDir)) - before;
      const error = runs.find((r) => r.error)?.error ?? (stored !== RELAY_MESSAGES ? `${stored} of ${RELAY_MESSAGES} messages in the store` : undefined);
      results.relay[name] = { rate: RELAY_MESSAGES / (ms / 1000), error };
      log(`relay ${name}: ${error ?? `${fmt(results.relay[name].rate)} msg/s`}`);
    } finally {
      for (const d of daemons) await stopProcess(d.proc);
    }
  };
  await relay('file, one node', 'file', 1);
  await relay('PostgreSQL, one node', 'postgres', 1);
  await relay('PostgreSQL, two nodes', 'postgres', 2);
  await relayDb.close();
  await stopProcess(sink);
} finally {
  server.stop();
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
}

console.log(`\nQuarantine writes per second (put(), ${PARALLEL} at a time, ${fmt(SIZE)}-byte messages, ${fmt(TIMED)} timed puts each):`);
console.log('| store | empty | while filling | at %s entries |', fmt(ENTRIES));
console.log('|---|---:|---:|---:|');
console.log(`| file | ${fmt(results.writes.file.empty)} | – | ${fmt(results.writes.file.full)} |`);
console.log(`| PostgreSQL | ${fmt(results.writes.postgres.empty)} | ${fmt(results.writes.postgres.fill)} | ${fmt(results.writes.postgres.full)} |`);
console.log(`\nList latency at ${fmt(ENTRIES)} entries, ms (median / slowest; matching entries):`);
console.log('| list | file store | PostgreSQL + pg_trgm | PostgreSQL without pg_trgm | matching |');
console.log('|---|---:|---:|---:|---:|');
for (const [name] of FILTERS) {
  const cell = (r) => `${fmt(r.median, 1)} / ${fmt(r.max, 1)}`;
  console.log(`| ${name} | ${cell(results.lists.file[name])} | ${cell(results.lists.postgres[name])} | ${cell(results.lists.postgresPlain[name])} | ${fmt(results.lists.postgres[name].total)} |`);
}
console.log(`\nstats() (count and sum over the table): ${fmt(results.statsMs, 1)} ms; table sizes: ${Object.entries(results.tableBytes).map(([k, v]) => `${k} ${fmt(v / 1048576)} MiB`).join(', ')}`);
console.log(`\nRelay of quarantine-bound mail (smtp-source -s ${SESSIONS} -m ${RELAY_MESSAGES} -l ${RELAY_SIZE}; every 250 checked in the store):`);
console.log('| path | msg/s |');
console.log('|---|---:|');
for (const [name, r] of Object.entries(results.relay)) console.log(`| ${name} | ${r.error ? `failed: ${r.error}` : fmt(r.rate)} |`);
