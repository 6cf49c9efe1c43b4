import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { validateConfig } from '../../src/config/load-config.js';
import { inspect } from '../../src/core/inspect.js';
import { replyForAction } from '../../src/filter/filter-replies.js';
import { decide } from '../../src/policy/decide.js';
import { messageParties } from '../../src/policy/message-parties.js';
import { policyFromConfig } from '../../src/policy/policy-config.js';
import { brandMail, shippedChecker } from './brand-mail.js';
import { merge } from './proxy-harness.js';
import { DaemonProcess } from './daemon-process.js';
import { attachmentOf, mailOf } from './wrappings.js';
import { buildZip } from './zip-writer.js';

/**
 * The messages and the policy the milter tests share (miltertest's fake MTA and a real
 * Postfix): one case per milter answer. The policy names each case's brand, so that one
 * daemon gives every answer:
 *
 *   clean mail            → pass        → SMFIR_ACCEPT, no header operation
 *   "Apple" phish         → tag         → CHGHEADER Subject, INSHEADER X-Sekisho-*, ACCEPT
 *   zipped macro workbook → quarantine  → DISCARD (store) / QUARANTINE + ACCEPT (hold)
 *   "PayPal" phish        → reject      → REPLYCODE "550 5.7.1 …", the proxy's text
 *   over max_message_bytes → unscannable → quarantine, always in the MTA's hold queue
 */

const FIXTURES = path.resolve(__dirname, '../fixtures');
const MAIN = path.resolve(__dirname, '../../dist/main.js');

/** smtp.max_message_bytes of the test daemons: small, so that a test can send more. */
export const TEST_MAX_MESSAGE_BYTES = 256 * 1024;

/** The rules of the test daemons (policy.rules: they replace the built-in ones). */
export const TEST_RULES = [
  { detector: 'macro', action: 'quarantine' },
  { detector: 'brand', brand: 'paypal', action: 'reject' },
  { detector: 'brand', brand: 'apple', action: 'tag' },
  { verdict: 'unscannable', action: 'quarantine' },
] as const;

export const TAG_PREFIX = '[SUSPICIOUS] ';

/** `dist/main.js` must exist: the daemons under test are `sekisho serve` processes. */
export function requireBuild(): string {
  try {
    readFileSync(MAIN);
  } catch {
    throw new Error(`${MAIN} is missing: run \`npm run build\` before the milter tests (they start the built daemon). These tests never skip.`);
  }
  return MAIN;
}

/**
 * Configuration data of a milter-only `sekisho serve` on a free port: no smtp.listen, the
 * test policy, one inspection thread. `extra` overrides any key (deep merge).
 */
export function milterDaemonConfig(quarantine: 'store' | 'hold', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return merge(
    {
      smtp: {
        // Releases from the store go here; a test that releases sets the real one.
        upstream: 'smtp://127.0.0.1:9',
        max_message_bytes: TEST_MAX_MESSAGE_BYTES,
        hostname: 'sekisho.test',
        timeouts: { shutdown_grace: '2s' },
      },
      milter: { listen: '127.0.0.1:0', quarantine },
      inspect: { threads: 1 },
      policy: { rules: TEST_RULES, tag: { subject_prefix: TAG_PREFIX } },
      log: { level: 'info' },
    },
    extra,
  );
}

export interface MilterDaemon {
  readonly daemon: DaemonProcess;
  /** The milter's address as the daemon logged it: "127.0.0.1:PORT" or "unix:/path". */
  readonly address: string;
  /** Its TCP port; 0 on a unix socket. */
  readonly port: number;
  readonly configFile: string;
  /** quarantine.dir (each daemon its own). */
  readonly quarantineDir: string;
  stop(): Promise<void>;
}

/** Starts `sekisho serve` on `config` (with its own quarantine dir) and waits for the milter's port. */
export async function startMilterDaemon(config: Record<string, unknown>): Promise<MilterDaemon> {
  requireBuild();
  const daemon = DaemonProcess.start(YAML.stringify(config));
  const dir = path.dirname(daemon.configFile);
  try {
    const address = await daemon.milterAddress();
    const port = address.startsWith('unix:') ? 0 : Number(address.split(':').pop());
    const loaded = YAML.parse(readFileSync(daemon.configFile, 'utf8')) as { quarantine: { dir: string } };
    let stopped = false;
    return {
      daemon,
      address,
      port,
      configFile: daemon.configFile,
      quarantineDir: loaded.quarantine.dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await daemon.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    daemon.kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// The messages (CRLF lines, as an MTA has them)

/** A plain message from a mail client; `extraHeaders` go after Subject. */
export function cleanMail(token: string, extraHeaders: readonly string[] = []): Buffer {
  return Buffer.from(
    [
      'From: Taro Yamada <taro@example.com>',
      'To: user@example.net',
      `Subject: meeting notes ${token}`,
      ...extraHeaders,
      'Date: Sun, 22 Nov 2026 10:00:00 +0900',
      `Message-ID: <${token}@example.com>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Notes of today's meeting (${token}) are in the usual folder.`,
      '',
    ].join('\r\n'),
  );
}

/** The subject of {@link phishMail}, before the tag. */
export const phishSubject = (token: string) => `Your Apple ID was locked ${token}`;

/**
 * A display-name spoof of a catalog brand: From "Apple" at a domain that is not Apple's,
 * with a sign-in lure link. The test policy tags it. `extraHeaders` go after Subject.
 */
export function phishMail(token: string, extraHeaders: readonly string[] = []): Buffer {
  return brandMail({
    from: '"Apple" <support@apple-id-verify.example>',
    subject: phishSubject(token),
    headers: extraHeaders,
    text: `Please verify your Apple ID at https://apple-id-verify.example/login (${token}) within 24 hours.\r\n`,
  });
}

/** A PayPal display-name spoof: the test policy rejects it. */
export function rejectedPhishMail(token: string): Buffer {
  return brandMail({
    from: '"PayPal" <service@paypa1-secure.example>',
    subject: `Your account is limited ${token}`,
    text: `Log in at https://paypa1-secure.example/login (${token}) to restore it.\r\n`,
  });
}

/** The VBA workbook of SpamAssassin's olevbmacro corpus (test/fixtures/mail-spamassassin). */
export function macroWorkbook(): Buffer {
  return attachmentOf(readFileSync(path.join(FIXTURES, 'mail-spamassassin/olevbmacro/macro.eml')), 'macro.xlsm');
}

/** An invoice mail with the macro workbook inside a zip, the way Emotet sent them. */
export function zippedMacroMail(token: string): Buffer {
  const zip = buildZip([{ name: '請求書.xlsm', content: macroWorkbook() }]);
  return mailOf({ subject: `請求書 ${token}`, body: `請求書を送付します (${token})。`, attachments: [{ name: `請求書-${token}.zip`, bytes: zip }] });
}

/** A message over {@link TEST_MAX_MESSAGE_BYTES}: text lines, `bytes` of body in all. */
export function oversizedMail(token: string, bytes = TEST_MAX_MESSAGE_BYTES + 64 * 1024): Buffer {
  const head = cleanMail(token).toString('latin1');
  const line = `${'0123456789'.repeat(7)} ${token}\r\n`;
  return Buffer.from(head + line.repeat(Math.ceil(bytes / line.length)), 'latin1');
}

/**
 * The reply the SMTP proxy gives a message under `config`'s policy: the same inspection,
 * decision and reply table the proxy runs, so that the milter's SMFIR_REPLYCODE can be
 * compared with it.
 */
export async function proxyReplyFor(config: Record<string, unknown>, message: Buffer, mailFrom: string, rcpts: readonly string[]): Promise<string> {
  const { policy } = policyFromConfig(validateConfig('test.yaml', config).config);
  const inspection = await inspect({ mailFrom, rcptTo: [...rcpts] }, message, { brands: shippedChecker() });
  const decision = decide(inspection, messageParties(mailFrom, rcpts, inspection.headers), policy);
  const reply = replyForAction(decision.action);
  if (typeof reply === 'string') throw new Error(`the policy does not refuse this message (${decision.action.kind})`);
  return reply.toString();
}
