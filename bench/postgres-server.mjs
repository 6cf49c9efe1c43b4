// A throw-away PostgreSQL server for the store benchmark: its own cluster in a temp dir,
// Debian's binaries, the stock durability settings (fsync on, synchronous_commit on), so
// that a write is measured as production would pay for it. As root the cluster belongs to
// the user postgres (the server refuses root). Not a test helper.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function binDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl'))) : [];
  if (versions.length === 0) {
    console.error('bench: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
    process.exit(2);
  }
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

export function startPostgres(port) {
  const bin = binDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-bench-pg-'));
  const runAs = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (runAs.length > 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, uid);
  }
  const data = path.join(dir, 'data');
  const exec = (program, args) => {
    const argv = [...runAs, path.join(bin, program), ...args];
    execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], cwd: dir });
  };
  exec('initdb', ['-D', data, '-U', 'sekisho', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8']);
  const conf = { listen_addresses: "'127.0.0.1'", port, unix_socket_directories: `'${dir}'`, max_connections: 200, shared_buffers: '256MB' };
  writeFileSync(path.join(data, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
  exec('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  return {
    url: (db) => `postgres://sekisho@127.0.0.1:${port}/${db}`,
    stop() {
      try {
        exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
