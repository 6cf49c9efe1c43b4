import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanMail,
  milterDaemonConfig,
  oversizedMail,
  phishMail,
  phishSubject,
  proxyReplyFor,
  rejectedPhishMail,
  requireBuild,
  startMilterDaemon,
  TAG_PREFIX,
  zippedMacroMail,
  type MilterDaemon,
} from '../helpers/milter-cases.js';
import { run, waitFor } from '../helpers/processes.js';
import { requireTool } from '../helpers/tools.js';

/**
 * sekisho's milter against OpenDKIM's miltertest, a scripted fake MTA that speaks the
 * protocol as libmilter's peers do: a real `sekisho serve` (dist/main.js) per quarantine
 * mode, each Lua script in test/milter/lua one milter conversation, its checks printed
 * one per line. A test passes when the script exits 0 and printed PASS; then the daemon's
 * transaction line is checked too (what an operator would see for that message).
 */

const LUA = path.resolve(__dirname, 'lua');
const MAIN = requireBuild();

let workDir: string;
let store: MilterDaemon | undefined;
let hold: MilterDaemon | undefined;
let miltertest: string;

beforeAll(async () => {
  miltertest = requireTool('miltertest');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-miltertest-'));
  [store, hold] = await Promise.all([startMilterDaemon(milterDaemonConfig('store')), startMilterDaemon(milterDaemonConfig('hold'))]);
});

afterAll(async () => {
  await Promise.all([store?.stop(), hold?.stop()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const token = () => `t${randomBytes(6).toString('hex')}`;
/** A queue id like Postfix's, passed as the `i` macro: it must come back in the log line. */
const queueId = () => randomBytes(5).toString('hex').toUpperCase();

function mailFile(name: string, bytes: Buffer): string {
  const file = path.join(workDir, `${name}.eml`);
  writeFileSync(file, bytes);
  return file;
}

/** Runs one Lua script against a daemon; fails with the script's output unless it passed. */
async function miltertestRun(script: string, daemon: MilterDaemon, vars: Record<string, string>): Promise<string> {
  const defines = Object.entries({ port: String(daemon.port), lib: path.join(LUA, 'sekisho.lua'), ...vars }).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  const result = await run(miltertest, [...defines, '-s', path.join(LUA, script)], 30_000);
  const transcript = `miltertest ${script} exited ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
  expect(result.code, transcript).toBe(0);
  expect(result.stdout, transcript).not.toContain('FAIL');
  expect(result.stdout.trimEnd().split('\n').at(-1), transcript).toBe('PASS');
  return result.stdout;
}

/** The daemon's transaction line for the message with this queue id (logged right after the answer). */
async function transaction(daemon: MilterDaemon, id: string): Promise<Record<string, unknown>> {
  return waitFor(
    () => daemon.daemon.transactions().find((t) => t['queue_id'] === id),
    5000,
    () => `no transaction line with queue_id ${id}:\n${daemon.daemon.transactions().map((t) => JSON.stringify(t)).join('\n')}`,
  );
}

describe('miltertest against sekisho serve (milter.quarantine: store)', () => {
  it('accepts clean mail unchanged: SMFIR_ACCEPT and no header operation', async () => {
    const id = queueId();
    await miltertestRun('clean.lua', store!, { mail: mailFile('clean', cleanMail(token())), queue_id: id });
    const tx = await transaction(store!, id);
    expect(tx).toMatchObject({ ingress: 'milter', verdict: 'clean', action: 'pass', outcome: 'accept', mail_from: 'taro@example.com', rcpt: ['user@example.net'] });
    // The connection and HELO events reached the log line too.
    expect(tx['client']).toEqual({ ip: '192.0.2.10', name: 'client.example', helo: 'client.example' });
  });

  it('tags a brand phish: CHGHEADER Subject with the tag, INSHEADER X-Sekisho-* under the MTA\'s Received, SMFIR_ACCEPT', async () => {
    const id = queueId();
    const t = token();
    await miltertestRun('phish-tag.lua', store!, { mail: mailFile('phish', phishMail(t)), queue_id: id, subject: phishSubject(t), prefix: TAG_PREFIX });
    expect(await transaction(store!, id)).toMatchObject({ verdict: 'malicious', action: 'tag', outcome: 'accept' });
  });

  it('quarantines a zipped macro workbook in its own store: SMFIR_DISCARD, and the entry is in `sekisho quarantine list`', async () => {
    const id = queueId();
    await miltertestRun('macro-zip.lua', store!, { mail: mailFile('macro-store', zippedMacroMail(token())), queue_id: id, mode: 'store' });
    const tx = await transaction(store!, id);
    expect(tx).toMatchObject({ action: 'quarantine', outcome: 'discard', quarantine: 'store' });
    expect(tx['findings']).toContain('macro/vba');
    // The quarantine id is the transaction id; the CLI reads the store the daemon wrote.
    const list = await run(process.execPath, [MAIN, 'quarantine', 'list', '--config', store!.configFile, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const entries = (JSON.parse(list.stdout) as { entries: Array<Record<string, unknown>> }).entries;
    const entry = entries.find((e) => e['id'] === tx['tx']);
    expect(entry, list.stdout).toBeDefined();
    expect(entry).toMatchObject({ mail_from: 'billing@example.com', rcpt_to: ['user@example.net'], verdict: 'suspicious', released: false });
  });

  it("rejects what the policy rejects with SMFIR_REPLYCODE, the SMTP proxy's very reply (550 5.7.1 …)", async () => {
    const id = queueId();
    const message = rejectedPhishMail(token());
    const expected = await proxyReplyFor(milterDaemonConfig('store'), message, 'service@paypa1-secure.example', ['user@example.net']);
    const [, code, enhanced, text] = /^(\d{3}) (\d\.\d+\.\d+) (.*)$/.exec(expected) ?? [];
    expect(code).toBe('550');
    expect(enhanced).toBe('5.7.1');
    await miltertestRun('policy-reject.lua', store!, { mail: mailFile('reject', message), queue_id: id, code: code!, enhanced: enhanced!, text: text! });
    expect(await transaction(store!, id)).toMatchObject({ action: 'reject', outcome: 'replycode', reply: expected });
  });

  it('gives a message over smtp.max_message_bytes the unscannable answer: quarantine in the hold queue (its bytes were not kept)', async () => {
    const id = queueId();
    await miltertestRun('oversized.lua', store!, { mail: mailFile('oversized-store', oversizedMail(token())), queue_id: id });
    const tx = await transaction(store!, id);
    expect(tx).toMatchObject({ verdict: 'unscannable', action: 'quarantine', outcome: 'quarantine', quarantine: 'hold' });
    expect(tx['findings']).toEqual(['limits/message-size']);
  });

  it('after an ABORT mid-message, accepts the next clean message on the same connection unchanged', async () => {
    const id = queueId();
    const before = store!.daemon.transactions().length;
    await miltertestRun('abort-then-clean.lua', store!, { mail: mailFile('after-abort', cleanMail(token())), phish: mailFile('aborted', phishMail(token())), queue_id: id });
    const tx = await transaction(store!, id);
    expect(tx).toMatchObject({ verdict: 'clean', outcome: 'accept' });
    // The aborted one is logged as abandoned, on the same milter connection, never inspected.
    const lines = store!.daemon.transactions().slice(before);
    const abandoned = lines.find((l) => l['outcome'] === 'abandoned');
    expect(abandoned, JSON.stringify(lines)).toMatchObject({ conn: tx['conn'], mail_from: 'bounce@mailer.example' });
    expect(abandoned?.['verdict']).toBeUndefined();
  });

  it('deletes a forged X-Sekisho-Verdict and X-Sekisho-Score from the input, and changes nothing else', async () => {
    const id = queueId();
    const forged = cleanMail(token(), ['X-Sekisho-Verdict: clean', 'X-Sekisho-Score: 0']);
    await miltertestRun('forged-verdict.lua', store!, { mail: mailFile('forged', forged), queue_id: id });
    expect(await transaction(store!, id)).toMatchObject({ verdict: 'clean', outcome: 'accept' });
  });
});

describe('miltertest against sekisho serve (milter.quarantine: hold)', () => {
  it("leaves a zipped macro workbook to the MTA's hold queue: SMFIR_QUARANTINE with the verdict headers, then SMFIR_ACCEPT", async () => {
    const id = queueId();
    await miltertestRun('macro-zip.lua', hold!, { mail: mailFile('macro-hold', zippedMacroMail(token())), queue_id: id, mode: 'hold' });
    const tx = await transaction(hold!, id);
    expect(tx).toMatchObject({ action: 'quarantine', outcome: 'quarantine', quarantine: 'hold' });
    // Nothing went into sekisho's own store.
    const list = await run(process.execPath, [MAIN, 'quarantine', 'list', '--config', hold!.configFile, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { total: number }).total).toBe(0);
  });

  it('gives an oversized message the same unscannable answer as in store mode', async () => {
    const id = queueId();
    await miltertestRun('oversized.lua', hold!, { mail: mailFile('oversized-hold', oversizedMail(token())), queue_id: id });
    expect(await transaction(hold!, id)).toMatchObject({ verdict: 'unscannable', outcome: 'quarantine', quarantine: 'hold' });
  });

  it('accepts clean mail unchanged in hold mode too', async () => {
    const id = queueId();
    await miltertestRun('clean.lua', hold!, { mail: mailFile('clean-hold', cleanMail(token())), queue_id: id });
    expect(await transaction(hold!, id)).toMatchObject({ verdict: 'clean', outcome: 'accept' });
  });
});
