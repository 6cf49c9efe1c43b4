import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BrandChecker } from '../../src/core/brand/brand-checker.js';
import { brandOnly, inspectBrand, suspiciousBrand } from './brand-mail.js';

/** Every .eml file under a directory. */
export function emlFiles(dir: string): string[] {
  return filesUnder(dir, (name) => name.endsWith('.eml'));
}

/** Every file under a directory whose name `keep` accepts, in a stable order. */
export function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return filesUnder(path, keep);
      return keep(name) ? [path] : [];
    });
}

export interface CleanReport {
  readonly messages: number;
  /** Messages with a brand finding at medium or above: false positives. */
  readonly suspicious: readonly string[];
  /** Messages with only low brand findings (no effect on the verdict). */
  readonly lowOnly: number;
}

/** The brand detector on ordinary mail: every message that it would make suspicious. */
export async function measureClean(files: readonly string[], checker: BrandChecker, root = ''): Promise<CleanReport> {
  const suspicious: string[] = [];
  let lowOnly = 0;
  for (const file of files) {
    const verdict = await inspectBrand(readFileSync(file), checker);
    const found = suspiciousBrand(verdict);
    if (found.length > 0) suspicious.push(`${file.slice(root.length)}: ${found.map((f) => `${f.code} ${f.summary}`).join('; ')}`);
    else if (brandOnly(verdict).length > 0) lowOnly++;
  }
  return { messages: files.length, suspicious, lowOnly };
}
