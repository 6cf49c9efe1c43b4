import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

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

  it('takes limits and passwords from --config, and a bad config is exit 2', () => {
    const bad = scan(['--config', '/nonexistent.yaml', path.join(MAILS, 'nomacro.eml')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('cannot read the file');
  });
});
