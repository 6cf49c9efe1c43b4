import { describe, expect, it } from 'vitest';
import { checkLedger, type Attempt, type LedgerInput } from '../../bench/soak/soak-ledger.mjs';

/**
 * The soak's ledger must catch what it is there for: a check that never fails proves
 * nothing. Each case is one message with its attempts and the copies found.
 */

const MESSAGE = Buffer.from('Message-ID: <m@soak.test>\r\nSubject: s\r\n\r\nbody\r\n');
const TAGGED = Buffer.from('Message-ID: <m@soak.test>\r\nSubject: [SUSPICIOUS] s\r\nX-Sekisho-Verdict: suspicious\r\n\r\nbody\r\n');

function input(attempts: Array<Omit<Attempt, 'mailFrom'>>, copies: { sink?: number[]; quarantine?: number[]; unacknowledged?: number[]; sinkData?: Buffer; quarantineWhole?: boolean }): LedgerInput {
  const from = (k: number) => `m.a${k}@soak.test`;
  return {
    messages: new Map([['m@soak.test', { kind: 'clean', message: MESSAGE, attempts: attempts.map((a, k) => ({ ...a, mailFrom: from(k + 1) })) }]]),
    sink: (copies.sink ?? []).map((k) => ({ mailFrom: from(k), data: copies.sinkData ?? MESSAGE })),
    quarantine: (copies.quarantine ?? []).map((k) => ({ id: `q${k}`, mailFrom: from(k), raw: MESSAGE, whole: copies.quarantineWhole ?? true, problem: copies.quarantineWhole === false ? 'size 3, metadata says 40' : undefined })),
    unacknowledged: new Set((copies.unacknowledged ?? []).map(from)),
  };
}

const ok250 = { outcome: '250', afterDot: true } as const;
const tempfail = { outcome: '4xx', afterDot: true } as const;
const silentAfterDot = { outcome: 'none', afterDot: true } as const;
const silentBeforeDot = { outcome: 'none', afterDot: false } as const;

describe('the soak ledger', () => {
  it('passes one 250 and one copy at the sink, its header tagged', () => {
    const l = checkLedger(input([ok250], { sink: [1], sinkData: TAGGED }));
    expect(l.ok).toBe(true);
    expect(l.counts).toMatchObject({ sent: 1, delivered: 1, lost: 0, duplicated: 0 });
  });

  it('passes a 4xx retried into a 250 that is held in the quarantine', () => {
    expect(checkLedger(input([tempfail, ok250], { quarantine: [2] })).ok).toBe(true);
  });

  it('flags a 250 with no copy as lost', () => {
    const l = checkLedger(input([tempfail, ok250], {}));
    expect(l.counts.lost).toBe(1);
    expect(l.ok).toBe(false);
  });

  it('flags a 250 whose only copy came from the attempt before it as lost', () => {
    expect(checkLedger(input([silentAfterDot, ok250], { sink: [1] })).counts.lost).toBe(1);
  });

  it('flags a copy made by an attempt told 4xx when nothing says the next hop’s reply was lost', () => {
    const l = checkLedger(input([tempfail, ok250], { sink: [1, 2] }));
    expect(l.counts.duplicated).toBe(1);
    expect(l.duplicated[0]).toContain('attempt 1 4xx after ".": sink');
  });

  it('accepts that copy as a duplicate on lost 250 when the injector saw the next hop’s 250 go missing', () => {
    const l = checkLedger(input([tempfail, ok250], { sink: [1, 2], unacknowledged: [1] }));
    expect(l.ok).toBe(true);
    expect(l.counts).toMatchObject({ duplicated: 0, duplicatedOnLost250: 1, copiesOnLost250: 1 });
  });

  it('accepts a copy from an attempt that sent its "." and heard nothing (sekisho killed after the quarantine write)', () => {
    const l = checkLedger(input([silentAfterDot, ok250], { quarantine: [1, 2] }));
    expect(l.ok).toBe(true);
    expect(l.counts.duplicatedOnLost250).toBe(1);
  });

  it('flags a copy from an attempt that never sent its "."', () => {
    expect(checkLedger(input([silentBeforeDot, ok250], { sink: [1, 2] })).counts.duplicated).toBe(1);
  });

  it('flags a copy after a 5xx, even with a lost next-hop reply', () => {
    expect(checkLedger(input([{ outcome: '5xx', afterDot: true }], { sink: [1], unacknowledged: [1] })).counts.duplicated).toBe(1);
  });

  it('flags two copies of one attempt: relayed and quarantined', () => {
    expect(checkLedger(input([ok250], { sink: [1], quarantine: [1] })).counts.duplicated).toBe(1);
  });

  it('flags a quarantine entry that is not whole, and a sink copy whose body changed', () => {
    expect(checkLedger(input([ok250], { quarantine: [1], quarantineWhole: false })).problems).toEqual(['m@soak.test: quarantine copy of attempt 1 is not whole (size 3, metadata says 40)']);
    const cut = Buffer.from('Message-ID: <m@soak.test>\r\nSubject: s\r\n\r\nbo');
    expect(checkLedger(input([ok250], { sink: [1], sinkData: cut })).counts.notWhole).toBe(1);
  });

  it('flags a copy that no attempt made', () => {
    const i = input([ok250], { sink: [1] });
    const l = checkLedger({ ...i, sink: [...i.sink, { mailFrom: 'nobody.a1@soak.test', data: MESSAGE }] });
    expect(l.stray).toEqual([{ mailFrom: 'nobody.a1@soak.test', where: 'sink' }]);
    expect(l.ok).toBe(false);
  });
});
