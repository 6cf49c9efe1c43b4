// A throwaway real Postfix for the milter benchmark: its own config_directory,
// queue_directory and data_directory in a temp dir, loopback only, relaying everything
// it queues to one smtp-sink. The same instance serves several smtpd ports, each with its
// own `-o smtpd_milters=…`, so every path of the bench shares one queue manager, one
// cleanup and one SMTP client to the sink: only the milter differs.
//
// The same shape as test/helpers/postfix-instance.ts (which bench/*.mjs cannot import:
// it is TypeScript), without TLS: smtp-source and smtp-sink speak none, and the milter
// sees the same bytes either way.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitForPort } from './smtp-tools.mjs';

/** The daemons every instance needs (no chroot: the queue directory is a temp dir). */
const BASE_SERVICES = [
  ['pickup', 'unix', 'n', '-', 'n', '60', '1', 'pickup'],
  ['cleanup', 'unix', 'n', '-', 'n', '-', '0', 'cleanup'],
  ['qmgr', 'unix', 'n', '-', 'n', '300', '1', 'qmgr'],
  ['tlsmgr', 'unix', '-', '-', 'n', '1000?', '1', 'tlsmgr'],
  ['rewrite', 'unix', '-', '-', 'n', '-', '-', 'trivial-rewrite'],
  ['bounce', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['defer', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['trace', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['verify', 'unix', '-', '-', 'n', '-', '1', 'verify'],
  ['flush', 'unix', 'n', '-', 'n', '1000?', '0', 'flush'],
  ['proxymap', 'unix', '-', '-', 'n', '-', '-', 'proxymap'],
  ['proxywrite', 'unix', '-', '-', 'n', '-', '1', 'proxymap'],
  ['smtp', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
  ['relay', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
  ['showq', 'unix', 'n', '-', 'n', '-', '-', 'showq'],
  ['error', 'unix', '-', '-', 'n', '-', '-', 'error'],
  ['retry', 'unix', '-', '-', 'n', '-', '-', 'error'],
  ['discard', 'unix', '-', '-', 'n', '-', '-', 'discard'],
  ['anvil', 'unix', '-', '-', 'n', '-', '1', 'anvil'],
  ['scache', 'unix', '-', '-', 'n', '-', '1', 'scache'],
  ['postlog', 'unix-dgram', 'n', '-', 'n', '-', '1', 'postlogd'],
];

function service([name, type, ...rest], options = []) {
  const command = rest.pop();
  const line = [name.padEnd(10), type.padEnd(6), ...rest.map((f) => f.padEnd(8)), command].join(' ');
  return [line, ...options.map((o) => `  -o ${o}`)].join('\n');
}

/**
 * The main.cf of the instance. Besides the loopback-only basics, the settings that keep
 * Postfix's own limits out of the way, so that "Postfix alone" is a ceiling and not a
 * throttle (each is Postfix's default otherwise):
 * - in_flow_delay = 0 (1s): cleanup would pause each smtpd for up to a second per message
 *   whenever the queue manager falls behind the inflow, which it does under a burst.
 * - default_process_limit (100): at least twice the sessions, so that no smtpd, cleanup
 *   or smtp client waits for a process slot.
 * - max_use (100): each daemon exits after 100 clients; one connection per message
 *   would fork a new smtpd every 100 messages per process.
 * - initial_destination_concurrency (5) and default_destination_concurrency_limit (20):
 *   the sink is one destination; slow start at 5 would throttle the start of each round.
 * - smtp_connection_cache_on_demand (yes, the default, stated): queued messages to the
 *   sink reuse the SMTP client's connections instead of one handshake per message.
 * - smtpd_client_event_limit_exceptions ($mynetworks): anvil's per-client limits never
 *   apply to 127.0.0.1, which is the only client.
 * - no DNS anywhere (smtpd_peername_lookup, smtp_dns_support_level, an IP relayhost in
 *   brackets): the machine has no resolver to reach, and a lookup would time out.
 */
function mainCf({ dir, queueDir, dataDir, maillog, relayPort, processLimit }) {
  return [
    '# Throwaway benchmark instance (bench/postfix-peer.mjs).',
    'compatibility_level = 3.6',
    `queue_directory = ${queueDir}`,
    `data_directory = ${dataDir}`,
    `maillog_file = ${maillog}`,
    `maillog_file_prefixes = ${dir}`,
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'myhostname = postfix.bench',
    'mydomain = postfix.bench',
    'myorigin = $myhostname',
    'mydestination =',
    'relay_domains =',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    'mynetworks = 127.0.0.0/8',
    `relayhost = [127.0.0.1]:${relayPort}`,
    'smtpd_peername_lookup = no',
    'smtp_dns_support_level = disabled',
    'smtp_host_lookup = native',
    'smtpd_tls_security_level = none',
    'smtp_tls_security_level = none',
    'biff = no',
    'notify_classes =',
    '',
    '# Postfix limits that would otherwise throttle every path (see bench/postfix-peer.mjs).',
    'in_flow_delay = 0',
    `default_process_limit = ${processLimit}`,
    'max_use = 10000',
    'initial_destination_concurrency = 20',
    'default_destination_concurrency_limit = 50',
    'smtp_connection_cache_on_demand = yes',
    'smtpd_client_event_limit_exceptions = $mynetworks',
    '',
    '# The milter settings of the issue; smtpd_milters itself is set per smtpd service.',
    'milter_protocol = 6',
    'milter_default_action = tempfail',
    '',
  ].join('\n');
}

/** Runs a Postfix command with a bound on its time; never throws. */
function postfixCommand(configDir, args, timeoutMs = 30_000) {
  const r = spawnSync('postfix', ['-c', configDir, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/**
 * Starts one instance under `work`/postfix with one smtpd per entry of `smtpds`
 * ({ port, milter? }: milter is a Postfix milter address such as "inet:127.0.0.1:8891").
 * Resolves once every smtpd port accepts connections; throws with the log's tail otherwise.
 * The returned stop() is safe to call in any state and kills what `postfix stop` leaves.
 */
export async function startPostfix({ work, relayPort, smtpds, sessions = 20 }) {
  const dir = path.join(work, 'postfix');
  const configDir = path.join(dir, 'etc');
  const queueDir = path.join(dir, 'queue');
  const dataDir = path.join(dir, 'data');
  const maillog = path.join(dir, 'maillog');
  mkdirSync(configDir, { recursive: true, mode: 0o755 });
  mkdirSync(queueDir, { recursive: true, mode: 0o755 });
  const processLimit = Math.max(100, 2 * sessions);
  writeFileSync(path.join(configDir, 'main.cf'), mainCf({ dir, queueDir, dataDir, maillog, relayPort, processLimit }));
  const smtpdServices = smtpds.map(({ port, milter }) =>
    // maxproc "-" = default_process_limit, at least twice the sessions.
    service([`127.0.0.1:${port}`, 'inet', 'n', '-', 'n', '-', '-', 'smtpd'], [`smtpd_milters=${milter ?? ''}`]),
  );
  writeFileSync(path.join(configDir, 'master.cf'), [...BASE_SERVICES.map((s) => service(s)), ...smtpdServices, ''].join('\n'));

  const logTail = (lines = 40) => {
    try {
      return readFileSync(maillog, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no maillog)';
    }
  };
  const masterPid = () => {
    try {
      const pid = Number(readFileSync(path.join(queueDir, 'pid', 'master.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 1 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  let started = false;
  const stop = () => {
    if (!started) return;
    started = false;
    // `postfix stop` waits for master to go (and kills its group after 5 s); whatever is
    // left of master's process group is killed here.
    const pid = masterPid();
    postfixCommand(configDir, ['stop']);
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const check = postfixCommand(configDir, ['check']);
  if (check.status !== 0) throw new Error(`postfix check failed: ${check.output}`);
  started = true;
  let start = postfixCommand(configDir, ['start']);
  if (start.status !== 0) {
    // `master -w` gives the new master a few seconds to initialise; on a busy 2-core
    // machine it once ran out (test/helpers/postfix-instance.ts): try once more.
    postfixCommand(configDir, ['stop']);
    start = postfixCommand(configDir, ['start']);
  }
  if (start.status !== 0) {
    const tail = logTail();
    stop();
    throw new Error(`postfix start failed: ${start.output}\n${tail}`);
  }
  try {
    for (const { port } of smtpds) await waitForPort(port, 15_000);
  } catch (err) {
    const tail = logTail();
    stop();
    throw new Error(`${err.message}\n${tail}`);
  }
  /** Messages still in the queue (`postqueue -j`), or undefined when it cannot tell. */
  const queued = () => {
    const r = spawnSync('postqueue', ['-c', configDir, '-j'], { encoding: 'utf8', timeout: 30_000 });
    return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim()).length : undefined;
  };
  const version = spawnSync('postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).stdout.trim();
  return { dir, configDir, maillog, stop, logTail, queued, version, masterPid };
}
