#!/usr/bin/env node
// The measurement behind each build setting of the .wasm (Cargo.toml [profile.release], the
// wasm-opt flags, the allocator): the module built as it ships and once with each setting
// undone, its size raw and gzip -9, and the core's time per send (bench/core-loop.mjs --dirs,
// all builds in one process, alternating). `npm run build` first: the builds reuse dist/'s
// package files and the cargo and wasm-bindgen of the real build.
//
//   node bench/build-choices.mjs            # about 4 minutes on 2 cores
//   node bench/build-choices.mjs base opt-s # only these builds
//
// Every build happens in a scratch copy of src/, Cargo.toml, Cargo.lock and build.rs, with its
// own target directory; nothing in the repo changes. The table is printed and written to
// bench/results/build-choices-<timestamp>.json.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { benchDir, repoRoot } from './lib/setup.mjs';

// The wasm-opt flags of the shipped build: one place, Cargo.toml.
const cargoToml = await fs.readFile(path.join(repoRoot, 'Cargo.toml'), 'utf8');
const wasmOptLine = /^wasm-opt = (\[.*\])$/m.exec(cargoToml);
if (!wasmOptLine) throw new Error('no wasm-opt = [...] line in Cargo.toml');
const shippedWasmOpt = JSON.parse(wasmOptLine[1]);

/** Removes the per-package opt-level overrides (the hashing crates) from a Cargo.toml text. */
const withoutPackageOverrides = (text) => text.replace(/^\[profile\.release\.package\.[\w-]+\]\nopt-level = \d\n/gm, '');

/** Removes the `#[global_allocator]` item, so that std's default allocator (dlmalloc) is used. */
const withoutGlobalAllocator = (text) => text.replace(/#\[global_allocator\][\s\S]*?FreeListAllocator::new\(\)\) };\n/, '');

// name, what it undoes, cargo env overrides, source edits, wasm-opt flags (null: none).
const builds = [
  { name: 'base', what: 'as shipped', env: {}, edits: {}, wasmOpt: shippedWasmOpt },
  { name: 'lto-off', what: 'lto = false', env: { CARGO_PROFILE_RELEASE_LTO: 'false' }, edits: {}, wasmOpt: shippedWasmOpt },
  { name: 'cgu-16', what: 'codegen-units = 16', env: { CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '16' }, edits: {}, wasmOpt: shippedWasmOpt },
  { name: 'no-wasm-opt', what: 'no wasm-opt pass', env: {}, edits: {}, wasmOpt: null },
  { name: 'wasm-opt-O3', what: 'wasm-opt -O3 instead of -Oz', env: {}, edits: {}, wasmOpt: shippedWasmOpt.map((flag) => (flag === '-Oz' ? '-O3' : flag)) },
  { name: 'opt-s', what: 'opt-level = "s" (hashing crates still 3)', env: { CARGO_PROFILE_RELEASE_OPT_LEVEL: 's' }, edits: {}, wasmOpt: shippedWasmOpt },
  { name: 'opt-3', what: 'opt-level = 3 (hashing crates still 3)', env: { CARGO_PROFILE_RELEASE_OPT_LEVEL: '3' }, edits: {}, wasmOpt: shippedWasmOpt },
  { name: 'hash-z', what: 'hashing crates at "z" like the rest', env: {}, edits: { 'Cargo.toml': withoutPackageOverrides }, wasmOpt: shippedWasmOpt },
  { name: 'dlmalloc', what: "std's allocator instead of lol_alloc", env: {}, edits: { 'src/wasm.rs': withoutGlobalAllocator }, wasmOpt: shippedWasmOpt },
];

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!builds.some((build) => build.name === name)) throw new Error(`unknown build ${name}; known: ${builds.map((b) => b.name).join(', ')}`);
}
const chosen = wanted.length ? builds.filter((build) => wanted.includes(build.name)) : builds;

// The wasm-bindgen that wasm-pack installed for the version in Cargo.lock.
const lock = await fs.readFile(path.join(repoRoot, 'Cargo.lock'), 'utf8');
const bindgenVersion = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
const wasmBindgen = path.join(os.homedir(), '.cache', '.wasm-pack', `wasm-bindgen-cargo-install-${bindgenVersion}`, 'wasm-bindgen');
const wasmOpt = path.join(repoRoot, 'node_modules', '.bin', 'wasm-opt');
for (const [tool, file] of [['wasm-bindgen (run npm run build first)', wasmBindgen], ['wasm-opt (npm install)', wasmOpt]]) {
  await fs.access(file).catch(() => {
    throw new Error(`${tool} not found at ${file}`);
  });
}
const shippedPackage = path.join(repoRoot, 'dist', 'connector-aliyun-dm');
await fs.access(path.join(shippedPackage, 'lib', 'core.js')).catch(() => {
  throw new Error('dist/connector-aliyun-dm is missing: run npm run build first');
});

const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'aliyun-build-choices-'));
// Built package copies resolve @logto/connector-kit from here, as a package inside Logto would.
await fs.symlink(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'));
const run = (command, args, options = {}) => execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options });

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
      if (edited === text) throw new Error(`${build.name}: the edit of ${file} changed nothing (the source moved on?)`);
      await fs.writeFile(path.join(source, file), edited);
    }
    const target = path.join(source, 'target');
    run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--quiet'], {
      cwd: source,
      env: { ...process.env, ...build.env, CARGO_TARGET_DIR: target },
    });
    const packageDir = path.join(scratch, build.name);
    await fs.cp(shippedPackage, packageDir, { recursive: true });
    const pkg = path.join(packageDir, 'pkg');
    run(wasmBindgen, ['--target', 'nodejs', '--out-dir', pkg, path.join(target, 'wasm32-unknown-unknown', 'release', 'aliyun_connectors.wasm')]);
    const wasm = path.join(pkg, 'aliyun_connectors_bg.wasm');
    if (build.wasmOpt) run(wasmOpt, [wasm, '-o', wasm, ...build.wasmOpt]);
    await fs.rm(target, { recursive: true, force: true });
    const bytes = await fs.readFile(wasm);
    rows.push({ ...build, edits: Object.keys(build.edits), packageDir, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
    console.log(`[build-choices] ${build.name}: ${bytes.length} B (${Math.round((Date.now() - started) / 1000)} s)`);
  }

  const timesFile = path.join(scratch, 'times.json');
  run(process.execPath, [
    path.join(benchDir, 'core-loop.mjs'),
    `--dirs=${rows.map((row) => `${row.name}=${row.packageDir}`).join(',')}`,
    '--n=2000',
    '--batches=15',
    `--json=${timesFile}`,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const { figures } = JSON.parse(await fs.readFile(timesFile, 'utf8'));

  const base = rows.find((row) => row.name === 'base');
  const signed = (value) => (value > 0 ? `+${value}` : String(value));
  console.log(`\n${'build'.padEnd(13)}${'what it undoes'.padEnd(44)}${'raw B'.padStart(9)}${'vs base'.padStart(9)}${'gzip B'.padStart(8)}${'DM µs'.padStart(7)}${'SMS µs'.padStart(8)}`);
  for (const row of rows) {
    row.dmMicros = figures[row.name]['aliyun-dm'];
    row.smsMicros = figures[row.name]['aliyun-sms'];
    console.log(
      `${row.name.padEnd(13)}${row.what.padEnd(44)}${String(row.raw).padStart(9)}${(base ? signed(row.raw - base.raw) : '—').padStart(9)}` +
        `${String(row.gzip).padStart(8)}${row.dmMicros.toFixed(1).padStart(7)}${row.smsMicros.toFixed(1).padStart(8)}`,
    );
  }
  console.log('µs: core.sendMessage with an instant transport, median of 15 alternating batches of 2000 sends, all builds in one process.');
  const out = path.join(benchDir, 'results', `build-choices-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    `${JSON.stringify({ node: process.version, rows: rows.map(({ packageDir, ...row }) => row) }, null, 2)}\n`,
  );
  console.log(`[build-choices] written to ${path.relative(process.cwd(), out)}`);
} finally {
  await fs.rm(scratch, { recursive: true, force: true });
}
