import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs the built CLI (npm test builds first), exactly as an admin would. */
const MAIN = path.resolve(__dirname, '../../dist/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-cli-'));

function sekisho(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, yaml: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

const GOOD = 'smtp:\n  listen: 127.0.0.1:0\n  upstream: smtp://127.0.0.1:10026\n';

describe('sekisho config check / serve with a bad config', () => {
  it('accepts the shipped configuration', () => {
    const r = sekisho(['config', 'check', path.resolve(__dirname, '../../config/sekisho.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sekisho.yaml: ok');
  });

  const cases: Array<[string, string, string]> = [
    ['a missing key', 'smtp:\n  listen: 127.0.0.1:0\n', 'smtp.upstream: required key is missing'],
    ['a wrong type', `${GOOD}  workers: two\n`, 'smtp.workers: expected number, got string "two"'],
    ['an unknown key', `${GOOD}  max_mesage_bytes: 10MiB\n`, 'smtp.max_mesage_bytes: unknown key'],
  ];

  it.each(cases)('%s: config check exits 2 and names the key', (_what, yaml, expected) => {
    const r = sekisho(['config', 'check', configFile('check.yaml', yaml)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(expected);
  });

  it.each(cases)('%s: serve refuses to start with exit 2 and names the key', (_what, yaml, expected) => {
    const r = sekisho(['serve', '--config', configFile('serve.yaml', yaml)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(expected);
  });

  it('usage errors exit 2', () => {
    expect(sekisho(['serve']).status).toBe(2);
    expect(sekisho(['frobnicate']).status).toBe(2);
    expect(sekisho(['config', 'check']).status).toBe(2);
  });
});
