import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { LoadedConfig } from '../config/load-config.js';
import type { VerdictName } from '../core/verdict.js';
import type { Logger } from '../log/logger.js';
import { createQuarantineStore } from '../quarantine/create-store.js';
import { QuarantineAdmin } from '../quarantine/quarantine-admin.js';
import { isQuarantineId, type AuditEvent, type ListFilter, type QuarantineMeta, type QuarantineStore } from '../quarantine/quarantine-store.js';
import { createNextHop } from '../smtp/next-hop/create-next-hop.js';
import { migrateCommand } from './quarantine-migrate-command.js';
import { inspectorPlan, inspectorSettings } from '../config/inspect-options.js';
import { createInspector } from '../filter/create-inspector.js';
import { startPpap } from '../ppap/start-ppap.js';

export const QUARANTINE_USAGE = `  sekisho quarantine list --config FILE [--since T] [--until T] [--sender S] [--recipient R]
                          [--verdict V] [--released | --unreleased] [--text Q] [--limit N] [--offset N] [--json]
                                       T: an ISO time or an age (30m, 12h, 7d); newest first
  sekisho quarantine show --config FILE ID [--json | --raw]
  sekisho quarantine release --config FILE ID [--to ADDR,...] [--force] [--by NAME]
                                       send it on with its original envelope (or to ADDR); never twice
  sekisho quarantine open --config FILE ID --password-file F [--by NAME]
                                       PPAP: open an entry awaiting its password, rescan, release if clean
  sekisho quarantine delete --config FILE ID
  sekisho quarantine purge --config FILE [--older-than AGE]   (default: quarantine.retention)
  sekisho quarantine migrate --from DIR --to postgres://USER@HOST/DB [--password-file FILE]
                                       copy a file quarantine into PostgreSQL (SHA-256 checked; run again to resume)`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  since: { type: 'string' },
  until: { type: 'string' },
  sender: { type: 'string' },
  recipient: { type: 'string' },
  verdict: { type: 'string' },
  text: { type: 'string' },
  released: { type: 'boolean' },
  unreleased: { type: 'boolean' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  json: { type: 'boolean' },
  raw: { type: 'boolean' },
  to: { type: 'string' },
  force: { type: 'boolean' },
  by: { type: 'string' },
  'older-than': { type: 'string' },
  from: { type: 'string' },
  'password-file': { type: 'string' },
} as const;

const OPEN_RESULT_TEXT: Readonly<Record<string, string>> = {
  released: 'opened; clean inside; released to its recipients',
  kept: 'opened; not clean inside: stays quarantined with the new findings (sekisho quarantine show)',
  'wrong-password': 'the password does not open it; still awaiting a password',
  'not-awaiting': 'not awaiting a password (released, kept, expired, or not a PPAP entry)',
  expired: 'its window is over',
  error: 'could not be tried (inspection failed or the release did not go through); see the log',
};

/** A problem with the command line: exit 2. */
export class QuarantineUsageError extends Error {}

interface Io {
  readonly out: (text: string) => void;
  readonly now: () => Date;
}

/**
 * `sekisho quarantine …`: the admin's view of the quarantine from a shell, the same
 * operations (and audit log lines) as the HTTP API and the web page. It works on the
 * quarantine directory directly, so it also works while the daemon is stopped; releases
 * go to the configured next hop. Returns the exit code: 0 done, 1 not done (not found,
 * failed, already released), 2 bad usage.
 */
export async function quarantineCommand(sub: string | undefined, args: string[], load: (file: string) => LoadedConfig, logger: Logger, io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  if (sub === 'migrate') return migrateCommand({ from: values.from, to: values.to, passwordFile: values['password-file'] }, logger, io.out, (m) => new QuarantineUsageError(m));
  if (!values.config) throw new QuarantineUsageError('missing --config FILE');
  const loaded = load(values.config);
  const store = createQuarantineStore(loaded, logger);
  await store.open();
  try {
    return await run(sub, values, positionals, loaded, store, logger, io);
  } finally {
    await store.close();
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function run(sub: string | undefined, values: Values, positionals: string[], loaded: LoadedConfig, store: QuarantineStore, logger: Logger, io: Io): Promise<number> {
  // One next hop for the command, closed when it is done: its idle-connection cache would
  // otherwise keep the process alive for upstream_cache.idle_timeout after the release.
  let hop: ReturnType<typeof createNextHop> | undefined;
  const admin = new QuarantineAdmin(store, () => (hop ??= createNextHop(loaded)), () => ({ releaseHeader: loaded.config.quarantine.release_header }), logger);
  const by = values.by ?? `cli:${os.userInfo().username}`;
  const idArg = () => {
    const id = positionals[0];
    if (!id) throw new QuarantineUsageError(`quarantine ${sub} needs an ID`);
    if (!isQuarantineId(id)) throw new QuarantineUsageError(`not a quarantine id: ${JSON.stringify(id.slice(0, 64))}`);
    return id;
  };

  switch (sub) {
    case 'list': {
      const filter: ListFilter = {
        since: values.since ? time(values.since, io.now()) : undefined,
        until: values.until ? time(values.until, io.now()) : undefined,
        sender: values.sender,
        recipient: values.recipient,
        verdict: values.verdict ? verdictName(values.verdict) : undefined,
        text: values.text,
        released: values.released ? true : values.unreleased ? false : undefined,
        limit: count('--limit', values.limit, 50),
        offset: count('--offset', values.offset, 0),
      };
      const page = await store.list(filter);
      if (values.json) io.out(JSON.stringify({ total: page.total, entries: page.entries.map(summary) }));
      else {
        io.out(`${page.total} message(s)${page.total > page.entries.length ? `, showing ${page.entries.length}` : ''}`);
        for (const m of page.entries) io.out(listLine(m));
      }
      return 0;
    }
    case 'show': {
      const id = idArg();
      if (values.raw) {
        const raw = await store.raw(id);
        if (!raw) return notFound(io, id);
        process.stdout.write(raw);
        return 0;
      }
      const meta = await store.get(id);
      if (!meta) return notFound(io, id);
      const history = (await store.history?.(id)) ?? [];
      io.out(values.json ? JSON.stringify(history.length > 0 ? { ...meta, history } : meta) : details(meta, history));
      return 0;
    }
    case 'release': {
      const id = idArg();
      const recipients = values.to?.split(',').map((a) => a.trim()).filter((a) => a !== '');
      const result = await admin.release(id, { by, recipients, force: values.force }).finally(() => hop?.close());
      switch (result.status) {
        case 'released':
          io.out(`released ${id} to ${result.meta.release?.to.join(', ')}: ${result.reply}`);
          for (const r of result.refused) io.out(`  refused ${r.to}: ${r.reply}`);
          return 0;
        case 'already-released':
          io.out(`${id} was already released (${result.meta.release?.at} by ${result.meta.release?.by}); nothing sent`);
          return 1;
        case 'in-doubt':
          io.out(`${id}: an earlier release (${result.meta.release?.at} by ${result.meta.release?.by}) was interrupted; the next hop may have it. Use --force to send anyway`);
          return 1;
        case 'failed':
          io.out(`release of ${id} failed: ${result.reply}`);
          return 1;
        case 'not-found':
          return notFound(io, id);
      }
    }
    case 'open': {
      const id = idArg();
      if (!values['password-file']) throw new QuarantineUsageError('quarantine open needs --password-file F (a file, so that the password is not in the shell history or ps)');
      // The first line of the file; a trailing newline from an editor is not part of it.
      const password = (await readFile(values['password-file'], 'utf8')).split(/\r?\n/, 1)[0] ?? '';
      if (password === '') throw new QuarantineUsageError('the password file is empty');
      // The rescan runs in an inspection worker with the configured time budget, as in the daemon.
      const inspector = createInspector(inspectorSettings(loaded), { ...inspectorPlan(loaded), threads: 1 }, logger);
      try {
        await inspector.ready();
        const ppap = startPpap(() => loaded, store, () => (hop ??= createNextHop(loaded)), inspector, logger, undefined, false);
        const result = await ppap.pairing.open(id, password, by);
        io.out(`${id}: ${OPEN_RESULT_TEXT[result]}`);
        return result === 'released' || result === 'kept' ? 0 : 1;
      } finally {
        await inspector.close();
        await hop?.close();
      }
    }
    case 'delete': {
      const id = idArg();
      if (!(await admin.delete(id, by))) return notFound(io, id);
      io.out(`deleted ${id}`);
      return 0;
    }
    case 'purge': {
      const age = values['older-than'] ? ageMs(values['older-than']) : loaded.config.quarantine.retention;
      const ids = await admin.purge(new Date(io.now().getTime() - age), by);
      io.out(`purged ${ids.length} message(s)`);
      return 0;
    }
    default:
      throw new QuarantineUsageError(`unknown quarantine subcommand ${JSON.stringify(sub ?? '')}`);
  }
}

function notFound(io: Io, id: string): number {
  io.out(`no quarantined message ${id}`);
  return 1;
}

function summary(m: QuarantineMeta): Record<string, unknown> {
  return {
    id: m.id,
    quarantined_at: m.quarantined_at,
    mail_from: m.mail_from,
    from: m.from,
    rcpt_to: m.rcpt_to,
    subject: m.subject,
    verdict: m.verdict,
    score: m.score,
    reason: m.reason,
    size: m.size,
    released: m.release?.state === 'released',
  };
}

function listLine(m: QuarantineMeta): string {
  const released = m.release?.state === 'released' ? ' [released]' : '';
  return `${m.id}  ${m.quarantined_at}  ${m.verdict}${released}  ${m.mail_from || '<>'} → ${m.rcpt_to.join(',')}  ${JSON.stringify(m.subject)}  (${m.reason})`;
}

function details(m: QuarantineMeta, history: readonly AuditEvent[]): string {
  const lines = [
    `id:          ${m.id}`,
    `received:    ${m.received_at}`,
    `quarantined: ${m.quarantined_at}`,
    `client:      ${m.client.addr ?? '?'}${m.client.name ? ` (${m.client.name})` : ''} helo=${m.client.helo ?? '?'}`,
    `mail from:   ${m.mail_from || '<>'}`,
    `rcpt to:     ${m.rcpt_to.join(', ')}`,
    `from:        ${m.from}`,
    `subject:     ${m.subject}`,
    `size:        ${m.size} bytes, sha256 ${m.sha256}`,
    `verdict:     ${m.verdict} (score ${m.score}): ${m.reason}`,
    ...(m.release ? [`release:     ${m.release.state} ${m.release.at} by ${m.release.by}${m.release.node ? ` on ${m.release.node}` : ''} to ${m.release.to.join(', ')}${m.release.reply ? `: ${m.release.reply}` : ''}`] : []),
    'findings:',
    ...m.findings.map((f) => `  [${f.severity}] ${f.detector}/${f.code}: ${f.summary}`),
    ...(history.length > 0 ? ['history:', ...history.map((e) => `  ${e.at} ${e.action} by ${e.by} on ${e.node}${e.detail ? ` ${JSON.stringify(e.detail)}` : ''}`)] : []),
  ];
  return lines.join('\n');
}

const AGE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function ageMs(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new QuarantineUsageError(`expected an age such as 30m, 12h or 7d, got ${JSON.stringify(text)}`);
  return Number(m[1]) * (AGE_UNITS[m[2] ?? 'd'] ?? 86_400_000);
}

function time(text: string, now: Date): Date {
  if (/^\d+(s|m|h|d)$/.test(text.trim())) return new Date(now.getTime() - ageMs(text));
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new QuarantineUsageError(`expected an ISO time or an age, got ${JSON.stringify(text)}`);
  return new Date(t);
}

function verdictName(text: string): VerdictName {
  if (text === 'clean' || text === 'suspicious' || text === 'malicious' || text === 'unscannable') return text;
  throw new QuarantineUsageError(`--verdict: expected clean, suspicious, malicious or unscannable, got ${JSON.stringify(text)}`);
}

function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new QuarantineUsageError(`${flag}: expected a whole number, got ${JSON.stringify(text)}`);
  return n;
}
