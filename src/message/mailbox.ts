import { decodeHeader } from './header-text.js';

/** One mailbox of an address header: what a mail client shows (name) and what it is (address). */
export interface Mailbox {
  /** Decoded display name ("Apple サポート"); "" when there is none. */
  readonly name: string;
  readonly address: string;
  /** Lower-case domain of the address; "" when it has none. */
  readonly domain: string;
}

/**
 * Parses From / Reply-To / Sender values: `"Name" <a@b>`, `Name <a@b>`, `a@b (Name)`, `a@b`,
 * several separated by commas. Display names are decoded from RFC 2047 even where the RFC
 * does not allow encoded-words (inside quotes): mail clients decode them there too, and the
 * attacker writes for what the reader sees.
 */
export function parseMailboxes(value: string): Mailbox[] {
  const out: Mailbox[] = [];
  for (const part of splitTopLevel(value.slice(0, 8192))) {
    // `<addr>` at the end (parts come trimmed): /<([^<>]*)>\s*$/ by index look-ups, which
    // for 26,000 From fields (a 1 MB header block) is a visible share of reading them.
    const gt = part.length - 1;
    const lt = part[gt] === '>' ? part.lastIndexOf('<', gt - 1) : -1;
    let name: string;
    let address: string;
    if (lt >= 0 && part.lastIndexOf('>', gt - 1) < lt) {
      address = part.slice(lt + 1, gt).trim();
      name = part.slice(0, lt).trim();
    } else {
      const comment = /\(([^()]*)\)/.exec(part);
      name = comment ? (comment[1] ?? '') : '';
      address = part.replace(/\([^()]*\)/g, '').trim();
    }
    if (name.length >= 2 && name[0] === '"' && name[name.length - 1] === '"') name = name.slice(1, -1);
    if (name.includes('\\')) name = name.replace(/\\(.)/g, '$1');
    name = decodeHeader(name).trim();
    const at = address.lastIndexOf('@');
    out.push({ name, address, domain: at >= 0 ? trimAngleAndSpace(address.slice(at + 1)).toLowerCase() : '' });
  }
  return out;
}

/**
 * Drops trailing ">" and whitespace. A loop, not /[>\s]+$/: that retries from every
 * character of a run not at the end, quadratic even within the 8 KB a value is cut to
 * (a From of "a@b" + 8,000 × "> " + "x", repeated in every From field a header allows).
 */
function trimAngleAndSpace(s: string): string {
  let end = s.length;
  while (end > 0 && /[>\s]/.test(s[end - 1] as string)) end--;
  return s.slice(0, end);
}

/** Splits at commas that are not inside quotes, angle brackets or comments. */
function splitTopLevel(value: string): string[] {
  const parts: string[] = [];
  let depthAngle = 0;
  let depthParen = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depthAngle++;
    else if (!quoted && c === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (!quoted && c === '(') depthParen++;
    else if (!quoted && c === ')') depthParen = Math.max(0, depthParen - 1);
    else if (!quoted && c === ',' && depthAngle === 0 && depthParen === 0) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.includes('@'));
}

/** Addresses written inside a display name (`"support@apple.com" <x@evil.example>`): their domains. */
export function addressesInName(name: string): string[] {
  // The lookbehind starts a match only where a run of local-part characters starts: a run
  // with no "@" after it fails from its start and from every later position alike, and
  // trying them all is quadratic in the run.
  return [...name.normalize('NFKC').matchAll(/(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g)].map((m) => (m[1] ?? '').toLowerCase());
}
