// The terminal table and the budget verdicts (from the figures of the same run).
import { kindNames, kinds } from './inputs.mjs';

const kB = 1000;
const MiB = 2 ** 20;

/** Ratio a/b, or NaN when either is missing or b is 0. */
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);

/**
 * `ours[i] / floor[i]` for each round i: the contenders of one round ran seconds apart,
 * so their ratio shows how far this machine's noise moves a verdict that one run's totals give.
 */
const roundRatios = (ours, floor) =>
  Array.isArray(ours) && Array.isArray(floor) && ours.length === floor.length
    ? ours.map((value, i) => ratio(value, floor[i]))
    : [];

/** ", per round 0.71–0.86" (the lowest and highest of `ratios`), or nothing. */
const spread = (ratios) => {
  const finite = ratios.filter(Number.isFinite);
  return finite.length > 1
    ? `, per round ${Math.min(...finite).toFixed(2)}–${Math.max(...finite).toFixed(2)}`
    : '';
};

const measuredKinds = (results) => kindNames.filter((kind) => results.options.kinds.includes(kind));

/** The budgets of issue 15, each `{ id, label, value, limit, met, detail }` (met null: not measured). */
export const budgetsOf = (results) => {
  const budgets = [];
  const add = (id, label, value, limit, test, detail, unit = null) =>
    budgets.push({
      id,
      label,
      value: Number.isFinite(value) ? value : null,
      limit,
      met: Number.isFinite(value) ? test(value) : null,
      detail,
      ...(unit ? { unit } : {}),
    });
  for (const kind of measuredKinds(results)) {
    const { short } = kinds[kind];
    const cold = results.coldStart?.logto;
    add(
      `cold-logto-${kind}`,
      `${short} marginal cold start in Logto ≤ 1.0 × official p25`,
      ratio(cold?.ours[kind]?.marginal.median, cold?.official[kind]?.marginal.p25),
      1.0,
      (v) => v <= 1.0,
      "ours' median / official's 25th percentile, Logto-like mode",
    );
    const lat = results.latency?.[kind];
    add(
      `latency-${kind}`,
      `${short} median latency ≤ 1.15 × floor`,
      ratio(lat?.ours.median, lat?.floor.median),
      1.15,
      (v) => v <= 1.15,
      `ours/floor, medians${spread(roundRatios(lat?.ours.roundMedians, lat?.floor.roundMedians))}`,
    );
    const tp = results.throughput?.[kind];
    add(
      `throughput-${kind}`,
      `${short} throughput at ${results.options.concurrency} in flight ≥ 0.8 × floor`,
      ratio(tp?.ours.perSecond, tp?.floor.perSecond),
      0.8,
      (v) => v >= 0.8,
      `ours/floor${spread(roundRatios(tp?.ours.roundRates, tp?.floor.roundRates))}`,
    );
  }
  // KB read both ways: 1000 B is the stricter reading, and the one aimed at.
  const wasm = results.sizes?.wasm;
  for (const [what, key, kilobytes] of [
    ['raw', 'raw', 200],
    ['gzip', 'gzip', 80],
  ]) {
    for (const unit of [1000, 1024]) {
      const limit = kilobytes * unit;
      add(
        `wasm-${key}-${unit}`,
        `.wasm ≤ ${kilobytes} KB ${what}, KB = ${unit} B`,
        wasm?.[key],
        limit,
        (v) => v <= limit,
        key === 'gzip' ? 'bytes, the larger of zlib -9 and gzip -9' : 'bytes',
      );
    }
  }
  const memory = results.memory?.ours;
  const sends = results.options.memorySends;
  add(
    'wasm-memory',
    `Wasm memory flat over ${sends} sends`,
    memory?.wasmMemoryGrowth ?? NaN,
    0,
    (v) => v <= 0,
    'bytes of growth, the three instances',
  );
  add(
    'rss',
    `RSS growth < 5 MiB over ${sends} sends`,
    memory?.rssGrowth,
    5 * MiB,
    (v) => v < 5 * MiB,
    'least-squares trend over 11 snapshots',
    'MiB',
  );
  return budgets;
};

const fmt = (value, digits) => {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
};

const rows = (results) => {
  const out = [];
  const section = (title) => out.push({ section: title });
  const row = (
    label,
    { ours = NaN, official = NaN, floor = NaN, floorTimeout = NaN },
    digits = 2,
    note = '',
  ) => out.push({ label, ours, official, floor, floorTimeout, digits, note });
  const measured = measuredKinds(results);

  const cold = results.coldStart;
  if (cold) {
    const modes = cold.modes;
    if (modes.includes('logto')) {
      section(
        `cold start in Logto, ms: import + createConnector after Logto's modules (${cold.runs} fresh processes each)`,
      );
      for (const kind of measured) {
        const { short } = kinds[kind];
        const [o, f] = [cold.logto.ours[kind].marginal, cold.logto.official[kind].marginal];
        row(`${short} marginal, median`, { ours: o.median, official: f.median }, 1);
        row(
          `${short} marginal, 25th percentile`,
          { ours: o.p25, official: f.p25 },
          1,
          'budget: ours median ≤ official p25',
        );
      }
      row("  (floor: importing Logto's modules)", { floor: cold.logto.floor.preload.median }, 1);
    }
    if (modes.includes('with-kit')) {
      section(
        'cold start, context: import + createConnector after @logto/connector-kit alone, ms (median)',
      );
      for (const kind of measured) {
        row(
          `${kinds[kind].short} marginal`,
          {
            ours: cold['with-kit'].ours[kind].marginal.median,
            official: cold['with-kit'].official[kind].marginal.median,
          },
          1,
        );
      }
      row(
        '  (floor: importing @logto/connector-kit)',
        { floor: cold['with-kit'].floor.preload.median },
        1,
      );
    }
    if (modes.includes('standalone')) {
      section(
        'cold start, context: fresh node → createConnector resolved, nothing preloaded, ms (median)',
      );
      for (const kind of measured) {
        row(
          `${kinds[kind].short} standalone`,
          {
            ours: cold.standalone.ours[kind].sinceStart.median,
            official: cold.standalone.official[kind].sinceStart.median,
            floor: cold.standalone.floor.sinceStart.median,
          },
          1,
          'floor: node alone',
        );
      }
    }
  }
  if (results.latency) {
    section(
      `per-send latency, ms (${results.options.sends} sequential sends, ${results.options.latencyRounds} alternating rounds)`,
    );
    for (const kind of measured) {
      const l = results.latency[kind];
      if (!l) continue;
      const pick = (key) => ({
        ours: l.ours[key],
        official: l.official[key],
        floor: l.floor[key],
        floorTimeout: l.floorTimeout[key],
      });
      row(`${kinds[kind].short} median`, pick('median'), 3, 'budget ≤ 1.15× floor');
      row(`${kinds[kind].short} p99`, pick('p99'), 3);
    }
  }
  if (results.throughput) {
    const o = results.options;
    section(
      `throughput, sends/s (${o.concurrency} in flight, ${o.throughputMs} ms in ${o.throughputRounds} alternating rounds; higher is better)`,
    );
    for (const kind of measured) {
      const t = results.throughput[kind];
      if (!t) continue;
      row(
        `${kinds[kind].short} throughput`,
        {
          ours: t.ours.perSecond,
          official: t.official.perSecond,
          floor: t.floor.perSecond,
          floorTimeout: t.floorTimeout.perSecond,
        },
        0,
        'budget ≥ 0.8× floor',
      );
    }
  }
  if (results.memory) {
    const m = results.memory;
    const o = results.options;
    const each = (f) => ({ ours: f(m.ours), official: f(m.official), floor: f(m.floor) });
    section(
      `memory over ${o.memorySends} sends (kinds alternating by 1000), ${o.memoryConcurrency} in flight, after ${o.memoryWarmup} warm-up sends; 11 snapshots, MiB`,
    );
    row(
      'RSS growth (least-squares trend)',
      each((x) => x.rssGrowth / MiB),
      2,
      'budget < 5 MiB',
    );
    row(
      'RSS growth (last − first snapshot)',
      each((x) => x.rssGrowthEndpoints / MiB),
      2,
    );
    row(
      'JS heap used growth (trend)',
      each((x) => x.heapUsedGrowth / MiB),
      2,
    );
    row(
      'RSS after',
      each((x) => x.after.rss / MiB),
      1,
    );
    row(
      'Wasm memory, first snapshot, bytes',
      { ours: m.ours.wasmMemoryBefore ?? NaN },
      0,
      'the three instances',
    );
    row(
      'Wasm memory, last snapshot, bytes',
      { ours: m.ours.wasmMemoryAfter ?? NaN },
      0,
      'budget: no growth',
    );
  }
  const sizes = results.sizes;
  if (sizes) {
    section('size: .wasm in bytes, packages in kB (1 kB = 1000 B)');
    row('.wasm raw, B', { ours: sizes.wasm.raw }, 0, 'budget ≤ 200 KB');
    row(
      '.wasm gzip, zlib level 9, B',
      { ours: sizes.wasm.gzipZlib },
      0,
      'budget ≤ 80 KB: the larger of the two',
    );
    row('.wasm gzip, gzip -9 CLI, B', { ours: sizes.wasm.gzipCli ?? NaN }, 0);
    for (const kind of measured) {
      const { short } = kinds[kind];
      const ours = sizes.packages.ours[kind];
      const official = sizes.packages.official[kind];
      row(
        `${short} tarball (npm pack)`,
        { ours: sizes.tarballs.ours[kind] / kB, official: sizes.tarballs.official[kind] / kB },
        1,
      );
      row(
        `${short} package on disk`,
        { ours: ours.own.bytes / kB, official: official.own.bytes / kB },
        1,
      );
      row(
        `${short} package + run-time deps on disk`,
        { ours: ours.withDependencies.bytes / kB, official: official.withDependencies.bytes / kB },
        1,
        'deps Logto lacks',
      );
      row(
        `${short} files (package + deps)`,
        { ours: ours.withDependencies.files, official: official.withDependencies.files },
        0,
      );
      row(
        `${short} run-time deps brought`,
        { ours: ours.broughtDependencies.length, official: official.broughtDependencies.length },
        0,
        'beyond connector-kit + its deps',
      );
    }
  }
  return out;
};

/** The table of figures, then the budgets, as text. */
export const renderTable = (results) => {
  const header = [
    'figure',
    'ours',
    'official',
    'floor',
    'floorTimeout',
    'ours/official',
    'ours/floor',
    'note',
  ];
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
      fmt(r.floorTimeout, r.digits),
      fmt(ratio(r.ours, r.official), 2),
      fmt(ratio(r.ours, r.floor), 2),
      r.note,
    ]);
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.filter(Array.isArray).map((cells) => cells[i].length)),
  );
  const render = (cells) =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  lines.push('', render(header), rule);
  for (const entry of table) {
    lines.push(Array.isArray(entry) ? render(entry) : `· ${entry.section}`);
  }
  lines.push(rule);
  // What floorTimeout splits ours/floor into: the safety our core asks of fetch, and the rest.
  for (const kind of measuredKinds(results)) {
    const l = results.latency?.[kind];
    const t = results.throughput?.[kind];
    if (!l && !t) continue;
    lines.push(
      `${kinds[kind].short}: official/floor latency ${fmt(ratio(l?.official.median, l?.floor.median), 2)}×, throughput ${fmt(ratio(t?.official.perSecond, t?.floor.perSecond), 2)}×; ` +
        `floorTimeout/floor latency ${fmt(ratio(l?.floorTimeout.median, l?.floor.median), 2)}×, throughput ${fmt(ratio(t?.floorTimeout.perSecond, t?.floor.perSecond), 2)}×; ` +
        `ours/floorTimeout latency ${fmt(ratio(l?.ours.median, l?.floorTimeout.median), 2)}×, throughput ${fmt(ratio(t?.ours.perSecond, t?.floorTimeout.perSecond), 2)}×`,
    );
  }
  lines.push('', 'budgets (issue 15; ratios from this run):');
  const labelWidth = Math.max(...results.budgets.map((b) => b.label.length));
  for (const b of results.budgets) {
    const verdict = b.met === null ? 'not measured' : b.met ? 'MET' : 'NOT MET';
    const shown = (v, digits) =>
      b.unit === 'MiB'
        ? `${fmt(v / MiB, 2)} MiB`
        : Math.abs(v) >= 1000
          ? fmt(v, 0)
          : fmt(v, digits);
    const value = b.value === null ? '—' : shown(b.value, 3);
    const limit = shown(b.limit, 2);
    lines.push(
      `  ${verdict.padEnd(12)} ${b.label.padEnd(labelWidth)}  ${value} (limit ${limit}; ${b.detail})`,
    );
  }
  if (results.sizes && !results.sizes.wasmIdentical) {
    lines.push(
      '  WARNING: the three packages ship different .wasm files; the size budgets judge the DM one',
    );
  }
  const m = results.machine;
  lines.push(
    '',
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.platform}, Node ${m.node}; ` +
      `load average ${m.loadavgStart.map((l) => l.toFixed(2)).join(' ')} → ${m.loadavgEnd.map((l) => l.toFixed(2)).join(' ')}; ` +
      `${results.durationS.toFixed(0)} s; build ${results.build?.gitHead?.slice(0, 7) ?? '?'}` +
      `${results.build?.uncommittedCoreChanges ? ` + ${results.build.uncommittedCoreChanges} uncommitted core files` : ''}`,
  );
  return lines.join('\n');
};

export const printTable = (results) => console.log(renderTable(results));
