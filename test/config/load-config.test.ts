import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/load-config.js';

const base = { smtp: { listen: '127.0.0.1:2525', upstream: 'smtp://127.0.0.1:10026' } };

function problems(data: unknown): readonly string[] {
  try {
    validateConfig('t.yaml', data);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('the shipped config/sekisho.yaml is valid and relays to the outbox', () => {
    const { config } = loadConfig(path.resolve(__dirname, '../../config/sekisho.yaml'));
    expect(config.smtp.upstream).toEqual({ kind: 'outbox', dir: path.resolve('var/outbox') });
    expect(config.smtp.listen).toEqual({ host: '127.0.0.1', port: 2525 });
  });

  it('the Docker image configuration is valid and listens on all interfaces', () => {
    const { config } = loadConfig(path.resolve(__dirname, '../../config/docker.yaml'));
    expect(config.smtp.listen).toEqual({ host: '0.0.0.0', port: 2525 });
    expect(config.smtp.upstream).toEqual({ kind: 'outbox', dir: '/app/var/outbox' });
    expect(config.milter.listen).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 8891 });
  });

  it('fills defaults and parses durations, sizes and addresses', () => {
    const { config } = validateConfig('t.yaml', {
      smtp: { ...base.smtp, listen: '[::1]:25', max_message_bytes: '10MiB', timeouts: { idle: '5m', upstream_data: 90, upstream_command: '250ms' } },
    });
    expect(config.smtp.listen).toEqual({ host: '::1', port: 25 });
    expect(config.smtp.upstream).toEqual({ kind: 'smtp', host: '127.0.0.1', port: 10026 });
    expect(config.smtp.max_message_bytes).toBe(10 * 1024 * 1024);
    expect(config.smtp.timeouts).toEqual({ idle: 300_000, transaction: 1_800_000, data: 900_000, data_rate_grace: 60_000, upstream_connect: 30_000, upstream_command: 250, upstream_data: 90_000, shutdown_grace: 30_000 });
    expect(config.smtp.min_data_rate).toBe(128);
    expect(config.smtp.workers).toBe(1);
    expect(config.smtp.upstream_tls).toEqual({ starttls: 'opportunistic', verify: true });
    expect(config.log.level).toBe('info');
  });

  it('a missing key is named', () => {
    expect(problems({ smtp: { listen: '127.0.0.1:25' } })).toEqual(['smtp.upstream: required key is missing (expected string)']);
    expect(problems({})).toEqual(['smtp: required key is missing (expected object)']);
  });

  it('a wrong type is named with what was found', () => {
    expect(problems({ smtp: { ...base.smtp, workers: '2' } })).toEqual(['smtp.workers: expected number, got string "2"']);
    expect(problems({ smtp: { ...base.smtp, xforward_hosts: ['127.0.0.1', 5] } })).toEqual(['smtp.xforward_hosts[1]: expected string, got number 5']);
  });

  it('an unknown key is named, at any depth', () => {
    expect(problems({ ...base, smtpp: {} })).toEqual(['smtpp: unknown key']);
    expect(problems({ smtp: { ...base.smtp, timeouts: { idel: '5m' } } })).toEqual(['smtp.timeouts.idel: unknown key']);
  });

  it('bad values say what is expected', () => {
    expect(problems({ smtp: { ...base.smtp, upstream: 'lmtp://x:24' } })).toEqual(['smtp.upstream: expected smtp://host:port or outbox:DIR, got "lmtp://x:24"']);
    expect(problems({ smtp: { ...base.smtp, listen: '127.0.0.1' } })).toEqual(['smtp.listen: expected host:port such as 127.0.0.1:2525 or [::1]:2525, got "127.0.0.1"']);
    expect(problems({ smtp: { ...base.smtp, max_message_bytes: '-5' } })[0]).toMatch(/^smtp\.max_message_bytes: expected a positive size/);
    expect(problems({ smtp: { ...base.smtp, timeouts: { idle: 'forever' } } })[0]).toMatch(/^smtp\.timeouts\.idle: expected a positive duration/);
    expect(problems({ ...base, log: { level: 'loud' } })[0]).toMatch(/^log\.level: expected one of "fatal", .* got string "loud"/);
    expect(problems({ smtp: { ...base.smtp, upstream_tls: { starttls: 'maybe' } } })[0]).toMatch(/^smtp\.upstream_tls\.starttls: expected one of/);
  });

  it('milter: host:port, inet:host:port or unix:/path; smtp.listen may then be left out, but one ingress is required', () => {
    const upstream = 'smtp://127.0.0.1:10026';
    const milterOnly = validateConfig('t.yaml', { smtp: { upstream }, milter: { listen: 'inet:127.0.0.1:8891' } }).config;
    expect(milterOnly.smtp.listen).toBeUndefined();
    expect(milterOnly.milter).toEqual({ listen: { kind: 'tcp', host: '127.0.0.1', port: 8891 }, socket_mode: 0o660, quarantine: 'store', max_connections: 1000, timeouts: { idle: 600_000 } });
    expect(validateConfig('t.yaml', { smtp: { upstream }, milter: { listen: 'unix:/run/sekisho/milter.sock', socket_mode: '0600', quarantine: 'hold' } }).config.milter).toMatchObject({
      listen: { kind: 'unix', path: '/run/sekisho/milter.sock' },
      socket_mode: 0o600,
      quarantine: 'hold',
    });
    expect(problems({ smtp: { upstream } })).toEqual(['smtp.listen: required unless milter.listen is set (an address such as 127.0.0.1:2525)']);
    expect(problems({ ...base, milter: { listen: 'unix:relative.sock' } })[0]).toMatch(/^milter\.listen: expected unix: and an absolute path/);
    expect(problems({ ...base, milter: { listen: '8891' } })[0]).toMatch(/^milter\.listen: expected host:port such as 127\.0\.0\.1:8891, or unix:\/path/);
    expect(problems({ ...base, milter: { listen: '127.0.0.1:8891', quarantine: 'drop' } })[0]).toMatch(/^milter\.quarantine: expected one of "store", "hold"/);
    expect(problems({ ...base, milter: { socket_mode: '999' } })[0]).toMatch(/^milter\.socket_mode: /);
  });

  it('reports every problem at once', () => {
    expect(problems({ smtp: { listen: 'x', workers: 0 }, bogus: 1 })).toHaveLength(4);
  });

  it('files the config names must be readable', () => {
    expect(problems({ smtp: { ...base.smtp, tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } } })).toEqual([
      'smtp.tls.cert: cannot read /nonexistent/cert.pem: ENOENT',
      'smtp.tls.key: cannot read /nonexistent/key.pem: ENOENT',
    ]);
  });

  it('quarantine.store: a URL or a mapping; the password from a file or a variable, never in the config; problems name the key', () => {
    const url = 'postgres://sekisho@db.example:5432/sekisho';
    const short = validateConfig('t.yaml', { ...base, quarantine: { store: url } });
    expect(short.config.quarantine.store).toEqual({ url, pool_size: 10, connect_timeout: 5000, statement_timeout: 10_000 });
    expect(short.quarantinePassword).toBeUndefined();

    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-cfg-'));
    const secret = path.join(dir, 'db-password');
    writeFileSync(secret, 'correct horse\n');
    const fromFile = validateConfig('t.yaml', { ...base, quarantine: { store: { url, password_file: secret, statement_timeout: '3s' } } });
    expect(fromFile.quarantinePassword).toBe('correct horse');
    expect(fromFile.config.quarantine.store?.statement_timeout).toBe(3000);
    expect(JSON.stringify(fromFile.config)).not.toContain('correct horse');

    process.env['SEKISHO_TEST_DB_PASSWORD'] = 'battery staple';
    try {
      expect(validateConfig('t.yaml', { ...base, quarantine: { store: { url, password_env: 'SEKISHO_TEST_DB_PASSWORD' } } }).quarantinePassword).toBe('battery staple');
    } finally {
      delete process.env['SEKISHO_TEST_DB_PASSWORD'];
    }
    expect(problems({ ...base, quarantine: { store: { url, password_env: 'SEKISHO_TEST_DB_PASSWORD' } } })).toEqual(['quarantine.store.password_env: the environment variable SEKISHO_TEST_DB_PASSWORD is not set']);
    expect(problems({ ...base, quarantine: { store: { url, password_file: path.join(dir, 'missing') } } })).toEqual([`quarantine.store.password_file: cannot read ${path.join(dir, 'missing')}: ENOENT`]);
    expect(problems({ ...base, quarantine: { store: { url, password_file: secret, password_env: 'X' } } })).toEqual(['quarantine.store.password_env: password_file and password_env: set one, not both']);
    expect(problems({ ...base, quarantine: { store: 'mysql://db/x' } })).toEqual(['quarantine.store.url: a postgres:// or postgresql:// URL']);
    expect(problems({ ...base, quarantine: { store: { url, pool: 3 } } })).toEqual(['quarantine.store.pool: unknown key']);
  });

  it('YAML syntax errors and unreadable files are ConfigErrors too', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-config-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'smtp:\n  listen: "unterminated\n');
    expect(() => loadConfig(bad)).toThrow(/not valid YAML/);
    expect(() => loadConfig(path.join(dir, 'missing.yaml'))).toThrow(/cannot read the file: ENOENT/);
  });

  describe('brands', () => {
    const local = (yaml: string) => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sekisho-brands-')), 'brands.local.yaml');
      writeFileSync(file, yaml);
      return file;
    };

    it('loads the shipped catalog by default, and none when the detector is off', () => {
      const on = validateConfig('t.yaml', base);
      expect(on.brands.length).toBeGreaterThan(45);
      expect(on.brands.find((b) => b.id === 'chibabank')?.domains).toEqual(['chibabank.co.jp']);
      expect(validateConfig('t.yaml', { ...base, brands: { enabled: false } }).brands).toEqual([]);
    });

    it('a local file adds brands, extends shipped ones and disables others', () => {
      const file = local(
        ['version: 1', 'brands:', '  - id: example-corp', '    name: エグザンプル', '    names: [エグザンプル]', '    domains: [example.co.jp]', '  - id: chibabank', '    senders: [mail-vendor.example]', 'disable: [nhk]', ''].join('\n'),
      );
      const { brands, config } = validateConfig('t.yaml', { ...base, brands: { local: [file], allow_domains: ['Partner.Example'] } });
      expect(brands.find((b) => b.id === 'example-corp')).toMatchObject({ name: 'エグザンプル', domains: ['example.co.jp'], senders: [] });
      expect(brands.find((b) => b.id === 'chibabank')).toMatchObject({ domains: ['chibabank.co.jp'], senders: ['mail-vendor.example'] });
      expect(brands.some((b) => b.id === 'nhk')).toBe(false);
      expect(config.brands.allow_domains).toEqual(['partner.example']);
    });

    it('catalog problems name the key, the file and the entry', () => {
      const file = local(
        [
          'version: 1',
          'brands:',
          '  - id: broken',
          '    name: Broken',
          '    names: [Broken]',
          '    domains: [www.broken.co.jp, co.jp, apple.com]',
          '  - id: half',
          '    names: [Half]',
          'disable: [no-such-brand]',
          '',
        ].join('\n'),
      );
      expect(problems({ ...base, brands: { local: [file] } })).toEqual([
        `brands.local[0] (${file}): disable: no brand "no-such-brand" to disable`,
        `brands.local[0] (${file}): brands[1] ("half"): a new brand needs name, domains (or use the id of a shipped brand to extend it)`,
        'brand "broken" domains: "www.broken.co.jp" is not a registrable domain in lower case (like example.co.jp)',
        'brand "broken" domains: "co.jp" is not a registrable domain in lower case (like example.co.jp)',
        'brand "broken" domains: "apple.com" is already official for brand "apple"',
      ]);
      expect(problems({ ...base, brands: { catalog: '/nonexistent/brands.yaml' } })).toEqual(['brands.catalog: cannot read /nonexistent/brands.yaml: ENOENT']);
      expect(problems({ ...base, brands: { catalog: local('version: 2\nbrands: []\n') } })[0]).toMatch(/^brands\.catalog \(.*\): version: /);
      expect(problems({ ...base, brands: { colour: 'red' } })).toEqual(['brands.colour: unknown key']);
    });
  });
});
