import type { BrandIndex } from './brand-index.js';
import { judgeHost, type HostJudgement } from './lookalike.js';

/**
 * Judgements of hosts against the catalog, kept across messages. The same few sender and
 * link domains come back in nearly every message (the company's own, its partners', the
 * big mail providers), and judging a host (registrable domain, skeleton, deletion-index
 * candidates, edit distances) was most of the brand detector's time on ordinary mail.
 * A judgement depends on the host and the catalog only, so it is kept with the prepared
 * catalog and dropped with it on reload. Bounded: emptied when full.
 */
export class HostJudgements {
  private readonly judged = new Map<string, HostJudgement>();

  constructor(
    private readonly index: BrandIndex,
    private readonly max = 20_000,
  ) {}

  /** The judgement of a normalised host (lookalike.normaliseHost). */
  judge(host: string): HostJudgement {
    let j = this.judged.get(host);
    if (j) return j;
    j = judgeHost(host, this.index);
    if (this.judged.size >= this.max) this.judged.clear();
    this.judged.set(host, j);
    return j;
  }
}
