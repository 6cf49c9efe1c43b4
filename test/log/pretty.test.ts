import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { PrettyLog } from '../../src/log/pretty.js';

describe('serve --pretty', () => {
  it('turns the JSON lines into one readable line each, transactions in a fixed order', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const logger = createLogger('info', new PrettyLog(out, false));
    logger.info({ event: 'listening', smtp: '127.0.0.1:2525' }, 'sekisho is listening');
    logger.info(
      {
        event: 'transaction',
        tx: 'jemgsmigdgkmcwr2kbfc2ur7ae',
        client: { ip: '203.0.113.7' },
        mail_from: 'a@example.com',
        rcpt: [{ to: 'b@example.net', reply: '250 2.1.5 Ok' }],
        verdict: 'suspicious',
        action: 'tag',
        outcome: 'delivered',
        reply: '250 2.0.0 Ok: queued as 4XyZ1',
        findings: ['brand/display-name'],
        latency_ms: { total: 6.2 },
      },
      'transaction',
    );
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  sekisho is listening event=listening smtp=127\.0\.0\.1:2525$/);
    expect(lines[1]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO  tx jemgsmigdgkmcwr2kbfc2ur7ae 203\.0\.113\.7 <a@example\.com> → b@example\.net suspicious\/tag delivered "250 2\.0\.0 Ok: queued as 4XyZ1" \[brand\/display-name\] 6\.2 ms$/,
    );
  });

  it('colours the level on a terminal and passes through what is not JSON', () => {
    const pretty = new PrettyLog(new PassThrough(), true);
    expect(pretty.format('{"level":"error","time":"2026-11-22T17:38:59.559Z","msg":"boom"}')).toBe('17:38:59.559 \u001b[31mERROR\u001b[0m boom');
    expect(pretty.format('not json')).toBe('not json');
  });
});
