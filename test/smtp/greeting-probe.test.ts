import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeGreeting } from '../../src/smtp/greeting-probe.js';

/** A server on port 0 that runs `onConnection` for each client and records what clients send. */
async function server(onConnection: (socket: net.Socket) => void): Promise<{ port: number; received: Promise<string>; close: () => Promise<void> }> {
  let resolveReceived: (text: string) => void = () => {};
  const received = new Promise<string>((resolve) => (resolveReceived = resolve));
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolveReceived(text));
    socket.on('close', () => resolveReceived(text));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

describe('probeGreeting', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of open.splice(0)) await close();
  });
  async function start(onConnection: (socket: net.Socket) => void) {
    const s = await server(onConnection);
    open.push(s.close);
    return s;
  }

  it('reads a 220 greeting, says QUIT and hangs up', async () => {
    const s = await start((socket) => socket.write('220 mx.example ESMTP\r\n'));
    expect(await probeGreeting('127.0.0.1', s.port, 5000)).toEqual({ kind: 'greeting', code: 220, line: '220 mx.example ESMTP' });
    expect(await s.received).toBe('QUIT\r\n');
  });

  it('takes the last line of a multi-line greeting, even when it comes in pieces (RFC 5321 §4.2.1)', async () => {
    const s = await start((socket) => {
      socket.write('220-mx.example ESMTP\r\n220-no UCE\r');
      setImmediate(() => socket.write('\n220 mx.exa'));
      setTimeout(() => socket.write('mple ready\r\n'), 20);
    });
    expect(await probeGreeting('127.0.0.1', s.port, 5000)).toEqual({ kind: 'greeting', code: 220, line: '220 mx.example ready' });
  });

  it('reports a refusing greeting with its code, and a bare code line', async () => {
    const refusing = await start((socket) => socket.write('554 5.3.2 not accepting mail\r\n'));
    expect(await probeGreeting('127.0.0.1', refusing.port, 5000)).toEqual({ kind: 'greeting', code: 554, line: '554 5.3.2 not accepting mail' });
    const bare = await start((socket) => socket.write('220\r\n'));
    expect(await probeGreeting('127.0.0.1', bare.port, 5000)).toEqual({ kind: 'greeting', code: 220, line: '220' });
  });

  it('says what went wrong instead of throwing: refused, closed, silent, not SMTP', async () => {
    // A port that was just listening and no longer is.
    const gone = await server(() => {});
    await gone.close();
    expect(await probeGreeting('127.0.0.1', gone.port, 5000)).toEqual({ kind: 'error', error: 'ECONNREFUSED' });

    const closing = await start((socket) => socket.end());
    expect(await probeGreeting('127.0.0.1', closing.port, 5000)).toEqual({ kind: 'closed' });

    const halfGreeting = await start((socket) => socket.end('220 mx.example'));
    expect(await probeGreeting('127.0.0.1', halfGreeting.port, 5000)).toEqual({ kind: 'closed' });

    const silent = await start(() => {});
    expect(await probeGreeting('127.0.0.1', silent.port, 50)).toEqual({ kind: 'timeout' });

    const ssh = await start((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n'));
    expect(await probeGreeting('127.0.0.1', ssh.port, 5000)).toEqual({ kind: 'not-smtp' });

    const endless = await start((socket) => socket.write('2'.repeat(5000)));
    expect(await probeGreeting('127.0.0.1', endless.port, 5000)).toEqual({ kind: 'not-smtp' });
  });
});
