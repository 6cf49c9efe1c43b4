import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { relayFixture } from '../helpers/proxy-harness.js';

const MAIN = path.resolve(__dirname, '../../dist/main.js');

/** `sekisho healthcheck` as Docker's HEALTHCHECK runs it (asynchronously: the daemon runs in this process). */
function healthcheck(yaml: string): Promise<{ code: number; out: string }> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sekisho-hc-')), 'sekisho.yaml');
  writeFileSync(file, yaml);
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'healthcheck', '--config', file], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, out: `${stdout}${stderr}`.trim() });
    });
  });
}

describe('sekisho healthcheck', () => {
  const relay = relayFixture();

  it('asks /healthz when there is an admin port, else wants an SMTP 220', async () => {
    const { proxy } = await relay.start({}, { admin: { listen: '127.0.0.1:0' } });
    const admin = proxy.daemon.adminAddress?.port;
    const smtp = `smtp:\n  listen: 127.0.0.1:${proxy.port}\n  upstream: outbox:/tmp/unused\n`;
    expect(await healthcheck(`${smtp}admin:\n  listen: 127.0.0.1:${admin}\n`)).toEqual({ code: 0, out: `http://127.0.0.1:${admin}/healthz: 200 {"status":"alive"}` });
    const greeting = await healthcheck(smtp);
    expect(greeting.code).toBe(0);
    expect(greeting.out).toMatch(/^220 /);
    await proxy.stop();
    const down = await healthcheck(`${smtp}admin:\n  listen: 127.0.0.1:${admin}\n`);
    expect(down).toEqual({ code: 1, out: `http://127.0.0.1:${admin}/healthz: ECONNREFUSED` });
  });

  it('with the milter as the only ingress, wants an answered option negotiation', async () => {
    const { proxy } = await relay.start({}, { milter: { listen: '127.0.0.1:0' } });
    const port = proxy.daemon.milterAddress?.port;
    const yaml = `smtp:\n  upstream: outbox:/tmp/unused\nmilter:\n  listen: 127.0.0.1:${port}\n`;
    expect(await healthcheck(yaml)).toEqual({ code: 0, out: `milter at 127.0.0.1:${port}: protocol version 6` });
    await proxy.stop();
    expect(await healthcheck(yaml)).toEqual({ code: 1, out: `cannot connect to the milter at 127.0.0.1:${port}: ECONNREFUSED` });
  });
});
