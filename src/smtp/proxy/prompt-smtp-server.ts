import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';

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
 * 2. Postfix sends `XFORWARD HELO=[UNAVAILABLE]` when its client never said HELO (allowed
 *    unless smtpd_helo_required=yes). smtp-server then blanks the HELO name of *our* session
 *    and answers every later MAIL with "503 send HELO/EHLO first". The peer did say EHLO,
 *    so its name is kept for that check; the forwarded value stays "unavailable".
 */
class PromptConnection extends SMTPConnection {
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

export class PromptSmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions) {
    super(options);
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
