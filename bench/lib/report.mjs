// The terminal table and the budget verdicts (from the figures of the same run).

const kinds = [
  ['aliyun-dm', 'DM'],
  ['aliyun-sms', 'SMS'],
];

const KB = 1000;
const MB = 1000 * 1000;

/** Ratio a/b, or NaN when either is missing or b is 0. */
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);

/** The budgets of the issue, each `{ id, label, value, limit, met }` (met null: not measured). */
export const budgetsOf = (results) => {
  const budgets = [];
  const add = (id, label, value, limit, test, detail) =>
    budgets.push({ id, label, value: Number.isFinite(value) ? value : null, limit, met: Number.isFinite(value) ? test(value) : null, detail });
  for (const [kind, short] of kinds) {
    const cold = results.coldStart?.withKit;
    add(
      `cold-marginal-${short}`,
      `${short} marginal cold start ≤ 0.5 × official`,
      ratio(cold?.ours?.[kind]?.marginal.median, cold?.official?.[kind]?.marginal.median),
      0.5,
      (v) => v <= 0.5,
      'ours/official, medians',
    );
    const lat = results.latency?.[kind];
    add(`latency-${short}`, `${short} median latency ≤ 1.15 × floor`, ratio(lat?.ours.median, lat?.floor.median), 1.15, (v) => v <= 1.15, 'ours/floor, medians');
    const tp = results.throughput?.[kind];
    add(
      `throughput-${short}`,
      `${short} throughput at ${results.options.concurrency} in flight ≥ 0.8 × floor`,
      ratio(tp?.ours.perSecond, tp?.floor.perSecond),
      0.8,
      (v) => v >= 0.8,
      'ours/floor',
    );
  }
  add('wasm-size', '.wasm ≤ 120 KB raw', results.sizes?.wasm['aliyun-dm'].raw, 120 * KB, (v) => v <= 120 * KB, 'bytes, KB = 1000 B');
  const memory = results.memory?.ours;
  const sends = results.options.memorySends;
  add('wasm-memory', `no Wasm memory growth over ${sends} sends`, memory?.wasmMemoryGrowth ?? NaN, 0, (v) => v <= 0, 'bytes, both instances');
  add('rss', `RSS growth < 5 MB over ${sends} sends`, memory?.rssGrowth, 5 * MB, (v) => v < 5 * MB, 'bytes, least-squares trend over 11 snapshots; MB = 10^6 B');
  return budgets;
};

const fmt = (value, digits) => {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

const rows = (results) => {
  const out = [];
  const section = (title) => out.push({ section: title });
  const row = (label, ours, official, floor, digits = 2, note = '') => out.push({ label, ours, official, floor, digits, note });

  const cold = results.coldStart;
  if (cold) {
    section(`cold start, ms (median of ${cold.runs} fresh processes; floor = node alone / importing connector-kit)`);
    for (const [kind, short] of kinds) {
      if (!cold.standalone.ours[kind]) continue;
      row(`${short} standalone: start → createConnector`, cold.standalone.ours[kind].median, cold.standalone.official[kind].median, cold.standalone.floor.median, 1);
    }
    for (const [kind, short] of kinds) {
      if (!cold.withKit.ours[kind]) continue;
      row(`${short} marginal, kit already imported`, cold.withKit.ours[kind].marginal.median, cold.withKit.official[kind].marginal.median, NaN, 1, 'budget ≤ 0.5× official');
    }
    row('  (importing @logto/connector-kit)', NaN, NaN, cold.withKit.floor.kitImport.median, 1);
  }
  if (results.latency) {
    section(`per-send latency, ms (${results.options.sends} sequential sends, ${results.options.latencyRounds} alternating rounds)`);
    for (const [kind, short] of kinds) {
      const l = results.latency[kind];
      if (!l) continue;
      row(`${short} median`, l.ours.median, l.official.median, l.floor.median, 3, 'budget ≤ 1.15× floor');
      row(`${short} p99`, l.ours.p99, l.official.p99, l.floor.p99, 3);
    }
  }
  if (results.throughput) {
    const o = results.options;
    section(`throughput, sends/s (${o.concurrency} in flight, ${o.throughputMs} ms in ${o.throughputRounds} alternating rounds)`);
    for (const [kind, short] of kinds) {
      const t = results.throughput[kind];
      if (!t) continue;
      row(`${short} throughput`, t.ours.perSecond, t.official.perSecond, t.floor.perSecond, 0, 'budget ≥ 0.8× floor, higher is better');
    }
  }
  if (results.memory) {
    const m = results.memory;
    section(`memory over ${results.options.memorySends} sends, ${results.options.memoryConcurrency} in flight (after ${results.options.memoryWarmup} warm-up sends; 11 snapshots, gc + 300 ms pause before each), MB`);
    row('RSS growth (least-squares trend)', m.ours.rssGrowth / MB, m.official.rssGrowth / MB, m.floor.rssGrowth / MB, 2, 'budget < 5 MB');
    row('RSS growth (last − first snapshot)', m.ours.rssGrowthEndpoints / MB, m.official.rssGrowthEndpoints / MB, m.floor.rssGrowthEndpoints / MB, 2, 'plain difference');
    row('JS heap used growth (trend)', m.ours.heapUsedGrowth / MB, m.official.heapUsedGrowth / MB, m.floor.heapUsedGrowth / MB, 2);
    row('RSS after', m.ours.after.rss / MB, m.official.after.rss / MB, m.floor.after.rss / MB, 1);
    row('Wasm memory growth, bytes', m.ours.wasmMemoryGrowth ?? NaN, NaN, NaN, 0, 'budget 0');
    const wasmAfter = Object.values(m.ours.after.wasmMemory ?? {}).filter((v) => v !== null);
    row('Wasm memory after (both instances)', wasmAfter.reduce((a, b) => a + b, 0) / MB, NaN, NaN, 2);
  }
  const sizes = results.sizes;
  if (sizes) {
    section('size (KB = 1000 B)');
    row('.wasm raw', sizes.wasm['aliyun-dm'].raw / KB, NaN, NaN, 1, 'budget ≤ 120 KB');
    row('.wasm gzip -9', sizes.wasm['aliyun-dm'].gzip / KB, NaN, NaN, 1);
    for (const [kind, short] of kinds) {
      const ours = sizes.packages.ours[kind];
      const official = sizes.packages.official[kind];
      row(`${short} tarball (npm pack)`, sizes.tarballs.ours[kind] / KB, sizes.tarballs.official[kind] / KB, NaN, 1);
      row(`${short} package on disk`, ours.own.bytes / KB, official.own.bytes / KB, NaN, 1);
      row(`${short} package + run-time deps on disk`, ours.withDependencies.bytes / KB, official.withDependencies.bytes / KB, NaN, 1, 'deps Logto lacks');
      row(`${short} files (package + deps)`, ours.withDependencies.files, official.withDependencies.files, NaN, 0);
      row(`${short} run-time deps brought`, ours.broughtDependencies.length, official.broughtDependencies.length, NaN, 0, 'beyond connector-kit + its deps');
    }
  }
  return out;
};

/** Prints the table of figures, then the budgets. */
export const printTable = (results) => {
  const header = ['figure', 'ours', 'official', 'floor', 'ours/official', 'ours/floor', 'note'];
  const lines = [];
  const table = [];
  for (const r of rows(results)) {
    if (r.section) {
      table.push({ section: r.section });
      continue;
    }
    table.push([
      r.label,
      fmt(r.ours, r.digits),
      fmt(r.official, r.digits),
      fmt(r.floor, r.digits),
      fmt(ratio(r.ours, r.official), 2),
      fmt(ratio(r.ours, r.floor), 2),
      r.note,
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...table.filter(Array.isArray).map((cells) => cells[i].length)));
  const render = (cells) =>
    cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  lines.push('', render(header), rule);
  for (const entry of table) {
    if (Array.isArray(entry)) {
      lines.push(render(entry));
    } else {
      lines.push(`· ${entry.section}`);
    }
  }
  lines.push(rule);
  const official = (kind) => {
    const l = results.latency?.[kind];
    const t = results.throughput?.[kind];
    return `${kind}: official/floor latency ${fmt(ratio(l?.official.median, l?.floor.median), 2)}×, throughput ${fmt(ratio(t?.official.perSecond, t?.floor.perSecond), 2)}×`;
  };
  const measured = kinds.filter(([kind]) => results.latency?.[kind] || results.throughput?.[kind]);
  if (measured.length > 0) {
    lines.push(`context (same run) — ${measured.map(([kind]) => official(kind)).join('; ')}`);
  }
  // The floor plus the abortable timeout and redirect: 'error' of our transport: a reference,
  // not a budget; it splits ours/floor into what that safety costs and what the rest costs.
  const withTimeout = (kind) => {
    const l = results.latency?.[kind];
    const t = results.throughput?.[kind];
    if (!l?.floorTimeout && !t?.floorTimeout) return null;
    return (
      `${kind}: floorTimeout/floor latency ${fmt(ratio(l?.floorTimeout?.median, l?.floor.median), 2)}×, throughput ${fmt(ratio(t?.floorTimeout?.perSecond, t?.floor.perSecond), 2)}×; ` +
      `ours/floorTimeout latency ${fmt(ratio(l?.ours.median, l?.floorTimeout?.median), 2)}×, throughput ${fmt(ratio(t?.ours.perSecond, t?.floorTimeout?.perSecond), 2)}×`
    );
  };
  const timeoutLines = measured.map(([kind]) => withTimeout(kind)).filter(Boolean);
  if (timeoutLines.length > 0) {
    lines.push(`floorTimeout = the floor + an AbortController deadline (10 s) + redirect: 'error', as our transport — ${timeoutLines.join('; ')}`);
  }
  lines.push('', 'budgets (ratios from this run):');
  for (const b of results.budgets) {
    const verdict = b.met === null ? 'not measured' : b.met ? 'MET' : 'NOT MET';
    const value = b.value === null ? '—' : Math.abs(b.value) >= 1000 ? fmt(b.value, 0) : fmt(b.value, 3);
    const limit = Math.abs(b.limit) >= 1000 ? fmt(b.limit, 0) : fmt(b.limit, 2);
    lines.push(`  ${verdict.padEnd(12)} ${b.label.padEnd(50)} ${value} (limit ${limit}; ${b.detail})`);
  }
  lines.push(
    '',
    `machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.platform}, Node ${results.machine.node}; ` +
      `load average ${results.machine.loadavgStart.map((l) => l.toFixed(2)).join(' ')} → ${results.machine.loadavgEnd.map((l) => l.toFixed(2)).join(' ')}; ` +
      `${results.durationS.toFixed(0)} s`,
  );
  console.log(lines.join('\n'));
};
