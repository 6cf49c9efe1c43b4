import { SmtpReply } from '../smtp-reply.js';
import type { MailCommand, NextHop, NextHopSession, RcptCommand, TransactionMeta } from './next-hop.js';
import { NextHopError } from './next-hop-error.js';
import { RelayClient, type RelayClientOptions } from './relay-client.js';
import { mailLine, needsSmtpUtf8, rcptLine, wirePath, xforwardLines } from './smtp-commands.js';

/** RFC 6531 §3.7.4.1: the path needs SMTPUTF8 and the next hop cannot take it. */
const NO_SMTPUTF8 = SmtpReply.of(553, '5.6.7', 'Non-ASCII address, but the next hop does not support SMTPUTF8');

/** A next hop reached over SMTP (`smtp://host:port`). */
export class SmtpNextHop implements NextHop {
  readonly description: string;

  constructor(private readonly options: RelayClientOptions) {
    this.description = `smtp://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  }

  openSession(): NextHopSession {
    return new SmtpNextHopSession(this.options);
  }
}

/**
 * One client connection's view of the next hop. The next-hop connection is opened at the
 * first MAIL FROM (Postfix before-queue semantics) and reused for the client's later
 * transactions; a transaction the client abandoned (RSET, or a DATA we never sent) is
 * reset before the next one starts, and XFORWARD is repeated before every MAIL because
 * the next hop forgets it after RSET or ".".
 */
class SmtpNextHopSession implements NextHopSession {
  private client: RelayClient | undefined;
  private inTransaction = false;

  constructor(private readonly options: RelayClientOptions) {}

  async mail(mail: MailCommand, meta: TransactionMeta): Promise<SmtpReply> {
    const client = await this.connection();
    if (mail.smtpUtf8 && !client.supports('SMTPUTF8') && needsSmtpUtf8(wirePath(mail.address))) return NO_SMTPUTF8;
    return this.guard(client, async () => {
      const xforward = client.extensions.get('XFORWARD');
      if (xforward !== undefined) {
        // XFORWARD only feeds the next hop's logs and Received header: a refusal is no
        // reason to refuse the mail.
        for (const line of xforwardLines(meta.client, xforward)) await client.command(line);
      }
      const reply = await client.command(mailLine(mail, client.extensions));
      this.inTransaction = reply.isPositive;
      return reply;
    });
  }

  async rcpt(rcpt: RcptCommand): Promise<SmtpReply> {
    const client = this.openClient();
    if (!client.supports('SMTPUTF8') && needsSmtpUtf8(wirePath(rcpt.address))) return NO_SMTPUTF8;
    return this.guard(client, () => client.command(rcptLine(rcpt, client.extensions)));
  }

  async data(message: Buffer): Promise<SmtpReply> {
    const client = this.openClient();
    return this.guard(client, async () => {
      const go = await client.command('DATA');
      if (go.code !== 354) {
        this.inTransaction = false;
        return go;
      }
      const final = await client.sendMessage(message);
      this.inTransaction = false;
      return final;
    });
  }

  async reset(): Promise<void> {
    const client = this.client;
    if (!client || !this.inTransaction) return;
    this.inTransaction = false;
    try {
      const reply = await client.command('RSET');
      if (!reply.isPositive) this.drop();
    } catch {
      this.drop();
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.inTransaction = false;
    if (client) await client.quit();
  }

  /** The live connection, after resetting any transaction the client left open. */
  private async connection(): Promise<RelayClient> {
    if (this.client && !this.client.alive) this.drop();
    if (this.client && this.inTransaction) await this.reset();
    this.client ??= await RelayClient.open(this.options);
    return this.client;
  }

  private openClient(): RelayClient {
    const client = this.client;
    if (!client || !this.inTransaction) {
      // smtp-server only lets RCPT and DATA through after an accepted MAIL, so this means
      // the next-hop connection was lost in between.
      throw new NextHopError('dropped', 'next hop connection was lost during the transaction');
    }
    return client;
  }

  /** A failed connection is dropped so the next transaction starts on a fresh one. */
  private async guard(client: RelayClient, step: () => Promise<SmtpReply>): Promise<SmtpReply> {
    try {
      const reply = await step();
      // 421: the next hop is closing the connection (RFC 5321 §3.8).
      if (reply.code === 421) this.drop();
      return reply;
    } catch (err) {
      if (this.client === client) this.drop();
      throw err;
    }
  }

  private drop(): void {
    this.client?.destroy();
    this.client = undefined;
    this.inTransaction = false;
  }
}
