import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SmtpReply } from '../smtp-reply.js';
import { newTransactionId } from '../../message/transaction-id.js';

const HOOK_REPLY = Symbol('sekisho.hookReply');
type SessionWithReply = SMTPServerSession & { [HOOK_REPLY]?: SmtpReply };

/**
 * Leaves the reply a hook decided (usually the next hop's) for the connection to send:
 * smtp-server's callbacks can only refuse, so without this an accepted MAIL or RCPT would
 * be answered with smtp-server's own "250 Accepted" and a multi-line refusal flattened.
 */
export function setHookReply(session: SMTPServerSession, reply: SmtpReply): void {
  (session as SessionWithReply)[HOOK_REPLY] = reply;
}

/** The text smtp-server is handed for a hook's reply (it prefixes the code itself). */
export function hookReplyText(reply: SmtpReply): string {
  return reply.message;
}

/**
 * Two departures from smtp-server's connection, both for life behind Postfix.
 *
 * 1. smtp-server waits 100 ms before every greeting to catch early talkers, a spam-bot trait.
 * In front of Postfix (smtpd_proxy_filter and content_filter open one connection per
 * message) that pause is added to every message and caps 20 parallel sessions at
 * 200 msg/s. Early-talker checks belong to the internet-facing MTA (Postfix postscreen),
 * so sekisho greets at once; a client that talks before the greeting still gets
 * smtp-server's "421 You talk too soon".
 *
 * 2. The client gets the next hop's reply as it was, code, enhanced code and every line,
 *    also for an accepted MAIL or RCPT (see setHookReply). The reply is used only when
 *    smtp-server is about to send exactly that hook's answer, so it can never stand in
 *    for another reply.
 *
 * 3. Postfix sends `XFORWARD HELO=[UNAVAILABLE]` when its client never said HELO (allowed
 *    unless smtpd_helo_required=yes). smtp-server then blanks the HELO name of *our* session
 *    and answers every later MAIL with "503 send HELO/EHLO first". The peer did say EHLO,
 *    so its name is kept for that check; the forwarded value stays "unavailable".
 */
class PromptConnection extends SMTPConnection {
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const session = this.session as SessionWithReply;
    const reply = session[HOOK_REPLY];
    if (reply && matches(reply, code, data, context)) {
      session[HOOK_REPLY] = undefined;
      // ENHANCEDSTATUSCODES stays hidden, so smtp-server adds no code of its own: the
      // enhanced code goes on each line as RFC 2034 §3 asks.
      const lines = reply.lines.length > 0 ? reply.lines : [''];
      const body = lines.map((line) => (reply.enhanced ? `${reply.enhanced} ${line}` : line));
      super.send(reply.code, body.length === 1 ? body[0] : body, false);
      return;
    }
    super.send(code, data, context);
  }

  override handler_XFORWARD(command: Buffer, callback: () => void): void {
    const helo = this.hostNameAppearsAs;
    super.handler_XFORWARD(command, () => {
      if (helo && !this.hostNameAppearsAs) {
        this.hostNameAppearsAs = helo;
        this.session.hostNameAppearsAs = helo;
      }
      callback();
    });
  }

  override init(): void {
    this._setListeners(() => {
      const max = this._server.options.maxClients;
      if (max && this._server.connections.size > max) {
        this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        return;
      }
      this.connectionReady();
    });
  }
}

/** smtp-server's answer to an accepted MAIL/RCPT, or the reply a hook passed on, as text. */
function matches(reply: SmtpReply, code: number, data: string | string[] | null | undefined, context: string | false | undefined): boolean {
  if (context === 'MAIL_FROM_OK' || context === 'RCPT_TO_OK') return reply.isPositive && code === 250;
  return code === reply.code && data === hookReplyText(reply);
}

export class PromptSmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions) {
    super(options);
  }

  /**
   * smtp-server's own, without a getrandom system call per connection for the session id
   * (1 % of the main thread under load): the id only names the session in smtp-server's
   * logs, so it comes from the pooled randomness of the transaction ids. Sockets that send
   * a PROXY header are left to smtp-server.
   */
  override _handleProxy(socket: net.Socket, callback: Parameters<SMTPServer['_handleProxy']>[1]): void {
    if (this._expectsProxyHeader(socket)) {
      super._handleProxy(socket, callback);
      return;
    }
    const ignore = this.options.ignoredHosts?.includes(socket.remoteAddress ?? '') === true;
    setImmediate(() => callback(null, { id: newTransactionId().slice(0, 16), ignore }));
  }

  // Same as SMTPServer.connect, with the prompt connection class.
  override connect(socket: net.Socket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new PromptConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
  }
}
