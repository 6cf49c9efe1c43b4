import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { runSmtpSource, SmtpSink } from '../helpers/postfix-tools.js';
import { requireTool } from '../helpers/tools.js';
import { startProxy, type RunningProxy } from '../helpers/proxy-harness.js';

/**
 * Postfix's own load tools on both sides of sekisho: smtp-source → sekisho → smtp-sink.
 * Every message must arrive (counted at the sink, by its counters and by one dump file
 * per transaction) and sekisho must log each one as a delivered transaction.
 */

const MESSAGES = 1000;
const FROM = 'load-sender@example.com';
const TO = 'load-rcpt@example.net';

describe('smtp-source → sekisho → smtp-sink', () => {
  let sink: SmtpSink | undefined;
  let proxy: RunningProxy | undefined;

  beforeAll(async () => {
    requireTool('smtp-source');
    requireTool('smtp-sink');
    sink = await SmtpSink.start({ dump: true });
    proxy = await startProxy(`smtp://127.0.0.1:${sink.port}`);
  });

  afterAll(async () => {
    try {
      await proxy?.stop();
    } finally {
      await sink?.stop();
    }
  });

  async function relay(options: { sessions: number; reuseConnections: boolean; helo: string }): Promise<void> {
    const s = sink!;
    const p = proxy!;
    const filesBefore = s.dumpFiles().length;
    const countedBefore = s.counters().messages;
    const loggedBefore = p.logs.transactions().length;

    const result = await runSmtpSource({
      port: p.port,
      messages: MESSAGES,
      sessions: options.sessions,
      from: FROM,
      to: TO,
      length: 2048,
      heloName: options.helo,
      reuseConnections: options.reuseConnections,
    });

    // smtp-source only sends the next message after our 250, and we only say 250 after
    // smtp-sink's, so every message is at the sink by now; the wait covers the counters'
    // stdout and the log line written after the reply.
    await waitFor(
      () => s.counters().messages - countedBefore >= MESSAGES && p.logs.transactions().length - loggedBefore >= MESSAGES,
      10_000,
      () => `sink counted ${s.counters().messages - countedBefore}, sekisho logged ${p.logs.transactions().length - loggedBefore} (smtp-source: ${result.stdout}${result.stderr})`,
    );
    expect(s.counters().messages - countedBefore).toBe(MESSAGES);

    expect(s.dumpFiles().length).toBe(filesBefore + MESSAGES);

    const transactions = p.logs.transactions().slice(loggedBefore);
    expect(transactions).toHaveLength(MESSAGES);
    const outcomes = new Map<string, number>();
    for (const t of transactions) outcomes.set(String(t['outcome']), (outcomes.get(String(t['outcome'])) ?? 0) + 1);
    expect(Object.fromEntries(outcomes)).toEqual({ delivered: MESSAGES });
    for (const t of transactions) {
      expect(t['mail_from']).toBe(FROM);
      expect(String(t['reply'])).toMatch(/^250\b/);
      expect((t['client'] as Record<string, unknown>)['helo']).toBe(options.helo);
    }
  }

  it(`relays ${MESSAGES} messages, one per connection over 20 parallel sessions, and all arrive`, async () => {
    await relay({ sessions: 20, reuseConnections: false, helo: 'source-a.example' });
  });

  it(`relays ${MESSAGES} more with several transactions per connection (smtp-source -d), and all arrive`, async () => {
    await relay({ sessions: 10, reuseConnections: true, helo: 'source-b.example' });
  });

  it('delivers each envelope unchanged (smtp-sink dump headers)', () => {
    const dumps = sink!.dumps();
    expect(dumps).toHaveLength(2 * MESSAGES);
    for (const d of dumps) {
      expect(d.mailArgs).toBe(`<${FROM}>`);
      expect(d.rcptArgs).toEqual([`<${TO}>`]);
      expect(d.clientAddr).toBe('127.0.0.1');
      // smtp-sink records the EHLO of its own client: sekisho's name.
      expect(d.heloArgs).toBe('sekisho.test');
    }
  });
});
