// The soak's report as the command line and the short test print it.

/** Lines for a soak report (see runSoak). */
export function formatReport(r) {
  const MiB = (n) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
  const c = r.ledger.counts;
  const lines = [
    '',
    `soak: ${r.ok ? 'PASS' : 'FAIL'} — seed ${r.seed}, ${r.trafficSeconds} s of traffic, ${r.seconds} s in all; load average ${r.load.start.map((x) => x.toFixed(1)).join(' ')} at the start, ${r.load.end.map((x) => x.toFixed(1)).join(' ')} at the end`,
    `messages sent ${c.sent}, attempts ${c.attempts}: 250 ${c['250']}, 4xx ${c['4xx']}, 5xx ${c['5xx']}, no reply ${c.none}`,
    `  no reply by where it happened: ${Object.entries(r.ledger.noReply).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  how messages ended (last attempt): 250 ${r.ledger.final['250']}, 4xx ${r.ledger.final['4xx']}, 5xx ${r.ledger.final['5xx']}, no reply ${r.ledger.final.none}`,
    `copies: delivered ${c.delivered}, quarantined ${c.quarantined}; lost ${c.lost}, duplicated ${c.duplicated}, not whole ${c.notWhole}, stray ${c.stray}`,
    `  duplicate on lost 250 (RFC 1047): ${c.duplicatedOnLost250} messages; copies made by an attempt whose 250 was lost: ${c.copiesOnLost250}`,
    `quarantine: ${r.quarantine.entries} entries, all whole: ${c.notWhole === 0}; orphan .eml ${r.quarantine.orphans}, temp files ${r.quarantine.tmp}`,
    `faults injected ${r.faults.injected}: ${Object.entries(r.faults.actions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  fault periods: ${Object.entries(r.faults.periods).map(([k, v]) => `${k} ${v}`).join(', ')}; next-hop replies lost ${r.faults.unacknowledgedAtNextHop}`,
    `sekisho: ${r.chaos.crashes} SIGKILLs of the daemon, ${r.chaos.workerKills} of a cluster worker, ${r.chaos.gracefulRestarts} SIGTERM restarts, ${r.chaos.restarts} restarts; unexpected exits ${r.chaos.unexpectedExits}; final stop ${JSON.stringify(r.finalStop)}`,
    `memory: peak RSS of one sekisho process ${MiB(r.memory.peakRss)} (budget ${MiB(r.memory.budget)}), peak of all its processes together ${MiB(r.memory.peakGroupRss)}`,
    `  peak RSS by epoch (one process or 2 workers): ${r.memory.epochs.map((e) => `${MiB(e.peakRss)}${e.workers > 1 ? ' (2w)' : ''}`).join(', ')}`,
    ...Object.entries(r.slowloris).map(([kind, s]) => {
      const deadline = kind === 'rate' ? `rate below ${r.deadlines.minDataRate} B/s judged after ${r.deadlines.rateGraceMs} ms` : kind === 'data' ? `data deadline ${r.deadlines.dataMs} ms` : `transaction deadline ${r.deadlines.transactionMs} ms`;
      const ms = [...s.cutMs].sort((a, b) => a - b);
      const at = ms.length ? `cut after ${ms[0]}–${ms[ms.length - 1]} ms (median ${ms[Math.floor(ms.length / 2)]})` : 'none cut';
      return `slowloris ${kind}: ${s.runs} clients, ${s.cut} cut with 421, ${at}; ${deadline}${Object.keys(s.other).length ? `; otherwise ${JSON.stringify(s.other)}` : ''}`;
    }),
    `slow honest clients: ${r.slowClients.paced}, cut by a deadline ${r.slowClients.pacedCut}`,
    'by kind (last attempt): ' + Object.entries(r.byKind).map(([k, v]) => `${k} ${v.sent} (250 ${v['250']}, 4xx ${v['4xx']}, 5xx ${v['5xx']}, none ${v.none})`).join('; '),
    ...(r.errors.length ? ['error lines logged by sekisho:', ...r.errors.map((e) => `  ${e}`)] : ['error lines logged by sekisho: none']),
    ...r.ledger.lost.slice(0, 20).map((l) => `LOST ${l}`),
    ...r.ledger.duplicated.slice(0, 20).map((l) => `DUPLICATED ${l}`),
    ...r.ledger.problems.slice(0, 20).map((l) => `NOT WHOLE ${l}`),
    ...r.ledger.stray.slice(0, 20).map((l) => `STRAY ${JSON.stringify(l)}`),
    ...(r.ok ? [] : [`work directory kept: ${r.dir}`]),
  ];
  return lines.join('\n');
}
