#!/usr/bin/env node
// Relay benchmark (not a test), issue 9: in ONE run, Postfix's smtp-source
//   A  straight into smtp-sink (direct),
//   B  through sekisho, one process (default config: smtp.workers unset, inspection default),
//   C  through sekisho with smtp.workers: 2,
//   D  through Haraka 3.3.4 queue/smtp_proxy, one process (installed by npm into a cache),
// all into the same smtp-sink. Throughput rounds alternate A B C D A B C D … for
// BENCH_ROUNDS rounds; each path's median is reported, and so is the median of its ratio to
// direct *within each round*, because loopback throughput on a shared machine drifts by
// tens of percent between runs and a ratio taken inside one round cancels most of it.
// The sink's counter must rise by exactly the number of messages sent; a path whose
// messages do not all arrive is reported as failed, never as a speed.
// Latency (connect → 250 after the message, p50 and p99) is measured separately by probe
// clients, alone and next to the load, so that the probes do not take CPU from the
// throughput runs.
//
//   npm run bench:relay                 # 5,000 messages, 20 sessions, 10 KB each, 3 rounds after an 8,000-message warm-up per path
//   BENCH_MESSAGES=20000 BENCH_ROUNDS=5 npm run bench:relay
//   BENCH_HARAKA=0 npm run bench:relay  # without Haraka
//   BENCH_KEEP=1 npm run bench:relay    # keep the daemons' logs (kept anyway when a path fails)
//
// Needs smtp-source and smtp-sink (Debian package postfix). Run as root: smtp-sink drops
// privileges to "nobody". Results and how to read them: docs/benchmarks.md.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureHaraka, HARAKA_VERSION, startHaraka } from './haraka-peer.mjs';
import { configAccepts, fmt, freePort, median, requireTools, runSource, startSekisho, startSink, stopProcess, waitForPort } from './smtp-tools.mjs';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 20);
const SIZE = Number(process.env.BENCH_SIZE ?? 10240);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// Untimed messages through each path before the rounds. sekisho and Haraka are JavaScript:
// V8 optimises a function only after it has run a while, each inspection worker on its own.
// Measured with --trace-opt on sekisho under this load: TurboFan compiled for 2.2 s during
// the first 1,000 messages, 0.7 s during the next, 0.12 s in the 6th thousand, and settled
// at 20–70 ms per thousand from the 8th. A daemon runs for weeks; the rounds measure it warm.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 8000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const WITH_HARAKA = process.env.BENCH_HARAKA !== '0';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT ?? 120) * 1000;
const PROBES = 2; // sequential probe clients running next to the load
const IDLE_PROBES = 300;
// Issue 9's targets, checked on the figures of this run.
const TARGET_OF_DIRECT = 0.25;
const TARGET_TIMES_HARAKA = 3;
const load = { messages: MESSAGES, sessions: SESSIONS, size: SIZE, timeoutMs: TIMEOUT_MS };

requireTools();
const work = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-'));
const startedAt = performance.now();

/** One sequential SMTP client: connect → 220 → EHLO → MAIL → RCPT → DATA → 250 → QUIT. */
function probeOnce(port, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    const steps = ['EHLO probe.example\r\n', 'MAIL FROM:<probe@example.com>\r\n', 'RCPT TO:<probe@example.net>\r\n', 'DATA\r\n', body, 'QUIT\r\n'];
    let buffer = '';
    let step = -1;
    let done = false;
    socket.setTimeout(30_000, () => socket.destroy(new Error('probe timed out')));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        const m = /^(\d{3}) .*\r\n/m.exec(buffer);
        buffer = buffer.slice(m.index + m[0].length);
        const code = Number(m[1]);
        if (step === 4) {
          if (code !== 250) return reject(new Error(`probe got ${code} after data`));
          done = true;
          resolve(performance.now() - started);
        }
        if (code >= 400) return reject(new Error(`probe got ${m[0].trim()}`));
        step++;
        if (step < steps.length) socket.write(steps[step]);
        else socket.end();
      }
    });
    socket.on('error', (err) => !done && reject(err));
  });
}

async function probeWhile(port, running) {
  const body = `Subject: probe\r\n\r\n${'x'.repeat(SIZE - 30)}\r\n.\r\n`;
  const samples = [];
  const loop = async () => {
    while (running.value) samples.push(await probeOnce(port, body));
  };
  await Promise.all(Array.from({ length: PROBES }, loop));
  return samples;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Latency a client sees, connect to final 250: alone, and next to a full smtp-source run. */
async function latency(port) {
  const body = `Subject: probe\r\n\r\n${'x'.repeat(SIZE - 30)}\r\n.\r\n`;
  const idle = [];
  for (let i = 0; i < IDLE_PROBES; i++) idle.push(await probeOnce(port, body));
  const running = { value: true };
  const probe = probeWhile(port, running);
  const run = await runSource(port, load);
  running.value = false;
  const loaded = await probe;
  if (run.error) throw new Error(run.error);
  const stats = (a) => (a.sort((x, y) => x - y), { p50: percentile(a, 50), p99: percentile(a, 99), n: a.length });
  return { idle: stats(idle), loaded: stats(loaded) };
}

// inspect.threads (the worker-thread pool) may or may not exist in the build under test;
// it is never written into the config, only reported.
const threadsKey = configAccepts({ work, name: 'threads', yaml: 'inspect:\n  threads: 1\n' });
const cores = os.availableParallelism?.() ?? os.cpus().length;

const sinkPort = await freePort();
const sink = startSink(sinkPort);
await waitForPort(sinkPort);

const paths = [{ key: 'direct', name: 'smtp-source → smtp-sink (direct)', port: sinkPort }];
const daemons = [];
const sekishoOne = await startSekisho({ work, name: 'sekisho-1', upstream: `smtp://127.0.0.1:${sinkPort}` });
daemons.push(sekishoOne.proc);
paths.push({ key: 'sekisho-1', name: 'smtp-source → sekisho (one process) → smtp-sink', port: sekishoOne.port });
const sekishoN = await startSekisho({ work, name: `sekisho-${WORKERS}`, upstream: `smtp://127.0.0.1:${sinkPort}`, smtpYaml: `  workers: ${WORKERS}\n`, expectListening: WORKERS });
daemons.push(sekishoN.proc);
paths.push({ key: 'sekisho-n', name: `smtp-source → sekisho (smtp.workers: ${WORKERS}) → smtp-sink`, port: sekishoN.port });

let harakaNote;
if (WITH_HARAKA) {
  try {
    const installStarted = performance.now();
    const { bin, cached, cacheDir } = ensureHaraka();
    harakaNote = `Haraka ${HARAKA_VERSION} from ${cacheDir} (${cached ? 'cached' : `installed in ${fmt((performance.now() - installStarted) / 1000, 1)} s`})`;
    const haraka = await startHaraka({ bin, work, nextHopPort: sinkPort });
    daemons.push(haraka.proc);
    paths.push({ key: 'haraka', name: `smtp-source → Haraka ${HARAKA_VERSION} smtp_proxy (one process) → smtp-sink`, port: haraka.port });
  } catch (err) {
    harakaNote = `Haraka was NOT measured: ${err.message}`;
    console.error(`bench: ${harakaNote}`);
  }
} else harakaNote = 'Haraka was NOT measured: BENCH_HARAKA=0';

for (const p of paths) {
  p.rates = [];
  p.ratios = []; // rate / direct's rate in the same round
  p.failed = undefined;
}

for (const p of paths) {
  if (WARMUP <= 0) break;
  const before = sink.messages;
  const run = await runSource(p.port, { ...load, messages: WARMUP });
  const arrived = (await sink.waitForCount(before + WARMUP)) - before;
  if (run.error || arrived !== WARMUP) p.failed = `warm-up: ${run.error ?? `${arrived} of ${WARMUP} messages arrived at the sink`}`;
}

// Rounds alternate the paths so that drift of the machine hits all of them alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const p of paths) {
    if (p.failed) continue;
    const before = sink.messages;
    const run = await runSource(p.port, load);
    const arrived = (await sink.waitForCount(before + MESSAGES)) - before;
    if (run.error) p.failed = `round ${round + 1}: ${run.error}`;
    else if (arrived !== MESSAGES) p.failed = `round ${round + 1}: ${arrived} of ${MESSAGES} messages arrived at the sink`;
    else {
      p.rates.push(run.rate);
      if (p.key === 'direct') p.ratios.push(1);
      else if (!paths[0].failed) p.ratios.push(run.rate / paths[0].rates[round]);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  if (paths[0].failed) break;
}
const byKey = Object.fromEntries(paths.map((p) => [p.key, p]));
// sekisho one process against Haraka, also per round.
const oneVsHaraka = byKey.haraka && !byKey.haraka.failed && !byKey['sekisho-1'].failed ? byKey['sekisho-1'].rates.map((r, i) => r / byKey.haraka.rates[i]) : [];

for (const p of paths) {
  if (p.failed) continue;
  try {
    p.latency = await latency(p.port);
  } catch (err) {
    p.latencyError = err.message;
  }
}
for (const proc of daemons) await stopProcess(proc);
sink.kill();

const pct = (x) => `${fmt(100 * x, 1)} %`;
console.log(`\nsekisho relay benchmark — ${fmt(MESSAGES)} messages of ${fmt(SIZE)} bytes, ${SESSIONS} parallel sessions, one message per connection, ${ROUNDS} alternating rounds (median), after a ${fmt(WARMUP)}-message warm-up per path`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${cores}, Node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`sekisho inspection: ${threadsKey ? 'this build accepts inspect.threads; left at its default' : 'inline on the event loop (this build has no inspect.threads)'}`);
console.log(`${harakaNote}\n`);
console.log('| path | msg/s (median) | runs | of direct (median of per-round ratios) | per-round ratio |');
console.log('|---|---:|---|---:|---|');
for (const p of paths) {
  if (p.failed) {
    console.log(`| ${p.name} | **FAILED** | ${p.failed} | — | — |`);
    continue;
  }
  const ratio = p.ratios.length ? pct(median(p.ratios)) : '—';
  console.log(`| ${p.name} | ${fmt(median(p.rates))} | ${p.rates.map((r) => fmt(r)).join(', ')} | ${ratio} | ${p.ratios.map((r) => pct(r)).join(', ')} |`);
}

console.log('\nTargets (issue 9), on this run:');
const one = byKey['sekisho-1'];
if (one.failed || paths[0].failed) console.log(`- sekisho one process ≥ ${TARGET_OF_DIRECT * 100} % of direct: not measurable (a path failed)`);
else {
  const r = median(one.ratios);
  console.log(`- sekisho one process ≥ ${TARGET_OF_DIRECT * 100} % of direct: ${pct(r)} → ${r >= TARGET_OF_DIRECT ? 'met' : 'NOT met'}`);
}
if (!byKey.haraka) console.log(`- sekisho one process ≥ ${TARGET_TIMES_HARAKA}× Haraka: NOT measured (Haraka did not run, see above)`);
else if (byKey.haraka.failed) console.log(`- sekisho one process ≥ ${TARGET_TIMES_HARAKA}× Haraka: not measured (Haraka path failed: ${byKey.haraka.failed})`);
else if (!oneVsHaraka.length) console.log(`- sekisho one process ≥ ${TARGET_TIMES_HARAKA}× Haraka: not measurable (sekisho path failed)`);
else {
  const r = median(oneVsHaraka);
  console.log(`- sekisho one process ≥ ${TARGET_TIMES_HARAKA}× Haraka: ${fmt(r, 2)}× (per round: ${oneVsHaraka.map((x) => `${fmt(x, 2)}×`).join(', ')}) → ${r >= TARGET_TIMES_HARAKA ? 'met' : 'NOT met'}`);
}

console.log(`\nLatency seen by a client, connect → 250 after the message (${PROBES} probe clients; "alone": ${IDLE_PROBES} sequential messages, "under load": next to a full smtp-source run):\n`);
console.log('| path | alone p50 | alone p99 | under load p50 | under load p99 |');
console.log('|---|---:|---:|---:|---:|');
for (const p of paths) {
  if (p.failed) console.log(`| ${p.name} | — | — | — | — (throughput failed) |`);
  else if (p.latencyError) console.log(`| ${p.name} | — | — | — | — (${p.latencyError}) |`);
  else {
    const { idle, loaded } = p.latency;
    console.log(`| ${p.name} | ${fmt(idle.p50, 2)} ms | ${fmt(idle.p99, 2)} ms | ${fmt(loaded.p50, 2)} ms | ${fmt(loaded.p99, 2)} ms |`);
  }
}
const d = paths[0].latency;
console.log('');
for (const p of paths.slice(1)) {
  if (!d || !p.latency) continue;
  const l = p.latency;
  const plus = (x) => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x), 2)} ms`;
  console.log(`added by ${p.key}: alone p50 ${plus(l.idle.p50 - d.idle.p50)}, p99 ${plus(l.idle.p99 - d.idle.p99)}; under load p50 ${plus(l.loaded.p50 - d.loaded.p50)}, p99 ${plus(l.loaded.p99 - d.loaded.p99)}`);
}
const failed = paths.some((p) => p.failed || p.latencyError);
// The transaction logs of one run are tens of MB; they are kept only when they can explain something.
const keep = failed || process.env.BENCH_KEEP === '1';
if (!keep) rmSync(work, { recursive: true, force: true });
console.log(`\n(bench took ${fmt((performance.now() - startedAt) / 1000)} s${keep ? `; logs in ${work}` : '; BENCH_KEEP=1 keeps the logs'})`);
if (failed) process.exitCode = 1;
