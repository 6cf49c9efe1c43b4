/**
 * RTF's attached template: `{\*\template C:\\Users\\…\\Normal.dotm}`. Word loads it when it
 * opens the document, so a remote target is template injection without any OOXML package
 * (Proofpoint, "Injection is the New Black: Novel RTF Template Inject Technique", 2021):
 * attackers write the URL with `\'hh` and `\uN` escapes to hide it from string matching, so
 * the destination's text is decoded as Word decodes it before it is judged.
 */
export interface RtfReport {
  /** The decoded targets of every \template destination. */
  readonly templates: readonly string[];
}

/** An RTF's destinations that matter come early; a hostile file may be any size. */
const MAX_SCAN = 16 * 1024 * 1024;
/** A template path longer than this is cut: MAX_PATH-like lengths are all Word honours. */
const MAX_TARGET = 4096;
const MAX_TEMPLATES = 16;

export function analyzeRtf(bytes: Buffer): RtfReport {
  const text = bytes.subarray(0, MAX_SCAN).toString('latin1');
  const templates: string[] = [];
  const opener = /\\template(?![a-z])/g;
  for (let m = opener.exec(text); m !== null && templates.length < MAX_TEMPLATES; m = opener.exec(text)) {
    // "\\template" is the text "\template" (an escaped backslash), not the control word.
    let escapes = 0;
    while (m.index - escapes - 1 >= 0 && text[m.index - escapes - 1] === '\\') escapes++;
    if (escapes % 2 === 1) continue;
    const { target, end } = destinationText(text, m.index + m[0].length);
    templates.push(target);
    opener.lastIndex = end;
  }
  return { templates };
}

/**
 * The text of a destination from `start` to the `}` that closes its group: escaped
 * characters, hex escapes and Unicode escapes decoded (with the \uc fallback characters
 * skipped), other control words dropped, nested groups read as part of the text.
 */
function destinationText(text: string, start: number): { target: string; end: number } {
  let out = '';
  let depth = 0;
  let skipAfterUnicode = 1;
  let i = start;
  // The delimiter space after the control word belongs to it.
  if (text[i] === ' ') i++;
  while (i < text.length && out.length < MAX_TARGET) {
    const c = text[i] as string;
    if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return { target: out, end: i + 1 };
      depth--;
      i++;
    } else if (c === '\r' || c === '\n') {
      i++;
    } else if (c !== '\\') {
      out += c;
      i++;
    } else {
      const next = text[i + 1] ?? '';
      if (next === '\\' || next === '{' || next === '}') {
        out += next;
        i += 2;
      } else if (next === "'") {
        const hex = text.slice(i + 2, i + 4);
        if (/^[0-9a-f]{2}$/i.test(hex)) out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
      } else {
        const word = /^\\([a-z]{1,32})(-?\d{1,10})? ?/.exec(text.slice(i, i + 48));
        if (!word) {
          // A control symbol (\~, \-, \*…): no text of its own.
          i += 2;
          continue;
        }
        i += word[0].length;
        const param = word[2] === undefined ? undefined : Number(word[2]);
        if (word[1] === 'uc' && param !== undefined) skipAfterUnicode = Math.max(0, Math.min(param, 8));
        else if (word[1] === 'u' && param !== undefined) {
          out += String.fromCharCode(param < 0 ? param + 65536 : param);
          i = skipFallback(text, i, skipAfterUnicode);
        } else if (word[1] === 'tab') out += '\t';
      }
    }
  }
  return { target: out, end: i };
}

/** After \uN, the next `count` characters (a \'hh escape is one) are the fallback for older readers. */
function skipFallback(text: string, from: number, count: number): number {
  let i = from;
  for (let n = 0; n < count && i < text.length; n++) {
    if (text[i] === '\\' && text[i + 1] === "'") i += 4;
    else if (text[i] === '{' || text[i] === '}' || text[i] === '\\') break;
    else i++;
  }
  return i;
}
