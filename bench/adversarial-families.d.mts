/** Types for adversarial-families.mjs (the one generator, shared by the bench and the tests). */
export declare const FAMILY_NAMES: readonly string[];
export declare function adversarialFamilies(sizeBytes: number): Array<{ family: string; message: Buffer }>;
export declare function adversarialFamily(family: string, sizeBytes: number): Buffer;
export declare function prng(seed: number): () => number;
