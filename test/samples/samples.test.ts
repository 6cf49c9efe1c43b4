import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const SAMPLES = path.join(ROOT, 'samples');

describe('samples and npm run demo', () => {
  it('the committed samples are what samples/build-samples.mjs builds from the fixtures', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'sekisho-samples-'));
    execFileSync(process.execPath, [path.join(SAMPLES, 'build-samples.mjs'), out]);
    const built = readdirSync(out).sort();
    expect(built).toEqual(readdirSync(SAMPLES).filter((f) => f.endsWith('.eml')).sort());
    for (const name of built) expect(readFileSync(path.join(out, name)).equals(readFileSync(path.join(SAMPLES, name))), name).toBe(true);
  });

  it('the demo sends every sample through a real daemon and says where each went, and what the metrics counted', async () => {
    // The shipped configuration with its own ports and directories, so that the test can
    // run beside anything (the demo reads the ports from the daemon's log).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-demo-'));
    const shipped = readFileSync(path.join(ROOT, 'config/sekisho.yaml'), 'utf8');
    const config = shipped
      .replace('listen: 127.0.0.1:2525', 'listen: 127.0.0.1:0')
      .replace('listen: 127.0.0.1:8025', 'listen: 127.0.0.1:0')
      .replace('upstream: outbox:./var/outbox', `upstream: outbox:${dir}/outbox`)
      .replace('dir: ./var/quarantine', `dir: ${dir}/quarantine`);
    expect(config).not.toBe(shipped);
    writeFileSync(path.join(dir, 'sekisho.yaml'), config);
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [path.join(SAMPLES, 'demo.mjs'), '--config', path.join(dir, 'sekisho.yaml')], { encoding: 'utf8', timeout: 60_000, cwd: dir }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      );
    });
    const block = (name: string) => output.slice(output.indexOf(name), output.indexOf('\n\n', output.indexOf(name)));
    expect(block('01-clean-japanese.eml')).toMatch(/verdict clean \(score 0\) → pass\n {2}client heard "250 2\.0\.0 Ok: queued as \S+"\n {2}went to outbox outbox\/\S+\.eml$/);
    expect(block('02-brand-phish-japanese.eml')).toMatch(/verdict malicious \(score 100\) → quarantine: From name "三井住友カード" but domain smbc-card\.com\.colourconmy\.com/);
    expect(block('02-brand-phish-japanese.eml')).toMatch(/went to quarantine [a-z2-7]{26}/);
    expect(block('03-zipped-macro.eml')).toMatch(/→ quarantine: Excel 4\.0 macro sheet in 2\/請求書\.zip\/請求書_1122\.xlsm/);
    expect(block('04-password-zip.eml')).toMatch(/findings archive\/encrypted-zip-opened, macro\/vba\n.*\n {2}went to quarantine/);
    expect(block('05-impersonation-english.eml')).toMatch(/verdict malicious \(score 100\) → quarantine: From name "Apple Support"/);
    expect(block('06-display-name-only.eml')).toMatch(/verdict suspicious \(score 40\) → tag: From name "Amazon\.com"[^\n]*\n.*\n.*\n {2}went to outbox/);
    expect(output).toContain('sekisho_messages_total{ingress="smtp",verdict="malicious",action="quarantine"} 0 → 3');
    expect(output).toContain('sekisho_brand_impersonations_total{brand="smbc-card"} 0 → 1');
    expect(output).toMatch(/^ {2}sekisho_quarantine_messages\{store="[^"]+"\} 0 → 4$/m);
    // The tagged message really is tagged in the outbox.
    const tagged = readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(path.join(dir, 'outbox', f), 'latin1'));
    expect(tagged.filter((m) => /^Subject: \[SUSPICIOUS\] Your order has shipped\r?$/m.test(m))).toHaveLength(1);
  });
});
