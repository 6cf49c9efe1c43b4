// Haraka 3.3.4 with `queue/smtp_proxy` as the peer sekisho is compared with (issue 9): the
// same lock-step design (the next hop is opened at MAIL FROM and its replies are the
// client's), in one process. Installed by npm into a cache folder outside the repository,
// so that repeated runs do not reinstall and no Haraka code ever lands in the worktree.
// Set up as /work/shared/brief/tech-facts.md §8 says: `haraka -i DIR`, then plugins,
// host_list, smtp_proxy.ini and smtp.ini.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './smtp-tools.mjs';

export const HARAKA_VERSION = '3.3.4';

function installedVersion(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', 'Haraka', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * Returns the path of Haraka's bin/haraka, installing it first when the cache lacks it.
 * Throws with npm's own words when the install fails. The install goes to a scratch
 * folder that is renamed into place only when complete, so a failed or interrupted
 * install is never mistaken for a cached one.
 */
export function ensureHaraka(cacheDir = process.env.BENCH_HARAKA_DIR ?? path.join(os.tmpdir(), `sekisho-bench-haraka-${HARAKA_VERSION}`)) {
  const bin = path.join(cacheDir, 'node_modules', 'Haraka', 'bin', 'haraka');
  if (installedVersion(cacheDir) === HARAKA_VERSION && existsSync(bin)) return { bin, cached: true, cacheDir };
  const scratch = `${cacheDir}.installing-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const npm = spawnSync('npm', ['install', '--prefix', scratch, `Haraka@${HARAKA_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'], { encoding: 'utf8', timeout: 300_000 });
  if (npm.status !== 0 || installedVersion(scratch) !== HARAKA_VERSION) {
    rmSync(scratch, { recursive: true, force: true });
    const lines = (npm.stderr || npm.stdout || '').trim().split('\n').filter((l) => l.trim() && !/^npm error\s*[{}]?\s*$/.test(l));
    // npm puts the cause first ("code ECONNREFUSED", "request to … failed") and advice last.
    const why = npm.error?.message ?? (lines.slice(0, 2).join(' / ') || `npm exited with ${npm.status}`);
    throw new Error(`npm install Haraka@${HARAKA_VERSION} failed: ${why}`);
  }
  rmSync(cacheDir, { recursive: true, force: true });
  renameSync(scratch, cacheDir);
  return { bin, cached: false, cacheDir };
}

/**
 * Starts Haraka as a one-process smtp_proxy in front of 127.0.0.1:`nextHopPort`, accepting
 * mail for `domain`. Logs go to a file at Haraka's default level (info), as sekisho's
 * transaction log does at its default.
 */
export async function startHaraka({ bin, work, nextHopPort, domain = 'example.net' }) {
  const dir = path.join(work, 'haraka');
  const init = spawnSync(process.execPath, [bin, '-i', dir], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`haraka -i failed: ${(init.stderr || init.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  const port = await freePort();
  const config = path.join(dir, 'config');
  writeFileSync(path.join(config, 'plugins'), 'rcpt_to.in_host_list\nqueue/smtp_proxy\n');
  writeFileSync(path.join(config, 'host_list'), `${domain}\n`);
  writeFileSync(path.join(config, 'smtp_proxy.ini'), `host=127.0.0.1\nport=${nextHopPort}\n`);
  // nodes=0: no cluster, one process (the comparison is per process).
  writeFileSync(path.join(config, 'smtp.ini'), `listen=127.0.0.1:${port}\nnodes=0\n`);
  const logFile = path.join(work, 'haraka.log');
  const out = openSync(logFile, 'w');
  const proc = spawn(process.execPath, [bin, '-c', dir], { stdio: ['ignore', out, out] });
  proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await waitForPort(port, 20_000);
  } catch {
    proc.kill('SIGKILL');
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' / ');
    throw new Error(`Haraka did not open port ${port}: ${tail}`);
  }
  return { proc, port, logFile, dir };
}
