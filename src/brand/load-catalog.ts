import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getDomain } from 'tldts';
import YAML from 'yaml';
import type { z } from 'zod';
import { catalogSchema, localCatalogSchema, type BrandEntry, type LocalCatalogFile } from '../core/brand/catalog.js';

/** The catalog shipped with the package. */
export const SHIPPED_CATALOG = fileURLToPath(new URL('../../config/brands.yaml', import.meta.url));

export interface CatalogFiles {
  /** Path of the main catalog; the shipped one when absent. */
  readonly catalog?: string;
  readonly local: readonly string[];
}

/**
 * Reads the shipped catalog and the admin's own files, merges them and checks the result.
 * Problems name the config key, the file and the place in it; the caller turns them into
 * a ConfigError, so a broken catalog is refused at start-up and on reload like any key.
 */
export function loadCatalog(files: CatalogFiles): { entries: BrandEntry[]; problems: string[] } {
  const problems: string[] = [];
  const mainKey = 'brands.catalog';
  const mainFile = files.catalog ?? SHIPPED_CATALOG;
  const main = readYaml(mainKey, mainFile, problems);
  const parsed = main === undefined ? undefined : catalogSchema.safeParse(main);
  if (parsed && !parsed.success) problems.push(...issues(mainKey, mainFile, parsed.error.issues));
  const byId = new Map<string, BrandEntry>();
  for (const [i, e] of (parsed?.data?.brands ?? []).entries()) {
    if (byId.has(e.id)) problems.push(`${mainKey} (${mainFile}): brands[${i}].id: "${e.id}" appears twice`);
    byId.set(e.id, e);
  }
  files.local.forEach((file, n) => {
    const key = `brands.local[${n}]`;
    const data = readYaml(key, file, problems);
    if (data === undefined) return;
    const local = localCatalogSchema.safeParse(data);
    if (!local.success) {
      problems.push(...issues(key, file, local.error.issues));
      return;
    }
    merge(byId, local.data, (p) => problems.push(`${key} (${file}): ${p}`));
  });
  const entries = [...byId.values()];
  problems.push(...domainProblems(entries));
  return { entries, problems };
}

function merge(byId: Map<string, BrandEntry>, local: LocalCatalogFile, problem: (p: string) => void): void {
  for (const id of local.disable) if (!byId.delete(id)) problem(`disable: no brand "${id}" to disable`);
  local.brands.forEach((e, i) => {
    const shipped = byId.get(e.id);
    if (shipped) {
      const add = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
      byId.set(e.id, {
        id: e.id,
        name: e.name ?? shipped.name,
        names: add(shipped.names, e.names),
        case_sensitive: add(shipped.case_sensitive, e.case_sensitive),
        domains: add(shipped.domains, e.domains),
        mailboxes: add(shipped.mailboxes, e.mailboxes),
        senders: add(shipped.senders, e.senders),
        keywords: add(shipped.keywords, e.keywords),
        neighbours: add(shipped.neighbours, e.neighbours),
      });
      return;
    }
    const missing = [e.name === undefined && 'name', e.names.length === 0 && 'names', e.domains.length === 0 && 'domains'].filter(Boolean);
    if (missing.length > 0) {
      problem(`brands[${i}] ("${e.id}"): a new brand needs ${missing.join(', ')} (or use the id of a shipped brand to extend it)`);
      return;
    }
    byId.set(e.id, { ...e, name: e.name ?? e.id });
  });
}

/**
 * Every domain must be a registrable domain (chibabank.co.jp: not co.jp, not
 * www.chibabank.co.jp) in lower case, and official for one brand only: a domain that two
 * brands claim would make each look like the other's impostor.
 */
export function domainProblems(entries: readonly BrandEntry[]): string[] {
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const e of entries) {
    const lists = { domains: e.domains, mailboxes: e.mailboxes, senders: e.senders, neighbours: e.neighbours };
    for (const [list, domains] of Object.entries(lists)) {
      for (const d of domains) {
        const registrable = d === d.toLowerCase() && (getDomain(d) === d || getDomain(d, { allowPrivateDomains: true }) === d);
        if (!registrable) problems.push(`brand "${e.id}" ${list}: "${d}" is not a registrable domain in lower case (like example.co.jp)`);
        if (list === 'senders' || list === 'neighbours') continue;
        const other = owner.get(d);
        if (other !== undefined && other !== e.id) problems.push(`brand "${e.id}" ${list}: "${d}" is already official for brand "${other}"`);
        owner.set(d, e.id);
      }
    }
  }
  return problems;
}

function readYaml(key: string, file: string, problems: string[]): unknown {
  try {
    return YAML.parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    problems.push(`${key}: cannot read ${file}: ${e.code ?? e.message.split('\n')[0]}`);
    return undefined;
  }
}

function issues(key: string, file: string, list: readonly z.core.$ZodIssue[]): string[] {
  return list.map((i) => `${key} (${file}): ${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)'}: ${i.message}`);
}
