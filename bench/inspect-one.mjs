#!/usr/bin/env node
// Inspects one .eml in a fresh process and prints time and peak RSS as JSON, so the memory
// figure is the inspection's own and not the benchmark harness's. Used by scan-bench.ts.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { inspect } from '../dist/core/inspect.js';

const message = readFileSync(process.argv[2]);
const rssBefore = process.memoryUsage.rss();
const started = performance.now();
const verdict = await inspect({ mailFrom: '', rcptTo: [] }, message);
const ms = performance.now() - started;
console.log(JSON.stringify({
  bytes: message.length,
  ms,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
  rssBeforeMB: rssBefore / 1024 / 1024,
  verdict: verdict.verdict,
  findings: verdict.findings.map((f) => `${f.detector}/${f.code}`),
}));
