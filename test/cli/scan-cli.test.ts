import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandMail } from '../helpers/brand-mail.js';

/** The built CLI, as an admin runs it (npm test builds first). */
const MAIN = path.resolve(__dirname, '../../dist/main.js');
const MAILS = path.resolve(__dirname, '../fixtures/mail-spamassassin/olevbmacro');

function scan(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'scan', ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sekisho scan', () => {
  it('--json prints one object per file: file, verdict, action, score, findings', () => {
    const r = scan(['--json', path.join(MAILS, 'zippwmacro.eml'), path.join(MAILS, 'nomacro.eml')]);
    expect(r.status).toBe(0);
    const [zipped, clean] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(zipped ?? {})).toEqual(['file', 'verdict', 'action', 'score', 'findings']);
    expect(zipped).toMatchObject({ file: path.join(MAILS, 'zippwmacro.eml'), action: 'quarantine' });
    expect(['suspicious', 'malicious']).toContain(zipped?.['verdict']);
    const findings = zipped?.['findings'] as Array<Record<string, unknown>>;
    expect(findings.map((f) => `${f['detector']}/${f['code']}`)).toEqual(expect.arrayContaining(['archive/encrypted-zip-opened', 'macro/vba']));
    expect(clean).toMatchObject({ verdict: 'clean', action: 'pass', score: 0, findings: [] });
  });

  it('reads stdin for "-" and prints a readable report by default', () => {
    const r = scan(['-'], readFileSync(path.join(MAILS, 'malicemacro.eml')));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^-: (malicious|suspicious) \(score \d+\) → quarantine\n {2}\[(high|medium)\] macro\/vba: VBA macros in 2\/automacro\.xlsm/);
  });

  it('exits 2 when a file cannot be read, after scanning the others', () => {
    const r = scan(['--json', '/nonexistent.eml', path.join(MAILS, 'nomacro.eml')]);
    expect(r.status).toBe(2);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ file: '/nonexistent.eml', error: 'ENOENT' });
    expect(lines[1]).toMatchObject({ verdict: 'clean' });
  });

  it('checks brands with the shipped catalog, and the admin\'s own catalog from --config', () => {
    const phish = brandMail({ from: '"Amazon.co.jp" <info@amazon-co-jp.xyz>', subject: '【Amazon】アカウント停止', text: 'https://amazon-co-jp.xyz/signin で本人確認してください' });
    const r = scan(['-'], phish);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^-: malicious \(score 100\) → quarantine\n {2}\[high\] brand\/display-name: From name "Amazon\.co\.jp" but domain amazon-co-jp\.xyz \(lookalike of amazon\.co\.jp: amazon\.co\.jp written as amazon-co-jp\.xyz\)/);

    // A company's own brand, added in a local catalog, is protected like a shipped one.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-scan-'));
    writeFileSync(path.join(dir, 'brands.local.yaml'), 'version: 1\nbrands:\n  - id: example-corp\n    name: エグザンプル\n    names: [エグザンプル商事]\n    domains: [example-shoji.co.jp]\n');
    writeFileSync(path.join(dir, 'sekisho.yaml'), `smtp:\n  listen: 127.0.0.1:2525\n  upstream: outbox:${dir}/outbox\nbrands:\n  local: [${dir}/brands.local.yaml]\n`);
    const own = brandMail({ from: 'エグザンプル商事 経理部 <keiri@example-shoj1.co.jp>', text: '請求書をお送りします' });
    expect(JSON.parse(scan(['--json', '-'], own).stdout)).toMatchObject({ verdict: 'clean' });
    const withLocal = JSON.parse(scan(['--json', '--config', path.join(dir, 'sekisho.yaml'), '-'], own).stdout) as { verdict: string; findings: Array<Record<string, unknown>> };
    expect(withLocal.verdict).toBe('malicious');
    expect(withLocal.findings.map((f) => `${f['code']} ${f['summary']}`)).toContain(
      'display-name From name "エグザンプル商事 経理部" but domain example-shoj1.co.jp (lookalike of example-shoji.co.jp: i→1)',
    );
  });

  it('takes limits and passwords from --config, and a bad config is exit 2', () => {
    const bad = scan(['--config', '/nonexistent.yaml', path.join(MAILS, 'nomacro.eml')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('cannot read the file');
  });
});
