import { domainToUnicode } from 'node:url';
import { parse } from 'tldts';
import { glanceFold, typoBudget, visualFold, type BrandIndex, type BrandLabel } from './brand-index.js';
import { editDistance } from './edit-distance.js';
import { readShortEdit, type ShortEdit } from './short-edits.js';

/**
 * How a domain imitates a brand's. How much that proves is its `strength`, separately:
 * the same form can be damning (apple-id-verify.com) or innocent (apple-recipes.com).
 */
export type LookalikeHow =
  /** Look-alike characters: аpple (Cyrillic а), app1e, rnicrosoft, IDN/punycode homographs. */
  | 'homoglyph'
  /** One or two keystrokes away: appie, amaozn, chibabnak. */
  | 'typo'
  /** The brand's name under another public suffix: amazon.xyz, apple.cn. */
  | 'tld-swap'
  /** The brand's domain with its dots removed or turned into hyphens: amazon-co-jp.xyz, applecom.com. */
  | 'joined'
  /** The brand's domain with dots added: app.le.com. */
  | 'split'
  /** The brand's domain or name before someone else's domain: apple.com.evil.net, rakuten.ichiba-faq9.info. */
  | 'in-subdomain'
  /** The brand's name inside another name: apple-id-support.com, findapple.com. */
  | 'in-domain';

export interface Lookalike {
  readonly brand: string;
  /** The official domain it imitates. */
  readonly official: string;
  readonly how: LookalikeHow;
  readonly strength: Strength;
  /** For people: "l→i", "looks like apple (Cyrillic letters)". */
  readonly detail: string;
  /**
   * For a short name one edit away (shortTypo): which kind of edit. A slip under an open
   * suffix is only possible on its own; what the mail says around it can make it more.
   */
  readonly shortEdit?: ShortEdit;
}

/**
 * certain: no innocent reading (аpple with a Cyrillic а, amazon-co-jp.xyz, apple.com.evil.net);
 * likely: a typo or the brand beside account words (appie.com, apple-id-support.com);
 * possible: the brand's name in a longer name or under another TLD (pineapple.jp,
 * apple.xyz, visa.co.uk): only worth saying when the mail itself names the brand.
 */
export type Strength = 'certain' | 'likely' | 'possible';

const RANK: Record<Strength, number> = { possible: 1, likely: 2, certain: 3 };

export function stronger(a: Strength, b: Strength): boolean {
  return RANK[a] > RANK[b];
}

export type HostJudgement =
  | { readonly kind: 'official'; readonly domain: string; readonly brand: string }
  | { readonly kind: 'partner'; readonly domain: string; readonly brands: readonly string[] }
  | { readonly kind: 'allowed'; readonly domain: string }
  | { readonly kind: 'lookalike'; readonly domain: string; readonly matches: readonly Lookalike[] }
  | { readonly kind: 'unrelated'; readonly domain: string; readonly shared: boolean; readonly ip: boolean };

const ORDER: readonly LookalikeHow[] = ['homoglyph', 'typo', 'tld-swap', 'joined', 'split', 'in-subdomain', 'in-domain'];

export { typoBudget } from './brand-index.js';

/** A host as a browser shows it: NFKC (full-width letters), "。" as a dot, lower case, no trailing dot. */
export function normaliseHost(host: string): string {
  return host.normalize('NFKC').replace(/[。｡]/g, '.').toLowerCase().replace(/\.+$/, '');
}

/** Judges one host (a sender's domain or a link's host) against the catalog. */
export function judgeHost(rawHost: string, index: BrandIndex): HostJudgement {
  const host = normaliseHost(rawHost);
  const p = parse(host, { allowPrivateDomains: true });
  if (p.isIp) return { kind: 'unrelated', domain: host, shared: false, ip: true };
  const registrable = p.domain ?? host;
  // The ICANN registrable domain (ignoring private suffixes such as github.io) is what a
  // brand registers; subdomains of an official domain are official.
  const icann = parse(host).domain ?? registrable;
  for (const d of [registrable, icann]) {
    if (index.allowed.has(d)) return { kind: 'allowed', domain: d };
    const brand = index.official.get(d);
    if (brand) return { kind: 'official', domain: d, brand };
    const partners = index.partners.get(d);
    if (partners) return { kind: 'partner', domain: d, brands: partners };
  }
  const suffix = p.publicSuffix ?? '';
  const label = domainToUnicode(`${p.domainWithoutSuffix ?? host}.invalid`).replace(/\.invalid$/, '') || (p.domainWithoutSuffix ?? host);
  const subdomain = p.subdomain ?? '';
  const matches = new Map<string, Lookalike>();
  const neighbourOf = index.neighbours.get(registrable) ?? index.neighbours.get(icann);
  const add: Add = (bl, how, strength, detail, shortEdit) => {
    // A listed neighbour (jtb.co.jp beside jcb.co.jp) is someone else's real domain.
    if (neighbourOf?.includes(bl.brand)) return;
    const seen = matches.get(bl.brand);
    if (!seen || stronger(strength, seen.strength) || (strength === seen.strength && ORDER.indexOf(how) < ORDER.indexOf(seen.how))) {
      matches.set(bl.brand, { brand: bl.brand, official: bl.domain, how, strength, detail, ...(shortEdit ? { shortEdit } : {}) });
    }
  };

  const folded = index.fold(label);
  const visual = [visualFold(folded, false), visualFold(folded, true)] as const;
  const ascii = /^[\x00-\x7f]*$/.test(label);
  // Short names under other TLDs are mostly other people's (line.me is LINE's, but au.net,
  // ana.org, nhk.com?): only names of three letters or more count.
  for (const bl of index.byLabel.get(label) ?? []) {
    if (bl.suffix === '') add(bl, 'in-domain', 'possible', `${bl.label} is ${index.brands.get(bl.brand)?.name ?? bl.brand}'s name`);
    else if (bl.suffix !== suffix && bl.label.length >= 3) add(bl, 'tld-swap', 'possible', `${bl.label} under .${suffix || '?'} instead of .${bl.suffix}`);
  }
  for (const bl of index.bySkeleton.get(folded) ?? []) {
    if (bl.label !== label) add(bl, 'homoglyph', 'certain', ascii ? `${label} reads as ${bl.label}` : `${label} looks like ${bl.label} (look-alike characters)`);
  }
  for (const bl of index.byGlance.get(glanceFold(folded)) ?? []) {
    // dh1, mufq, srnbc: the short name itself at a glance. Under another suffix it is only a
    // possible imitation, as the name itself would be (tld-swap).
    if (bl.label !== label) add(bl, 'homoglyph', bl.suffix === suffix ? 'likely' : 'possible', `${label} looks like ${bl.label} at a glance`);
  }
  const near = new Set([
    ...index.near.label.candidates(label, 2),
    ...index.near.skeleton.candidates(folded, 2),
    ...index.near.visual.candidates(visual[0], 2),
    ...index.near.visualPairs.candidates(visual[1], 2),
  ]);
  for (const bl of near) {
    const budget = typoBudget(bl.label.length);
    // A look-alike letter is one change already: on top of it a five-letter name may have no
    // other (apnic is not apple, webex not fedex), a longer one one more (annazor, amazon).
    const glance = bl.label.length <= 5 ? 0 : 1;
    if (bl.label === label) continue;
    if (budget === 0) {
      shortTypo(ascii ? label : folded, ascii ? bl.label : bl.skeleton, suffix, bl, add);
      continue;
    }
    // A five-letter name missing a letter is mostly another word (mail.ru is not gmail,
    // none.fr not monex): only worth saying when the mail names the brand (aple.com).
    // So is one under another suffix: tesco.ie is not tepco.co.jp, appie.com is apple.com.
    const typo: Strength = bl.label.length === 5 && (label.length < 5 || (bl.suffix !== '' && bl.suffix !== suffix)) ? 'possible' : 'likely';
    if (editDistance(label, bl.label, budget) <= budget) add(bl, 'typo', typo, describeEdit(label, bl.label));
    else if (editDistance(folded, bl.skeleton, budget) <= budget) {
      // A typo on top of look-alike characters (аmazom) is still someone imitating the brand.
      add(bl, ascii ? 'typo' : 'homoglyph', ascii ? typo : 'certain', ascii ? describeEdit(label, bl.label) : `${label} looks like ${bl.label} (look-alike characters)`);
    } else if (editDistance(visual[0], bl.visual[0], glance) <= glance || editDistance(visual[1], bl.visual[1], glance) <= glance) {
      add(bl, 'homoglyph', ascii ? typo : 'certain', `${label} looks like ${bl.label} at a glance`);
    } else if (insertedRun(label, bl.label)) {
      add(bl, 'typo', 'likely', `${label} instead of ${bl.label}`);
    }
  }

  // Joined and split forms: amazon-co-jp.xyz, applecom.com, app.le.com.
  const compactHost = host.replace(/\./g, '');
  for (const key of new Set([label.replace(/-/g, ''), host.replace(/[.-]/g, '')])) {
    for (const bl of index.byCompact.get(key) ?? []) {
      if (host !== bl.domain) add(bl, compactHost === bl.compact ? 'split' : 'joined', 'certain', `${bl.domain} written as ${host}`);
    }
  }
  if (subdomain) inSubdomain(subdomain, registrable, index, add);
  inDomain(label, registrable, index, add);
  if (matches.size > 0) return { kind: 'lookalike', domain: registrable, matches: [...matches.values()] };
  return { kind: 'unrelated', domain: registrable, shared: p.isPrivate === true, ip: false };
}

type Add = (bl: BrandLabel, how: LookalikeHow, strength: Strength, detail: string, shortEdit?: ShortEdit) => void;

/**
 * Suffixes under which a short name one edit from a brand's is "likely" its imitation:
 * Japan's. .jp and its attribute domains (co.jp: one per registered company) are sparse and
 * held by Japanese organisations; under .com, .me or .net nearly every short name is some
 * company's or word (ring.com beside bing.com, nhl.com beside dhl.com, vista.com beside
 * visa.com, max.com beside mac.com), so there a slip of the fingers is only a possible
 * imitation, told when the mail names the brand, pressures the reader or links to the
 * brand's own domain (sender-findings.ts, link-findings.ts). Two edits stay likely under any
 * suffix, because they make no word: a doubled letter (dhll, viisa, xboox) and a digit in an
 * all-letter name (dhl1, vis4). docs/detection.md has the figures.
 */
const SPARSE_SUFFIX = /(?:^|\.)jp$/;

/**
 * One edit from a name of three or four letters (aeom, smcb, jcbb, mufg-jp is not one edit),
 * under the brand's own public suffix. Two-letter names (au) count only as exact visual
 * confusions (the glance look-up above): one edit from "au" is every other two-letter name.
 */
function shortTypo(found: string, name: string, suffix: string, bl: BrandLabel, add: Add): void {
  if (name.length < 3 || suffix !== bl.suffix) return;
  const edit = readShortEdit(found, name);
  if (!edit) return;
  const likely = SPARSE_SUFFIX.test(suffix) || edit.kind === 'doubled' || edit.kind === 'digit';
  add(bl, 'typo', likely ? 'likely' : 'possible', `${found} instead of ${bl.label} (${edit.detail}) under .${suffix}`, edit.kind);
}

/**
 * Words phishers put beside a brand's name to make a domain look like its service
 * (apple-id-support, amazon-co-jp, smbc-card-security, rakuten-login). Beside one of these
 * a brand name is "likely" an imitation; alone in a longer name (apple-recipes) only "possible".
 */
const ACCOUNT_WORDS = new Set([
  'id', 'account', 'accounts', 'acount', 'login', 'logon', 'signin', 'sign', 'secure', 'security', 'safety', 'verify',
  'verification', 'verifi', 'confirm', 'auth', 'authentication', 'support', 'help', 'helpdesk', 'service', 'services',
  'customer', 'member', 'members', 'user', 'users', 'my', 'billing', 'payment', 'pay', 'card', 'cards', 'update',
  'updates', 'info', 'notice', 'alert', 'check', 'center', 'centre', 'online', 'official', 'web', 'mail', 'system',
  'unlock', 'recovery', 'reset', 'apple', 'jp', 'co', 'com', 'japan', 'net', 'ne', 'or', 'cojp', 'jpn',
]);

/** Brand labels that are also the names of services other companies run under their own domains. */
const SERVICE_WORDS = new Set(['outlook', 'office', 'windows', 'live', 'teams', 'exchange', 'sharepoint', 'onedrive']);

/**
 * "jpcofree", "id verify": what is left beside a brand's name starts with jp, is co or com,
 * ends like a domain, or is an account word. Not "core" (applecore is a column's name).
 */
function nextToAccountWord(rest: string): boolean {
  return /\b(?:jp|cojp)|\b(?:co|com)\b|(?:co|jp|com)\b/.test(rest) || rest.split(/\s+/).some((t) => ACCOUNT_WORDS.has(t));
}

/**
 * The brand's name as a word of the label (apple-id-support, smbc-jp), misspelt or in
 * look-alike characters there (appie-support, app1e-id), or run into it (amazonjpcofree).
 */
function inDomain(label: string, registrable: string, index: BrandIndex, add: Add): void {
  const words = label.split(/[-_]+/).filter((t) => t.length > 0);
  const tokens = label.split(/[-_0-9]+/).filter((t) => t.length > 0);
  const besideAccountWords = (word: string) => words.some((w) => w !== word && ACCOUNT_WORDS.has(w.replace(/[0-9]+/g, '')));
  for (const token of new Set(tokens)) {
    if (token.length < 3 || token === label) continue;
    for (const bl of index.byLabel.get(token) ?? []) {
      add(bl, 'in-domain', besideAccountWords(token) ? 'likely' : 'possible', `${bl.label} inside ${registrable}`);
    }
  }
  if (words.length > 1) {
    for (const word of new Set(words)) {
      if (word.length < 4) continue;
      const folded = index.fold(word);
      for (const bl of index.bySkeleton.get(folded) ?? []) {
        if (bl.label !== word) add(bl, 'homoglyph', 'certain', `${word} reads as ${bl.label}, in ${registrable}`);
      }
      for (const bl of index.near.label.candidates(word, 1)) {
        if (bl.label === word || !misspelt(word, bl.label)) continue;
        add(bl, 'typo', besideAccountWords(word) ? 'likely' : 'possible', `${describeEdit(word, bl.label)}, in ${registrable}`);
      }
    }
  }
  for (const bl of index.containable) {
    const at = label.indexOf(bl.label);
    if (label === bl.label || at < 0) continue;
    // What is left around the name: "jpcofree" in amazonjpcofree, "find" in findapple.
    const rest = `${label.slice(0, at)} ${label.slice(at + bl.label.length)}`.replace(/[-_0-9]+/g, ' ');
    // Run into one word, a service's name is a product built on it (outlooksecure, netwindows);
    // spelt apart it still imitates (outlook-secure.com is caught above, beside account words).
    const likely = bl.label.includes('-') || (nextToAccountWord(rest) && !SERVICE_WORDS.has(bl.label));
    add(bl, 'in-domain', likely ? 'likely' : 'possible', `${bl.label} inside ${registrable}`);
  }
}

/** The name with two letters slipped in together: amazeson, chibaxxbank (dnstwist's plural and insertion). */
function insertedRun(label: string, name: string): boolean {
  if (name.length < 6 || label.length !== name.length + 2) return false;
  for (let i = 1; i < name.length; i++) {
    if (label.startsWith(name.slice(0, i)) && label.endsWith(name.slice(i)) ) return true;
  }
  return false;
}

/**
 * One wrong letter in a word of a longer name. Five-letter names only by a changed or an
 * added letter: "appie-support" and "applie-id" are apple misspelt, "mail-center" is not
 * gmail missing its g.
 */
function misspelt(word: string, name: string): boolean {
  if (name.length < 5 || editDistance(word, name, 1) > 1) return false;
  return name.length >= 6 || word.length >= name.length;
}

/** The brand before someone else's domain: apple.com.evil.net, www.rakuten.co.jp.xx.tk, amaozn.nuffx.com. */
function inSubdomain(subdomain: string, registrable: string, index: BrandIndex, add: Add): void {
  const labels = subdomain.split('.');
  // An official domain spelt out in the subdomain, as whole labels or run together.
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j <= labels.length; j++) {
      const run = labels.slice(i, j);
      const spelt = run.join('.');
      if (index.official.has(spelt)) {
        for (const bl of index.byLabel.get(run[0] ?? '') ?? []) if (bl.domain === spelt) add(bl, 'in-subdomain', 'certain', `${bl.domain} put in front of ${registrable}`);
      }
      for (const bl of index.byCompact.get(run.join('').replace(/-/g, '')) ?? []) add(bl, 'in-subdomain', 'certain', `${bl.domain} put in front of ${registrable}`);
    }
  }
  const words = subdomain.split(/[.\-_]+/);
  for (const token of new Set(words)) {
    if (token.length >= 3) {
      // amazon.nuffx.com (the name as a whole label) and amazon-login.x.com (beside account
      // words) imitate; apple-growers.example.org is about apples.
      // Companies name their own hosts after the Microsoft service they run (outlook.example.com
      // for Outlook on the web, office., windows.): as a whole label these words are theirs.
      const whole = labels.includes(token) && !SERVICE_WORDS.has(token);
      const beside = words.some((w) => w !== token && ACCOUNT_WORDS.has(w));
      for (const bl of index.byLabel.get(token) ?? []) add(bl, 'in-subdomain', bl.label.length >= 5 && (whole || beside) ? 'likely' : 'possible', `${bl.label} put in front of ${registrable}`);
    }
    if (token.length < 5) continue;
    for (const bl of index.near.label.candidates(token, 1)) {
      if (bl.label !== token && misspelt(token, bl.label)) add(bl, 'in-subdomain', 'possible', `a misspelt ${bl.label} put in front of ${registrable}`);
    }
    // appleinfo-xyz.example.com, amazonjp.example.com: the name run into a longer word.
    for (const bl of index.containable) {
      const at = token.indexOf(bl.label);
      if (at < 0 || token === bl.label) continue;
      const rest = `${token.slice(0, at)} ${token.slice(at + bl.label.length)}`.replace(/[0-9]+/g, ' ');
      const beside = words.some((w) => w !== token && ACCOUNT_WORDS.has(w)) || nextToAccountWord(rest);
      add(bl, 'in-subdomain', beside ? 'likely' : 'possible', `${bl.label} put in front of ${registrable}`);
    }
  }
  for (const label of labels) {
    for (const bl of index.byLabel.get(label) ?? []) if (bl.label.includes('-')) add(bl, 'in-subdomain', 'certain', `${bl.label} put in front of ${registrable}`);
  }
}

function describeEdit(found: string, official: string): string {
  if (found.length === official.length) {
    const diff = [...found].map((c, i) => (c !== official[i] ? i : -1)).filter((i) => i >= 0);
    if (diff.length === 1) return `${official[diff[0] ?? 0]}→${found[diff[0] ?? 0]}`;
    if (diff.length === 2 && found[diff[0] ?? 0] === official[diff[1] ?? 0] && found[diff[1] ?? 0] === official[diff[0] ?? 0]) {
      return `${official.slice(diff[0], (diff[1] ?? 0) + 1)}↔${found.slice(diff[0], (diff[1] ?? 0) + 1)}`;
    }
  }
  return `${found} instead of ${official}`;
}
