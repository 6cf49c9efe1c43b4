import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeDurably } from '../../storage/durable-file.js';
import { SmtpReply } from '../smtp-reply.js';
import type { ClientIdentity, MailCommand, NextHop, NextHopSession, RcptCommand, TransactionMeta } from './next-hop.js';
import { NextHopError } from './next-hop-error.js';

/**
 * The embedded next hop for a machine without an MTA (`outbox:DIR`): every accepted
 * message becomes `DIR/<id>.eml` plus its envelope in `DIR/<id>.json`. Files are written
 * under `DIR/tmp/`, fsynced, and renamed into place (sidecar first, message last), then
 * the directory is fsynced: a reader that sees an `.eml` finds it whole with its
 * envelope, and a 250 is only given once both are on disk.
 */
export class OutboxNextHop implements NextHop {
  readonly description: string;
  private readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.description = `outbox:${dir}`;
    this.tmpDir = path.join(dir, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true });
    // Leftovers of a crash mid-write were never acknowledged to anyone: drop them. Only old
    // ones: another worker process (or this one, before a reload) may be writing right now.
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of readdirSync(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      try {
        if (statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
      } catch {
        // gone meanwhile: renamed into place by its writer
      }
    }
  }

  openSession(): NextHopSession {
    return new OutboxSession(this.dir, this.tmpDir);
  }

  async close(): Promise<void> {
    // Nothing is held between sessions.
  }
}

/** A temp file this old cannot belong to a write in progress (no write takes minutes). */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** What the sidecar records: enough to re-send the message with its original envelope. */
export interface OutboxEnvelope {
  readonly id: string;
  readonly received_at: string;
  readonly mail_from: string;
  readonly rcpt_to: readonly string[];
  readonly size: number;
  readonly mail_params: { readonly body?: string; readonly smtputf8?: boolean; readonly ret?: string; readonly envid?: string };
  readonly rcpt_params: ReadonlyArray<{ readonly notify?: readonly string[]; readonly orcpt?: string }>;
  readonly client: ClientIdentity;
}

class OutboxSession implements NextHopSession {
  private mailCommand: MailCommand | undefined;
  private meta: TransactionMeta | undefined;
  private rcpts: RcptCommand[] = [];

  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  async mail(mail: MailCommand, meta: TransactionMeta): Promise<SmtpReply> {
    this.mailCommand = mail;
    this.meta = meta;
    this.rcpts = [];
    return SmtpReply.of(250, '2.1.0', 'Ok');
  }

  async rcpt(rcpt: RcptCommand): Promise<SmtpReply> {
    this.rcpts.push(rcpt);
    return SmtpReply.of(250, '2.1.5', 'Ok');
  }

  async data(message: Buffer): Promise<SmtpReply> {
    const mail = this.mailCommand;
    const meta = this.meta;
    if (!mail || !meta) throw new NextHopError('io', 'outbox: DATA without MAIL');
    const name = `${compactTime(meta.receivedAt)}-${meta.id}`;
    const envelope: OutboxEnvelope = {
      id: meta.id,
      received_at: meta.receivedAt.toISOString(),
      mail_from: mail.address,
      rcpt_to: this.rcpts.map((r) => r.address),
      size: message.length,
      mail_params: { body: mail.body, smtputf8: mail.smtpUtf8 || undefined, ret: mail.ret, envid: mail.envid },
      rcpt_params: this.rcpts.map((r) => ({ notify: r.notify, orcpt: r.orcpt })),
      client: meta.client,
    };
    this.mailCommand = undefined;
    try {
      await writeDurably(this.dir, this.tmpDir, `${name}.json`, JSON.stringify(envelope, null, 2) + '\n');
      await writeDurably(this.dir, this.tmpDir, `${name}.eml`, message);
      await fsyncDir(this.dir);
    } catch (err) {
      throw new NextHopError('io', `outbox: cannot write ${name}: ${(err as Error).message}`, { cause: err });
    }
    return SmtpReply.of(250, '2.0.0', `Ok: queued as ${name}`);
  }

  async reset(): Promise<void> {
    this.mailCommand = undefined;
    this.rcpts = [];
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

/** 20261122T172800123Z: sorts by arrival in a directory listing. */
function compactTime(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}
