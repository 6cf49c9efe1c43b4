#!/usr/bin/env node
// Collects registrable domains that real mail comes from or links to, from lists other
// projects keep, into var/domains/real-domains.tsv (domain, sources). `npm run
// measure:brands` judges every one of them: a real domain judged a lookalike at "likely" or
// above is a false positive waiting for its first mail, and what config/brands.yaml's
// `neighbours:` lists come from. Needs the npm registry and Debian's archive (apt-get).
//
// Sources (licence): npm top-sites (MIT, Moz top 500), free-email-domains (MIT),
// email-providers (ISC); Debian's spamassassin rules (Apache-2.0: freemail, welcomelist,
// uridnsbl_skip_domain), publicsuffix (MPL-2.0: the private section's domains), privoxy's
// default actions (GPL-2.0, data only), rspamd's maps (Apache-2.0, when its source is given
// as RSPAMD_SRC=path/to/rspamd-x.y since Debian ships them only in the source package).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'var/domains');
const work = mkdtempSync(join(tmpdir(), 'real-domains-'));
const found = new Map();
const add = (raw, source) => {
  const d = raw.trim().toLowerCase().replace(/^[*@.]+/, '').replace(/\.$/, '');
  if (!/^[a-z0-9][a-z0-9.-]*\.[a-z0-9-]+$/.test(d)) return;
  if (!found.has(d)) found.set(d, new Set());
  found.get(d).add(source);
};
const run = (cmd, args) => execFileSync(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

try {
  for (const pkg of ['top-sites@1.1.222', 'free-email-domains@1.12.6', 'email-providers@2.26.0']) {
    const tgz = run('npm', ['pack', '--silent', pkg]).trim().split('\n').pop();
    const dir = join(work, pkg.split('@')[0]);
    mkdirSync(dir);
    run('tar', ['xzf', tgz, '-C', dir]);
  }
  for (const s of JSON.parse(readFileSync(join(work, 'top-sites/package/top-sites.json'), 'utf8'))) add(s.rootDomain, 'top-sites');
  for (const d of JSON.parse(readFileSync(join(work, 'free-email-domains/package/domains.json'), 'utf8'))) add(d, 'free-email-domains');
  for (const d of JSON.parse(readFileSync(join(work, 'email-providers/package/all.json'), 'utf8'))) add(d, 'email-providers');

  for (const deb of ['spamassassin', 'publicsuffix', 'privoxy']) {
    run('apt-get', ['download', '-q', deb]);
    const file = readdirSync(work).find((f) => f.startsWith(`${deb}_`) && f.endsWith('.deb'));
    run('dpkg-deb', ['-x', file, join(work, `x-${deb}`)]);
  }
  const saDir = join(work, 'x-spamassassin/usr/share/spamassassin');
  for (const f of readdirSync(saDir).filter((f) => f.endsWith('.cf'))) {
    for (const line of readFileSync(join(saDir, f), 'latin1').split('\n')) {
      const m = /^\s*(uridnsbl_skip_domain|freemail_domains|url_shortener|def_welcomelist_from_rcvd|def_whitelist_from_rcvd|def_welcomelist_auth|def_whitelist_auth|def_welcomelist_from_dkim)\s+(.*)$/.exec(line.split('#')[0] ?? '');
      if (m) for (const w of m[2].split(/\s+/)) add(w.split('@').pop() ?? '', 'spamassassin');
    }
  }
  const psl = readFileSync(join(work, 'x-publicsuffix/usr/share/publicsuffix/public_suffix_list.dat'), 'utf8');
  for (const line of psl.split('\n')) if (line && !line.startsWith('//')) add(line, 'psl');
  const privoxy = join(work, 'x-privoxy/etc/privoxy');
  for (const f of readdirSync(privoxy).filter((f) => f.endsWith('.action'))) {
    for (const line of readFileSync(join(privoxy, f), 'latin1').split('\n')) {
      const m = /^\.?([a-z0-9][a-z0-9.-]+\.[a-z]{2,})\/?$/.exec(line.trim().toLowerCase());
      if (m) add(m[1], 'privoxy');
    }
  }
  const rspamd = process.env.RSPAMD_SRC;
  if (rspamd && existsSync(join(rspamd, 'conf/maps.d'))) {
    for (const f of readdirSync(join(rspamd, 'conf/maps.d')).filter((f) => f.endsWith('.inc') && f !== 'mime_types.inc')) {
      for (const line of readFileSync(join(rspamd, 'conf/maps.d', f), 'utf8').split('\n')) {
        const w = (line.split('#')[0] ?? '').trim().split(/\s+/)[0];
        if (w) add(w, 'rspamd');
      }
    }
  }
  mkdirSync(OUT, { recursive: true });
  const rows = [...found].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, s]) => `${d}\t${[...s].sort().join(',')}`);
  writeFileSync(join(OUT, 'real-domains.tsv'), `${rows.join('\n')}\n`);
  console.log(`${rows.length} domains in ${join(OUT, 'real-domains.tsv')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
