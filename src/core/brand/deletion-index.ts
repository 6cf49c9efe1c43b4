/**
 * Finds the catalog names within a few edits of a string without comparing it to every
 * name (the symmetric-delete idea of SymSpell): each name is stored under every string
 * made by deleting up to k of its letters, and a query looks up its own deletions. Two
 * strings within k edits (optimal string alignment: typos and swapped letters) always share
 * such a deletion, so the candidates are complete; callers confirm them with editDistance.
 * A 12-letter host label costs 79 map look-ups instead of hundreds of distance computations.
 */
export class DeletionIndex<T> {
  private readonly map = new Map<string, T[]>();
  private longest = 0;

  /** Stores `value` under `key` and its deletions of up to `k` letters. */
  add(key: string, value: T, k: number): void {
    this.longest = Math.max(this.longest, key.length);
    for (const d of deletions(key, k)) {
      const list = this.map.get(d);
      if (!list) this.map.set(d, [value]);
      else if (!list.includes(value)) list.push(value);
    }
  }

  /** Values whose key may be within `k` edits of `query` (each once). */
  candidates(query: string, k: number): T[] {
    if (query.length > this.longest + k) return [];
    const out = new Set<T>();
    for (const d of deletions(query, k)) for (const v of this.map.get(d) ?? []) out.add(v);
    return [...out];
  }
}

/** `text` and every string made from it by deleting up to `k` characters (code units). */
function deletions(text: string, k: number): Set<string> {
  const out = new Set<string>([text]);
  let frontier = [text];
  for (let round = 0; round < k; round++) {
    const next: string[] = [];
    for (const s of frontier) {
      for (let i = 0; i < s.length; i++) {
        const d = s.slice(0, i) + s.slice(i + 1);
        if (!out.has(d)) {
          out.add(d);
          next.push(d);
        }
      }
    }
    frontier = next;
  }
  return out;
}
