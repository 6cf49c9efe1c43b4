/**
 * Hostile messages for the linear-time tests: each family a complete RFC 5322 message of
 * about `sizeBytes`, seeded and deterministic. The generator is plain ESM in bench/ so that
 * bench/adversarial-bench.mjs runs the very same messages against the built daemon.
 */
export { adversarialFamilies, adversarialFamily, FAMILY_NAMES } from '../../bench/adversarial-families.mjs';
