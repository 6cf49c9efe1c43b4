import { domainToASCII, domainToUnicode } from 'node:url';
import { render, tokenize, type Lexed, type Token } from './address-tokens.js';
import { decodeEncodedWords } from './encoded-words.js';

/** One mailbox of an address header: what a mail client shows (name) and what it is (address). */
export interface Mailbox {
  /** Decoded display name ("Apple サポート"), or the comment when there is no name; "" when neither. */
  readonly name: string;
  /** local@domain, comments and blanks removed, the domain as `domain`; the local part alone when there is no "@". */
  readonly address: string;
  /** The sender domain (senderDomain): lower case, no trailing dot, IDNA as Unicode; "" when there is none. */
  readonly domain: string;
}

/** What one address field says: every address in it, and every piece of text a client may show as the name. */
export interface AddressField {
  /** Each mailbox with an address part, in order (each one of a list or group, the obsolete route removed). */
  readonly mailboxes: readonly Mailbox[];
  /**
   * Each display text, decoded, in order and without repeats: every phrase, every comment,
   * group names, name-only list members ("Apple" in `"Apple", <x@evil.example>`), angle
   * brackets holding no address (`<Apple>`), the local part of a mailbox without a name (Gmail's
   * list shows "PayPal" for PayPal@evil.example), and the field as a whole without its
   * addresses — the one a client shows for `Amazon Prime, member <x@…>`, which RFC 5322 reads
   * as two mailboxes.
   */
  readonly texts: readonly string[];
  /**
   * Addresses a client shows as text: that of a mailbox without a name, and one with an "@" in
   * its local part (`support@apple.com@evil.example`). They show an address, not a name: a
   * ".au" in them is a domain, not the brand au.
   */
  readonly shownAddresses: readonly string[];
  /**
   * Relay domains of obsolete routes (`<@relay.example:user@dom>`): not the sender, but a
   * verifier may take one for the From domain (espoofer A16), so the brand checks count them.
   */
  readonly routes: readonly string[];
}

const WORDY = /[\p{L}\p{N}]/u;

/** A value is cut here: no client shows more of a From, and the parse stays cheap. */
const MAX_VALUE = 8192;
/** Texts longer than this are cut: the brand names are at the start of what a reader sees. */
const MAX_TEXT = 1000;

/**
 * Reads From / Sender / Reply-To values the way any client might: RFC 5322 mailboxes and
 * groups, the obsolete syntax of §4.4 (routes `<@relay:user@dom>`, dots in phrases, comments
 * and blanks around every token, empty list members) and the broken forms clients still
 * show (unquoted commas and colons, a missing ">", several angle addresses in one member, an
 * "@" in the local part). `value` is text (fieldText), encoded-words still encoded: they are
 * decoded only inside the pieces of text, so an encoded "support@apple.com" is a name that
 * shows an address, never an address (the mailparser 3.9.4 fix). Linear in the value.
 */
export function parseAddressField(value: string): AddressField {
  return parse(value, new TextList());
}

/**
 * The mailboxes of a value that have an address (parseAddressField), without names or texts
 * (`name` is ""): the header facts read every From field of a header block, thousands in some.
 */
export function parseMailboxes(value: string): Mailbox[] {
  return [...parse(value, undefined).mailboxes];
}

function parse(value: string, texts: TextList | undefined): AddressField {
  const cut = value.slice(0, MAX_VALUE);
  const mailboxes: Mailbox[] = [];
  const shownAddresses = texts && new TextList();
  const routes: string[] = [];
  const lexed = read(cut, { mailboxes, texts, shownAddresses, routes });
  // `"Amazon - =?utf-8?b?…?= <x@evil.example>`: the quote never closes, so to RFC 5322 the
  // address is part of the name, yet Gmail shows the name and mails the address (MimeKit
  // #170). Read once more with that quote as a plain character.
  if (mailboxes.length === 0 && lexed.unclosedQuote >= 0) read(`${cut.slice(0, lexed.unclosedQuote)} ${cut.slice(lexed.unclosedQuote + 1)}`, { mailboxes, texts, shownAddresses, routes });
  return { mailboxes, texts: texts?.list ?? [], shownAddresses: shownAddresses?.list ?? [], routes };
}

function read(value: string, out: Collected): Lexed {
  const lexed = tokenize(value);
  const shown: string[] = [];
  for (const member of members(lexed.tokens, out.texts, shown)) shown.push(readMember(member, out));
  // The field as a client shows it when it drops the addresses and keeps the rest.
  out.texts?.add(shown.filter((s) => s !== '').join(', '));
  return lexed;
}

interface Collected {
  readonly mailboxes: Mailbox[];
  /** Undefined when only the addresses are wanted. */
  readonly texts: TextList | undefined;
  readonly shownAddresses: TextList | undefined;
  readonly routes: string[];
}

/**
 * A sender domain as link hosts are judged (links-url.ts): lower case, trailing dots dropped,
 * punycode shown as Unicode ("xn--pple-43d.com" is "аpple.com"). A domain that IDNA would
 * only reach by mapping its characters ("ａｐｐｌｅ．ｃｏｍ", "apple。com") stays as written:
 * a browser goes to apple.com for such a link, but no DMARC record speaks for such a From,
 * so it must not read as the brand's own (MessageFacts.isOwn refuses it).
 */
export function senderDomain(raw: string): string {
  let end = raw.length;
  while (end > 0 && DOTS.has(raw[end - 1] as string)) end--;
  let start = 0;
  while (start < end && raw[start] === '.') start++;
  const domain = raw.slice(start, end).normalize('NFC').toLowerCase();
  // Nearly every domain is plain ASCII: IDNA changes nothing in it but "xn--" labels.
  if (domain === '' || domain.startsWith('[') || (PRINTABLE_ASCII.test(domain) && !domain.includes('xn--'))) return domain;
  const ascii = domainToASCII(domain);
  if (ascii === '') return domain;
  const unicode = domainToUnicode(ascii) || ascii;
  return unicode === domain || ascii === domain ? unicode : domain;
}

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** Dots a reader takes for the end of a domain: ASCII, ideographic, full-width and half-width. */
const DOTS = new Set(['.', '。', '．', '｡']);

/** Addresses written inside a display name (`"support@apple.com" <x@evil.example>`): their domains. */
export function addressesInName(name: string): string[] {
  // The lookbehind starts a match only where a run of local-part characters starts: a run
  // with no "@" after it fails from its start and from every later position alike, and
  // trying them all is quadratic in the run.
  return [...name.normalize('NFKC').matchAll(/(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g)].map((m) => senderDomain(m[1] ?? ''));
}

/** Texts in order, decoded, each once. */
class TextList {
  readonly list: string[] = [];
  private readonly seen = new Set<string>();

  /** Adds the text decoded as RFC 2047 and, when it reads differently, as lenient clients decode it. */
  add(raw: string): void {
    if (raw === '') return;
    const strict = decodeEncodedWords(raw);
    this.push(strict);
    // Lenient decoding differs only on a word strict decoding left as written (unclosed).
    if (strict.includes('=?')) this.push(decodeEncodedWords(raw, true));
  }

  private push(text: string): void {
    const t = text.replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT);
    if (t === '' || this.seen.has(t)) return;
    this.seen.add(t);
    this.list.push(t);
  }
}

/**
 * List members: the tokens between top-level commas, outside angle brackets. A colon before
 * any "<" or "@" of its member starts a group (RFC 5322 §3.4 `display-name ":" … ";"`), and
 * its display name is a text; a semicolon ends a member like a comma does.
 */
function members(tokens: readonly Token[], texts: TextList | undefined, shown: string[]): Token[][] {
  const out: Token[][] = [];
  let member: Token[] = [];
  let angle = false;
  let addressy = false;
  const end = () => {
    out.push(member);
    member = [];
    addressy = false;
  };
  for (const t of tokens) {
    if (t.kind === 'special') {
      if (t.text === '<') angle = true;
      else if (t.text === '>') angle = false;
      if (!angle && (t.text === ',' || t.text === ';')) {
        end();
        continue;
      }
      if (!angle && t.text === ':' && !addressy) {
        if (texts) {
          texts.add(render(member, false));
          shown.push(render(member, true));
          for (const c of member) if (c.kind === 'comment') texts.add(c.text);
        }
        member = [];
        continue;
      }
      if (t.text === '<' || t.text === '@') addressy = true;
    }
    member.push(t);
  }
  end();
  return out.filter((m) => m.some((t) => t.kind !== 'space'));
}

/**
 * One list member: `phrase <addr>`, `addr (comment)`, a name alone, or several angle
 * addresses. Returns what a client shows of it without its addresses (comments included).
 */
function readMember(member: readonly Token[], out: Collected): string {
  const { mailboxes, texts } = out;
  const outside: Token[] = [];
  const angles: Token[][] = [];
  const comments: string[] = [];
  let current: Token[] | undefined;
  for (const t of member) {
    if (t.kind === 'comment') comments.push(t.text);
    if (t.kind === 'special' && t.text === '<') {
      // A "<" inside angle brackets starts another address (`<a@apple.com <x@evil.example>>`).
      if (current) angles.push(current);
      current = [];
    } else if (t.kind === 'special' && t.text === '>') {
      if (current) angles.push(current);
      current = undefined;
    } else if (current) current.push(t);
    else outside.push(t);
  }
  if (current) angles.push(current);

  const found: Found[] = [];
  let phraseTokens = outside;
  if (angles.length > 0) {
    for (const inside of angles) {
      const addresses = angleAddresses(inside, out.routes);
      if (addresses.length === 0) texts?.add(render(inside, false));
      for (const a of addresses) {
        found.push(a);
        if (a.local.includes('@')) out.shownAddresses?.add(render(inside, false));
      }
    }
  } else {
    const bare = bareAddress(outside);
    if (bare) {
      found.push(bare);
      if (bare.local.includes('@')) out.shownAddresses?.add(render(outside.slice(bare.from, bare.to), false));
      phraseTokens = [...outside.slice(0, bare.from), { kind: 'space', text: ' ' }, ...outside.slice(bare.to)];
    }
  }
  if (!texts) {
    for (const a of found) mailboxes.push({ name: '', address: a.address, domain: a.domain });
    return '';
  }
  const phrase = render(phraseTokens, false);
  texts.add(phrase);
  for (const c of comments) texts.add(c);
  // With no name at all a client shows the address, and Gmail's list the local part ("PayPal" for
  // PayPal@evil.example). A "name" of punctuation alone (`<a@b>\,`, espoofer A17) is no name either.
  if (!WORDY.test(phrase) && comments.length === 0) {
    for (const a of found) {
      texts.add(a.local.replace(/^"|"$/g, ''));
      out.shownAddresses?.add(a.address);
    }
  }
  const name = decodeEncodedWords(phrase || (comments[0] ?? '')).replace(/\s+/g, ' ').trim();
  for (const a of found) mailboxes.push({ name, address: a.address, domain: a.domain });
  return render(phraseTokens, true);
}

interface Found {
  readonly local: string;
  readonly address: string;
  readonly domain: string;
}

/**
 * The addresses inside one pair of angle brackets. Blanks and comments go (CFWS is allowed
 * around every token there); an obsolete route (`@relay1,@relay2:`) names relays, not the
 * sender, and goes too; commas after it separate addresses of a member whose ">" is missing.
 */
function angleAddresses(inside: readonly Token[], routes: string[]): Array<Found> {
  const out: Found[] = [];
  let piece: Token[] = [];
  // A route: "@" first, up to the first ":"; each hop's domain is a relay.
  let route = false;
  let first = true;
  for (const t of inside) {
    if (t.kind === 'space' || t.kind === 'comment') continue;
    if (first) route = t.kind === 'special' && t.text === '@';
    first = false;
    const separator = t.kind === 'special' && (t.text === ',' || t.text === ';' || t.text === ':');
    if (route && separator) {
      routes.push(senderDomain(joined(piece)));
      piece = [];
      if (t.text === ':') route = false;
    } else if (separator) {
      const a = splitAddress(piece);
      if (a) out.push(a);
      piece = [];
    } else if (!(route && piece.length === 0 && t.text === '@')) piece.push(t);
  }
  // "<@relay.example>" with no ":" is no route, only a broken address.
  const a = splitAddress(route ? [{ kind: 'special', text: '@' }, ...piece] : piece);
  if (a) out.push(a);
  return out;
}

/** The texts of tokens[from, to) run together; quoted strings in their quotes when `quote`. */
function joined(tokens: readonly Token[], from = 0, to = tokens.length, quote = false): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const t = tokens[i] as Token;
    s += quote && t.kind === 'quoted' ? `"${t.text}"` : t.text;
  }
  return s;
}

/** local@domain at the last "@" of tokens that hold no blanks; undefined without an "@". */
function splitAddress(tokens: readonly Token[]): Found | undefined {
  const at = lastAt(tokens);
  if (at < 0) return undefined;
  const local = joined(tokens, 0, at, true);
  const domain = senderDomain(joined(tokens, at + 1));
  return { local, address: `${local}@${domain}`, domain };
}

function lastAt(tokens: readonly Token[]): number {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i] as Token;
    if (t.kind === 'special' && t.text === '@') return i;
  }
  return -1;
}

/**
 * An addr-spec written without angle brackets: the last "@" outside quotes and comments,
 * the words joined to it by dots and "@" before (obs-local-part, blanks around the dots
 * allowed) and the dot-atoms or domain literal after it. What is left of the member is
 * phrase text (`Apple Support x@evil.example` shows "Apple Support").
 */
function bareAddress(tokens: readonly Token[]): (Found & { from: number; to: number }) | undefined {
  const at = lastAt(tokens);
  if (at < 0) return undefined;
  const isJoiner = (t: Token | undefined) => t?.kind === 'special' && (t.text === '.' || t.text === '@');
  const isWord = (t: Token | undefined) => t?.kind === 'atom' || t?.kind === 'quoted';
  const skip = (i: number, step: number) => {
    while (tokens[i]?.kind === 'space' || tokens[i]?.kind === 'comment') i += step;
    return i;
  };
  // Backwards from the "@": word, then ("." | "@") word, as long as they go.
  let from = at;
  for (let i = skip(at - 1, -1); isWord(tokens[i]); ) {
    from = i;
    const j = skip(i - 1, -1);
    if (!isJoiner(tokens[j])) break;
    const k = skip(j - 1, -1);
    if (!isWord(tokens[k])) break;
    i = k;
  }
  // Forwards: atom or literal, then "." atom, a trailing dot included.
  let to = at + 1;
  for (let i = skip(at + 1, 1); tokens[i]?.kind === 'atom' || tokens[i]?.kind === 'literal'; ) {
    to = i + 1;
    const j = skip(i + 1, 1);
    if (!(tokens[j]?.kind === 'special' && tokens[j]?.text === '.')) break;
    to = j + 1;
    i = skip(j + 1, 1);
  }
  const words = tokens.slice(from, to).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const found = splitAddress(words);
  return found && { ...found, from, to };
}
