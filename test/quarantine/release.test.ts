import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { FileQuarantineStore } from '../../src/quarantine/file-store.js';
import { QuarantineAdmin } from '../../src/quarantine/quarantine-admin.js';
import { createNextHop } from '../../src/smtp/next-hop/create-next-hop.js';
import type { NextHop } from '../../src/smtp/next-hop/next-hop.js';
import { LogCapture, proxyConfig } from '../helpers/proxy-harness.js';
import { heldMessage, metaFor, tempQuarantineDir } from '../helpers/quarantine-fixtures.js';
import { TestSink, type SinkBehaviour } from '../helpers/test-sink.js';

describe('releasing a quarantined message', () => {
  let sink: TestSink | undefined;
  let hop: NextHop | undefined;
  afterEach(async () => {
    await hop?.close();
    await sink?.stop();
  });

  async function setup(behaviour: SinkBehaviour = {}, releaseHeader = true) {
    sink = await TestSink.start(behaviour);
    const dir = tempQuarantineDir();
    const loaded = validateConfig('test.yaml', proxyConfig(sink.url, { quarantine: { dir, release_header: releaseHeader } }));
    hop = createNextHop(loaded);
    const store = new FileQuarantineStore(dir);
    const logs = new LogCapture();
    const admin = new QuarantineAdmin(store, () => hop as NextHop, () => ({ releaseHeader }), createLogger('info', logs));
    const message = heldMessage();
    const meta = metaFor(message, { rcpt_to: ['user@example.net', 'boss@example.net'], rcpt_params: [{ notify: ['FAILURE'], orcpt: 'rfc822;user@example.net' }, {}] });
    await store.put(meta, message);
    return { sink, store, admin, logs, meta, message };
  }

  it('sends it once with the original envelope, the release header on top, the rest byte for byte', async () => {
    const { sink, admin, logs, meta, message } = await setup();
    const first = await admin.release(meta.id, { by: 'cli:alice' });
    expect(first.status).toBe('released');
    expect(sink.messages).toHaveLength(1);
    const got = sink.messages[0];
    expect(got?.mailFrom).toBe('keiri@partner.example');
    expect(got?.rcptTo).toEqual(['user@example.net', 'boss@example.net']);
    expect(got?.mailLine).toContain('BODY=8BITMIME');
    expect(got?.rcptLines[0]).toContain('NOTIFY=FAILURE');
    // The original client, told to the next hop by XFORWARD.
    expect(got?.xforward.join(' ')).toContain('ADDR=203.0.113.5');
    const text = got?.data.toString('latin1') ?? '';
    expect(text).toMatch(/^X-Sekisho-Released-By: cli:alice; .+ GMT\r\n/);
    expect(got?.data.subarray(text.indexOf('\r\n') + 2).equals(message)).toBe(true);

    const second = await admin.release(meta.id, { by: 'web' });
    expect(second.status).toBe('already-released');
    expect(sink.messages).toHaveLength(1);
    expect(logs.lines.filter((l) => l['event'] === 'quarantine-release').map((l) => [l['by'], l['result']])).toEqual([
      ['cli:alice', 'released'],
      ['web', 'already-released'],
    ]);
  });

  it('without the release header the message arrives exactly as it was received', async () => {
    const { sink, admin, meta, message } = await setup({}, false);
    expect((await admin.release(meta.id, { by: 'api' })).status).toBe('released');
    expect(sink.messages[0]?.data.equals(message)).toBe(true);
  });

  it('to recipients the admin names instead', async () => {
    const { sink, admin, store, meta } = await setup();
    const result = await admin.release(meta.id, { by: 'web', recipients: ['helpdesk@example.net'] });
    expect(result.status).toBe('released');
    expect(sink.messages[0]?.rcptTo).toEqual(['helpdesk@example.net']);
    expect((await store.get(meta.id))?.release).toMatchObject({ state: 'released', by: 'web', to: ['helpdesk@example.net'] });
  });

  it('a refused release leaves it quarantined, ready for another try', async () => {
    const { sink, admin, store, meta } = await setup({ dataReply: () => '554 5.7.1 no thanks' });
    const result = await admin.release(meta.id, { by: 'api' });
    expect(result).toMatchObject({ status: 'failed', reply: '554 5.7.1 no thanks' });
    expect((await store.get(meta.id))?.release).toBeUndefined();
    expect(sink.messages).toHaveLength(0);
  });

  it('a release interrupted mid-send is not repeated without force', async () => {
    const { sink, admin, store, meta } = await setup();
    await store.update(meta.id, { ...meta, release: { state: 'releasing', at: '2026-11-22T02:00:00.000Z', by: 'web', to: meta.rcpt_to } });
    expect((await admin.release(meta.id, { by: 'api' })).status).toBe('in-doubt');
    expect(sink.messages).toHaveLength(0);
    expect((await admin.release(meta.id, { by: 'api', force: true })).status).toBe('released');
    expect(sink.messages).toHaveLength(1);
  });

  it('an unknown id is not found, and two releases at once send it once', async () => {
    const { sink, admin, meta } = await setup({ dataReplyDelayMs: 200 });
    expect((await admin.release('a'.repeat(26), { by: 'api' })).status).toBe('not-found');
    const both = await Promise.allSettled([admin.release(meta.id, { by: 'web' }), admin.release(meta.id, { by: 'api' })]);
    const outcomes = both.map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as Error).name)).sort();
    expect(outcomes).toEqual(['QuarantineLockedError', 'released']);
    expect(sink.messages).toHaveLength(1);
  });
});
