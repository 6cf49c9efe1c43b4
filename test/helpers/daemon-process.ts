import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN = path.resolve(__dirname, '../../dist/main.js');
const LAUNCHER = path.resolve(__dirname, '../../bin/sekisho');

/**
 * `sekisho serve` as a real process (the built dist/main.js), for what only a process
 * has: signals, exit codes, cluster workers. Its JSON log lines are collected as they come.
 */
export class DaemonProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly configFile: string,
  ) {
    let partial = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      for (const w of this.waiters.splice(0)) w();
    });
    proc.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Writes `yaml` to a temp file and starts `sekisho serve --config` on it: dist/main.js
   * under this node, or with `launcher` as admins start it, through bin/sekisho.
   */
  static start(yaml: string, { launcher = false } = {}): DaemonProcess {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-daemon-'));
    const configFile = path.join(dir, 'sekisho.yaml');
    writeFileSync(configFile, withQuarantine(yaml, dir));
    const args = ['serve', '--config', configFile];
    // The launcher runs the first node on PATH: this test's own node first.
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
    const proc = launcher ? spawn('sh', [LAUNCHER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new DaemonProcess(proc, configFile);
  }

  rewriteConfig(yaml: string): void {
    writeFileSync(this.configFile, withQuarantine(yaml, path.dirname(this.configFile)));
  }

  /** Waits until `count` log lines match, or fails after `timeoutMs`. */
  async waitFor(match: (line: Record<string, unknown>) => boolean, count = 1, timeoutMs = 15_000): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for log line; have:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr.join('')}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** The SMTP port, from the "listening" line. */
  async port(): Promise<number> {
    const [line] = await this.waitFor((l) => l['event'] === 'listening' && typeof l['smtp'] === 'string');
    return Number(String(line!['smtp']).split(':').pop());
  }

  /** Where the milter listens, from the "listening" line: "127.0.0.1:PORT" or "unix:/path". */
  async milterAddress(): Promise<string> {
    const [line] = await this.waitFor((l) => l['event'] === 'listening' && typeof l['milter'] === 'string');
    return String(line!['milter']);
  }

  /** The milter's TCP port (milter.listen 127.0.0.1:0 picks one). */
  async milterPort(): Promise<number> {
    const address = await this.milterAddress();
    if (address.startsWith('unix:')) throw new Error(`the milter listens on ${address}, not on a TCP port`);
    return Number(address.split(':').pop());
  }

  /** Its transaction log lines so far (one per message, whatever the ingress). */
  transactions(): Array<Record<string, unknown>> {
    return this.lines.filter((l) => l['event'] === 'transaction');
  }

  /** The admin HTTP port, from its "listening" line. */
  async adminPort(): Promise<number> {
    const [line] = await this.waitFor((l) => l['event'] === 'listening' && typeof l['admin'] === 'string');
    return Number(String(line!['admin']).split(':').pop());
  }

  signal(name: NodeJS.Signals): void {
    this.proc.kill(name);
  }

  /** SIGTERM, as an init system stops it; SIGKILL when it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Teardown: SIGKILL if it is still running. */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** Each daemon its own quarantine directory, never the repository's var/. */
function withQuarantine(yaml: string, dir: string): string {
  return /^quarantine:/m.test(yaml) ? yaml : `${yaml}\nquarantine:\n  dir: ${path.join(dir, 'quarantine')}\n`;
}
