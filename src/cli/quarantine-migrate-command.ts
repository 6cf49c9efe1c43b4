import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { FileQuarantineStore } from '../quarantine/file-store.js';
import { migrateFileStore } from '../quarantine/migrate-store.js';
import { PostgresQuarantineStore } from '../quarantine/postgres-store.js';

export interface MigrateOptions {
  readonly from?: string;
  readonly to?: string;
  readonly passwordFile?: string;
}

/**
 * `sekisho quarantine migrate --from DIR --to postgres://…`: the file store of `from` into
 * the database of `to` (migrate-store.ts does the copying and checking). The password
 * comes from --password-file or, as for psql, PGPASSWORD; never on the command line.
 * Exit 0 when every entry is in the database, 1 when some could not be copied.
 */
export async function migrateCommand(options: MigrateOptions, logger: Logger, out: (text: string) => void, usage: (message: string) => Error): Promise<number> {
  const { from: dir, to: url } = options;
  if (!dir) throw usage('quarantine migrate needs --from DIR (the file quarantine)');
  if (!url || !/^postgres(ql)?:\/\//.test(url)) throw usage('quarantine migrate needs --to postgres://USER@HOST/DATABASE');
  if (!existsSync(path.join(dir, 'tmp'))) throw usage(`${dir} is not a sekisho quarantine directory (no tmp/ in it)`);
  let password: string | undefined;
  if (options.passwordFile) {
    try {
      password = readFileSync(options.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw usage(`--password-file: cannot read ${options.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const from = new FileQuarantineStore(dir);
  const to = new PostgresQuarantineStore({ url, password, poolSize: 4, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000, node: `migrate ${os.hostname()}` }, logger);
  try {
    await to.open();
    let done = 0;
    const summary = await migrateFileStore(from, to, (e) => {
      if (e.result === 'failed') out(`${e.id}: not copied: ${e.problem}`);
      if (++done % 1000 === 0) out(`… ${done} entries`);
    });
    out(`${summary.entries} entries in ${dir}: ${summary.copied} copied, ${summary.alreadyThere} already in ${to.description}, ${summary.failed.length} not copied`);
    logger.info({ event: 'quarantine-migrate', from: dir, to: to.description, ...summary, failed: summary.failed.length }, 'quarantine migrate');
    return summary.failed.length === 0 ? 0 : 1;
  } finally {
    await to.close();
  }
}
