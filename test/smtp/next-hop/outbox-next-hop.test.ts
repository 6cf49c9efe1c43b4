import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../helpers/proxy-harness.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

describe('outbox next hop', () => {
  let proxy: RunningProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it('writes each accepted message as <id>.eml plus its envelope in <id>.json, and only then says 250', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-outbox-'));
    proxy = await startProxy(`outbox:${dir}`);
    const message = Buffer.from('Subject: outbox\r\n\r\n\x82\xa0 8-bit\r\n.dot line\r\n', 'latin1');
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO mua.example');
    await client.command('MAIL FROM:<s@example.com> BODY=8BITMIME RET=HDRS ENVID=e1');
    await client.command('RCPT TO:<a@example.net> NOTIFY=FAILURE');
    await client.command('RCPT TO:<b@example.net>');
    const { final } = await client.data(message);
    await client.quit();
    const name = /queued as (\S+)$/.exec(final!.text)?.[1];
    expect(final!.text).toMatch(/^250 2\.0\.0 Ok: queued as \d{8}T\d{9}Z-[a-z2-7]{26}$/);
    expect(readdirSync(dir).sort()).toEqual([`${name}.eml`, `${name}.json`, 'tmp']);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    expect(readFileSync(path.join(dir, `${name}.eml`)).equals(message)).toBe(true);
    const envelope = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      mail_from: 's@example.com',
      rcpt_to: ['a@example.net', 'b@example.net'],
      size: message.length,
      mail_params: { body: '8BITMIME', ret: 'HDRS', envid: 'e1' },
      rcpt_params: [{ notify: ['FAILURE'] }, {}],
      client: { addr: '127.0.0.1', helo: 'mua.example', proto: 'ESMTP' },
    });
    expect(name).toContain(String(envelope['id']));
  });

  it('clears half-written files a crash left in tmp/ at start, but not one another process is writing now', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-outbox-'));
    mkdirSync(path.join(dir, 'tmp'));
    writeFileSync(path.join(dir, 'tmp', 'crashed.eml'), 'Subject: never acknowledged\r\n');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(dir, 'tmp', 'crashed.eml'), anHourAgo, anHourAgo);
    writeFileSync(path.join(dir, 'tmp', 'in-progress.eml'), 'Subject: being written by another worker\r\n');
    proxy = await startProxy(`outbox:${dir}`);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual(['in-progress.eml']);
  });

  it('a write failure is a 451 4.3.0 and leaves no message behind', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-outbox-'));
    proxy = await startProxy(`outbox:${dir}`);
    // Break the outbox under the running daemon: tmp/ becomes a file.
    rmSync(path.join(dir, 'tmp'), { recursive: true });
    writeFileSync(path.join(dir, 'tmp'), '');
    const client = await SmtpTestClient.connect(proxy.port);
    const result = await client.send('s@example.com', ['r@example.net'], Buffer.from('Subject: x\r\n\r\ny\r\n'));
    await client.quit();
    expect(result.data?.final?.text).toBe('451 4.3.0 Cannot store the message, try again later');
    expect(readdirSync(dir)).toEqual(['tmp']);
  });
});
