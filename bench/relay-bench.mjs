#!/usr/bin/env node
// Relay benchmark (not a test): Postfix's smtp-source straight into smtp-sink, and the same
// load through sekisho (1 worker, and `smtp.workers` = number of cores) into the same
// smtp-sink, in one run. Throughput runs alternate between the paths for BENCH_ROUNDS
// rounds and the median is reported, because loopback throughput on a shared machine
// drifts by tens of percent between runs. Latency (connect → 250 after the message, p50
// and p99) is measured separately by probe clients, alone and next to the load, so that
// the probe does not take CPU from the throughput runs.
//
//   npm run bench                       # 5,000 messages, 20 sessions, 10 KB each, 3 rounds
//   BENCH_MESSAGES=20000 BENCH_ROUNDS=5 npm run bench
//
// Needs smtp-source and smtp-sink (Debian package postfix). Run as root: smtp-sink drops
// privileges to "nobody". Results and how to read them: docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 20);
const SIZE = Number(process.env.BENCH_SIZE ?? 10240);
const PROBES = 2; // sequential probe clients running next to the load
const MAIN = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../dist/main.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-'));

for (const tool of ['smtp-source', 'smtp-sink']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench: ${tool} not found (apt-get install postfix)`);
    process.exit(2);
  }
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

/** smtp-sink with -c prints "sess=N quit=N mesg=N" as it goes; we keep the last count. */
function startSink(port) {
  const sink = spawn('smtp-sink', ['-u', 'nobody', '-c', `127.0.0.1:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'inherit'] });
  sink.messages = 0;
  sink.stdout.on('data', (chunk) => {
    const all = [...chunk.toString().matchAll(/mesg=(\d+)/g)];
    if (all.length) sink.messages = Number(all[all.length - 1][1]);
  });
  return sink;
}

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

/** Throughput: smtp-source alone, messages/s. */
async function throughput(port) {
  const started = performance.now();
  // Asynchronous: the sink's counter output must keep flowing meanwhile.
  const source = spawn('smtp-source', ['-s', String(SESSIONS), '-m', String(MESSAGES), '-l', String(SIZE), '-f', 'bench@example.com', '-t', 'sink@example.net', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const status = await new Promise((resolve) => source.once('exit', resolve));
  if (status !== 0) throw new Error(`smtp-source exited with ${status}`);
  return MESSAGES / ((performance.now() - started) / 1000);
}

/** Latency a client sees, connect to final 250: alone, and next to the smtp-source load. */
async function latency(port) {
  const body = `Subject: probe\r\n\r\n${'x'.repeat(SIZE - 30)}\r\n.\r\n`;
  const idle = [];
  for (let i = 0; i < 300; i++) idle.push(await probeOnce(port, body));
  const running = { value: true };
  const probe = probeWhile(port, running);
  await throughput(port);
  running.value = false;
  const loaded = await probe;
  const stats = (a) => (a.sort((x, y) => x - y), { p50: percentile(a, 50), p99: percentile(a, 99), n: a.length });
  return { idle: stats(idle), loaded: stats(loaded) };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function startSekisho(sinkPort, workers) {
  const config = path.join(work, `sekisho-${workers}.yaml`);
  writeFileSync(config, `smtp:\n  listen: 127.0.0.1:0\n  upstream: smtp://127.0.0.1:${sinkPort}\n  workers: ${workers}\n  max_connections: 2000\n  max_connections_per_ip: 2000\nlog:\n  level: info\n`);
  const logFile = path.join(work, `sekisho-${workers}.log`);
  const out = openSync(logFile, 'w');
  const proc = spawn(process.execPath, [MAIN, 'serve', '--config', config], { stdio: ['ignore', out, 'inherit'] });
  let port;
  for (let i = 0; i < 200 && !port; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"listening"'));
    if (lines.length >= workers) port = Number(JSON.parse(lines[0]).smtp.split(':').pop());
  }
  if (!port) throw new Error('sekisho did not start');
  return { proc, port, logFile };
}

async function stop(proc) {
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.once('exit', resolve));
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const sinkPort = await freePort();
const sink = startSink(sinkPort);
await waitForPort(sinkPort);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const cores = os.availableParallelism?.() ?? os.cpus().length;
const paths = [{ name: 'smtp-source → smtp-sink (direct)', port: sinkPort }];
const daemons = [];
for (const workers of [...new Set([1, cores])]) {
  const sekisho = await startSekisho(sinkPort, workers);
  daemons.push(sekisho);
  paths.push({ name: `smtp-source → sekisho (workers: ${workers}) → smtp-sink`, port: sekisho.port });
}
// Rounds alternate the paths so that drift of the machine hits all of them alike.
for (const path of paths) path.rates = [];
let lost = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const path of paths) {
    const before = sink.messages;
    path.rates.push(await throughput(path.port));
    await new Promise((r) => setTimeout(r, 300));
    lost += MESSAGES - (sink.messages - before);
  }
}
for (const path of paths) path.latency = await latency(path.port);
for (const d of daemons) await stop(d.proc);
sink.kill();

const direct = median(paths[0].rates);
console.log(`\nsekisho relay benchmark — ${fmt(MESSAGES)} messages of ${fmt(SIZE)} bytes, ${SESSIONS} parallel sessions, one message per connection, ${ROUNDS} alternating rounds (median)`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${cores}, Node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`messages lost at the sink: ${lost}\n`);
console.log('| path | msg/s (median) | runs | of direct |');
console.log('|---|---:|---|---:|');
for (const p of paths) console.log(`| ${p.name} | ${fmt(median(p.rates))} | ${p.rates.map((r) => fmt(r)).join(', ')} | ${fmt((100 * median(p.rates)) / direct, 1)} % |`);
console.log(`\nLatency seen by a client, connect → 250 after the message (${PROBES} probe clients; "alone": 300 sequential messages, "under load": next to the smtp-source run):\n`);
console.log('| path | alone p50 | alone p99 | under load p50 | under load p99 |');
console.log('|---|---:|---:|---:|---:|');
for (const p of paths) {
  const { idle, loaded } = p.latency;
  console.log(`| ${p.name} | ${fmt(idle.p50, 2)} ms | ${fmt(idle.p99, 2)} ms | ${fmt(loaded.p50, 2)} ms | ${fmt(loaded.p99, 2)} ms |`);
}
const d = paths[0].latency;
const one = paths[1].latency;
console.log(`\nadded by sekisho (workers: 1): alone p50 +${fmt(one.idle.p50 - d.idle.p50, 2)} ms, p99 +${fmt(one.idle.p99 - d.idle.p99, 2)} ms; under load p50 +${fmt(one.loaded.p50 - d.loaded.p50, 2)} ms, p99 +${fmt(one.loaded.p99 - d.loaded.p99, 2)} ms`);
