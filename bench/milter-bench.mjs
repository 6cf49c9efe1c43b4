#!/usr/bin/env node
// Milter benchmark (not a test): in ONE run, how many messages per second Postfix's
// smtp-source pushes through a real Postfix into smtp-sink
//   A  with no milter (Postfix alone: the ceiling),
//   B  with sekisho as its milter (`smtpd_milters = inet:127.0.0.1:PORT`; sekisho serves
//      milter.listen alone, no smtp.listen),
//   C  with Rspamd as its milter (rspamd_proxy in milter mode, self_scan, network modules
//      off: bench/rspamd-peer.mjs says which and why),
//   D  for reference, with a milter that does nothing (bench/noop-milter.mjs: reads every
//      packet, accepts): what the milter protocol alone costs Postfix on this machine.
// One Postfix instance serves every path on its own smtpd port (bench/postfix-peer.mjs), so
// the queue, cleanup, qmgr and the SMTP client to the sink are the same; only the milter
// differs. Rounds alternate A B C D A B C D … (BENCH_MILTER_ROUNDS) after one unmeasured warm-up
// run per path; each path's median is reported, and the median of its ratio to A *within
// each round* (the machine's drift cancels inside a round).
//
// What is timed: from smtp-source's start until the sink has counted every message of the
// run ("through"; the queue drains into the sink while smtp-source still sends), and, for
// reference, smtp-source's own time ("accepted": the 250 after DATA, i.e. queued). A path
// passes a round only when the sink's counter rose by exactly the messages sent and its
// milter inspected as many (Rspamd's /stat scan count, sekisho's transaction log lines);
// otherwise it is reported failed, never as a speed. Rounds wait for the previous run's queue to drain, so runs do not overlap.
//
// Then, per path: CPU per message of the milter and of Postfix (from /proc), and the time
// per message of one session alone (smtp-source -s 1, BENCH_MILTER_SEQUENTIAL messages).
//
// Postfix's own limits, set in bench/postfix-peer.mjs so that A is a ceiling and not a
// throttle: in_flow_delay = 0 (else cleanup pauses smtpd up to 1 s per message when qmgr
// lags), default_process_limit ≥ 2 × sessions (smtpd, cleanup, smtp never wait for a
// slot; the smtpd services use it), max_use = 10000 (else every daemon exits after 100
// clients), initial_destination_concurrency = 20 and default_destination_concurrency_limit
// = 50 (no slow start towards the one sink), smtp_connection_cache_on_demand = yes
// (queued mail reuses the connections to the sink), anvil limits exempt for 127.0.0.0/8,
// no DNS, no TLS. The work dir (queue included) is on /dev/shm when it exists
// (BENCH_TMPDIR overrides): Postfix fsyncs every queue file, and on this VM's disk that
// alone would cap A and hide what a milter costs.
//
//   npm run bench:milter                       # 2,000 × 10 KB, 20 sessions, 3 rounds
//   BENCH_MILTER_MESSAGES=5000 BENCH_MILTER_ROUNDS=5 npm run bench:milter
//   BENCH_RSPAMD=0 npm run bench:milter        # without Rspamd
//   BENCH_MILTER_NOOP=0 npm run bench:milter   # without the do-nothing milter
//   BENCH_KEEP=1 npm run bench:milter          # keep configs and logs (kept anyway when a path fails)
//
// Needs root (postfix start runs master as root; smtp-sink drops to nobody, Rspamd's
// workers to _rspamd) and the Debian packages postfix and rspamd. Results: docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPostfix } from './postfix-peer.mjs';
import { RSPAMD, rspamdVersion, startRspamd } from './rspamd-peer.mjs';
import { fmt, freePort, median, processTreeCpuMs, reapedChildrenCpuMs, requireTools, runSource, startSekishoOn, startSink, stopProcess, waitForPort } from './smtp-tools.mjs';

const MESSAGES = Number(process.env.BENCH_MILTER_MESSAGES ?? 2000);
const SESSIONS = Number(process.env.BENCH_MILTER_SESSIONS ?? 20);
const SIZE = Number(process.env.BENCH_MILTER_SIZE ?? 10240);
const ROUNDS = Number(process.env.BENCH_MILTER_ROUNDS ?? 3);
// As in relay-bench.mjs: V8 is still compiling sekisho's inspection for the first few thousand messages.
const WARMUP = Number(process.env.BENCH_MILTER_WARMUP ?? 4000);
const SEQUENTIAL = Number(process.env.BENCH_MILTER_SEQUENTIAL ?? 100);
const TIMEOUT_MS = Number(process.env.BENCH_MILTER_TIMEOUT ?? 180) * 1000;
const WITH_RSPAMD = process.env.BENCH_RSPAMD !== '0';
const WITH_NOOP = process.env.BENCH_MILTER_NOOP !== '0';
const RSPAMD_WORKERS = Number(process.env.BENCH_RSPAMD_WORKERS ?? (os.availableParallelism?.() ?? os.cpus().length));
// The issue's targets, checked on the figures of this run.
const TARGET_OF_ALONE = 0.7;
const here = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);

requireTools(['smtp-source', 'smtp-sink', 'postfix', 'postconf', 'postqueue']);
if (process.getuid?.() !== 0) {
  console.error('bench: run as root (`postfix -c DIR start` starts a real master(8))');
  process.exit(2);
}

function tmpBase() {
  if (process.env.BENCH_TMPDIR) return process.env.BENCH_TMPDIR;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}
const work = mkdtempSync(path.join(tmpBase(), 'sekisho-milter-bench-'));
// Rspamd's workers (user _rspamd) must traverse it.
chmodSync(work, 0o755);
const startedAt = performance.now();
const loadBefore = os.loadavg();

// Everything started is stopped on the way out, also on Ctrl-C.
const cleanups = [];
let cleanedUp = false;
async function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`bench: cleanup: ${err.message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping what it started (files kept in ${work})`);
    cleanUp().finally(() => process.exit(130));
  });
}

const sinkPort = await freePort();
const sink = startSink(sinkPort);
cleanups.push(() => sink.kill());
await waitForPort(sinkPort);

const paths = [
  { key: 'alone', name: 'Postfix alone' },
  { key: 'sekisho', name: 'Postfix + sekisho (milter)' },
  { key: 'rspamd', name: 'Postfix + Rspamd (milter)' },
  ...(WITH_NOOP ? [{ key: 'noop', name: 'Postfix + do-nothing milter (reference)' }] : []),
];
const byKey = Object.fromEntries(paths.map((p) => [p.key, p]));
for (const p of paths) Object.assign(p, { rates: [], accepted: [], ratios: [], milterCpu: [], postfixCpu: [], loadCpu: [], failed: undefined, skipped: undefined });

// B: sekisho with the milter alone. Until the build under test serves milter.listen (and
// accepts a config without smtp.listen) this fails, and B is reported as failed.
const sekishoMilterPort = await freePort();
let sekisho;
try {
  const yaml = [
    'milter:',
    `  listen: 127.0.0.1:${sekishoMilterPort}`,
    'smtp:',
    `  upstream: smtp://127.0.0.1:${sinkPort}`,
    'quarantine:',
    `  dir: ${path.join(work, 'quarantine')}`,
    'log:',
    '  level: info',
    '',
  ].join('\n');
  sekisho = await startSekishoOn({ work, name: 'sekisho-milter', yaml, port: sekishoMilterPort });
  cleanups.push(() => stopProcess(sekisho.proc));
  byKey.sekisho.milter = `inet:127.0.0.1:${sekishoMilterPort}`;
  byKey.sekisho.pid = sekisho.proc.pid;
} catch (err) {
  byKey.sekisho.failed = `sekisho's milter did not start: ${err.message}`;
}

// C: Rspamd.
let rspamd;
let rspamdNote;
if (!WITH_RSPAMD) byKey.rspamd.skipped = rspamdNote = 'Rspamd not measured: BENCH_RSPAMD=0';
else if (!rspamdVersion()) byKey.rspamd.failed = rspamdNote = `Rspamd not measured: ${RSPAMD} not found (apt-get install rspamd)`;
else {
  try {
    const t = performance.now();
    rspamd = await startRspamd({ work, workers: RSPAMD_WORKERS });
    cleanups.push(() => stopProcess(rspamd.proc));
    byKey.rspamd.milter = `inet:127.0.0.1:${rspamd.milterPort}`;
    byKey.rspamd.pid = rspamd.proc.pid;
    rspamdNote = `Rspamd ${rspamdVersion()}: rspamd_proxy in milter mode, self_scan, ${RSPAMD_WORKERS} processes; ready (hyperscan loaded) in ${fmt((performance.now() - t) / 1000, 1)} s`;
  } catch (err) {
    byKey.rspamd.failed = `Rspamd did not start: ${err.message}`;
    rspamdNote = 'Rspamd did not start';
  }
}

// D: the do-nothing milter, in a process of its own like the others.
if (WITH_NOOP) {
  const port = await freePort();
  const proc = spawn(process.execPath, [path.join(here, 'noop-milter.mjs'), String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  cleanups.push(() => stopProcess(proc));
  try {
    await waitForPort(port, 10_000);
    byKey.noop.milter = `inet:127.0.0.1:${port}`;
    byKey.noop.pid = proc.pid;
  } catch (err) {
    byKey.noop.failed = `the do-nothing milter did not start: ${err.message}`;
  }
}

// One Postfix, one smtpd port per path that has a milter to point at.
for (const p of paths) if (!p.failed && !p.skipped) p.port = await freePort();
let postfix;
try {
  postfix = await startPostfix({ work, relayPort: sinkPort, sessions: SESSIONS, smtpds: paths.filter((p) => p.port).map((p) => ({ port: p.port, milter: p.milter })) });
} catch (err) {
  // Without Postfix no path can run: nothing to report but why.
  console.error(`bench: Postfix did not start: ${err.message}`);
  await cleanUp();
  console.error(`bench: configs and logs kept in ${work}`);
  process.exit(1);
}
cleanups.push(() => postfix.stop());

/** sekisho's milter transactions so far: one JSON line each at log level info, and their outcomes. */
function sekishoTransactions() {
  const lines = readFileSync(sekisho.logFile, 'utf8').split('\n').filter((l) => l.includes('"event":"transaction"') && l.includes('"ingress":"milter"'));
  const outcomes = {};
  for (const l of lines) {
    const o = /"outcome":"([^"]+)"/.exec(l)?.[1] ?? '?';
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  return { count: lines.length, outcomes };
}

/**
 * CPU so far of the path's milter (its process and children: sekisho's worker threads,
 * Rspamd's workers) and of Postfix (master and every daemon under it), in ms. CPU time is
 * steadier than throughput on a shared machine: it says what a message costs, not how
 * long it waited for a core.
 */
function cpuNow(p) {
  const master = postfix.masterPid();
  const source = reapedChildrenCpuMs();
  const sinkCpu = processTreeCpuMs(sink.pid);
  return {
    milter: p.pid ? processTreeCpuMs(p.pid) : undefined,
    postfix: master ? processTreeCpuMs(master) : undefined,
    // smtp-source (reaped when its run ends) and smtp-sink: the load generator's share.
    load: source !== undefined && sinkCpu !== undefined ? source + sinkCpu : undefined,
  };
}

/** How many messages the path's milter says it inspected (undefined: no milter). */
async function inspectedCount(p) {
  if (p.key === 'rspamd') return (await rspamd.stat()).scanned;
  if (p.key === 'sekisho') return sekishoTransactions().count;
  return undefined;
}

/**
 * One smtp-source run into `p`'s smtpd. Resolves with the rates, or with `error` when the
 * run failed or the sink (or Rspamd's scan count) did not see exactly `messages`.
 */
async function measure(p, messages, sessions = SESSIONS) {
  try {
    return await measureOnce(p, messages, sessions);
  } catch (err) {
    // e.g. Rspamd's controller gone: the path failed, the bench goes on and cleans up.
    return { error: err.message };
  }
}

async function measureOnce(p, messages, sessions) {
  const before = sink.messages;
  const inspectedBefore = await inspectedCount(p);
  const cpuBefore = cpuNow(p);
  const started = performance.now();
  const run = await runSource(p.port, { messages, sessions, size: SIZE, timeoutMs: TIMEOUT_MS });
  if (run.error) return { error: run.error };
  const reached = await sink.waitForCount(before + messages, TIMEOUT_MS);
  const throughMs = performance.now() - started;
  const cpuAfter = cpuNow(p);
  // A moment more, so that a path that delivers some messages twice is caught too.
  await new Promise((r) => setTimeout(r, 300));
  const arrived = sink.messages - before;
  if (reached < before + messages || arrived !== messages) {
    const queued = postfix.queued();
    return { error: `${arrived} of ${messages} messages arrived at the sink${queued ? ` (${queued} still in Postfix's queue)` : ''}` };
  }
  if (inspectedBefore !== undefined) {
    // The milter must have inspected every message, not waved them through: Rspamd's
    // /stat count, sekisho's transaction lines (written asynchronously: give them a moment).
    let inspected = (await inspectedCount(p)) - inspectedBefore;
    for (let i = 0; i < 40 && inspected < messages; i++) {
      await new Promise((r) => setTimeout(r, 50));
      inspected = (await inspectedCount(p)) - inspectedBefore;
    }
    if (inspected !== messages) return { error: `${p.key === 'rspamd' ? 'Rspamd scanned' : 'sekisho logged transactions for'} ${inspected} of ${messages} messages` };
  }
  const perMessage = (k) => (cpuBefore[k] !== undefined && cpuAfter[k] !== undefined ? (cpuAfter[k] - cpuBefore[k]) / messages : undefined);
  return { rate: messages / (throughMs / 1000), accepted: run.rate, milterCpu: perMessage('milter'), postfixCpu: perMessage('postfix'), loadCpu: perMessage('load') };
}

// Warm-up: one short unmeasured run per path (JIT, Postfix's first processes, first
// milter connections); a path that cannot pass even this is failed before the rounds.
for (const p of paths) {
  if (p.failed || p.skipped || WARMUP <= 0) continue;
  const r = await measure(p, WARMUP);
  if (r.error) p.failed = `warm-up: ${r.error}`;
}

// Rounds alternate the paths so that drift of the machine hits all of them alike.
for (let round = 0; round < ROUNDS; round++) {
  const inRound = {};
  for (const p of paths) {
    if (p.failed || p.skipped) continue;
    const r = await measure(p, MESSAGES);
    if (r.error) {
      p.failed = `round ${round + 1}: ${r.error}`;
      continue;
    }
    inRound[p.key] = r.rate;
    p.rates.push(r.rate);
    p.accepted.push(r.accepted);
    if (r.milterCpu !== undefined) p.milterCpu.push(r.milterCpu);
    if (r.postfixCpu !== undefined) p.postfixCpu.push(r.postfixCpu);
    if (r.loadCpu !== undefined) p.loadCpu.push(r.loadCpu);
    if (inRound.alone !== undefined) p.ratios.push(r.rate / inRound.alone);
    await new Promise((r) => setTimeout(r, 300));
  }
  if (byKey.alone.failed) break;
}
// Latency without concurrency: one session, one message after the other. With 20
// sessions a milter's fixed wait per message hides behind the others until the sessions
// run out; here it shows whole (it caps throughput at sessions / latency).
if (SEQUENTIAL > 0) {
  for (const p of paths) {
    if (p.failed || p.skipped) continue;
    const r = await measure(p, SEQUENTIAL, 1);
    if (r.error) p.sequentialError = r.error;
    else p.sequentialMs = 1000 / r.accepted;
  }
}
const loadAfter = os.loadavg();

const rspamdStat = rspamd ? await rspamd.stat().catch(() => undefined) : undefined;
const sekishoSeen = sekisho ? sekishoTransactions() : undefined;
const rspamdDns = rspamd?.dnsRequests();
await cleanUp();

const pct = (x) => `${fmt(100 * x, 1)} %`;
const cores = os.availableParallelism?.() ?? os.cpus().length;
console.log(`\nsekisho milter benchmark — ${fmt(MESSAGES)} messages of ${fmt(SIZE)} bytes, ${SESSIONS} parallel sessions, one message per connection, ${ROUNDS} alternating rounds (median), after a ${WARMUP}-message warm-up per path`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${cores}, Node ${process.version}, ${os.platform()} ${os.release()}; Postfix ${postfix.version}; work dir ${path.dirname(work)}`);
console.log(`load average before the bench started ${loadBefore.map((x) => fmt(x, 2)).join(' ')} (other work on the machine: noise in these figures); after ${loadAfter.map((x) => fmt(x, 2)).join(' ')} (its own ~100 processes count there too)`);
console.log(`${rspamdNote}\n`);
console.log('"through": smtp-source start → the sink has every message; "accepted": smtp-source\'s own time (250 after DATA).\n');
console.log('| path | msg/s through (median) | runs | of Postfix alone (median of per-round ratios) | per-round ratio | msg/s accepted (median) |');
console.log('|---|---:|---|---:|---|---:|');
for (const p of paths) {
  if (p.skipped) {
    console.log(`| ${p.name} | not measured | ${p.skipped} | — | — | — |`);
    continue;
  }
  if (p.failed) {
    console.log(`| ${p.name} | **FAILED** | ${p.failed.replace(/\|/g, '/').replace(/\n/g, ' ')} | — | — | — |`);
    continue;
  }
  console.log(`| ${p.name} | ${fmt(median(p.rates))} | ${p.rates.map((r) => fmt(r)).join(', ')} | ${pct(median(p.ratios))} | ${p.ratios.map(pct).join(', ')} | ${fmt(median(p.accepted))} |`);
}
console.log('\nCPU per message (median over the rounds), from /proc: the milter\'s processes (threads and workers included) and Postfix\'s (master and its daemons); the do-nothing milter\'s row is the protocol\'s share. Then the time per message of one session alone (smtp-source -s 1).\n');
console.log(`| path | milter CPU ms/msg | Postfix CPU ms/msg | smtp-source + smtp-sink CPU ms/msg | all, ms/msg | one session: ms per message (${SEQUENTIAL} messages) |`);
console.log('|---|---:|---:|---:|---:|---:|');
const cpuAll = (p) => (p.postfixCpu.length && p.loadCpu.length ? median(p.postfixCpu) + median(p.loadCpu) + (p.pid ? (p.milterCpu.length ? median(p.milterCpu) : NaN) : 0) : NaN);
for (const p of paths) {
  if (p.failed || p.skipped) continue;
  const ms = (a) => (a.length ? fmt(median(a), 2) : '—');
  const sequential = p.sequentialMs !== undefined ? fmt(p.sequentialMs, 1) : p.sequentialError ? `failed: ${p.sequentialError}` : '—';
  const all = cpuAll(p);
  console.log(`| ${p.name} | ${p.pid ? ms(p.milterCpu) : '—'} | ${ms(p.postfixCpu)} | ${ms(p.loadCpu)} | ${Number.isFinite(all) ? fmt(all, 2) : '—'} | ${sequential} |`);
}
// When the cores are the limit (everything here shares two), a path's throughput relative
// to Postfix alone is about the inverse ratio of all the CPU a message costs.
if (!byKey.alone.failed && Number.isFinite(cpuAll(byKey.alone))) {
  const est = paths.filter((p) => p.key !== 'alone' && !p.failed && !p.skipped && Number.isFinite(cpuAll(p))).map((p) => `${p.key} ${pct(cpuAll(byKey.alone) / cpuAll(p))}`);
  if (est.length) console.log(`\nIf CPU were the only limit, "of Postfix alone" would be ≈ all-CPU(alone) / all-CPU(path): ${est.join(', ')}.`);
}
const counts = (o) => Object.entries(o).filter(([, n]) => n > 0).map(([a, n]) => `${a}: ${fmt(n)}`).join(', ');
if (sekishoSeen) console.log(`\nsekisho logged ${fmt(sekishoSeen.count)} milter transactions in all (outcome ${counts(sekishoSeen.outcomes) || 'none'})`);
if (rspamdStat) {
  const actions = counts(rspamdStat.actions ?? {});
  console.log(`${sekishoSeen ? '' : '\n'}Rspamd scanned ${fmt(rspamdStat.scanned)} messages in all (${actions || 'no actions'}); DNS requests in its per-message log lines: ${fmt(rspamdDns.requests)} over ${fmt(rspamdDns.lines)} lines`);
}

console.log('\nTargets, on this run:');
const alone = byKey.alone;
const sek = byKey.sekisho;
const rsp = byKey.rspamd;
if (sek.failed || alone.failed) console.log(`- Postfix + sekisho ≥ ${TARGET_OF_ALONE * 100} % of Postfix alone: not measurable (${sek.failed ? 'sekisho' : 'Postfix alone'} failed)`);
else {
  const r = median(sek.ratios);
  console.log(`- Postfix + sekisho ≥ ${TARGET_OF_ALONE * 100} % of Postfix alone: ${pct(r)} → ${r >= TARGET_OF_ALONE ? 'met' : 'MISSED'}`);
}
if (sek.failed || rsp.failed || rsp.skipped) console.log(`- Postfix + sekisho faster than Postfix + Rspamd: not measurable (${sek.failed ? 'sekisho failed' : rsp.skipped ? 'Rspamd not run' : 'Rspamd failed'})`);
else {
  // Per round too: both ran in the same round.
  const perRound = sek.rates.map((r, i) => r / rsp.rates[i]).filter(Number.isFinite);
  const r = median(perRound);
  console.log(`- Postfix + sekisho faster than Postfix + Rspamd: ${fmt(r, 2)}× (per round: ${perRound.map((x) => `${fmt(x, 2)}×`).join(', ')}) → ${r > 1 ? 'met' : 'MISSED'}`);
}

const noop = byKey.noop;
if (noop && !noop.failed && !sek.failed && !alone.failed) {
  const perRound = sek.rates.map((r, i) => r / noop.rates[i]).filter(Number.isFinite);
  console.log(`\nFor reference: a milter that does nothing gets Postfix to ${pct(median(noop.ratios))} of Postfix alone; sekisho is ${pct(median(perRound))} of that (median of per-round ratios).`);
}

const failed = paths.some((p) => p.failed || p.sequentialError);
const keep = failed || process.env.BENCH_KEEP === '1';
if (!keep) rmSync(work, { recursive: true, force: true });
console.log(`\n(bench took ${fmt((performance.now() - startedAt) / 1000)} s${keep ? `; configs and logs kept in ${work}` : '; BENCH_KEEP=1 keeps configs and logs'})`);
if (failed) process.exitCode = 1;
