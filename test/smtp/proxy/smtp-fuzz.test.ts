import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/processes.js';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { fuzzCase, type FuzzCase } from '../../helpers/smtp-fuzz-cases.js';
import { prng } from '../../helpers/prng.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { selfSignedCertificate } from '../../helpers/tls-material.js';

/**
 * SMTP fuzzing of the live proxy (issue 12): seeded, mutated sessions (test/helpers/
 * smtp-fuzz-cases.ts) from many clients at once, pipelined, lock-step or in random pieces,
 * STARTTLS taken up where it is offered. Through all of it the process must not throw, log
 * an error, or hold a connection it should have closed, and a plain transaction afterwards
 * must still relay. SMTP_FUZZ_SEED picks the first case; a failure names the seeds.
 */

const FIRST_SEED = Number(process.env['SMTP_FUZZ_SEED'] ?? 0x5e15_0000);
/** Cases stop at whichever comes first. */
const TIME_BUDGET_MS = 25_000;
const MAX_CASES = 6000;
const PARALLEL = 64;
/** Fewer cases than this (a machine too loaded to run the test) fails rather than proving little. */
const MIN_CASES = 800;
/** After QUIT or a half-close, the proxy must close within this (its idle timeout is 2 s). */
const CLOSE_WITHIN_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One case against the proxy; resolves with whether the proxy failed to close when it should have. */
async function drive(port: number, c: FuzzCase): Promise<{ stuck: boolean; tls?: boolean; replies?: number }> {
  const r = prng(c.seed ^ 0x9e3779b9);
  let socket: net.Socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => undefined);
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
  });
  if (!connected) return { stuck: false };
  let replies = 0;
  let upgraded = false;
  let last = '';
  let closed = false;
  let wake: (() => void) | undefined;
  const listen = (s: net.Socket) => {
    s.on('data', (chunk: Buffer) => {
      last = chunk.toString('latin1');
      replies += last.split('\r\n').filter((l) => /^\d{3}( |$)/.test(l)).length;
      wake?.();
    });
    s.on('close', () => {
      closed = true;
      wake?.();
    });
  };
  listen(socket);
  /** Until a reply beyond `seen` arrives, the connection closes, or `ms` pass. */
  const settle = async (seen: number, ms: number) => {
    const until = Date.now() + ms;
    while (!closed && replies <= seen && Date.now() < until) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(1, until - Date.now()));
      });
      wake = undefined;
    }
  };
  await settle(0, 3000);
  const write = (bytes: Buffer) => !closed && !socket.destroyed && socket.write(bytes);
  if (c.delivery === 'pipelined') write(Buffer.concat(c.items.map((i) => i.bytes)));
  else {
    for (const item of c.items) {
      if (closed) break;
      if (c.delivery === 'chunked') {
        for (let at = 0; at < item.bytes.length; ) {
          const n = 1 + Math.floor(r() * Math.min(item.bytes.length - at, 700));
          write(item.bytes.subarray(at, at + n));
          at += n;
          if (r() < 0.3) await sleep(Math.floor(r() * 4));
        }
        continue;
      }
      const seen = replies;
      write(item.bytes);
      await settle(seen, 250);
      if (item.starttls && /^220 /m.test(last) && !closed) {
        // Take TLS up as a real client would, and go on inside it.
        const secure = tls.connect({ socket, rejectUnauthorized: false });
        secure.on('error', () => undefined);
        const ok = await new Promise<boolean>((resolve) => {
          secure.once('secureConnect', () => resolve(true));
          secure.once('error', () => resolve(false));
          setTimeout(() => resolve(false), 3000);
        });
        if (!ok) break;
        socket = secure;
        listen(secure);
        upgraded = true;
      }
    }
  }
  if (c.ending === 'abrupt' || closed) {
    socket.destroy();
    return { stuck: false, tls: upgraded, replies };
  }
  if (c.ending === 'quit') write(Buffer.from('QUIT\r\n'));
  else socket.end();
  const until = Date.now() + CLOSE_WITHIN_MS;
  while (!closed && Date.now() < until) await sleep(50);
  const stuck = !closed;
  socket.destroy();
  return { stuck, tls: upgraded, replies };
}

describe('SMTP fuzzing', () => {
  const relay = relayFixture();

  it('thousands of mutated sessions: no crash, no error, no leaked connection, and a clean transaction still relays', { timeout: 120_000 }, async () => {
    const material = selfSignedCertificate();
    const { sink, proxy } = await relay.start(
      {},
      {
        smtp: {
          tls: { cert: material.certFile, key: material.keyFile },
          max_message_bytes: 64 * 1024,
          max_recipients: 50,
          timeouts: { idle: '2s', transaction: '5s', data: '4s', data_rate_grace: '1s' },
          upstream_cache: { idle_timeout: '300ms' },
        },
        log: { level: 'warn' },
      },
    );
    const thrown: unknown[] = [];
    const onThrown = (err: unknown) => thrown.push(err);
    process.on('uncaughtException', onThrown);
    process.on('unhandledRejection', onThrown);
    const stuck: string[] = [];
    const seen = { tls: 0, replies: 0 };
    let next = 0;
    const started = Date.now();
    try {
      const worker = async () => {
        while (next < MAX_CASES && Date.now() - started < TIME_BUDGET_MS) {
          const c = fuzzCase(FIRST_SEED + next++);
          const result = await drive(proxy.port, c);
          seen.tls += result.tls ? 1 : 0;
          seen.replies += result.replies ?? 0;
          if (result.stuck) stuck.push(`seed ${c.seed} (${c.delivery}, ${c.ending}; ${c.mutations.join(', ')})`);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      const ran = next;
      const warned = new Map<string, number>();
      for (const l of proxy.logs.lines) warned.set(String(l['msg']), (warned.get(String(l['msg'])) ?? 0) + 1);
      console.log(`smtp fuzz: ${ran} cases from seed ${FIRST_SEED} in ${Date.now() - started} ms; ${seen.replies} replies, ${seen.tls} sessions went on inside STARTTLS, ${sink.messages.length} messages reached the sink; log lines: ${JSON.stringify(Object.fromEntries(warned))}`);

      // Every connection the fuzzer opened is gone from the proxy, and from its next hop.
      const active = async () => (await proxy.metrics.registry.getSingleMetric('sekisho_smtp_active_connections')?.get())?.values[0]?.value;
      await waitFor(async () => (await active()) === 0, 15_000, () => 'sekisho_smtp_active_connections never went back to 0');
      await waitFor(() => sink.openConnections === 0, 15_000, () => `${sink.openConnections} next-hop connections still open`);

      const client = await SmtpTestClient.connect(proxy.port);
      const before = sink.messages.length;
      const after = await client.send('after@example.com', ['r@example.net'], Buffer.from('Subject: after the fuzz\r\n\r\nstill relays\r\n'));
      await client.quit();
      expect(after.data?.final?.code).toBe(250);
      expect(sink.messages.slice(before).map((m) => m.mailFrom)).toEqual(['after@example.com']);

      expect(thrown).toEqual([]);
      expect(stuck).toEqual([]);
      expect(proxy.logs.lines.filter((l) => l['level'] === 'error' || l['level'] === 'fatal')).toEqual([]);
      expect(ran).toBeGreaterThanOrEqual(MIN_CASES);
    } finally {
      process.off('uncaughtException', onThrown);
      process.off('unhandledRejection', onThrown);
    }
  });
});
