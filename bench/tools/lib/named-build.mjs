// The release module as it ships, with its function names kept, as a loadable package: the same
// cargo build that wasm-pack runs (in target/bench-names/, so the regular build's cache is left
// alone), wasm-bindgen with --keep-debug, and wasm-opt with Cargo.toml's flags, minus
// --strip-debug (which drops the name section) plus -g (which keeps it).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { repoRoot } from '../../lib/inputs.mjs';

/** The wasm-opt flags of the shipped build, from Cargo.toml (their one home). */
export const shippedWasmOptFlags = async () => {
  const cargoToml = await fs.readFile(path.join(repoRoot, 'Cargo.toml'), 'utf8');
  const line = /^wasm-opt = (\[.*\])$/m.exec(cargoToml);
  if (!line) throw new Error('no wasm-opt = [...] line in Cargo.toml');
  return JSON.parse(line[1]);
};

/** The wasm-bindgen CLI that wasm-pack installed for the version in Cargo.lock. */
export const wasmBindgenCli = async () => {
  const lock = await fs.readFile(path.join(repoRoot, 'Cargo.lock'), 'utf8');
  const version = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
  const cli = path.join(
    os.homedir(),
    '.cache',
    '.wasm-pack',
    `wasm-bindgen-cargo-install-${version}`,
    'wasm-bindgen',
  );
  await fs.access(cli).catch(() => {
    throw new Error(`wasm-bindgen ${version} not found at ${cli}: run npm run build first`);
  });
  return cli;
};

export const wasmOptCli = path.join(repoRoot, 'node_modules', '.bin', 'wasm-opt');

const run = (command, args, options = {}) =>
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options });

/**
 * Builds the named module into `<scratch>/package` (a copy of dist/connector-aliyun-dm whose
 * pkg/ holds the named glue and .wasm; the shim is shared by the three kinds, which are chosen
 * per call) and returns the paths, with the shipped .wasm for comparison.
 */
export const buildNamedPackage = async (scratch, { log = () => {} } = {}) => {
  const shipped = path.join(repoRoot, 'dist', 'connector-aliyun-dm');
  await fs.access(path.join(shipped, 'lib', 'index.js')).catch(() => {
    throw new Error('dist/connector-aliyun-dm is missing: run npm run build first');
  });
  const targetDir = path.join(repoRoot, 'target', 'bench-names');
  log('cargo build --release --target wasm32-unknown-unknown (target/bench-names)');
  run('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown', '--quiet'], {
    cwd: repoRoot,
    // Cargo's default `strip = "debuginfo"` keeps the name section and drops std's DWARF, in
    // whose presence wasm-opt would skip passes and the code would differ from what ships.
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
  });
  const cargoWasm = path.join(
    targetDir,
    'wasm32-unknown-unknown',
    'release',
    'aliyun_connectors.wasm',
  );

  const bindgenOut = path.join(scratch, 'bindgen');
  log('wasm-bindgen --target nodejs --keep-debug');
  run(await wasmBindgenCli(), [
    '--target',
    'nodejs',
    '--keep-debug',
    '--out-dir',
    bindgenOut,
    cargoWasm,
  ]);
  const flags = (await shippedWasmOptFlags()).filter((flag) => flag !== '--strip-debug');
  const namedWasm = path.join(bindgenOut, 'aliyun_connectors_bg.wasm');
  log(`wasm-opt ${[...flags, '-g'].join(' ')}`);
  run(wasmOptCli, [namedWasm, '-o', namedWasm, ...flags, '-g']);

  const packageDir = path.join(scratch, 'package');
  await fs.cp(shipped, packageDir, { recursive: true });
  for (const file of ['aliyun_connectors.js', 'aliyun_connectors_bg.wasm']) {
    await fs.copyFile(path.join(bindgenOut, file), path.join(packageDir, 'pkg', file));
  }
  // The copy resolves @logto/connector-kit from here, as a package inside Logto would.
  await fs
    .symlink(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'))
    .catch(() => {});
  return {
    packageDir,
    namedWasm: path.join(packageDir, 'pkg', 'aliyun_connectors_bg.wasm'),
    shippedWasm: path.join(shipped, 'pkg', 'aliyun_connectors_bg.wasm'),
    wasmOptFlags: [...flags, '-g'],
  };
};
