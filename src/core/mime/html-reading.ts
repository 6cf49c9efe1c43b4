import { Tokenizer } from 'htmlparser2';

/**
 * Reading mail HTML, once per part, for everything the core wants of it: the navigable
 * targets (a and area href, form action, button/input formaction, meta refresh) with the
 * visible text of anchors, the document's <base href>, the text a reader sees outside
 * anchors (where mail clients linkify URLs), and the whole visible text (brand mentions,
 * lure phrases, the passwords a PPAP mail states). Nothing here interprets URLs; the brand
 * links code does.
 *
 * No regular expression runs over the HTML: it is sender-controlled, and the regexes this
 * replaced (`/<[^>]*>/g`, `<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>`) rescan to the end of
 * the text from every "<" that never closes: 128 KB of "<" took 22 s, 512 KB of "<a href="
 * 48 s. The Tokenizer is one forward pass, also for unclosed <script>, <style> and comments
 * (bench/adversarial-bench.mjs measures it).
 */

const MAX_LINK_TEXT = 500;
/** Raw anchor text kept before collapsing; more cannot survive the 500-char cut. */
const MAX_RAW_LINK_TEXT = 8 * MAX_LINK_TEXT;

export interface HtmlTarget {
  /** The attribute value, entities decoded, not trimmed. */
  readonly value: string;
  /** For <a>: its visible text (img alt included), whitespace collapsed, at most 500
   * chars; for <area>: its alt; absent for forms and meta refresh. */
  readonly text?: string;
}

export interface HtmlReading {
  readonly targets: readonly HtmlTarget[];
  /** The first <base href>, which applies to every relative link in the document. */
  readonly base: string | undefined;
  /** Visible text outside anchors; block boundaries become newlines. */
  readonly text: string;
  /**
   * All the text a reader sees, anchors included, entities decoded; script, style, title
   * and template text left out. A block boundary (<br>, <p>, </div>, a table cell…) is one
   * newline, an inline element nothing: "パス<b>ワード</b>" reads as "パスワード".
   */
  readonly visibleText: string;
}

/** Browsers strip leading and trailing C0 controls and spaces from URLs. A loop, not a
 * regex: an anchored `\s+$` is quadratic on a long run of spaces that is not at the end. */
export function trimC0(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

/** What `\s` matches in a JavaScript regex. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/**
 * `s.replace(/\s+/g, ' ').trim()`, without building anything when there is nothing to
 * change: most anchor texts ("link 12", "こちら") are already so, and the regex per anchor
 * was a visible part of reading HTML of 20,000 links.
 */
function collapseWhitespace(s: string): string {
  const n = s.length;
  let clean = n === 0 || (!isSpace(s.charCodeAt(0)) && !isSpace(s.charCodeAt(n - 1)));
  for (let i = 1; clean && i < n; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c) && (c !== 0x20 || isSpace(s.charCodeAt(i - 1)))) clean = false;
  }
  return clean ? s : s.replace(/\s+/g, ' ').trim();
}

/** The URL of `<meta http-equiv="refresh" content="0; url='https://…'">`. */
function refreshTarget(content: string): string | null {
  let i = 0;
  const n = content.length;
  const skipSpace = (): void => {
    while (i < n && content.charCodeAt(i) <= 0x20) i++;
  };
  skipSpace();
  while (i < n && /[0-9.]/.test(content[i] ?? '')) i++;
  skipSpace();
  if (content[i] === ';' || content[i] === ',') i++;
  skipSpace();
  if (content.slice(i, i + 3).toLowerCase() === 'url') {
    let j = i + 3;
    while (j < n && content.charCodeAt(j) <= 0x20) j++;
    if (content[j] === '=') {
      i = j + 1;
      skipSpace();
    }
  }
  let target = content.slice(i);
  const q = target[0];
  if (q === '"' || q === "'") {
    const close = target.indexOf(q, 1);
    target = close < 0 ? target.slice(1) : target.slice(1, close);
  }
  target = trimC0(target);
  return target === '' ? null : target;
}

/** Elements that do not break a line of text: "https://exa<b>mple.com</b>" reads as one URL. */
const INLINE = new Set([
  'a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'cite', 'code', 'data', 'del', 'dfn', 'em', 'font',
  'i', 'ins', 'kbd', 'label', 'mark', 'nobr', 'q', 's', 'samp', 'small', 'span', 'strike',
  'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr',
]);
/** Elements whose text a reader never sees. */
const HIDDEN_TEXT = new Set(['script', 'style', 'title', 'template']);

interface PendingTarget {
  readonly value: string;
  /** Collected visible text for <a>; fixed text for <area>; undefined for forms and meta. */
  readonly parts?: string[];
  rawLength: number;
}

/** Elements with no content and no end tag. */
const VOID = new Set([
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source',
  'track', 'wbr',
]);

/**
 * HTML is read with htmlparser2's Tokenizer, not its Parser: the Parser keeps open elements
 * in an array it unshifts, which is quadratic in nesting depth (2 MB of unclosed "<b>" takes
 * minutes), and mail HTML is attacker-controlled. Link extraction needs no tree: anchors do
 * not nest in HTML, so one "current anchor" is enough. The Tokenizer is linear, tolerant,
 * and decodes entities in text and attributes.
 */
export function readHtml(html: string): HtmlReading {
  const targets: PendingTarget[] = [];
  let base: string | undefined;
  let anchor: PendingTarget | null = null;
  let hidden = 0;
  let outside = '';
  /** Whether `outside` ends in a boundary's newline: one per run of boundaries ("</td></tr><tr><td>"). */
  let outsideBreak = true;
  const outsideBreakLine = (): void => {
    if (!outsideBreak) outside += '\n';
    outsideBreak = true;
  };
  let visible = '';
  let visibleBreak = true;

  const appendAnchorText = (s: string): void => {
    if (anchor === null || anchor.parts === undefined || anchor.rawLength >= MAX_RAW_LINK_TEXT) {
      return;
    }
    // Clipped: one 4 MB text run inside an anchor must not be collapsed whole for 500 chars.
    const part = s.length > MAX_RAW_LINK_TEXT - anchor.rawLength ? s.slice(0, MAX_RAW_LINK_TEXT - anchor.rawLength) : s;
    anchor.parts.push(part);
    anchor.rawLength += part.length;
  };
  const closeAnchor = (): void => {
    if (anchor !== null) outsideBreakLine();
    anchor = null;
  };
  const text = (s: string): void => {
    if (hidden > 0) return;
    visible += s;
    visibleBreak = false;
    if (anchor !== null) appendAnchorText(s);
    else {
      outside += s;
      outsideBreak = false;
    }
  };
  const blockBoundary = (name: string): void => {
    if (!INLINE.has(name)) {
      outsideBreakLine();
      appendAnchorText(' ');
      // One newline however many boundaries meet ("</td></tr><tr><td>"): a password on the
      // line below its label stays within the few lines the PPAP reading looks ahead.
      if (!visibleBreak) visible += '\n';
      visibleBreak = true;
    }
  };

  const open = (name: string, attribs: ReadonlyMap<string, string>): void => {
    if (HIDDEN_TEXT.has(name)) hidden++;
    blockBoundary(name);
    switch (name) {
      case 'a': {
        // HTML does not nest anchors: a new <a> ends the open one.
        closeAnchor();
        const href = attribs.get('href');
        if (href !== undefined) {
          const a: PendingTarget = { value: href, parts: [], rawLength: 0 };
          anchor = a;
          targets.push(a);
          outsideBreakLine();
        }
        break;
      }
      case 'area': {
        const href = attribs.get('href');
        if (href !== undefined) {
          targets.push({ value: href, parts: [attribs.get('alt') ?? ''], rawLength: 0 });
        }
        break;
      }
      case 'form': {
        const action = attribs.get('action');
        if (action) targets.push({ value: action, rawLength: 0 });
        break;
      }
      case 'button':
      case 'input': {
        const action = attribs.get('formaction');
        if (action) targets.push({ value: action, rawLength: 0 });
        break;
      }
      case 'meta':
        if ((attribs.get('http-equiv') ?? '').trim().toLowerCase() === 'refresh') {
          const target = refreshTarget(attribs.get('content') ?? '');
          if (target !== null) targets.push({ value: target, rawLength: 0 });
        }
        break;
      case 'base': {
        // Only the first <base href> counts, for every link in the document.
        const href = attribs.get('href');
        if (base === undefined && href !== undefined) base = href;
        break;
      }
      case 'img': {
        // With images blocked (the default in many mail clients) the alt text is what the
        // reader sees in place of a logo or button.
        const alt = attribs.get('alt');
        if (alt) appendAnchorText(` ${alt} `);
        break;
      }
      default:
        break;
    }
  };
  const close = (name: string): void => {
    if (HIDDEN_TEXT.has(name) && hidden > 0) hidden--;
    if (name === 'a') closeAnchor();
    blockBoundary(name);
  };

  // Tokenizer state for the tag being read. Attributes go in a Map: names are attacker
  // text ("__proto__"). The first of duplicate attributes wins, as in browsers.
  let tagName = '';
  let attribs = new Map<string, string>();
  let attribName = '';
  let attribValue = '';
  const slice = (start: number, end: number): string => html.slice(start, end);
  // Tag names repeat ("td", "div", "b"): a name already seen is looked up instead of being
  // sliced and lower-cased again, which on markup-dense HTML was a string per tag. Names of
  // up to four ASCII letters or digits (most of mail HTML) are keyed by their lower-cased
  // character codes packed into a small integer, with no string made at all; longer ones by
  // their raw spelling.
  const shortNames = new Map<number, string>();
  const names = new Map<string, string>();
  const nameAt = (start: number, end: number): string => {
    if (end - start <= 4) {
      let key = 0;
      for (let i = start; i < end; i++) {
        let c = html.charCodeAt(i);
        if (c >= 0x41 && c <= 0x5a) c += 0x20;
        if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) {
          key = -1;
          break;
        }
        key = key * 128 + c;
      }
      if (key > 0) {
        let name = shortNames.get(key);
        if (name === undefined) {
          name = slice(start, end).toLowerCase();
          shortNames.set(key, name);
        }
        return name;
      }
    }
    const raw = slice(start, end);
    let name = names.get(raw);
    if (name === undefined) {
      name = raw.toLowerCase();
      if (names.size < 256) names.set(raw, name);
    }
    return name;
  };
  // Adjacent text runs are joined before use: on "<<<<…" the Tokenizer reports each "<" as
  // text of its own, and a million one-character strings cost more than the tokenizing.
  // Decoded entities join the run too ("&amp;&#x41;" back to back was a text() call, and two
  // string appends, per entity): `pending` holds what came before the raw run in progress.
  // A string, not an array of pieces: a fresh array per text run was most of what this
  // function allocated on table-heavy HTML (a third of its time was the garbage collector).
  let textStart = -1;
  let textEnd = -1;
  let pending = '';
  let pendingPieces = 0;
  const endRawRun = (): void => {
    if (textStart >= 0) pending = pending === '' ? slice(textStart, textEnd) : pending + slice(textStart, textEnd);
    textStart = -1;
  };
  const flushText = (): void => {
    endRawRun();
    if (pending === '') return;
    text(pending);
    pending = '';
    pendingPieces = 0;
  };
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onopentagname(start, end) {
        flushText();
        tagName = nameAt(start, end);
        // Most tags have no attributes: a fresh Map only when the last one was used.
        if (attribs.size > 0) attribs = new Map();
      },
      onattribname(start, end) {
        flushText();
        attribName = slice(start, end).toLowerCase();
        attribValue = '';
      },
      onattribdata(start, end) {
        flushText();
        attribValue += slice(start, end);
      },
      onattribentity(codepoint) {
        flushText();
        attribValue += String.fromCodePoint(codepoint);
      },
      onattribend() {
        flushText();
        if (!attribs.has(attribName)) attribs.set(attribName, attribValue);
      },
      onopentagend() {
        flushText();
        open(tagName, attribs);
        if (VOID.has(tagName)) close(tagName);
      },
      onselfclosingtag() {
        flushText();
        // "<a/>" does not close a non-void element in HTML; void ones close anyway.
        open(tagName, attribs);
        if (VOID.has(tagName)) close(tagName);
      },
      onclosetag(start, end) {
        flushText();
        close(nameAt(start, end));
      },
      ontext(start, end) {
        if (textStart >= 0 && textEnd === start) {
          textEnd = end;
        } else {
          endRawRun();
          textStart = start;
          textEnd = end;
        }
      },
      ontextentity(codepoint) {
        endRawRun();
        pending += String.fromCodePoint(codepoint);
        // text() joins consecutive calls, so a flush here only bounds the rope's depth.
        if (++pendingPieces >= 4096) flushText();
      },
      oncdata: flushText,
      oncomment: flushText,
      ondeclaration: flushText,
      onprocessinginstruction: flushText,
      onend: flushText,
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  flushText();
  closeAnchor();

  return {
    targets: targets.map((t) => {
      if (t.parts === undefined) return { value: t.value };
      const text = collapseWhitespace(t.parts.join('')).slice(0, MAX_LINK_TEXT);
      return { value: t.value, text };
    }),
    base,
    text: outside,
    visibleText: visible,
  };
}
