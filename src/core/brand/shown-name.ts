import type { ConfusableMap } from './skeleton.js';

/**
 * A display name as a person reads it, for finding brand names in it. What the screen shows
 * and what the bytes say differ in ways phishers use:
 *
 * - characters that show nothing (zero-width space/joiners U+200B–U+200D, word joiner U+2060,
 *   BOM U+FEFF, soft hyphen, variation selectors, bidi embeddings and isolates U+202A–U+202E,
 *   U+2066–U+2069: Unicode's Default_Ignorable_Code_Point) are gone: "Ap\u200Bple" is Apple;
 * - a right-to-left override (U+202E) shows the Latin letters after it backwards:
 *   "\u202EelppA" is seen as Apple, so that run is also read reversed;
 * - full-width and other compatibility forms fold (NFKC): "Ａｐｐｌｅ", "Ⓐⓟⓟⓛⓔ";
 * - emoji and symbols around or inside words are decorations ("PayPal ❗❗", "🍎Apple🍎",
 *   "Apple™", "Pay💳Pal"): read once as a blank, once as nothing;
 * - letters of other scripts that look Latin (Cyrillic "Аpple", Greek "ΑΡΡLE"), accented
 *   letters ("Àpple"), letter-shaped emoji ("🅰pple") and digits inside words ("App1e",
 *   "Amaz0n") read as the Latin letters they pass for (UTS #39 confusables).
 *
 * Each reading is matched; a brand in any one of them is a brand the reader may see.
 * Linear in the text: a fixed number of passes, each a replace without backtracking.
 */
export function shownReadings(text: string, confusables: ConfusableMap): string[] {
  const out = new Set<string>();
  const visible = [withoutInvisible(text)];
  if (text.includes('\u202E')) visible.push(withoutInvisible(overridesReversed(text)));
  for (const v of visible) {
    for (const r of [v, collapse(v.replace(DECORATION, ' ')), v.replace(DECORATION, '')]) {
      const reading = r.normalize('NFKC');
      out.add(reading);
      if (FOLDABLE.test(reading)) out.add(latinFold(reading, confusables));
    }
  }
  return [...out];
}

/** The text without characters that show nothing, for evidence and logs (bidi controls would reorder them). */
export function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

// Bidi isolates (U+2066–U+2069) and embeddings are in the set; so are the joiners emoji use.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}]/gu;
/** Pictographs, other symbols (™, ★, ❗, regional indicators), emoji modifiers and the keycap mark. */
const DECORATION = /[\p{Extended_Pictographic}\p{So}\p{Emoji_Modifier}\u20E3]/gu;
/** Non-ASCII letters outside Han, kana and Hangul, letter-shaped emoji, or a digit next to a letter. */
const FOLDABLE = /[^\P{L}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\x00-\x7f]|[\u{1F130}-\u{1F189}\u{1F1E6}-\u{1F1FF}]|[A-Za-z][0-9]|[0-9][A-Za-z]/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Runs from U+202E (right-to-left override) to U+202C (pop) or the end, reversed as displayed. */
function overridesReversed(text: string): string {
  let out = '';
  let run: string[] | undefined;
  for (const ch of text) {
    if (ch === '\u202E') {
      if (run) out += run.reverse().join('');
      run = [];
    } else if (run && (ch === '\u202C' || ch === '\u202D' || ch === '\u2069')) {
      out += run.reverse().join('');
      run = undefined;
    } else if (run) run.push(ch);
    else out += ch;
  }
  return run ? out + run.reverse().join('') : out;
}

/**
 * Each character that passes for a Latin letter replaced by it: confusables first (Cyrillic
 * а → a, Greek Ρ → P, ı → i), then accents dropped (À → A), the squared, circled and
 * regional-indicator emoji letters as their capital, and digits between letters by their
 * confusable letter (1 → l, 0 → O).
 */
function latinFold(text: string, confusables: ConfusableMap): string {
  const chars = [...text];
  return chars
    .map((ch, i) => {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp < 0x80) {
        if (cp < 0x30 || cp > 0x39) return ch;
        const touchesLetter = isLatinLetter(chars[i - 1]) || isLatinLetter(chars[i + 1]);
        return touchesLetter ? asciiLetters(confusables.get(cp)) ?? ch : ch;
      }
      const emoji = emojiLetter(cp);
      if (emoji) return emoji;
      if (CJK.test(ch)) return ch;
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      const baseCp = base.codePointAt(0) ?? 0;
      if (base.length === 1 && baseCp < 0x80) return base;
      return asciiLetters(confusables.get(baseCp)) ?? ch;
    })
    .join('');
}

function isLatinLetter(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z]$/.test(ch);
}

function asciiLetters(s: string | undefined): string | undefined {
  return s !== undefined && /^[A-Za-z]+$/.test(s) ? s : undefined;
}

/** 🄰 (squared), 🅐 (negative circled), 🅰 (negative squared), 🇦 (regional indicator) → "A". */
function emojiLetter(cp: number): string | undefined {
  for (const first of [0x1f130, 0x1f150, 0x1f170, 0x1f1e6]) {
    if (cp >= first && cp < first + 26) return String.fromCharCode(0x41 + cp - first);
  }
  return undefined;
}
