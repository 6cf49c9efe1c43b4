// npm run soak: the soak and fault run of issue 12 (docs/security.md, "Soak and fault run").
// Loopback only, bounded: SOAK_MINUTES of traffic (default 10), then at most 90 s of retries
// with the faults off. SOAK_SEED picks the traffic and the faults (timing still varies with
// the machine). Exits 1 on any loss, duplicate, broken quarantine entry, error logged, or
// peak RSS over the budget; SOAK_KEEP=1 keeps the work directory (logs, quarantine).
import { formatReport } from './soak/soak-report.mjs';
import { runSoak } from './soak/soak-run.mjs';

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const seed = Number(process.env.SOAK_SEED ?? 12);
if (!(minutes > 0) || !Number.isInteger(seed)) {
  console.error('soak: SOAK_MINUTES must be a positive number and SOAK_SEED an integer');
  process.exit(2);
}
const report = await runSoak({
  seconds: Math.round(minutes * 60),
  seed,
  clients: Number(process.env.SOAK_CLIENTS ?? 6),
  attackers: Number(process.env.SOAK_ATTACKERS ?? 2),
  short: process.env.SOAK_SHORT === '1',
  keep: process.env.SOAK_KEEP === '1',
  progress: (line) => console.log(line),
});
console.log(formatReport(report));
process.exit(report.ok ? 0 : 1);
