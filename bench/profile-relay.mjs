#!/usr/bin/env node
// CPU profile of sekisho under relay load (issue 9 item 5; not a test). Starts one sekisho
// process (default config, relaying to a Postfix smtp-sink) under `node --cpu-prof`, drives
// `smtp-source -s 20 -m 5000 -l 10240` through it, stops it with SIGTERM so that V8 writes
// the profile, and prints the functions with the most self time and a rollup by area.
//
//   npm run bench:profile
//   PROFILE_MESSAGES=20000 npm run bench:profile
//   node bench/profile-relay.mjs FILE.cpuprofile…   # only summarise existing profiles
//
// Each thread writes its own profile: the main thread is the one with smtp-server's frames;
// any other threads (an inspection worker pool) are rolled up separately. The profiled run's
// speed is not a benchmark figure (the profiler costs CPU); see npm run bench:relay.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasFramesOf, summarize } from './cpu-profile.mjs';
import { fmt, freePort, requireTools, runSource, startSekisho, startSink, stopProcess, waitForPort } from './smtp-tools.mjs';

const MESSAGES = Number(process.env.PROFILE_MESSAGES ?? process.env.BENCH_MESSAGES ?? 5000);
const SESSIONS = Number(process.env.PROFILE_SESSIONS ?? process.env.BENCH_SESSIONS ?? 20);
const SIZE = Number(process.env.PROFILE_SIZE ?? process.env.BENCH_SIZE ?? 10240);
const TOP = Number(process.env.PROFILE_TOP ?? 25);
const SMTP_SERVER = /\/node_modules\/smtp-server\//;
// The load window: from the first to the last sample inside smtp-server's connection code.
// (SMTPServer's constructor runs during start-up, before the catalog is loaded.)
// sekisho's inspection core: where it runs tells inline inspection from a thread pool.
const INSPECTION = /\/dist\/core\/inspect\.js$/;
const SMTP_CONNECTION = /\/node_modules\/smtp-server\/.*smtp-connection\.js$/;

const pct = (x) => (x === undefined ? '' : `${fmt(100 * x, 1)} %`);

function printMain(file, s) {
  console.log(`main thread: ${path.basename(file)}`);
  console.log(`load window ${fmt(s.windowMs)} ms, ${fmt(s.samples)} samples (first to last sample with smtp-server's connection code on the stack; excluded: ${fmt(s.excludedBeforeMs)} ms start-up before, ${fmt(s.excludedAfterMs)} ms after); idle ${pct(s.idle)} of the window\n`);
  console.log(`Top ${TOP} by self time (% of the load window; total = inclusive, the function and what it calls):\n`);
  console.log('| # | function | where | area | self | total | via (nearest sekisho/package frame, share of this self time) |');
  console.log('|---:|---|---|---|---:|---:|---|');
  const name = (n) => (n.length > 60 ? `${n.slice(0, 57)}…` : n).replaceAll('|', '\\|');
  s.top.forEach((e, i) => console.log(`| ${i + 1} | ${name(e.name)} | ${e.where} | ${e.area} | ${pct(e.self)} | ${pct(e.total)} | ${e.caller ? `${name(e.caller.frame)} (${fmt(100 * e.caller.share)} %)` : ''} |`));
  printRollup(s);
}

function printRollup(s) {
  printAreas('Self time by area (where the CPU was, the frame at the top of the stack):', s.rollup);
  printAreas('The same time charged to the nearest sekisho or package frame (node internals and V8 builtins go to whoever called them):', s.chargedRollup);
}

function printAreas(title, rows) {
  console.log(`\n${title}\n`);
  console.log('| area | % of window | % of busy (excl. idle) |');
  console.log('|---|---:|---:|');
  for (const r of rows) if (r.share >= 0.0005) console.log(`| ${r.area} | ${pct(r.share)} | ${pct(r.ofBusy)} |`);
  const small = rows.filter((r) => r.share < 0.0005);
  if (small.length) console.log(`| ${small.length} more areas under 0.05 % each | ${pct(small.reduce((a, r) => a + r.share, 0))} | |`);
}

function report(files) {
  const profiles = files.map((file) => ({ file, profile: JSON.parse(readFileSync(file, 'utf8')) }));
  const main = profiles.find((p) => hasFramesOf(p.profile, SMTP_SERVER));
  if (!main) {
    console.error(`profile: none of ${files.length} profile(s) has smtp-server frames`);
    process.exit(1);
  }
  printMain(main.file, summarize(main.profile, { window: SMTP_CONNECTION, top: TOP }));
  const others = profiles.filter((p) => p !== main);
  const inspectsHere = hasFramesOf(main.profile, INSPECTION);
  if (!others.length && inspectsHere) console.log('\nNo other thread profiles: inspection ran on the main thread.');
  else if (!others.length) console.log('\nNo other thread profiles, and no inspection frames on the main thread: the inspection threads wrote no profile (a Worker started with its own execArgv does not inherit --cpu-prof).');
  else if (inspectsHere) console.log('\n(The main thread has inspection frames too: some inspection ran inline.)');
  for (const other of others) {
    console.log(`\nOther thread: ${path.basename(other.file)} (whole profile)`);
    const s = summarize(other.profile, { top: 10 });
    console.log(`${fmt(s.windowMs)} ms, idle ${pct(s.idle)}`);
    printRollup(s);
  }
}

const given = process.argv.slice(2);
if (given.length) {
  report(given);
} else {
  requireTools();
  const work = mkdtempSync(path.join(os.tmpdir(), 'sekisho-profile-'));
  const profDir = path.join(work, 'cpuprofiles');
  mkdirSync(profDir);
  const sinkPort = await freePort();
  const sink = startSink(sinkPort);
  await waitForPort(sinkPort);
  const sekisho = await startSekisho({ work, name: 'sekisho-profiled', upstream: `smtp://127.0.0.1:${sinkPort}`, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] });
  const before = sink.messages;
  const run = await runSource(sekisho.port, { messages: MESSAGES, sessions: SESSIONS, size: SIZE, timeoutMs: 300_000 });
  const arrived = (await sink.waitForCount(before + MESSAGES)) - before;
  const exit = await stopProcess(sekisho.proc, 30_000);
  sink.kill();
  if (run.error) console.error(`profile: ${run.error}`);
  if (arrived !== MESSAGES) console.error(`profile: only ${arrived} of ${MESSAGES} messages arrived at the sink`);
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profDir, f));
  console.log(`\nsekisho CPU profile — smtp-source -s ${SESSIONS} -m ${fmt(MESSAGES)} -l ${SIZE} through one sekisho process (default config) into smtp-sink`);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.availableParallelism?.() ?? os.cpus().length}, Node ${process.version}; ${fmt(run.rate)} msg/s under the profiler (not a benchmark figure); ${arrived} of ${MESSAGES} arrived; daemon exit ${exit} after SIGTERM`);
  console.log(`profiles: ${profDir} (${files.length} file${files.length === 1 ? '' : 's'})\n`);
  if (!files.length) {
    console.error('profile: no .cpuprofile was written (the daemon must exit normally on SIGTERM for V8 to write it)');
    process.exit(1);
  }
  report(files);
  if (run.error || arrived !== MESSAGES) process.exitCode = 1;
}
