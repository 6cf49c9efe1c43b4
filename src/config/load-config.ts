import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { loadCatalog } from '../brand/load-catalog.js';
import type { BrandEntry } from '../core/brand/catalog.js';
import type { QuarantineStoreConfig } from './policy-schema.js';
import { configSchema, type Config } from './schema.js';

/** A bad configuration: each problem names the key path and what is wrong with it. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The validated configuration plus the files it names, read once (PEM text travels over cluster IPC as is). */
export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
  readonly tls: {
    readonly inbound?: { readonly cert: string; readonly key: string };
    readonly upstreamCa?: string;
    /** admin.tls read from its files. */
    readonly admin?: { readonly cert: string; readonly key: string };
  };
  /** The brand catalog, shipped and local files merged; empty when brands.enabled is false. */
  readonly brands: readonly BrandEntry[];
  /** quarantine.store's password, read from its file or variable (never logged, never in `config`). */
  readonly quarantinePassword?: string;
}

/** Reads, parses and validates a configuration file. Throws ConfigError. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let data: unknown;
  try {
    data = YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return validateConfig(file, data ?? {});
}

/** Validates already-parsed data (from a file or a test). Throws ConfigError. */
export function validateConfig(file: string, data: unknown): LoadedConfig {
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(file, result.error.issues.flatMap(describeIssue));
  const config = result.data;
  const problems: string[] = [];
  const read = (key: string, path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      problems.push(`${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
  };
  const cert = read('smtp.tls.cert', config.smtp.tls?.cert);
  const key = read('smtp.tls.key', config.smtp.tls?.key);
  const upstreamCa = read('smtp.upstream_tls.ca', config.smtp.upstream_tls.ca);
  const adminCert = read('admin.tls.cert', config.admin.tls?.cert);
  const adminKey = read('admin.tls.key', config.admin.tls?.key);
  const quarantinePassword = storePassword(config.quarantine.store, read, problems);
  const catalog = config.brands.enabled ? loadCatalog({ catalog: config.brands.catalog, local: config.brands.local }) : { entries: [], problems: [] };
  problems.push(...catalog.problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    file,
    config,
    tls: {
      inbound: cert !== undefined && key !== undefined ? { cert, key } : undefined,
      upstreamCa,
      admin: adminCert !== undefined && adminKey !== undefined ? { cert: adminCert, key: adminKey } : undefined,
    },
    brands: catalog.entries,
    quarantinePassword,
  };
}

function storePassword(store: QuarantineStoreConfig | undefined, read: (key: string, path: string | undefined) => string | undefined, problems: string[]): string | undefined {
  if (store?.password_file) return read('quarantine.store.password_file', store.password_file)?.replace(/\r?\n$/, '');
  if (store?.password_env) {
    const value = process.env[store.password_env];
    if (value === undefined || value === '') problems.push(`quarantine.store.password_env: the environment variable ${store.password_env} is not set`);
    return value;
  }
  return undefined;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('') || '(top level)';
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const at = keyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => `${issue.path.length ? `${at}.` : ''}${k}: unknown key`);
    case 'invalid_type':
      if (issue.input === undefined) return [`${at}: required key is missing (expected ${issue.expected})`];
      return [`${at}: expected ${issue.expected}, got ${describeValue(issue.input)}`];
    case 'invalid_value':
      return [`${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`];
    default:
      return [`${at}: ${issue.message}`];
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
