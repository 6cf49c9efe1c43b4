import { readFileSync } from 'node:fs';
import { parseConfusables, type ConfusableMap } from '../core/brand/skeleton.js';

let cached: ConfusableMap | undefined;

/** data/unicode/confusables.txt, shipped with the package; read once per process (it never changes). */
export function loadConfusables(): ConfusableMap {
  cached ??= parseConfusables(readFileSync(new URL('../../data/unicode/confusables.txt', import.meta.url), 'utf8'));
  return cached;
}
