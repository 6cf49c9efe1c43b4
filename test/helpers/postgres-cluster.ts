import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startReaper, uidOf, type Reaper } from './processes.js';

/**
 * A real PostgreSQL for tests, from its own temporary cluster: `initdb` into a temp dir,
 * the server on a free loopback port and a socket in that dir, stopped and removed after.
 * Debian's server binaries (package postgresql, /usr/lib/postgresql/<version>/bin) must be
 * there: without them this throws, so the tests fail and are never skipped. PostgreSQL
 * refuses to run as root, so as root (CI) the cluster belongs to the user postgres and
 * initdb and pg_ctl run through runuser.
 */
export class PostgresCluster {
  private reaper: Reaper | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: string | undefined,
  ) {}

  /** `durable: false` (the default for tests) turns fsync off: the tests kill sekisho, never the machine. */
  static async start(options: { durable?: boolean; settings?: Record<string, string> } = {}): Promise<PostgresCluster> {
    const bin = serverBinaries();
    const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-pg-'));
    if (asUser) {
      const uid = uidOf(asUser);
      chownSync(dir, uid, uid);
    }
    chmodSync(dir, 0o700);
    const cluster = new PostgresCluster(dir, await freePort(), bin, asUser);
    cluster.run('initdb', ['-D', cluster.data, '-U', 'sekisho', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
    const settings: Record<string, string> = {
      listen_addresses: "'127.0.0.1'",
      port: String(cluster.port),
      unix_socket_directories: `'${dir}'`,
      max_connections: '200',
      shared_buffers: '128MB',
      ...(options.durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
      ...options.settings,
    };
    writeFileSync(path.join(cluster.data, 'postgresql.auto.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
    cluster.startServer();
    return cluster;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  /** postgres://sekisho@127.0.0.1:PORT/DATABASE (trust authentication: no password). */
  url(database = 'postgres'): string {
    return `postgres://sekisho@127.0.0.1:${this.port}/${database}`;
  }

  /** A fresh database, for one test file or one test. */
  async createDatabase(name: string): Promise<string> {
    await this.sql(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** One statement as the superuser, on a connection of its own. */
  async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server (fast: sessions are ended, as in a real outage or failover). */
  stopServer(mode: 'fast' | 'immediate' = 'fast'): void {
    this.reaper?.cancel();
    this.reaper = undefined;
    this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', 'stop']);
  }

  startServer(): void {
    this.run('pg_ctl', ['-D', this.data, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
    const pid = Number(readFileSync(path.join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Should the test process die, the server and its files go with it.
    this.reaper = startReaper({ pids: [pid], dirs: [this.dir] });
  }

  /** Stops the server and removes the cluster. */
  destroy(): void {
    if (existsSync(path.join(this.data, 'postmaster.pid'))) {
      try {
        this.stopServer('immediate');
      } catch {
        // already down
      }
    }
    this.reaper?.cancel();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's log, for a failing test's message. */
  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private run(program: string, args: readonly string[]): void {
    const file = path.join(this.bin, program);
    const [cmd, argv] = this.asUser ? ['runuser', ['-u', this.asUser, '--', file, ...args]] : [file, [...args]];
    try {
      execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, cwd: this.dir });
    } catch (err) {
      const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
      throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}\n${this.log()}`);
    }
  }
}

/** The newest Debian PostgreSQL server's bin directory; throws when there is none. */
function serverBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server under ${root}/<version>/bin (apt-get install postgresql): the PostgreSQL tests cannot run`);
  return path.join(root, newest, 'bin');
}
