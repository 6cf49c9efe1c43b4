// The soak and fault run of issue 12: mixed traffic through a real `sekisho serve` while
// the next hop fails in every way the fault injector knows and sekisho itself is killed and
// restarted, then the ledger (soak-ledger.mjs) checks that nothing was lost or duplicated.
// bench/soak.mjs runs it from the command line; test/soak/soak-short.test.ts runs it short.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prng } from '../adversarial-families.mjs';
import { freePort } from '../smtp-tools.mjs';
import { FAULT_MODES, FaultProxy } from './fault-proxy.mjs';
import { SoakDaemon } from './soak-daemon.mjs';
import { checkLedger } from './soak-ledger.mjs';
import { mailKinds, messageIdOf } from './soak-mail.mjs';
import { SoakSink } from './soak-sink.mjs';
import { Traffic } from './soak-traffic.mjs';

const MiB = 1024 * 1024;
export const MAX_MESSAGE_BYTES = 2 * MiB;
export const MAX_INFLIGHT_BYTES = 24 * MiB;
/**
 * Peak RSS allowed for one sekisho process, from what it is made of: an idle sekisho with two
 * inspection threads and the brand catalog is about 170 MiB here; MessageBuffers keeps up to
 * 64 MiB of free slabs for reuse; the messages in flight (smtp.max_inflight_bytes) may take
 * up to three times their size (a power-of-two slab up to twice the message, and the copy
 * relayed with its header edits); each inspection thread's heap grows with what it parses
 * (64 MiB each); and the main thread's garbage between collections grows with the message
 * rate (72 MiB). Measured alone, each kind of mail peaks at 240–290 MiB; the whole mix under
 * faults at 280–380 MiB. Past the budget a limit is not holding, or memory is not given back.
 */
export const RSS_BUDGET_BYTES = 176 * MiB + 64 * MiB + 3 * MAX_INFLIGHT_BYTES + 2 * 64 * MiB + 72 * MiB;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Deadlines of the soak's sekisho: the defaults scaled down so that a short run sees every one fire. */
export function soakDeadlines(short) {
  return short ? { transactionMs: 12_000, dataMs: 8_000, rateGraceMs: 2_000, minDataRate: 256 } : { transactionMs: 25_000, dataMs: 15_000, rateGraceMs: 3_000, minDataRate: 256 };
}

function sekishoYaml({ port, upstreamPort, workers, quarantineDir, deadlines }) {
  return `smtp:
  listen: 127.0.0.1:${port}
  upstream: smtp://127.0.0.1:${upstreamPort}
  hostname: sekisho.soak
  workers: ${workers}
  max_message_bytes: ${MAX_MESSAGE_BYTES}
  max_inflight_bytes: ${MAX_INFLIGHT_BYTES}
  min_data_rate: ${deadlines.minDataRate}
  timeouts:
    idle: 30s
    transaction: ${deadlines.transactionMs}ms
    data: ${deadlines.dataMs}ms
    data_rate_grace: ${deadlines.rateGraceMs}ms
    upstream_connect: 2s
    upstream_command: 3s
    upstream_data: 5s
    shutdown_grace: 3s
quarantine:
  dir: ${quarantineDir}
policy:
  rules:
    - { detector: macro, action: quarantine }
    - { detector: archive, code: encrypted-office-zip, action: quarantine }
    - { detector: brand, severity: high, action: quarantine }
    - { detector: brand, severity: medium, action: tag }
    - { verdict: unscannable, action: quarantine }
    - { verdict: [suspicious, malicious], action: tag }
    # The soak's one addition, so that 5xx is in the mix: encrypted documents are refused.
    - { detector: archive, code: encrypted-document, action: reject }
log:
  level: info
`;
}

/**
 * Runs the soak. Options: seconds of traffic, seed, clients (concurrent senders), attackers
 * (concurrent slowloris clients), short (scaled-down deadlines and epochs), drainSeconds
 * (how long retries may go on after the traffic, faults off), keep (the work directory even
 * when it passed), progress (a line printer).
 * Resolves with the report; `report.ledger.ok` and `report.ok` say whether it passed.
 */
export async function runSoak(options = {}) {
  const o = { seconds: 600, seed: 1, clients: 6, attackers: 2, short: false, drainSeconds: 90, progress: () => undefined, ...options };
  const random = prng(o.seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-soak-'));
  const quarantineDir = path.join(dir, 'quarantine');
  const deadlines = soakDeadlines(o.short);
  const sink = await SoakSink.start();
  const injector = await FaultProxy.start(sink.port);
  const port = await freePort();
  const traffic = new Traffic({ port, kinds: mailKinds(MAX_MESSAGE_BYTES), random, seed: o.seed });
  const chaos = { crashes: 0, workerKills: 0, gracefulRestarts: 0, restarts: 0, unexpectedExits: 0, faultPeriods: {} };
  const peaks = { rss: 0, groupRss: 0 };
  const started = Date.now();
  const loadAtStart = os.loadavg();
  const endAt = started + o.seconds * 1000;
  const running = () => Date.now() < endAt;
  let epoch = 0;
  const daemons = [];
  const startDaemon = async () => {
    const workers = epoch % 2 === 0 ? 1 : 2;
    const d = await SoakDaemon.start({ dir, name: `sekisho-${epoch}`, yaml: sekishoYaml({ port, upstreamPort: injector.port, workers, quarantineDir, deadlines }), listeners: workers });
    d.workers = workers;
    daemons.push(d);
    epoch++;
    return d;
  };
  let daemon = await startDaemon();
  o.progress(`soak: seed ${o.seed}, ${o.seconds} s, sekisho on 127.0.0.1:${port}, next hop through the fault injector on ${injector.port}, work dir ${dir}`);

  const faultLoop = async () => {
    // Every fault mode comes round once per shuffled deck, with a pass period between faults.
    let deck = [];
    for (let i = 0; running(); i++) {
      if (deck.length === 0) deck = FAULT_MODES.filter((m) => m !== 'pass').sort(() => random() - 0.5);
      const mode = i % 2 === 0 ? 'pass' : deck.pop();
      chaos.faultPeriods[mode] = (chaos.faultPeriods[mode] ?? 0) + 1;
      await injector.setMode(mode);
      await sleep(Math.min(endAt - Date.now(), (mode === 'stall' ? 2000 + random() * 6000 : 1000 + random() * 3000) * (o.short ? 0.6 : 1)));
    }
    await injector.setMode('pass');
  };

  const until = (t) => sleep(Math.max(0, Math.min(t, endAt) - Date.now()));
  const killLoop = async () => {
    const [minUp, maxUp] = o.short ? [5000, 9000] : [20_000, 60_000];
    while (running()) {
      const up = minUp + random() * (maxUp - minUp);
      const epochEnd = Date.now() + up;
      if (daemon.workers === 2) {
        // With smtp.workers: 2, one worker dies first; the primary forks a new one.
        await until(Date.now() + up * (0.2 + random() * 0.5));
        const victim = running() ? daemon.workerPids()[0] : undefined;
        if (victim) {
          process.kill(victim, 'SIGKILL');
          chaos.workerKills++;
          o.progress(`soak: ${elapsed(started)} SIGKILL cluster worker ${victim}`);
        }
      }
      await until(epochEnd);
      if (!running()) break;
      const graceful = random() < 0.2;
      if (graceful) {
        await daemon.stop();
        chaos.gracefulRestarts++;
      } else {
        await daemon.killGroup();
        chaos.crashes++;
      }
      o.progress(`soak: ${elapsed(started)} ${graceful ? 'SIGTERM' : 'SIGKILL'} sekisho (${daemon.workers} worker${daemon.workers > 1 ? 's' : ''}); ${traffic.messages.size} messages so far`);
      daemon = await startDaemon();
      chaos.restarts++;
    }
  };

  const clients = Array.from({ length: o.clients }, () => traffic.client(running, endAt + o.drainSeconds * 1000));
  const attackers = Array.from({ length: o.attackers }, () => traffic.attacker(running, deadlines));
  await Promise.all([faultLoop(), killLoop(), ...attackers]);
  o.progress(`soak: ${elapsed(started)} traffic stopped; ${traffic.pending} messages still being retried (faults off, no more kills)`);
  await Promise.all(clients);
  const stopped = await daemon.stop();
  await injector.stop();
  for (const d of daemons) {
    peaks.rss = Math.max(peaks.rss, d.peakRss);
    peaks.groupRss = Math.max(peaks.groupRss, d.peakGroupRss);
  }
  // Epoch by epoch: a peak that climbs from one epoch to the next would be memory not given back.
  const epochs = daemons.map((d) => ({ workers: d.workers, peakRss: d.peakRss }));

  const quarantine = readQuarantine(quarantineDir);
  const ledger = checkLedger({ messages: traffic.messages, sink: sink.messages, quarantine: quarantine.entries, unacknowledged: injector.unacknowledged });
  const errors = errorLines(daemons);
  chaos.unexpectedExits = unexpectedWorkerExits(daemons) - chaos.workerKills + daemons.filter((d) => d.exitedByItself).length;
  await sink.stop();
  const report = {
    seed: o.seed,
    seconds: Math.round((Date.now() - started) / 1000),
    trafficSeconds: o.seconds,
    ledger,
    byKind: byKind(traffic.messages),
    quarantine: { entries: quarantine.entries.length, orphans: quarantine.orphans, tmp: quarantine.tmp },
    faults: { injected: Object.values(injector.faults).reduce((a, b) => a + b, 0), actions: injector.faults, periods: chaos.faultPeriods, unacknowledgedAtNextHop: injector.unacknowledged.size },
    chaos,
    memory: { peakRss: peaks.rss, peakGroupRss: peaks.groupRss, budget: RSS_BUDGET_BYTES, underBudget: peaks.rss <= RSS_BUDGET_BYTES, epochs },
    slowloris: traffic.slowloris,
    slowClients: traffic.slow,
    deadlines,
    errors,
    finalStop: stopped,
    load: { start: loadAtStart, end: os.loadavg() },
    dir,
  };
  report.ok = ledger.ok && report.memory.underBudget && errors.length === 0 && chaos.unexpectedExits <= 0 && stopped.code === 0;
  if (report.ok && !o.keep) rmSync(dir, { recursive: true, force: true });
  return report;
}

/** The quarantine as the next start would see it: entries (.json) and what they say, orphans, temp files. */
function readQuarantine(dir) {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const entries = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const id = name.slice(0, -5);
    const meta = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
    const emlPath = path.join(dir, `${id}.eml`);
    const raw = existsSync(emlPath) ? readFileSync(emlPath) : Buffer.alloc(0);
    const sha256 = createHash('sha256').update(raw).digest('hex');
    const problem = !existsSync(emlPath) ? 'no .eml' : raw.length !== meta.size ? `size ${raw.length}, metadata says ${meta.size}` : sha256 !== meta.sha256 ? 'SHA-256 differs from the metadata' : undefined;
    entries.push({ id, mailFrom: meta.mail_from, messageId: messageIdOf(raw), raw, whole: problem === undefined, problem });
  }
  const orphans = names.filter((n) => n.endsWith('.eml') && !names.includes(`${n.slice(0, -4)}.json`)).length;
  const tmp = existsSync(path.join(dir, 'tmp')) ? readdirSync(path.join(dir, 'tmp')).length : 0;
  return { entries, orphans, tmp };
}

/** Error and fatal log lines: each one is a bug or a fault worth a look. */
function errorLines(daemons) {
  const seen = new Map();
  for (const d of daemons) {
    for (const l of d.lines()) {
      // worker-exit is logged at error level; the soak's own kills are counted apart.
      if ((l.level !== 'error' && l.level !== 'fatal') || l.event === 'worker-exit') continue;
      const key = `${l.msg}${l.err?.message ? `: ${l.err.message}` : ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  return [...seen].map(([msg, n]) => `${n} × ${msg}`);
}

/** Cluster workers that died while their primary ran (the soak's own kills included). */
function unexpectedWorkerExits(daemons) {
  return daemons.reduce((n, d) => n + d.lines().filter((l) => l.event === 'worker-exit').length, 0);
}

/** How each kind of message ended (its last attempt). */
function byKind(messages) {
  const out = {};
  for (const m of messages.values()) {
    const k = (out[m.kind] ??= { sent: 0, '250': 0, '4xx': 0, '5xx': 0, none: 0 });
    k.sent++;
    const last = m.attempts.at(-1);
    if (last) k[last.outcome]++;
  }
  return out;
}

function elapsed(started) {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}
