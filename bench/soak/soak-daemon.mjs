// `sekisho serve` (the built dist/main.js) as the soak runs it: started on a fixed port so
// clients find it again after a restart, in a process group of its own so that SIGKILL takes
// the primary and its cluster workers at once (a crash or the OOM killer), and watched for
// memory: the kernel's high-water mark (VmHWM) of every process of the group.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const MAIN = path.resolve(import.meta.dirname, '../../dist/main.js');

export class SoakDaemon {
  /** Highest VmHWM of one sekisho process, and highest sum of VmRSS over the group, in bytes. */
  peakRss = 0;
  peakGroupRss = 0;
  /** The primary exited without being told to (a crash of sekisho's own). */
  exitedByItself = false;
  #told = false;
  #proc;
  #exited;
  #logFile;
  #sampler;

  /** Starts sekisho on `yaml`; resolves once `listeners` SMTP listeners have logged "listening". */
  static async start({ dir, name, yaml, listeners, timeoutMs = 60_000 }) {
    const daemon = new SoakDaemon();
    const config = path.join(dir, `${name}.yaml`);
    writeFileSync(config, yaml);
    daemon.#logFile = path.join(dir, `${name}.log`);
    const out = openSync(daemon.#logFile, 'a');
    daemon.#proc = spawn(process.execPath, [MAIN, 'serve', '--config', config], { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    daemon.#exited = new Promise((resolve) =>
      daemon.#proc.once('exit', (code, signal) => {
        daemon.exitedByItself = !daemon.#told;
        resolve({ code, signal });
      }),
    );
    daemon.#sampler = setInterval(() => daemon.#sample(), 250);
    daemon.#sampler.unref();
    const deadline = Date.now() + timeoutMs;
    while (daemon.listening().length < listeners) {
      if (daemon.#proc.exitCode !== null || daemon.#proc.signalCode !== null || Date.now() > deadline) {
        daemon.killGroup();
        throw new Error(`sekisho did not start (${name}); see ${daemon.#logFile}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return daemon;
  }

  get pid() {
    return this.#proc.pid;
  }

  get logFile() {
    return this.#logFile;
  }

  /** The log's JSON lines so far. */
  lines() {
    const out = [];
    for (const line of readFileSync(this.#logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }

  /** "listening" lines of SMTP listeners (one per cluster worker, or the one process). */
  listening() {
    return this.lines().filter((l) => l.event === 'listening' && typeof l.smtp === 'string');
  }

  /** Pids of the cluster workers alive now (the group less the primary). */
  workerPids() {
    return groupPids(this.#proc.pid).filter((p) => p !== this.#proc.pid);
  }

  /** SIGKILL to the whole process group: primary, workers, inspection threads. */
  killGroup() {
    this.#told = true;
    this.#sample();
    try {
      process.kill(-this.#proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return this.#finished();
  }

  /** SIGTERM (the drain), then SIGKILL to the group after `graceMs`. */
  async stop(graceMs = 20_000) {
    this.#told = true;
    this.#sample();
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), graceMs);
    const result = await this.#exited;
    clearTimeout(timer);
    await this.#finished();
    return result;
  }

  async #finished() {
    const result = await this.#exited;
    clearInterval(this.#sampler);
    // The group's other processes (workers) go with the primary; wait until they have.
    for (let i = 0; i < 100 && groupPids(this.#proc.pid).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    return result;
  }

  #sample() {
    let sum = 0;
    for (const pid of groupPids(this.#proc.pid)) {
      const status = readStatus(pid);
      if (!status) continue;
      sum += status.rss;
      this.peakRss = Math.max(this.peakRss, status.hwm);
    }
    this.peakGroupRss = Math.max(this.peakGroupRss, sum);
  }
}

/** Live processes of process group `pgid` (from /proc: no `ps` per sample). */
function groupPids(pgid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function readStatus(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}
