#!/usr/bin/env node
// The measurement behind each build setting of the .wasm (Cargo.toml [profile.release], the
// wasm-opt flags, the allocator): the module built as it ships and once with each setting
// undone, its size raw and gzip, and the core's time per send (core-loop.mjs --dirs, all
// builds in one process, alternating). `npm run build` first: the builds reuse dist/'s package
// files and the wasm-bindgen of the real build.
//
//   node bench/tools/build-choices.mjs              # every build
//   node bench/tools/build-choices.mjs base opt-s   # only these builds
//
// Every build happens in a scratch copy of src/, Cargo.toml, Cargo.lock and build.rs; its
// target directory is kept under target/bench-choices/<build>, so a second run only rebuilds
// what changed. Nothing else in the repo changes. The table is printed and written to
// bench/results/build-choices-<timestamp>.json.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { benchDir, kindNames, kinds, repoRoot } from '../lib/inputs.mjs';
import { parseOptions } from '../lib/options.mjs';
import { wasmSize } from '../lib/sizes.mjs';
import { shippedWasmOptFlags, wasmBindgenCli, wasmOptCli } from './lib/named-build.mjs';

const shippedWasmOpt = await shippedWasmOptFlags();

/** Removes the per-package opt-level overrides (the hashing crates) from a Cargo.toml text. */
const withoutPackageOverrides = (text) =>
  text.replace(/^\[profile\.release\.package\.[\w-]+\]\nopt-level = \d\n/gm, '');

// name, what it undoes, cargo env overrides, source edits, wasm-opt flags (null: none).
const builds = [
  { name: 'base', what: 'as shipped', env: {}, edits: {}, wasmOpt: shippedWasmOpt },
  {
    name: 'lto-off',
    what: 'lto = false',
    env: { CARGO_PROFILE_RELEASE_LTO: 'false' },
    edits: {},
    wasmOpt: shippedWasmOpt,
  },
  {
    name: 'cgu-16',
    what: 'codegen-units = 16',
    env: { CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '16' },
    edits: {},
    wasmOpt: shippedWasmOpt,
  },
  { name: 'no-wasm-opt', what: 'no wasm-opt pass', env: {}, edits: {}, wasmOpt: null },
  {
    name: 'wasm-opt-O3',
    what: 'wasm-opt -O3 instead of -Oz',
    env: {},
    edits: {},
    wasmOpt: shippedWasmOpt.map((flag) => (flag === '-Oz' ? '-O3' : flag)),
  },
  {
    name: 'opt-s',
    what: 'opt-level = "s" (hashing crates still 3)',
    env: { CARGO_PROFILE_RELEASE_OPT_LEVEL: 's' },
    edits: {},
    wasmOpt: shippedWasmOpt,
  },
  {
    name: 'opt-3',
    what: 'opt-level = 3 (hashing crates still 3)',
    env: { CARGO_PROFILE_RELEASE_OPT_LEVEL: '3' },
    edits: {},
    wasmOpt: shippedWasmOpt,
  },
  {
    name: 'hash-z',
    what: 'hashing crates at "z" like the rest',
    env: {},
    edits: { 'Cargo.toml': withoutPackageOverrides },
    wasmOpt: shippedWasmOpt,
  },
];

const help = `Usage: node bench/tools/build-choices.mjs [build ...] [--n=N] [--batches=N]

  build ...      some of ${builds.map((b) => b.name).join(', ')} (default: all)
  --n=N          sends per timing batch (2000)
  --batches=N    alternating batches per build and kind (15)
`;
const options = parseOptions({
  env: {},
  help,
  positionals: true,
  spec: { n: { kind: 'integer', full: 2000 }, batches: { kind: 'integer', full: 15 } },
});
for (const name of options.positionals) {
  if (!builds.some((build) => build.name === name))
    throw new Error(`unknown build ${name}; known: ${builds.map((b) => b.name).join(', ')}`);
}
const chosen = options.positionals.length
  ? builds.filter((build) => options.positionals.includes(build.name))
  : builds;

const wasmBindgen = await wasmBindgenCli();
const shippedPackage = path.join(repoRoot, 'dist', 'connector-aliyun-dm');
await fs.access(path.join(shippedPackage, 'lib', 'index.js')).catch(() => {
  throw new Error('dist/connector-aliyun-dm is missing: run npm run build first');
});

const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'aliyun-build-choices-'));
// Built package copies resolve @logto/connector-kit from here, as a package inside Logto would.
await fs.symlink(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'));
const run = (command, args, runOptions = {}) =>
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], ...runOptions });

const rows = [];
try {
  for (const build of chosen) {
    const started = Date.now();
    const source = path.join(scratch, `src-${build.name}`);
    await fs.mkdir(source);
    for (const entry of ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs']) {
      await fs.cp(path.join(repoRoot, entry), path.join(source, entry), { recursive: true });
    }
    for (const [file, edit] of Object.entries(build.edits)) {
      const text = await fs.readFile(path.join(source, file), 'utf8');
      const edited = edit(text);
      if (edited === text)
        throw new Error(
          `${build.name}: the edit of ${file} changed nothing (the source moved on?)`,
        );
      await fs.writeFile(path.join(source, file), edited);
    }
    const target = path.join(repoRoot, 'target', 'bench-choices', build.name);
    run('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown', '--quiet'], {
      cwd: source,
      env: { ...process.env, ...build.env, CARGO_TARGET_DIR: target },
    });
    const packageDir = path.join(scratch, build.name);
    await fs.cp(shippedPackage, packageDir, { recursive: true });
    const pkg = path.join(packageDir, 'pkg');
    run(wasmBindgen, [
      '--target',
      'nodejs',
      '--out-dir',
      pkg,
      path.join(target, 'wasm32-unknown-unknown', 'release', 'aliyun_connectors.wasm'),
    ]);
    const wasm = path.join(pkg, 'aliyun_connectors_bg.wasm');
    if (build.wasmOpt) run(wasmOptCli, [wasm, '-o', wasm, ...build.wasmOpt]);
    const size = await wasmSize(wasm);
    rows.push({
      ...build,
      edits: Object.keys(build.edits),
      packageDir,
      raw: size.raw,
      gzip: size.gzip,
    });
    console.log(
      `[build-choices] ${build.name}: ${size.raw} B (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  }

  const timesFile = path.join(scratch, 'times.json');
  run(
    process.execPath,
    [
      path.join(benchDir, 'tools', 'core-loop.mjs'),
      `--dirs=${rows.map((row) => `${row.name}=${row.packageDir}`).join(',')}`,
      `--n=${options.n}`,
      `--batches=${options.batches}`,
      `--json=${timesFile}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const { figures } = JSON.parse(await fs.readFile(timesFile, 'utf8'));

  const base = rows.find((row) => row.name === 'base');
  const signed = (value) => (value > 0 ? `+${value}` : String(value));
  const kindColumns = kindNames.map((kind) => `${kinds[kind].short} µs`);
  console.log(
    `\n${'build'.padEnd(13)}${'what it undoes'.padEnd(44)}${'raw B'.padStart(9)}${'vs base'.padStart(9)}${'gzip B'.padStart(8)}` +
      kindColumns.map((c) => c.padStart(13)).join(''),
  );
  for (const row of rows) {
    row.micros = figures[row.name];
    console.log(
      `${row.name.padEnd(13)}${row.what.padEnd(44)}${String(row.raw).padStart(9)}${(base ? signed(row.raw - base.raw) : '—').padStart(9)}` +
        `${String(row.gzip).padStart(8)}${kindNames.map((kind) => row.micros[kind].toFixed(1).padStart(13)).join('')}`,
    );
  }
  console.log(
    `gzip: the larger of zlib -9 and gzip -9. µs: core.sendMessage with an instant fetch, median of ${options.batches} ` +
      `alternating batches of ${options.n} sends, all builds in one process.`,
  );
  const out = path.join(
    benchDir,
    'results',
    `build-choices-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    `${JSON.stringify({ node: process.version, rows: rows.map(({ packageDir, ...row }) => row) }, null, 2)}\n`,
  );
  console.log(`[build-choices] written to ${path.relative(process.cwd(), out)}`);
} finally {
  await fs.rm(scratch, { recursive: true, force: true });
}
