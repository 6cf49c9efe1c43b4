/**
 * UTS #39 §4 confusable detection: skeleton(X) = NFD(map(NFD(X))) where map replaces every
 * character by its prototype from confusables.txt. Two strings are confusable when their
 * skeletons are equal — "аpple" (Cyrillic а), "app1e" and "apple" share "apple"; "rn" and
 * "m" share "rn". A skeleton is for comparing only, never for showing to anyone.
 */
export type ConfusableMap = ReadonlyMap<number, string>;

/** Parses confusables.txt ("0430 ;\t0061 ;\tMA\t# …"). */
export function parseConfusables(text: string): ConfusableMap {
  const map = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9A-F]{4,6})\s*;\s*([0-9A-F ]+?)\s*;\s*MA\b/.exec(line);
    if (!m) continue;
    const target = (m[2] ?? '').split(' ').map((h) => String.fromCodePoint(parseInt(h, 16))).join('');
    map.set(parseInt(m[1] ?? '0', 16), target);
  }
  return map;
}

export function skeleton(text: string, map: ConfusableMap): string {
  let out = '';
  for (const ch of text.normalize('NFD')) out += map.get(ch.codePointAt(0) ?? 0) ?? ch;
  return out.normalize('NFD');
}
