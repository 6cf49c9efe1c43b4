import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { deliver, SmtpTestClient } from '../../helpers/smtp-test-client.js';
import { selfSignedCertificate, type TlsMaterial } from '../../helpers/tls-material.js';
import { requireTool } from '../../helpers/tools.js';

const run = promisify(execFile);
const BODY = Buffer.from('Subject: tls\r\n\r\nsecret\r\n');

describe('STARTTLS', () => {
  let material: TlsMaterial;
  const relay = relayFixture();

  beforeAll(() => {
    material = selfSignedCertificate();
  });

  it('inbound: swaks --tls delivers through sekisho when a certificate is configured', async () => {
    requireTool('swaks');
    const { sink, proxy } = await relay.start({}, { smtp: { tls: { cert: material.certFile, key: material.keyFile } } });
    const dataFile = path.join(material.dir, 'message.eml');
    writeFileSync(dataFile, 'Subject: over tls\r\n\r\nsent with swaks\r\n');
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${proxy.port}`, '--tls', '--from', 's@example.com', '--to', 'r@example.net', '--data', dataFile, '--helo', 'swaks.example'], { timeout: 20_000 });
    expect(stdout).toMatch(/<- {2}220 Ready to start TLS/);
    expect(stdout).toMatch(/=== TLS started with cipher/);
    expect(stdout).toMatch(/<~ {2}250 2\.0\.0 Ok: queued as Q1/);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.data.toString()).toContain('sent with swaks');
    expect(proxy.logs.transactions()[0]).toMatchObject({ tls: true, outcome: 'delivered' });
  });

  it('inbound: without a certificate STARTTLS is not offered (never the built-in test key)', async () => {
    const { proxy } = await relay.start();
    const client = await SmtpTestClient.connect(proxy.port);
    expect((await client.command('EHLO c.example')).text).not.toContain('STARTTLS');
    expect((await client.command('STARTTLS')).code).toBe(500);
    await client.quit();
  });

  it('outbound: a next hop whose certificate cannot be verified gets no mail (451 4.7.5), by default', async () => {
    const { sink, proxy } = await relay.start({ tls: material });
    const client = await SmtpTestClient.connect(proxy.port);
    await client.command('EHLO c.example');
    expect((await client.command('MAIL FROM:<s@example.com>')).text).toBe('451 4.7.5 TLS with the next hop failed, try again later');
    await client.quit();
    expect(sink.messages).toHaveLength(0);
    expect(String(proxy.logs.transactions()[0]!['next_hop_error'])).toMatch(/^tls: .*self-signed/);
  });

  it('outbound: with the CA configured the message goes over TLS', async () => {
    const { sink, proxy } = await relay.start({ tls: material }, { smtp: { upstream_tls: { ca: material.certFile } } });
    expect(await deliver(proxy.port, 's@example.com', ['r@example.net'], BODY)).toBe(250);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.tls).toBe(true);
    expect(sink.messages[0]!.data.equals(BODY)).toBe(true);
  });

  it('outbound: verify off trusts any certificate (an explicit choice of the admin)', async () => {
    const { sink, proxy } = await relay.start({ tls: material }, { smtp: { upstream_tls: { verify: false } } });
    expect(await deliver(proxy.port, 's@example.com', ['r@example.net'], BODY)).toBe(250);
    expect(sink.messages[0]!.tls).toBe(true);
  });

  it('outbound: starttls never stays in plaintext', async () => {
    const { sink, proxy } = await relay.start({ tls: material }, { smtp: { upstream_tls: { starttls: 'never' } } });
    expect(await deliver(proxy.port, 's@example.com', ['r@example.net'], BODY)).toBe(250);
    expect(sink.messages[0]!.tls).toBe(false);
  });

  it('outbound: starttls required, next hop without it: 451 4.7.5', async () => {
    const { sink, proxy } = await relay.start({}, { smtp: { upstream_tls: { starttls: 'required' } } });
    expect(await deliver(proxy.port, 's@example.com', ['r@example.net'], BODY)).toBe(451);
    expect(sink.messages).toHaveLength(0);
  });
});
