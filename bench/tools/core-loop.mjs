#!/usr/bin/env node
// The core's cost per send, without any network: core.sendMessage of a built package
// (lib/core.js → pkg/) with a fetch that answers at once (tools/lib/instant.mjs), one send at a
// time, split at the fetch call (before: input across, config kept or validated, render, sign,
// request built; after: the Response read, the answer interpreted, the envelope written).
// For quick before/after numbers of a change to src/ or js-shim/core.js:
//
//   npm run build && node bench/tools/core-loop.mjs               # dist/connector-aliyun-*
//   node bench/tools/core-loop.mjs --dir=/path/to/a/built/package --n=20000 --batches=7
//   node bench/tools/core-loop.mjs --dirs=a=/path/one,b=/path/two  # several builds, alternating
//
// Prints, per kind, the median over batches of the mean µs per send. No sandbox, no TLS; the
// numbers still move with the machine's load, so compare runs made back to back, or better,
// with --dirs: every build is loaded into this one process (each its own Wasm instance) and
// their batches alternate, the order reversed every other round, so load drifts hit all alike
// (build-choices.mjs uses it).
import fs from 'node:fs/promises';
import path from 'node:path';

import { kindNames, kinds, repoRoot } from '../lib/inputs.mjs';
import { namedDirs, parseOptions } from '../lib/options.mjs';
import { median } from '../lib/stats.mjs';
import { instantTransport, loadCore, sendInput, sendOnce } from './lib/instant.mjs';

const help = `Usage: node bench/tools/core-loop.mjs [--option=value ...]

  --dir=PATH        one built package directory (default: dist/connector-<kind> per kind)
  --dirs=a=P,b=Q    several builds by name, alternating in one process
  --kinds=a,b       ${kindNames.join(',')}
  --n=N             sends per batch (10000)
  --batches=N       batches per kind and build (5)
  --json=FILE       also write the figures there (with --dirs)
`;
const options = parseOptions({
  env: {},
  help,
  spec: {
    dir: { kind: 'string' },
    dirs: { kind: 'string' },
    kinds: { kind: 'list', full: kindNames, allowed: kindNames },
    n: { kind: 'integer', full: 10_000 },
    batches: { kind: 'integer', full: 5 },
    json: { kind: 'string' },
  },
});

const dirs = namedDirs(options.dirs);

/** `run(count)` for one kind on the core of one built package: mean µs per send, split. */
const runnerFor = async (kind, dir) => {
  const core = await loadCore(dir);
  const marks = {};
  const transport = instantTransport(kind, marks);
  const input = sendInput(kind);
  return async (count) => {
    let total = 0;
    let before = 0;
    let after = 0;
    for (let i = 0; i < count; i += 1) {
      const start = performance.now();
      await sendOnce(core, kind, input(), transport);
      const end = performance.now();
      total += end - start;
      before += marks.fetched - start;
      after += end - marks.answered;
    }
    return {
      total: (total / count) * 1000,
      before: (before / count) * 1000,
      after: (after / count) * 1000,
    };
  };
};

const { n, batches } = options;
if (dirs.length === 0) {
  for (const kind of options.kinds) {
    const dir = options.dir ?? path.join(repoRoot, 'dist', kinds[kind].packageName);
    const run = await runnerFor(kind, dir);
    await run(Math.min(2000, n)); // warm-up
    const results = [];
    for (let b = 0; b < batches; b += 1) results.push(await run(n));
    console.log(
      `${kind.padEnd(16)} core.sendMessage ${median(results.map((r) => r.total)).toFixed(1)} µs/send ` +
        `(before fetch ${median(results.map((r) => r.before)).toFixed(1)}, after it ${median(results.map((r) => r.after)).toFixed(1)}; ` +
        `median of ${batches} × ${n}) — ${path.relative(process.cwd(), dir) || dir}`,
    );
  }
} else {
  const figures = {};
  for (const kind of options.kinds) {
    const runs = [];
    for (const [name, dir] of dirs) runs.push([name, await runnerFor(kind, dir)]);
    for (const [, run] of runs) await run(Math.min(2000, n)); // warm-up
    const totals = Object.fromEntries(runs.map(([name]) => [name, []]));
    for (let b = 0; b < batches; b += 1) {
      for (const [name, run] of b % 2 ? [...runs].reverse() : runs)
        totals[name].push((await run(n)).total);
    }
    for (const [name] of runs) (figures[name] ??= {})[kind] = median(totals[name]);
  }
  const columns = options.kinds.map((kind) => `${kinds[kind].short} µs`);
  console.log(
    `${'build'.padEnd(16)}${columns.map((c) => c.padStart(12)).join('')}   (median of ${batches} alternating batches × ${n})`,
  );
  for (const [name] of dirs) {
    console.log(
      `${name.padEnd(16)}${options.kinds.map((kind) => figures[name][kind].toFixed(1).padStart(12)).join('')}`,
    );
  }
  if (options.json) {
    await fs.writeFile(options.json, `${JSON.stringify({ n, batches, figures }, null, 2)}\n`);
  }
}
