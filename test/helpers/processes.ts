import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Free ports, waiting for things, running commands, and cleaning up after processes (for interop tests). */
// ---------------------------------------------------------------------------------------
// Ports and waiting

/** `count` distinct free TCP ports on 127.0.0.1 (all bound at once, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false; throws `describe()` on timeout. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(50);
  }
}

/** Resolves once 127.0.0.1:port accepts a TCP connection. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => string | undefined = () => undefined): Promise<void> {
  await waitFor(
    async () => {
      const dead = alive();
      if (dead) throw new Error(dead);
      return new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    },
    timeoutMs,
    () => `nothing accepts connections on 127.0.0.1:${port}`,
  );
}

// ---------------------------------------------------------------------------------------
// Processes and cleanup

/**
 * A watchdog for what a test started outside this process. afterAll hooks stop things
 * when tests fail; the reaper covers the test process itself dying (vitest kills its
 * workers, and no 'exit' handler runs then). It is a detached shell that waits for this
 * process to go away and then kills the given process groups and processes and removes
 * the given directories. cancel() ends it after a normal teardown.
 */
export interface Reaper {
  cancel(): void;
}

const REAPER_SCRIPT = `
parent=$1; shift
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
for target in "$@"; do
  case "$target" in
    pgid:*) kill -KILL "-\${target#pgid:}" 2>/dev/null ;;
    pid:*) kill -KILL "\${target#pid:}" 2>/dev/null ;;
    dir:*) rm -rf -- "\${target#dir:}" ;;
  esac
done
`;

export function startReaper(targets: { pgids?: readonly number[]; pids?: readonly number[]; dirs?: readonly string[] }): Reaper {
  const args = [
    ...(targets.pgids ?? []).map((g) => `pgid:${g}`),
    ...(targets.pids ?? []).map((p) => `pid:${p}`),
    ...(targets.dirs ?? []).map((d) => `dir:${d}`),
  ];
  const child = spawn('sh', ['-c', REAPER_SCRIPT, 'sekisho-test-reaper', String(process.pid), ...args], { detached: true, stdio: 'ignore' });
  child.unref();
  return {
    cancel: () => {
      try {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a program to completion (killed after `timeoutMs`); never throws for a non-zero exit. */
export function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const ms = Date.now() - started;
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}${err.killed ? ` (killed after ${timeoutMs} ms)` : ''}\n${stderr}`));
        return;
      }
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr, ms });
    });
  });
}

export function uidOf(user: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const uid = Number(line?.split(':')[2]);
  if (!line || !Number.isInteger(uid)) throw new Error(`user ${user} not found in /etc/passwd`);
  return uid;
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `sekisho-${prefix}-`));
  // Postfix daemons (user postfix) and smtp-sink (user nobody) must traverse it.
  chmodSync(dir, 0o755);
  return dir;
}

/** Live (non-zombie) processes in process group `pgid`. */
export function liveProcessesInGroup(pgid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}
