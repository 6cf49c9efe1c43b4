import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Passwords that password-only mails stated, kept for the PPAP window so that a zip of the
 * same sender arriving later can be opened with them (the notice sometimes comes first).
 * They are secrets: only the pairing reads them, nothing logs or shows them, they live no
 * longer than the window and are wiped once they have opened an entry.
 */
export interface VaultRecord {
  readonly id: string;
  /** Lower-case sender addresses the zip must come from. */
  readonly senders: readonly string[];
  /** Lower-case recipients; the zip must share at least one. */
  readonly rcpts: readonly string[];
  readonly passwords: readonly string[];
  /** Message-ID of the mail that stated them (for the audit line). */
  readonly messageId: string;
  /** Epoch milliseconds: gone after this. */
  readonly until: number;
}

export interface PasswordVault {
  remember(record: Omit<VaultRecord, 'id'>): Promise<void>;
  /** Live records from one of `senders` to one of `rcpts`, oldest first. */
  lookup(senders: readonly string[], rcpts: readonly string[], now: number): Promise<VaultRecord[]>;
  /** Used: its passwords opened an entry. */
  wipe(id: string): Promise<void>;
  /** Removes records past their window; returns how many. */
  purge(now: number): Promise<number>;
}

/** Records a lookup reads at most: a flood of "password" mails must not make each lookup read thousands of files. */
const MAX_RECORDS = 5000;

/**
 * The file backend: one JSON file per record, mode 0600 in a 0700 directory beside the
 * quarantine (readable only by the user sekisho runs as). Not fsynced: losing one to a
 * crash loses a pairing, never a message (the zip stays held).
 */
export class FilePasswordVault implements PasswordVault {
  constructor(readonly dir: string) {}

  async remember(record: Omit<VaultRecord, 'id'>): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const id = `${record.until.toString(36)}-${randomBytes(12).toString('hex')}`;
    const tmp = path.join(this.dir, `.${id}.tmp`);
    await writeFile(tmp, JSON.stringify({ ...record, id }), { mode: 0o600 });
    await rename(tmp, path.join(this.dir, `${id}.json`));
  }

  async lookup(senders: readonly string[], rcpts: readonly string[], now: number): Promise<VaultRecord[]> {
    const want = new Set(senders.map((s) => s.toLowerCase()).filter((s) => s !== ''));
    const to = new Set(rcpts.map((r) => r.toLowerCase()));
    if (want.size === 0) return [];
    const out: VaultRecord[] = [];
    for (const name of (await this.names()).slice(0, MAX_RECORDS)) {
      const record = await this.read(name);
      if (!record || record.until < now) continue;
      if (record.senders.some((s) => want.has(s)) && record.rcpts.some((r) => to.has(r))) out.push(record);
    }
    return out.sort((a, b) => a.until - b.until);
  }

  async wipe(id: string): Promise<void> {
    if (!/^[a-z0-9]+-[0-9a-f]{24}$/.test(id)) return;
    await rm(path.join(this.dir, `${id}.json`), { force: true });
  }

  async purge(now: number): Promise<number> {
    let gone = 0;
    for (const name of await this.names()) {
      // The window's end is the name's prefix: no need to read the file.
      const until = parseInt(name.split('-', 1)[0] ?? '', 36);
      if (Number.isFinite(until) && until < now) {
        await rm(path.join(this.dir, name), { force: true });
        gone++;
      }
    }
    return gone;
  }

  private async names(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private async read(name: string): Promise<VaultRecord | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as VaultRecord;
    } catch {
      return undefined;
    }
  }
}
