import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { decodeSubject } from '../../../src/edit/subject-tag.js';
import { parseHeaderBlock } from '../../../src/message/header-block.js';
import { brandMail } from '../../helpers/brand-mail.js';
import { relayFixture } from '../../helpers/proxy-harness.js';
import { tempQuarantineDir } from '../../helpers/quarantine-fixtures.js';
import { SmtpTestClient } from '../../helpers/smtp-test-client.js';

const MULTI = path.resolve(__dirname, '../../fixtures/mail-ruby/multi_charset');

/** The header fields of a message by lower-case name, values unfolded. */
function headers(message: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of parseHeaderBlock(message)?.fields ?? []) {
    const value = f.raw.toString('latin1').replace(/^[^:]*:\s*/, '').replace(/\r?\n[ \t]/g, ' ').replace(/\r?\n$/, '');
    out.set(f.name.toLowerCase(), [...(out.get(f.name.toLowerCase()) ?? []), value]);
  }
  return out;
}

/** What a mail client shows as the Subject. */
function shownSubject(message: Buffer): string {
  return libmime.decodeWords(Buffer.from(headers(message).get('subject')?.[0] ?? '', 'latin1').toString('utf8'));
}

function body(message: Buffer): Buffer {
  return message.subarray(parseHeaderBlock(message)?.bodyStart ?? message.length);
}

async function send(port: number, messages: Buffer[]): Promise<number[]> {
  const client = await SmtpTestClient.connect(port);
  const codes: number[] = [];
  for (const m of messages) codes.push((await client.send('sender@example.com', ['user@example.net'], m)).data?.final?.code ?? 0);
  await client.quit();
  return codes;
}

describe('tagging through the proxy', () => {
  const relay = relayFixture();

  it('a brand phish arrives with a tagged subject and verdict headers; the body untouched', async () => {
    const { sink, proxy } = await relay.start({}, { quarantine: { dir: tempQuarantineDir() } });
    const phish = brandMail({ from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'Amazon プライム会員情報のお知らせ', text: 'セール情報をお届けします。' });
    expect(await send(proxy.port, [phish])).toEqual([250]);
    const got = sink.messages[0]?.data ?? Buffer.alloc(0);
    expect(shownSubject(got)).toBe('[SUSPICIOUS] Amazon プライム会員情報のお知らせ');
    const h = headers(got);
    expect(h.get('x-sekisho-verdict')).toEqual(['suspicious']);
    expect(h.get('x-sekisho-score')).toEqual(['40']);
    expect(h.get('x-sekisho-findings')).toEqual(['brand/display-name=medium']);
    expect(body(got).equals(body(phish))).toBe(true);
    expect(proxy.logs.transactions()[0]).toMatchObject({ action: 'tag', outcome: 'delivered' });
  });

  it('ISO-2022-JP, Shift_JIS, UTF-8 and plain subjects of real Japanese mail: tag + the original text', async () => {
    // A rule without conditions tags every message, so each subject of the corpus is tagged.
    const { sink, proxy } = await relay.start({}, { quarantine: { dir: tempQuarantineDir() }, policy: { rules: [{ action: 'tag' }], tag: { subject_prefix: '【注意】' } } });
    const files = readdirSync(MULTI).filter((f) => f.endsWith('.eml'));
    const sent = files.map((f) => {
      const raw = readFileSync(path.join(MULTI, f));
      // SMTP content ends with a line break; the client would add one.
      return raw.subarray(-1)[0] === 0x0a ? raw : Buffer.concat([raw, Buffer.from('\r\n')]);
    });
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect(await send(proxy.port, sent)).toEqual(files.map(() => 250));
    for (const [i, original] of sent.entries()) {
      const got = sink.messages[i]?.data ?? Buffer.alloc(0);
      const before = decodeSubject(parseHeaderBlock(original)?.fields.find((f) => f.name.toLowerCase() === 'subject')?.raw.subarray('Subject:'.length) ?? Buffer.alloc(0));
      expect(shownSubject(got), files[i]).toBe(`【注意】${before}`);
      expect(body(got).equals(body(original)), files[i]).toBe(true);
      for (const line of got.subarray(0, parseHeaderBlock(got)?.bodyStart).toString('latin1').split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(998);
    }
  });

  it('a tag is never doubled, and forged X-Sekisho headers never get through', async () => {
    const { sink, proxy } = await relay.start({}, { quarantine: { dir: tempQuarantineDir() } });
    const forged = ['X-Sekisho-Verdict: clean', 'X-Sekisho-Score: 0', 'X-Sekisho-Findings: none;', ' folded=continuation'];
    const tagged = brandMail({ from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'Re: [SUSPICIOUS] お支払い', text: 'x', headers: forged });
    const clean = brandMail({ from: 'friend@example.org', subject: 'ランチ', text: 'また今度', headers: forged });
    expect(await send(proxy.port, [tagged, clean])).toEqual([250, 250]);
    const [first, second] = sink.messages.map((m) => m.data);
    expect(shownSubject(first ?? Buffer.alloc(0))).toBe('[SUSPICIOUS] Re: お支払い');
    expect(headers(first ?? Buffer.alloc(0)).get('x-sekisho-verdict')).toEqual(['suspicious']);
    // The clean message loses the forged fields and nothing else.
    const expected = Buffer.from(clean.toString('latin1').replace(/X-Sekisho-Verdict: clean\r\nX-Sekisho-Score: 0\r\nX-Sekisho-Findings: none;\r\n folded=continuation\r\n/, ''), 'latin1');
    expect(second?.equals(expected)).toBe(true);
  });

  it('header-only mode leaves the Subject (and DKIM signatures over it) alone', async () => {
    const { sink, proxy } = await relay.start({}, { quarantine: { dir: tempQuarantineDir() }, policy: { tag: { mode: 'header-only' } } });
    const phish = brandMail({ from: 'Amazon.co.jp <info@mailer-service.example>', subject: 'お知らせ', text: 'x' });
    expect(await send(proxy.port, [phish])).toEqual([250]);
    const got = sink.messages[0]?.data ?? Buffer.alloc(0);
    expect(headers(got).get('subject')).toEqual(headers(phish).get('subject'));
    expect(headers(got).get('x-sekisho-verdict')).toEqual(['suspicious']);
  });
});
