// Shared by the relay benchmark and the CPU profile script: Postfix's smtp-source and
// smtp-sink, a sekisho daemon on a temporary config, and stopping processes cleanly.
// Not a test helper: nothing here asserts anything about speed.
import { spawn, spawnSync } from 'node:child_process';
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const HERE = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
export const MAIN = path.resolve(HERE, '../dist/main.js');
/** The daemon is started as admins start it: bin/sekisho, node with the V8 flags it sets. */
export const LAUNCHER = path.resolve(HERE, '../bin/sekisho');

/** Exits with 2 when a Postfix tool is missing: the figures would be meaningless without them. */
export function requireTools(tools = ['smtp-source', 'smtp-sink']) {
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(`bench: ${tool} not found (apt-get install postfix)`);
      process.exit(2);
    }
  }
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function waitForPort(port, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

/**
 * smtp-sink with -c prints "sess=N quit=N mesg=N" as it goes; we keep the last count. It is
 * the one witness that a path really relayed: a proxy that answers 250 without delivering
 * would otherwise look fast. smtp-sink refuses to run as root without -u nobody.
 */
export function startSink(port) {
  const sink = spawn('smtp-sink', ['-u', 'nobody', '-c', `127.0.0.1:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'inherit'] });
  sink.messages = 0;
  // Waiters are woken by the counter line itself, not by polling: the milter bench times
  // "until the last message reached the sink" with it.
  const waiters = new Set();
  sink.stdout.on('data', (chunk) => {
    const all = [...chunk.toString().matchAll(/mesg=(\d+)/g)];
    if (!all.length) return;
    sink.messages = Number(all[all.length - 1][1]);
    for (const w of waiters) if (sink.messages >= w.target) w.done();
  });
  /** Resolves with the count once it reaches `target`, or with what it is after `timeoutMs`. */
  sink.waitForCount = (target, timeoutMs = 2000) =>
    new Promise((resolve) => {
      if (sink.messages >= target) return resolve(sink.messages);
      const w = {
        target,
        done: () => {
          clearTimeout(timer);
          waiters.delete(w);
          resolve(sink.messages);
        },
      };
      const timer = setTimeout(w.done, timeoutMs);
      waiters.add(w);
    });
  return sink;
}

/**
 * One smtp-source run, asynchronously so the sink's counter output keeps flowing meanwhile.
 * Never throws: a path that fails is reported as failed, not as a speed.
 */
export async function runSource(port, { messages, sessions, size, timeoutMs = 120_000 }) {
  const started = performance.now();
  const args = ['-s', String(sessions), '-m', String(messages), '-l', String(size), '-f', 'bench@example.com', '-t', 'sink@example.net', `127.0.0.1:${port}`];
  const source = spawn('smtp-source', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  source.stderr.on('data', (chunk) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    source.kill('SIGKILL');
  }, timeoutMs);
  const status = await new Promise((resolve) => source.once('exit', (code, signal) => resolve(code ?? signal)));
  clearTimeout(timer);
  const ms = performance.now() - started;
  const error = timedOut ? `smtp-source did not finish within ${timeoutMs / 1000} s` : status !== 0 ? `smtp-source exited with ${status}: ${stderr.trim().split('\n').slice(-2).join(' / ')}` : undefined;
  return { ms, rate: messages / (ms / 1000), error };
}

/**
 * Writes `yaml` as the config `name`.yaml in `work` and starts `sekisho serve` on it,
 * stdout (the JSON log) to `name`.log and stderr to `name`.err (a config error is
 * printed there, and the daemon exits 2).
 */
function spawnSekisho({ work, name, yaml, nodeArgs = [] }) {
  const config = path.join(work, `${name}.yaml`);
  writeFileSync(config, yaml);
  const logFile = path.join(work, `${name}.log`);
  const errFile = path.join(work, `${name}.err`);
  // The launcher execs node: proc.pid is the daemon's own (its /proc CPU figures are read).
  // The node that runs the bench runs the daemon (first on the launcher's PATH), and flags
  // of the caller's own (SEKISHO_NODE_OPTIONS) are kept.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, SEKISHO_NODE_OPTIONS: [process.env.SEKISHO_NODE_OPTIONS ?? '', ...nodeArgs].join(' ').trim() };
  const proc = spawn('sh', [LAUNCHER, 'serve', '--config', config], { env, stdio: ['ignore', openSync(logFile, 'w'), openSync(errFile, 'w')] });
  proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  return { proc, config, logFile, errFile };
}

/** The last `lines` non-empty lines of a file, joined with " / " (for failure messages). */
export function fileTail(file, lines = 3) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).slice(-lines).join(' / ');
  } catch {
    return '';
  }
}

/**
 * A sekisho daemon relaying to `upstream` with the default configuration, except what
 * `yaml` adds under `smtp:` (e.g. "  workers: 2\n") and the connection caps, raised so
 * that 20 parallel sessions from one address are not refused.
 */
export async function startSekisho({ work, name, upstream, smtpYaml = '', extraYaml = '', nodeArgs = [], expectListening = 1 }) {
  const yaml = `smtp:\n  listen: 127.0.0.1:0\n  upstream: ${upstream}\n  max_connections: 2000\n  max_connections_per_ip: 2000\n${smtpYaml}log:\n  level: info\n${extraYaml}`;
  const { proc, config, logFile, errFile } = spawnSekisho({ work, name, yaml, nodeArgs });
  let port;
  for (let i = 0; i < 300 && !port; i++) {
    await new Promise((r) => setTimeout(r, 50));
    // Only the SMTP listener's lines: the admin server logs "listening" too.
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"listening"') && l.includes('"smtp"'));
    if (lines.length >= expectListening) port = Number(JSON.parse(lines[0]).smtp.split(':').pop());
    if (proc.exitCode !== null) break;
  }
  if (!port) {
    proc.kill('SIGKILL');
    throw new Error(`sekisho (${name}) did not start: ${fileTail(errFile) || fileTail(logFile)} (log: ${logFile})`);
  }
  return { proc, port, logFile, config };
}

/**
 * A sekisho daemon on a configuration written in full by the caller, listening on a port
 * the caller chose (e.g. milter.listen): resolves once `port` accepts connections, throws
 * with the daemon's last words when it exits first or the port stays closed.
 */
export async function startSekishoOn({ work, name, yaml, port, nodeArgs = [], timeoutMs = 30_000 }) {
  const { proc, config, logFile, errFile } = spawnSekisho({ work, name, yaml, nodeArgs });
  const exitedEarly = proc.exited.then((status) => {
    throw new Error(`sekisho (${name}) exited with ${status} before 127.0.0.1:${port} opened: ${fileTail(errFile) || fileTail(logFile)}`);
  });
  try {
    await Promise.race([waitForPort(port, timeoutMs), exitedEarly]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}${err.message.includes('exited') ? '' : `; sekisho says: ${fileTail(logFile) || fileTail(errFile)}`} (files: ${logFile}, ${errFile})`);
  }
  exitedEarly.catch(() => undefined);
  return { proc, port, logFile, errFile, config };
}

/** Config keys of the build under test: a key it does not know makes `config check` exit 2. */
export function configAccepts({ work, name, yaml }) {
  const file = path.join(work, `probe-${name}.yaml`);
  writeFileSync(file, `smtp:\n  listen: 127.0.0.1:0\n  upstream: smtp://127.0.0.1:25\n${yaml}`);
  return spawnSync(process.execPath, [MAIN, 'config', 'check', file], { encoding: 'utf8' }).status === 0;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
export async function stopProcess(proc, graceMs = 10_000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode ?? proc.signalCode;
  const exited = proc.exited ?? new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  const result = await exited;
  clearTimeout(timer);
  return result;
}

export const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
export const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * CPU time (ms, user + system) of process `pid` and all its descendants, read from
 * /proc: the live processes' own time plus what each has collected from the children it
 * reaped, so that short-lived workers (Postfix's smtpd, Rspamd's) still count once gone.
 * Threads are inside their process's figure. Undefined where /proc cannot tell.
 */
export function processTreeCpuMs(pid) {
  return processTreeCpu(pid);
}

/**
 * CPU time (ms) of the children this process has waited for, e.g. every smtp-source run
 * that has exited: /proc/self/stat's cutime + cstime.
 */
export function reapedChildrenCpuMs() {
  try {
    const text = readFileSync('/proc/self/stat', 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) * (1000 / 100);
  } catch {
    return undefined;
  }
}

function processTreeCpu(pid) {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const stats = new Map();
  let names;
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const n of names) {
    try {
      // The command name may contain spaces and parentheses: fields start after the last ")".
      const text = readFileSync(`/proc/${n}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // f[1] = ppid; f[11..14] = utime, stime, cutime, cstime (fields 14–17 of proc(5)).
      stats.set(Number(n), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // gone meanwhile
    }
  }
  if (!stats.has(pid)) return undefined;
  let total = 0;
  const queue = [pid];
  const seen = new Set();
  while (queue.length) {
    const p = queue.pop();
    if (seen.has(p)) continue;
    seen.add(p);
    total += stats.get(p)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === p) queue.push(child);
  }
  return total * tick;
}
