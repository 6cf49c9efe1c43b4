import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { service } from './postfix-snippets.js';
import { run, startReaper, tempDir, waitForPort, type Reaper } from './processes.js';
import { requireTool } from './tools.js';

/** A throwaway real Postfix instance in a temp directory, for interop tests. */
/** A throwaway Postfix instance needs root (`postfix start` runs master as root). */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('The Postfix interop tests must run as root: `postfix -c DIR start` starts a real master(8). These tests never skip.');
  }
}

// ---------------------------------------------------------------------------------------
// A throwaway Postfix instance

/** The services every instance needs (no chroot: the queue directory is a temp dir). */
const BASE_SERVICES = [
  ['pickup', 'unix', ['n', '-', 'n', '60', '1'], 'pickup'],
  ['cleanup', 'unix', ['n', '-', 'n', '-', '0'], 'cleanup'],
  ['qmgr', 'unix', ['n', '-', 'n', '300', '1'], 'qmgr'],
  ['tlsmgr', 'unix', ['-', '-', 'n', '1000?', '1'], 'tlsmgr'],
  ['rewrite', 'unix', ['-', '-', 'n', '-', '-'], 'trivial-rewrite'],
  ['bounce', 'unix', ['-', '-', 'n', '-', '0'], 'bounce'],
  ['defer', 'unix', ['-', '-', 'n', '-', '0'], 'bounce'],
  ['trace', 'unix', ['-', '-', 'n', '-', '0'], 'bounce'],
  ['verify', 'unix', ['-', '-', 'n', '-', '1'], 'verify'],
  ['flush', 'unix', ['n', '-', 'n', '1000?', '0'], 'flush'],
  ['proxymap', 'unix', ['-', '-', 'n', '-', '-'], 'proxymap'],
  ['proxywrite', 'unix', ['-', '-', 'n', '-', '1'], 'proxymap'],
  ['smtp', 'unix', ['-', '-', 'n', '-', '-'], 'smtp'],
  ['relay', 'unix', ['-', '-', 'n', '-', '-'], 'smtp'],
  ['showq', 'unix', ['n', '-', 'n', '-', '-'], 'showq'],
  ['error', 'unix', ['-', '-', 'n', '-', '-'], 'error'],
  ['retry', 'unix', ['-', '-', 'n', '-', '-'], 'error'],
  ['discard', 'unix', ['-', '-', 'n', '-', '-'], 'discard'],
  ['anvil', 'unix', ['-', '-', 'n', '-', '1'], 'anvil'],
  ['scache', 'unix', ['-', '-', 'n', '-', '1'], 'scache'],
  ['postlog', 'unix-dgram', ['n', '-', 'n', '-', '1'], 'postlogd'],
] as const;

export interface PostfixStartOptions {
  /** Where Postfix relays everything it queues, e.g. `[127.0.0.1]:2525`. */
  readonly relayhost: string;
  /** Added to the instance's main.cf. */
  readonly mainCf?: string;
  /** Added to the instance's master.cf (the inet services under test). */
  readonly masterCf?: string;
  /** inet ports that must accept connections before start() returns. */
  readonly ports: readonly number[];
  /** Name in greetings and Received headers. */
  readonly myhostname?: string;
  /**
   * Offer STARTTLS in every smtpd and use it opportunistically in the SMTP client, with a
   * self-signed certificate, as Debian's stock main.cf does (default true): the settings
   * under test must work on a typical installation, where the after-filter smtpd
   * inherits `smtpd_tls_security_level = may`.
   */
  readonly tls?: boolean;
}

/**
 * A real Postfix in a temp directory, with its own config_directory, queue_directory
 * and data_directory, listening on 127.0.0.1 only. `postfix -c DIR start/stop`.
 * stop() is safe to call in any state; if the test process dies without calling it, a
 * reaper kills the instance and removes its directory.
 */
export class PostfixInstance {
  readonly dir: string;
  readonly configDir: string;
  readonly queueDir: string;
  readonly dataDir: string;
  readonly maillog: string;
  private readonly postfix: string;
  private started = false;
  private stopped = false;
  /** master(8)'s pid, which is also its process group. */
  masterPid: number | undefined;
  private reaper: Reaper;

  private constructor(name: string) {
    requireRoot();
    this.postfix = requireTool('postfix');
    requireTool('postconf');
    this.dir = tempDir(`postfix-${name}`);
    this.configDir = path.join(this.dir, 'etc');
    this.queueDir = path.join(this.dir, 'queue');
    // Created by `postfix start` (post-install), owned by the mail_owner as required.
    this.dataDir = path.join(this.dir, 'data');
    this.maillog = path.join(this.dir, 'maillog');
    mkdirSync(this.configDir, { mode: 0o755 });
    // postfix check creates the queue's subdirectories, with their owners, inside it.
    mkdirSync(this.queueDir, { mode: 0o755 });
    this.reaper = startReaper({ dirs: [this.dir] });
  }

  /** Creates the directory; write map files with {@link writeConfigFile}, then start(). */
  static create(name: string): PostfixInstance {
    return new PostfixInstance(name);
  }

  /** Writes a file into the config directory (maps, etc.) and returns its path. */
  writeConfigFile(name: string, content: string): string {
    const file = path.join(this.configDir, name);
    writeFileSync(file, content, { mode: 0o644 });
    return file;
  }

  async start(o: PostfixStartOptions): Promise<void> {
    const main = [
      '# Throwaway test instance (test/helpers/postfix.ts).',
      'compatibility_level = 3.6',
      `queue_directory = ${this.queueDir}`,
      `data_directory = ${this.dataDir}`,
      `maillog_file = ${this.maillog}`,
      `maillog_file_prefixes = ${this.dir}`,
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      `myhostname = ${o.myhostname ?? 'postfix.test'}`,
      'mydomain = postfix.test',
      'myorigin = $myhostname',
      'mydestination =',
      'local_recipient_maps =',
      'alias_maps =',
      'alias_database =',
      'mynetworks = 127.0.0.0/8',
      `relayhost = ${o.relayhost}`,
      'smtpd_peername_lookup = no',
      ...(o.tls === false ? ['smtp_tls_security_level = none', 'smtpd_tls_security_level = none'] : await this.tlsSettings()),
      'biff = no',
      '',
      o.mainCf ?? '',
      '',
    ].join('\n');
    const master = [
      ...BASE_SERVICES.map(([name, type, fields, command]) =>
        // The relayhost (a TestSink) gets XFORWARD with the client attributes Postfix
        // stored in the queue file: how a test sees what XFORWARD told the smtpd.
        service(name, type, [...fields], command, name === 'smtp' ? ['smtp_send_xforward_command=yes'] : []),
      ),
      o.masterCf ?? '',
      '',
    ].join('\n');
    this.writeConfigFile('main.cf', main);
    this.writeConfigFile('master.cf', master);

    const check = await run(this.postfix, ['-c', this.configDir, 'check']);
    if (check.code !== 0) {
      const log = this.log();
      await this.stop();
      throw new Error(`postfix check failed (${check.code}):\n${check.stderr}\n--- maillog ---\n${log}`);
    }
    this.started = true;
    let start = await run(this.postfix, ['-c', this.configDir, 'start']);
    if (start.code !== 0) {
      // `postfix start` runs `master -w`, which gives the new master a limited time to
      // initialise (master_monitor). On a 2-core machine with the whole test suite busy it
      // once ran out ("fatal: mail system startup failed" and nothing else): try once more.
      await run(this.postfix, ['-c', this.configDir, 'stop']);
      start = await run(this.postfix, ['-c', this.configDir, 'start']);
    }
    if (start.code !== 0) {
      const log = this.log();
      await this.stop();
      throw new Error(`postfix start failed (${start.code}):\n${start.stdout}${start.stderr}\n--- maillog ---\n${log}`);
    }
    this.masterPid = this.readMasterPid();
    if (this.masterPid !== undefined) {
      this.reaper.cancel();
      this.reaper = startReaper({ pgids: [this.masterPid], dirs: [this.dir] });
    }
    try {
      for (const port of o.ports) await waitForPort(port, 15_000);
    } catch (err) {
      const log = this.log();
      await this.stop();
      throw new Error(`${(err as Error).message}\n--- maillog ---\n${log}`);
    }
  }

  /** Debian's stock TLS settings, with a fresh self-signed certificate (like its snakeoil one). */
  private async tlsSettings(): Promise<string[]> {
    const key = path.join(this.configDir, 'tls-key.pem');
    const cert = path.join(this.configDir, 'tls-cert.pem');
    const made = await run(requireTool('openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=postfix.test']);
    if (made.code !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
    chmodSync(key, 0o600);
    return [
      `smtpd_tls_cert_file = ${cert}`,
      `smtpd_tls_key_file = ${key}`,
      'smtpd_tls_security_level = may',
      'smtp_tls_CApath = /etc/ssl/certs',
      'smtp_tls_security_level = may',
      `smtp_tls_session_cache_database = btree:${this.dataDir}/smtp_scache`,
    ];
  }

  /** The instance's log so far (maillog_file, written by postlogd). */
  log(): string {
    try {
      return readFileSync(this.maillog, 'utf8');
    } catch {
      return '(no maillog yet)';
    }
  }

  /** The last `lines` lines of the log, for failure messages. */
  logTail(lines = 60): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /** `postqueue -j`: every queued message (deferred and held ones included). */
  async queue(): Promise<Array<Record<string, unknown>>> {
    const result = await run(requireTool('postqueue'), ['-c', this.configDir, '-j']);
    if (result.code !== 0) throw new Error(`postqueue -j failed: ${result.stderr}`);
    return result.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.started) {
      // `postfix stop` returns once master has released its lock (it waits up to 5 s,
      // then kills the process group itself); whatever is left is killed below.
      await run(this.postfix, ['-c', this.configDir, 'stop'], 20_000).catch(() => undefined);
      this.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.reaper.cancel();
  }

  private readMasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(path.join(this.queueDir, 'pid', 'master.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 1 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL to master's process group (master and every daemon it started). */
  private kill(): void {
    const pid = this.masterPid ?? this.readMasterPid();
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
