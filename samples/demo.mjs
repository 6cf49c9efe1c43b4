#!/usr/bin/env node
// `npm run demo`: starts sekisho on the shipped configuration, sends every samples/*.eml
// through it over SMTP, and prints for each message its verdict, the action and where it
// went (outbox or quarantine), then the metric lines that changed. One command, the whole
// product. `node samples/demo.mjs [--config FILE]` (default config/sekisho.yaml; the ports
// are read from the daemon's own log, so a config with port 0 works too).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { config: { type: 'string' } } });
const config = path.resolve(values.config ?? path.join(ROOT, 'config/sekisho.yaml'));
const samplesDir = path.join(ROOT, 'samples');
const samples = readdirSync(samplesDir).filter((f) => f.endsWith('.eml')).sort();

const daemon = spawn(process.execPath, [path.join(ROOT, 'dist/main.js'), 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
const lines = [];
const waiters = [];
let partial = '';
daemon.stdout.on('data', (chunk) => {
  const parts = (partial + chunk.toString('utf8')).split('\n');
  partial = parts.pop() ?? '';
  for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  for (const w of waiters.splice(0)) w();
});
const exited = new Promise((resolve) => daemon.once('exit', resolve));

/** The first log line matching, waiting for it (10 s at most). */
async function logLine(match, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = lines.find(match);
    if (found) return found;
    if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`sekisho did not log ${what}; is port 2525 or 8025 in use?`);
    await new Promise((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 200);
    });
  }
}

/** One SMTP transaction, lock-step; resolves with the final reply line. */
function send(port, from, to, message) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const script = [`EHLO demo.sekisho`, `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA', null, 'QUIT'];
    let buffer = '';
    let step = 0;
    let final = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        const end = buffer.search(/^\d{3} .*\r\n/m);
        if (end < 0) return;
        const lineEnd = buffer.indexOf('\r\n', end);
        const line = buffer.slice(end, lineEnd);
        buffer = buffer.slice(lineEnd + 2);
        if (step === 5) final = line;
        if (step >= script.length) return socket.end();
        const next = script[step++];
        if (next === null) {
          // The message, dot-stuffed (RFC 5321 §4.5.2), then the lone dot.
          const body = message.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
          socket.write(Buffer.from(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
        } else socket.write(`${next}\r\n`);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(final));
  });
}

/** sekisho_* series and their values, from Prometheus text. */
function series(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('sekisho_') || line.includes('_bucket{')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

try {
  const smtp = await logLine((l) => l.event === 'listening' && l.smtp, 'its SMTP listener');
  const admin = await logLine((l) => l.event === 'listening' && l.admin, 'its admin listener');
  const smtpPort = Number(String(smtp.smtp).split(':').pop());
  const metricsUrl = `http://127.0.0.1:${Number(String(admin.admin).split(':').pop())}/metrics`;
  console.log(`sekisho is listening on 127.0.0.1:${smtpPort} (next hop ${smtp.next_hop}, quarantine ${smtp.quarantine})\n`);
  const before = series(await (await fetch(metricsUrl)).text());

  for (const [i, name] of samples.entries()) {
    const message = readFileSync(path.join(samplesDir, name));
    const reply = await send(smtpPort, 'sender@demo.example', 'tanaka@example.co.jp', message);
    // One message per connection, each finished before the next: the i-th transaction line is this one.
    const tx = await logLine((l) => l === lines.filter((x) => x.event === 'transaction')[i], `the transaction of ${name}`);
    const queued = /queued as (\S+)/.exec(tx.reply ?? '')?.[1];
    const outbox = String(tx.next_hop ?? '').replace(/^outbox:/, '');
    const where =
      tx.outcome === 'quarantined'
        ? `quarantine ${tx.tx}  (sekisho quarantine show --config ${path.relative(process.cwd(), config)} ${tx.tx})`
        : tx.outcome === 'delivered'
          ? String(tx.next_hop).startsWith('outbox:') && queued
            ? `outbox ${path.relative(process.cwd(), path.join(outbox, `${queued}.eml`))}`
            : `next hop ${tx.next_hop}: ${tx.reply}`
          : `${tx.outcome}: ${tx.reply}`;
    console.log(`${name}`);
    console.log(`  verdict ${tx.verdict} (score ${tx.score}) → ${tx.action}${tx.reason ? `: ${tx.reason}` : ''}`);
    if (tx.findings?.length) console.log(`  findings ${tx.findings.join(', ')}`);
    console.log(`  client heard "${reply}"`);
    console.log(`  went to ${where}\n`);
  }

  const after = series(await (await fetch(metricsUrl)).text());
  console.log('Metric lines that changed (GET /metrics):');
  for (const [name, value] of after) {
    const old = before.get(name) ?? 0;
    if (value !== old && !name.includes('_sum') && !name.startsWith('sekisho_quarantine_bytes')) console.log(`  ${name} ${old} → ${value}`);
  }
} finally {
  daemon.kill('SIGTERM');
  await exited;
}
