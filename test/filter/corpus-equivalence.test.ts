import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectorSettings } from '../../src/config/inspect-options.js';
import { filterMessage } from '../../src/filter/filter-message.js';
import { InlineInspector } from '../../src/filter/inspector.js';
import { newTransactionId } from '../../src/message/transaction-id.js';
import { policyFromConfig } from '../../src/policy/policy-config.js';
import { relayFixture } from '../helpers/proxy-harness.js';
import { SmtpTestClient } from '../helpers/smtp-test-client.js';
import { emlFiles } from '../helpers/clean-measure.js';

/**
 * One filter for every ingress: each message of the vendored corpus gets the same verdict,
 * findings and action when handed to filterMessage directly (inline inspection, no socket)
 * as when it goes through the proxy (worker pool, real sockets).
 */

const FIXTURES = path.resolve(__dirname, '../fixtures');


const corpus = [
  ...emlFiles(path.resolve(__dirname, '../../samples')),
  ...emlFiles(path.join(FIXTURES, 'mail-spamassassin')),
  ...emlFiles(path.join(FIXTURES, 'mail-ruby')),
  ...emlFiles(path.join(FIXTURES, 'mail-ham')).slice(0, 60),
];

/** SMTP carries CRLF and a final line end; the proxy's client sends the bytes as they are. */
function wireForm(file: string): Buffer {
  const raw = readFileSync(file);
  const crlf = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  return crlf.subarray(-2).toString() === '\r\n' ? crlf : Buffer.concat([crlf, Buffer.from('\r\n')]);
}

describe('the same verdict and action through the filter and through the proxy', () => {
  const relay = relayFixture();

  it(`for each of ${corpus.length} corpus messages`, async () => {
    expect(corpus.length).toBeGreaterThan(100);
    const { proxy } = await relay.start({}, { inspect: { threads: 2 } });
    const { policy, tag } = policyFromConfig(proxy.loaded.config);
    const inline = new InlineInspector(inspectorSettings(proxy.loaded));
    const client = await SmtpTestClient.connect(proxy.port);
    const mismatches: string[] = [];
    for (const [i, file] of corpus.entries()) {
      const message = wireForm(file);
      const envelope = { mail: { address: 'corpus@partner.example', smtpUtf8: false }, rcpts: [{ address: 'user@example.net' }], client: { addr: '127.0.0.1', helo: 'client.example' } };
      const direct = await filterMessage({ id: newTransactionId(), receivedAt: new Date(), message, ...envelope }, { ingress: 'smtp', inspector: inline, policy, tag, quarantine: 'ingress', editBytes: true });
      await client.send('corpus@partner.example', ['user@example.net'], message);
      const line = proxy.logs.transactions()[i];
      const expected = {
        verdict: direct.report.inspection?.verdict,
        score: direct.report.inspection?.score,
        findings: direct.report.inspection?.findings.map((f) => `${f.detector}/${f.code}`),
        action: direct.report.decision?.action.kind,
      };
      const got = { verdict: line?.['verdict'], score: line?.['score'], findings: line?.['findings'], action: line?.['action'] };
      if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push(`${path.relative(FIXTURES, file)}: filter ${JSON.stringify(expected)} proxy ${JSON.stringify(got)}`);
    }
    await client.quit();
    expect(mismatches).toEqual([]);
    // Not all clean: the corpus exercises every action the default policy takes.
    const actions = new Set(proxy.logs.transactions().map((t) => t['action']));
    expect([...actions].sort()).toEqual(['pass', 'quarantine', 'tag']);
  });
});
