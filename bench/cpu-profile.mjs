// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and summarises it: the functions
// with the most self time, with their total (inclusive) time, and a rollup by area — a
// sekisho source folder, an npm package, node internals, V8 builtins, GC, idle.
// Pure functions over the JSON; bench/profile-relay.mjs prints what they return.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where a call frame's code lives, for people: the area it rolls up into and a short location. */
export function classify(callFrame) {
  const { functionName, url } = callFrame;
  const line = callFrame.lineNumber >= 0 ? callFrame.lineNumber + 1 : undefined;
  if (!url) {
    if (/^\(.*\)$/.test(functionName)) return { area: functionName, where: '' };
    return { area: 'V8/native builtins', where: '(native)' };
  }
  const at = (s) => (line ? `${s}:${line}` : s);
  if (url.startsWith('node:')) {
    const module = url.slice('node:'.length).replace(/^internal\//, '');
    return { area: 'node internals', where: at(url), module: module.split('/')[0] };
  }
  let file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return { area: pkg, where: at(rest.join('/')) };
  }
  file = path.relative(REPO, file);
  const m = /^dist\/(.*)$/.exec(file);
  if (m) {
    const dirs = path.dirname(m[1]).split('/').filter((d) => d !== '.');
    // src/core/* and src/smtp/* are big enough to split one level further.
    const area = dirs.length === 0 ? 'sekisho (top)' : `sekisho ${['core', 'smtp'].includes(dirs[0]) && dirs[1] ? `${dirs[0]}/${dirs[1]}` : dirs[0]}`;
    return { area, where: at(`dist/${m[1]}`) };
  }
  return { area: 'other', where: at(file) };
}

/**
 * Per-sample duration in µs: V8 stores the gap *before* each sample; the gap after sample i
 * is timeDeltas[i + 1]. The last sample gets the mean interval.
 */
function sampleDurations(profile) {
  const { samples, timeDeltas } = profile;
  const mean = samples.length ? (profile.endTime - profile.startTime) / samples.length : 0;
  return samples.map((_, i) => (i + 1 < timeDeltas.length ? Math.max(0, timeDeltas[i + 1]) : mean));
}

/**
 * Summarises a profile. `window` limits it to the samples between the first and the last
 * whose stack has a frame matching it (e.g. smtp-server's code), so that start-up and the
 * idle tail after the load do not dilute the figures.
 */
export function summarize(profile, { window, top = 25 } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => `${n.callFrame.functionName}\u0000${n.callFrame.url}\u0000${n.callFrame.lineNumber}`;
  const stackKeys = new Map(); // node id → unique function keys from it to the root
  const keysOf = (id) => {
    let keys = stackKeys.get(id);
    if (keys) return keys;
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = nodes.get(cur);
      if (n.callFrame.functionName !== '(root)') seen.add(keyOf(n));
    }
    keys = [...seen];
    stackKeys.set(id, keys);
    return keys;
  };
  const matchesWindow = new Map();
  const inWindow = (id) => {
    if (!window) return true;
    if (!matchesWindow.has(id)) {
      let hit = false;
      for (let cur = id; cur !== undefined && !hit; cur = parent.get(cur)) hit = window.test(nodes.get(cur).callFrame.url);
      matchesWindow.set(id, hit);
    }
    return matchesWindow.get(id);
  };

  // The nearest frame that is our code or a package's, for time spent in node internals and
  // V8 builtins: "writeUtf8String" alone does not say who wrote what.
  const appArea = (area) => area.startsWith('sekisho') || !(area === 'node internals' || area === 'V8/native builtins' || area.startsWith('(') || area === 'other');
  const callerOf = new Map();
  const nearestApp = (id) => {
    if (!callerOf.has(id)) {
      let found;
      for (let cur = id; cur !== undefined && !found; cur = parent.get(cur)) {
        const cf = nodes.get(cur).callFrame;
        const c = classify(cf);
        if (appArea(c.area)) found = { label: `${cf.functionName || '(anonymous)'} ${c.where}`, area: c.area };
      }
      callerOf.set(id, found);
    }
    return callerOf.get(id);
  };

  const durations = sampleDurations(profile);
  let first = 0;
  let last = profile.samples.length - 1;
  if (window) {
    while (first <= last && !inWindow(profile.samples[first])) first++;
    while (last >= first && !inWindow(profile.samples[last])) last--;
  }
  const self = new Map();
  const total = new Map();
  const frames = new Map();
  const via = new Map(); // function key → Map(nearest app frame → µs)
  const charged = new Map(); // area of the nearest app frame (or the frame's own) → µs
  let all = 0;
  for (let i = first; i <= last; i++) {
    const id = profile.samples[i];
    const d = durations[i];
    all += d;
    const n = nodes.get(id);
    const key = keyOf(n);
    frames.set(key, n.callFrame);
    self.set(key, (self.get(key) ?? 0) + d);
    for (const k of keysOf(id)) total.set(k, (total.get(k) ?? 0) + d);
    const caller = nearestApp(id);
    if (caller) {
      if (!via.has(key)) via.set(key, new Map());
      const m = via.get(key);
      m.set(caller.label, (m.get(caller.label) ?? 0) + d);
    }
    const own = classify(n.callFrame).area;
    const chargedTo = caller?.area ?? (own.startsWith('(') ? own : `${own} (no package frame on the stack)`);
    charged.set(chargedTo, (charged.get(chargedTo) ?? 0) + d);
  }
  const sum = (a, b) => a + b;
  const before = durations.slice(0, first).reduce(sum, 0);
  const after = durations.slice(last + 1).reduce(sum, 0);

  const entries = [...self.entries()].map(([key, us]) => {
    const callFrame = frames.get(key);
    const { area, where } = classify(callFrame);
    const callers = via.get(key);
    let caller;
    if (callers && !appArea(area)) {
      const [best, bestUs] = [...callers.entries()].sort((a, b) => b[1] - a[1])[0];
      caller = { frame: best, share: bestUs / us };
    }
    return { name: callFrame.functionName || '(anonymous)', where, area, self: us / all, total: (total.get(key) ?? us) / all, caller };
  });
  entries.sort((a, b) => b.self - a.self);

  const areas = new Map();
  for (const e of entries) areas.set(e.area, (areas.get(e.area) ?? 0) + e.self);
  const idle = areas.get('(idle)') ?? 0;
  const rollup = [...areas.entries()].map(([area, share]) => ({ area, share, ofBusy: area === '(idle)' ? undefined : share / (1 - idle) })).sort((a, b) => b.share - a.share);

  const chargedRollup = [...charged.entries()].map(([area, us]) => ({ area, share: us / all, ofBusy: area === '(idle)' ? undefined : us / all / (1 - idle) })).sort((a, b) => b.share - a.share);

  return { chargedRollup, windowMs: all / 1000, excludedBeforeMs: before / 1000, excludedAfterMs: after / 1000, samples: last - first + 1, top: entries.slice(0, top), rollup, idle };
}

/** True when some frame of the profile is smtp-server's code: the thread that serves SMTP. */
export function hasFramesOf(profile, pattern) {
  return profile.nodes.some((n) => pattern.test(n.callFrame.url));
}
