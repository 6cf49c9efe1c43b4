import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Metrics } from '../../src/metrics/metrics.js';
import { requireTool } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROM_DIR = path.join(ROOT, 'monitoring', 'prometheus');
const RULES = path.join(PROM_DIR, 'sekisho-alerts.yml');
const RULE_TESTS = path.join(PROM_DIR, 'sekisho-alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'monitoring', 'grafana', 'sekisho-dashboard.json');

const EXPECTED_ALERTS = [
  'SekishoDown',
  'SekishoNextHopDown',
  'SekishoTempfailRateHigh',
  'SekishoScanLatencyHigh',
  'SekishoUnscannableSpike',
  'SekishoQuarantineGrowing',
  'SekishoQuarantineFull',
  'SekishoQuarantineStoreDown',
  'SekishoConfigReloadFailed',
  'SekishoInspectQueueSaturated',
  'SekishoInspectQueueFull',
  'SekishoInspectWorkerCrashed',
  'SekishoInspectDeadlineRestarts',
  'SekishoEventLoopLagHigh',
];

const EXPECTED_PANELS = [
  'Milter connections',
  'Milter answers by reply',
  'Milter connections closed on errors',
  'Throughput by verdict',
  'Throughput by action',
  'Findings by detector',
  'Brand impersonations (top 10)',
  'Quarantined messages',
  'Quarantine size',
  'Releases and deletes',
  'Quarantine store up',
  'Quarantine store errors (451 4.3.0)',
  'Scan latency',
  'Next-hop latency',
  'Tempfail and reject share (DATA)',
  'Next-hop errors by kind',
  'Unscannable by reason',
  'Inspection queue depth vs capacity',
  'Busy inspection workers vs workers',
  'Inspection worker restarts by reason',
  'Inspection queue-full refusals',
  'Event-loop lag between scrapes (p99, max)',
  'Active SMTP connections',
  'SMTP connection rate',
  'Config reloads',
  'Version',
];

const EXPECTED_ROWS = ['Overview', 'Traffic', 'Detections', 'Inspection', 'SMTP and next hop', 'Milter', 'Quarantine', 'Operations', 'Process'];

// ---- files --------------------------------------------------------------------------

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
}

interface RuleTestFile {
  rule_files: string[];
  tests: Array<{ name?: string; input_series: Array<{ series: string; values: string }>; alert_rule_test?: AlertRuleTest[] }>;
}

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  panels?: Panel[];
}

function rules(): Rule[] {
  const file = parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
  return file.groups.flatMap((g) => g.rules);
}

function ruleTests(): RuleTestFile {
  return parseYaml(readFileSync(RULE_TESTS, 'utf8')) as RuleTestFile;
}

function dashboard(): { panels: Panel[]; [key: string]: unknown } {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
}

/** Every panel, those inside collapsed rows included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

function dashboardExpressions(): Array<{ where: string; expr: string }> {
  const d = dashboard();
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}"`, expr: t.expr });
  const annotations = (d['annotations'] as { list: Array<{ name: string; expr?: string }> }).list;
  for (const a of annotations) if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  return out;
}

// ---- the metrics sekisho defines ------------------------------------------------------

interface Defined {
  /** Label names of each metric family, from metrics.ts. */
  labels: Map<string, Set<string>>;
  /** The values a label takes in the series metrics.ts creates at zero (verdict, stage, class, kind, ...). */
  values: Map<string, Map<string, Set<string>>>;
}

async function definedMetrics(): Promise<Defined> {
  const metrics = new Metrics('test');
  metrics.watchQuarantine(async () => ({ messages: 0, bytes: 0 }), 'test');
  metrics.watchInflight({ used: 0, limit: 1 });
  metrics.watchQuarantineStore(async () => ({ ok: true }));
  metrics.watchPpap(async () => 0);
  const json = await metrics.registry.getMetricsAsJSON();
  const labels = new Map<string, Set<string>>();
  const values = new Map<string, Map<string, Set<string>>>();
  for (const m of json) {
    const single = metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] };
    labels.set(m.name, new Set(single.labelNames ?? []));
    const byLabel = new Map<string, Set<string>>();
    for (const v of m.values) {
      for (const [k, val] of Object.entries(v.labels)) {
        if (!byLabel.has(k)) byLabel.set(k, new Set());
        byLabel.get(k)!.add(String(val));
      }
    }
    values.set(m.name, byLabel);
  }
  return { labels, values };
}

const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;
/** Labels that Prometheus adds (target labels) or that histograms carry, not defined in metrics.ts. */
const TARGET_LABELS = new Set(['job', 'instance', 'le']);

interface Selector {
  name: string;
  family: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

/** The metric selectors of a PromQL expression: `name{label op "value", ...}` or a bare name. */
function selectors(expr: string, prefix: RegExp): Selector[] {
  const out: Selector[] = [];
  const re = new RegExp(`\\b(${prefix.source}[a-zA-Z0-9_]*)(\\{([^}]*)\\})?`, 'g');
  for (const m of expr.matchAll(re)) {
    const name = m[1]!;
    const matchers: Selector['matchers'] = [];
    for (const mm of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
      matchers.push({ label: mm[1]!, op: mm[2]!, value: mm[3]! });
    }
    out.push({ name, family: name.replace(HISTOGRAM_SUFFIX, ''), matchers });
  }
  return out;
}

/** Problems of one expression: unknown metric, unknown label, a label value metrics.ts never uses. */
function problems(defined: Defined, where: string, expr: string, prefix: RegExp): string[] {
  const found: string[] = [];
  for (const s of selectors(expr, prefix)) {
    const family = defined.labels.has(s.name) ? s.name : s.family;
    const labelNames = defined.labels.get(family);
    if (!labelNames) {
      found.push(`${where}: ${s.name} is not a metric defined in src/metrics/metrics.ts`);
      continue;
    }
    for (const { label, op, value } of s.matchers) {
      if (TARGET_LABELS.has(label)) continue;
      if (!labelNames.has(label)) {
        found.push(`${where}: ${s.name} has no label "${label}"`);
        continue;
      }
      // Dashboard variables are resolved by Grafana; negative matchers need no known value.
      if (value.includes('$') || op === '!=' || op === '!~') continue;
      const known = defined.values.get(family)?.get(label);
      if (!known || known.size === 0) continue;
      const wanted = op === '=~' ? value.split('|') : [value];
      for (const w of wanted) if (!known.has(w)) found.push(`${where}: ${s.name}{${label}="${w}"} never exists (known: ${[...known].join(', ')})`);
    }
  }
  return found;
}

function run(tool: string, args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync(tool, args, { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// ---- tests --------------------------------------------------------------------------

describe('Prometheus alerting rules', () => {
  it('pass promtool check rules', () => {
    const promtool = requireTool('promtool');
    const { status, output } = run(promtool, ['check', 'rules', RULES], ROOT);
    expect(status, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${EXPECTED_ALERTS.length} rules found`);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const promtool = requireTool('promtool');
    const { status, output } = run(promtool, ['test', 'rules', path.basename(RULE_TESTS)], PROM_DIR);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
    expect(output).not.toContain('FAILED');
  });

  it('define every expected alert in group sekisho, each with for, severity, summary and description', () => {
    const file = parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
    expect(file.groups.map((g) => g.name)).toEqual(['sekisho']);
    const all = rules();
    expect(all.map((r) => r.alert).sort()).toEqual([...EXPECTED_ALERTS].sort());
    for (const r of all) {
      expect(r.for, `${r.alert}: for`).toMatch(/^\d+[smhd]$/);
      expect(['critical', 'warning', 'info'], `${r.alert}: severity`).toContain(r.labels?.['severity']);
      expect(r.annotations?.['summary'], `${r.alert}: summary`).toBeTruthy();
      expect(r.annotations?.['description'], `${r.alert}: description`).toBeTruthy();
      // Every alert is about one sekisho job: the rules must not match other jobs' series.
      expect(r.expr, `${r.alert}: job selector`).toContain('job="sekisho"');
    }
  });

  it('have a unit test that makes each alert fire and one that keeps it silent', () => {
    const file = ruleTests();
    expect(file.rule_files).toEqual(['sekisho-alerts.yml']);
    const cases = file.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of rules().map((r) => r.alert)) {
      const mine = cases.filter((c) => c.alertname === alert);
      const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0);
      const silent = mine.filter((c) => (c.exp_alerts ?? []).length === 0);
      expect(firing.length, `${alert}: a test where it fires`).toBeGreaterThan(0);
      expect(silent.length, `${alert}: a test where it must not fire`).toBeGreaterThan(0);
      for (const c of firing) {
        for (const e of c.exp_alerts ?? []) {
          expect(e.exp_labels?.['severity'], `${alert} at ${c.eval_time}: severity`).toBeTruthy();
          expect(e.exp_annotations?.['summary'], `${alert} at ${c.eval_time}: summary`).toBeTruthy();
          expect(e.exp_annotations?.['description'], `${alert} at ${c.eval_time}: description`).toBeTruthy();
        }
      }
    }
  });

  it('use only metrics, labels and label values that src/metrics/metrics.ts defines', async () => {
    const defined = await definedMetrics();
    const found: string[] = [];
    let seen = 0;
    for (const r of rules()) {
      seen += selectors(r.expr, /sekisho_/).length;
      found.push(...problems(defined, `alert ${r.alert}`, r.expr, /sekisho_/));
    }
    // The unit tests' input series must be real series too, or they test nothing.
    for (const t of ruleTests().tests) {
      for (const s of t.input_series) found.push(...problems(defined, `test "${t.name ?? ''}" series`, s.series, /sekisho_/));
    }
    expect(seen).toBeGreaterThan(EXPECTED_ALERTS.length - 2);
    expect(found).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  it('parses, has schemaVersion 39 and an importable templated Prometheus datasource', () => {
    const d = dashboard();
    expect(d['schemaVersion']).toBe(39);
    expect(d['uid']).toBe('sekisho-overview');
    const inputs = d['__inputs'] as Array<{ name: string; type: string; pluginId: string }>;
    expect(inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const vars = (d['templating'] as { list: Array<{ name: string; type: string; query: unknown; current?: { value?: unknown } }> }).list;
    const ds = vars.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus', current: { value: '${DS_PROMETHEUS}' } });
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'job', 'instance']);
    // The file is kept readable: 2-space indentation, as JSON.stringify(_, null, 2) writes it.
    const text = readFileSync(DASHBOARD, 'utf8');
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  });

  it('has the expected rows and panels, each on the templated datasource', () => {
    const panels = allPanels(dashboard().panels);
    const titles = panels.map((p) => p.title);
    for (const t of EXPECTED_PANELS) expect(titles, t).toContain(t);
    expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(EXPECTED_ROWS);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels.filter((q) => q.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(t.expr, p.title).toContain('job="$job"');
        expect(t.expr, p.title).toContain('instance=~"$instance"');
      }
    }
    const unit = (title: string) => panels.find((p) => p.title === title)?.fieldConfig?.defaults?.unit;
    expect(unit('Throughput by verdict')).toBe('reqps');
    expect(unit('Scan latency')).toBe('s');
    expect(unit('Next-hop latency')).toBe('s');
    expect(unit('Quarantine size')).toBe('bytes');
    expect(unit('Tempfail and reject share (DATA)')).toBe('percentunit');
    expect(unit('Inspection worker restarts by reason')).toBe('cpm');
    expect(unit('Inspection queue-full refusals')).toBe('cpm');
    expect(unit('Event-loop lag between scrapes (p99, max)')).toBe('s');
    // The inspection panels sit in the Inspection row, before the next row starts.
    const inspectionRow = panels.find((p) => p.type === 'row' && p.title === 'Inspection')!.gridPos!.y;
    const nextRow = Math.min(...panels.filter((p) => p.type === 'row' && p.gridPos!.y > inspectionRow).map((p) => p.gridPos!.y));
    for (const title of ['Inspection queue depth vs capacity', 'Busy inspection workers vs workers', 'Inspection worker restarts by reason', 'Inspection queue-full refusals', 'Event-loop lag between scrapes (p99, max)']) {
      const y = panels.find((p) => p.title === title)!.gridPos!.y;
      expect(y > inspectionRow && y < nextRow, `${title} in the Inspection row`).toBe(true);
    }
  });

  it('takes rates over $__rate_interval (or $__range), never a fixed window', () => {
    for (const { where, expr } of dashboardExpressions()) {
      for (const m of expr.matchAll(/\b(rate|increase|irate|resets|changes)\([^[]*\[([^\]]+)\]/g)) {
        if (where.startsWith('annotation')) continue;
        expect(['$__rate_interval', '$__range'], `${where}: ${expr}`).toContain(m[2]);
      }
    }
  });

  it('uses only metrics, labels and label values that src/metrics/metrics.ts defines', async () => {
    const defined = await definedMetrics();
    const found: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of dashboardExpressions()) {
      for (const s of selectors(expr, /(sekisho_|process_|nodejs_)/)) used.add(s.family);
      found.push(...problems(defined, where, expr, /(sekisho_|process_|nodejs_)/));
    }
    expect(found).toEqual([]);
    // Every sekisho metric is on the dashboard somewhere.
    const sekisho = [...defined.labels.keys()].filter((n) => n.startsWith('sekisho_'));
    expect(sekisho.filter((n) => !used.has(n))).toEqual([]);
  });

  it('has only expressions that Prometheus parses (checked by promtool as recording rules)', () => {
    const promtool = requireTool('promtool');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-dashboard-'));
    try {
      const exprs = dashboardExpressions().map(({ expr }) =>
        expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$job', 'sekisho').replaceAll('$instance', '.*'),
      );
      const file = path.join(dir, 'dashboard-exprs.yml');
      const yaml = ['groups:', '  - name: dashboard', '    rules:', ...exprs.flatMap((e, i) => [`      - record: dashboard:expr_${i}`, `        expr: ${JSON.stringify(e)}`])];
      writeFileSync(file, `${yaml.join('\n')}\n`);
      const { status, output } = run(promtool, ['check', 'rules', file], dir);
      expect(status, output).toBe(0);
      expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
