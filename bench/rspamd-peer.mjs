// Rspamd (Debian package rspamd, /usr/bin/rspamd) as the milter sekisho is compared with:
// Debian's stock configuration (/etc/rspamd, included as it is) with its rspamd_proxy
// worker in milter mode scanning itself (self_scan), and every module that needs the
// network turned off, because this machine has none: a module that waits for a DNS or
// HTTP answer would make Rspamd look slow for a reason no real site has, and a lookup
// sent to the machine's resolver would leave loopback.
//
// What is turned off and why (docs/benchmarks.md repeats it):
// - DNS lists and reputation over DNS: rbl (Spamhaus, SURBL, DNSWL, …), surbl, asn
//   (asn.rspamd.com), hfilter (HELO and hostname lookups), mx_check (already off).
// - Sender authentication, which is DNS lookups: spf, dkim, dmarc, arc; whitelist (built
//   on their results, and its maps are fetched over HTTPS).
// - Hash and collaborative checks over the network: fuzzy_check (rspamd.com's fuzzy
//   servers), dcc, external_services (razor, pyzor, …).
// - Feeds and maps over HTTP(S): phishing (OpenPhish, redirector maps), multimap (its stock
//   rules are freemail/disposable maps from maps.rspamd.com), rspamd_update (already off);
//   mime_types and mid stay on, with their HTTPS maps replaced by the copies Debian ships.
// - Everything that needs Redis (none runs here): neural, reputation, ratelimit,
//   greylist, history_redis, replies, url_redirector, bimi; Bayes has no Redis backend
//   and is inactive (Rspamd logs "cannot init redis backend" once per worker).
// - options.dns.nameserver points at 127.0.0.1:1 with no retransmits, so that any lookup
//   left over fails at once on loopback; the per-message log line counts DNS requests,
//   and the bench reports their sum (0 expected).
// What remains is Rspamd's local content analysis: the regexp rules (hyperscan), MIME
// and header checks, chartable, once_received, forged_recipients, mid, mime_types,
// maillist, milter_headers, force_actions, composites.
//
// Rspamd refuses to run as root; `-u _rspamd -g _rspamd` makes the workers drop to the
// Debian package's user, so the db/run/log folders are chowned to it and the work dir is
// made traversable. `-f` keeps the main process in the foreground (our child).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, waitForPort } from './smtp-tools.mjs';

export const RSPAMD = '/usr/bin/rspamd';

const NETWORK_MODULES = [
  'rbl',
  'surbl',
  'asn',
  'hfilter',
  'mx_check',
  'spf',
  'dkim',
  'dmarc',
  'arc',
  'whitelist',
  'fuzzy_check',
  'dcc',
  'external_services',
  'phishing',
  'multimap',
  'rspamd_update',
  'neural',
  'reputation',
  'ratelimit',
  'greylist',
  'history_redis',
  'replies',
  'url_redirector',
  'bimi',
  // Signing, not checking; with no keys here it would stat a key file and log an error
  // for every message from 127.0.0.1 (sign_local), work no site that signs does.
  'dkim_signing',
];

export function rspamdVersion() {
  const r = spawnSync(RSPAMD, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (/version\s+(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim()) : undefined;
}

function ids(name) {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Starts Rspamd with its milter on a free port and a controller (for /stat) on another.
 * `workers`: rspamd_proxy processes (each scans itself). Resolves once the milter port
 * accepts connections and every proxy worker has loaded the compiled hyperscan database
 * (until then Rspamd falls back to PCRE, which is not how it runs in production).
 */
export async function startRspamd({ work, workers = 2, selfScan = true, timeoutMs = 180_000 }) {
  const user = ids('_rspamd');
  if (!user) throw new Error('user _rspamd not found (is the Debian package rspamd installed?)');
  const dir = path.join(work, 'rspamd');
  const dirs = { db: path.join(dir, 'db'), run: path.join(dir, 'run'), log: path.join(dir, 'log') };
  for (const d of [path.join(dir, 'local.d'), path.join(dir, 'override.d'), ...Object.values(dirs)]) mkdirSync(d, { recursive: true });
  for (const d of [work, dir]) chmodSync(d, 0o755);
  for (const d of Object.values(dirs)) chownSync(d, user.uid, user.gid);

  for (const m of NETWORK_MODULES) writeFileSync(path.join(dir, 'local.d', `${m}.conf`), 'enabled = false;\n');
  // override.d, not local.d: local.d merges lists, and would keep the HTTPS entries.
  writeFileSync(path.join(dir, 'override.d', 'mime_types.conf'), 'file = ["${CONFDIR}/maps.d/mime_types.inc"];\n');
  writeFileSync(path.join(dir, 'override.d', 'mid.conf'), 'source { url = ["${CONFDIR}/maps.d/mid.inc"]; }\n');
  writeFileSync(path.join(dir, 'local.d', 'options.inc'), 'dns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 0; }\n');

  const milterPort = await freePort();
  const controllerPort = await freePort();
  const normalPort = selfScan ? undefined : await freePort();
  // Debian's rspamd.conf with our own sockets and no "normal" worker: the proxy scans
  // (self_scan), one hop less than proxy → normal over HTTP.
  const conf = path.join(dir, 'rspamd.conf');
  writeFileSync(
    conf,
    [
      '.include "$CONFDIR/common.conf"',
      'options {',
      '  pidfile = "$RUNDIR/rspamd.pid";',
      '  .include "$CONFDIR/options.inc"',
      '  .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"',
      '}',
      'logging {',
      '  type = "file";',
      '  filename = "$LOGDIR/rspamd.log";',
      '  .include "$CONFDIR/logging.inc"',
      '}',
      'worker "rspamd_proxy" {',
      `  bind_socket = "127.0.0.1:${milterPort}";`,
      // Debian's worker-proxy.inc, but self_scan and our count (an include plus a second
      // value of the same key would make UCL keep both).
      '  milter = yes;',
      '  timeout = 120s;',
      `  count = ${selfScan ? workers : 1};`,
      '  max_retries = 5;',
      '  discard_on_reject = false;',
      '  quarantine_on_reject = false;',
      '  spam_header = "X-Spam";',
      '  reject_message = "Spam message rejected";',
      selfScan ? '  upstream "local" { default = yes; self_scan = yes; }' : `  upstream "local" { default = yes; hosts = "127.0.0.1:${normalPort}"; }`,
      '}',
      ...(selfScan ? [] : ['worker "normal" {', `  bind_socket = "127.0.0.1:${normalPort}";`, '  .include "$CONFDIR/worker-normal.inc"', `  count = ${workers};`, '}']),
      'worker "controller" {',
      `  bind_socket = "127.0.0.1:${controllerPort}";`,
      '  count = 1;',
      '  secure_ip = "127.0.0.1";',
      '  static_dir = "${WWWDIR}";',
      '}',
      '',
    ].join('\n'),
  );
  const vars = [`--var=LOCAL_CONFDIR=${dir}`, `--var=DBDIR=${dirs.db}`, `--var=RUNDIR=${dirs.run}`, `--var=LOGDIR=${dirs.log}`];
  const logFile = path.join(dirs.log, 'rspamd.log');
  const outFile = path.join(dir, 'stdout.log');
  const out = openSync(outFile, 'w');
  const proc = spawn(RSPAMD, ['-f', '-u', '_rspamd', '-g', '_rspamd', '-c', conf, ...vars], { stdio: ['ignore', out, out] });
  proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const tail = () => `${read(outFile).trim().split('\n').slice(-3).join(' / ')} / ${read(logFile).trim().split('\n').slice(-5).join(' / ')}`;
  const fail = (why) => {
    proc.kill('SIGKILL');
    throw new Error(`Rspamd ${why}: ${tail()}`);
  };
  const deadline = performance.now() + timeoutMs;
  try {
    await waitForPort(milterPort, timeoutMs);
  } catch {
    fail(`did not open its milter port ${milterPort} in ${timeoutMs / 1000} s`);
  }
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) fail(`exited (${proc.exitCode ?? proc.signalCode})`);
    const scanner = selfScan ? 'rspamd_proxy' : 'normal';
    const loaded = (read(logFile).match(new RegExp(`\\(${scanner}\\)[^\\n]*hyperscan database of \\d+ regexps has been loaded`, 'g')) ?? []).length;
    if (loaded >= workers) break;
    if (performance.now() > deadline) fail(`workers never loaded the hyperscan database (${loaded} of ${workers}) in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    await waitForPort(controllerPort, Math.max(1000, deadline - performance.now()));
  } catch {
    fail(`did not open its controller port ${controllerPort}`);
  }
  /**
   * The controller's /stat (what `rspamc stat` prints): scanned count and actions. A new
   * connection each time, and a few tries: once, right after start, the controller dropped
   * the first request ("fetch failed"), which would have failed the whole path.
   */
  const stat = async () => {
    let last;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${controllerPort}/stat`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`Rspamd /stat answered ${res.status}`);
        return await res.json();
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`Rspamd /stat: ${last.cause?.message ?? last.message}`);
  };
  /** DNS requests summed over the per-message log lines ("dns req: N"), and how many lines. */
  const dnsRequests = () => {
    const all = [...read(logFile).matchAll(/dns req: (\d+)/g)];
    return { lines: all.length, requests: all.reduce((n, m) => n + Number(m[1]), 0) };
  };
  return { proc, milterPort, controllerPort, dir, logFile, stat, dnsRequests, tail };
}
