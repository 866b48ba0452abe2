#!/usr/bin/env node
// Builds the Wasm core once and assembles the installable Logto connector packages:
//
//   pkg/                          wasm-pack output (CommonJS glue + .wasm), shared by all
//   dist/connector-aliyun-dm/     package.json, lib/ (the bundled shim), pkg/, READMEs, logo, docs/
//   dist/connector-aliyun-sms/    the same for SMS (and connector-aliyun-sms-auth/)
//   dist/connector-aliyun-*.tgz   `npm pack` of each, checked to contain the .wasm
//
// Usage: node scripts/build.mjs [--force]   (--force rebuilds the Wasm even when pkg/ is fresh)
// Run as a script, it first installs what the build needs and is missing (scripts/ensure-tools.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.join(root, 'pkg');
const distDir = path.join(root, 'dist');
const shimDir = path.join(root, 'js-shim');
const wasmFile = 'aliyun_connectors_bg.wasm';
const glueFile = 'aliyun_connectors.js';

/** The two packages: everything that differs between them. */
export const packages = Object.freeze([
  {
    kind: 'aliyun-dm',
    name: 'connector-aliyun-dm',
    description:
      'Logto email connector for Aliyun Direct Mail (SingleSendMail); a Rust core compiled to WebAssembly.',
    keywords: [
      'logto',
      'logto-connector',
      'aliyun',
      'alibaba-cloud',
      'direct-mail',
      'email',
      'webassembly',
    ],
  },
  {
    kind: 'aliyun-sms',
    name: 'connector-aliyun-sms',
    description:
      'Logto SMS connector for Aliyun Short Message Service (SendSms); a Rust core compiled to WebAssembly.',
    keywords: ['logto', 'logto-connector', 'aliyun', 'alibaba-cloud', 'sms', 'webassembly'],
  },
  {
    kind: 'aliyun-sms-auth',
    name: 'connector-aliyun-sms-auth',
    description:
      "Logto SMS connector for Aliyun's SMS authentication service (Dypnsapi SendSmsVerifyCode, system signatures, mainland China); a Rust core compiled to WebAssembly.",
    keywords: ['logto', 'logto-connector', 'aliyun', 'alibaba-cloud', 'sms', 'pnvs', 'webassembly'],
  },
]);

// Types shipped in every package's lib/; the code is one bundle, lib/index.js (bundleShim).
const sharedTypeFiles = ['core.d.ts', 'connector.d.ts', 'config-error.d.ts', 'types.d.ts'];
// What ships from the wasm-pack output: the glue, the module, the glue's types (its
// package.json points at them), and the package.json without
// "type" that keeps the glue CommonJS inside a "type": "module" package.
const pkgFiles = [glueFile, wasmFile, 'aliyun_connectors.d.ts', 'package.json'];
// Fields another helper may set in packaging/<kind>/package.json; the rest is fixed here.
const overridableFields = ['description', 'keywords', 'author', 'homepage', 'repository', 'bugs'];

const step = (message) => console.log(`[build] ${message}`);

export const distPackageDir = (name) => path.join(distDir, name);

/** Newest mtime (ms) under the given paths; missing paths count as 0. */
const newestMtime = (paths) =>
  Math.max(
    0,
    ...paths.flatMap((entry) => {
      if (!fs.existsSync(entry)) {
        return [];
      }
      const stat = fs.statSync(entry);
      if (!stat.isDirectory()) {
        return [stat.mtimeMs];
      }
      return [newestMtime(fs.readdirSync(entry).map((child) => path.join(entry, child)))];
    }),
  );

const mtimeOf = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);

const rustInputs = () =>
  ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs', '.cargo'].map((entry) => path.join(root, entry));

/**
 * True when every file we ship from pkg/ exists and the oldest is newer than every Rust input
 * (an interrupted wasm-pack can leave a new .wasm without its package.json).
 */
export const isPkgFresh = () =>
  Math.min(...pkgFiles.map((file) => mtimeOf(path.join(pkgDir, file)))) > newestMtime(rustInputs());

/** True when both tarballs are newer than pkg/, js-shim/, packaging/ and this script. */
export const isDistFresh = () => {
  const inputs = newestMtime([
    pkgDir,
    shimDir,
    path.join(root, 'packaging'),
    fileURLToPath(import.meta.url),
  ]);
  return packages.every(({ name }) => {
    const tarball = path.join(distDir, tarballName(name, packageVersion()));
    return mtimeOf(tarball) > inputs;
  });
};

/** The environment for tools: node_modules/.bin for binaryen's wasm-opt, ~/.cargo/bin for wasm-pack. */
export const toolEnv = () => ({
  ...process.env,
  PATH: [
    path.join(root, 'node_modules', '.bin'),
    path.join(os.homedir(), '.cargo', 'bin'),
    process.env.PATH,
  ].join(path.delimiter),
});

const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, {
    cwd: root,
    env: toolEnv(),
    stdio: 'inherit',
    ...options,
  });
  if (result.error) {
    throw new Error(
      `${command} could not start (${result.error.message}); run: bash scripts/ensure-tools.sh`,
    );
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return result;
};

const buildWasm = (force) => {
  if (!force && isPkgFresh()) {
    step(
      'wasm-pack: skipped, pkg/ is newer than src/, Cargo.toml and Cargo.lock (--force to rebuild)',
    );
    return;
  }
  step('wasm-pack build --target nodejs --out-dir pkg --release');
  run('wasm-pack', ['build', '--target', 'nodejs', '--out-dir', 'pkg', '--release']);
  // wasm-pack writes `*` into pkg/.gitignore; npm pack honours it and would drop the .wasm.
  fs.rmSync(path.join(pkgDir, '.gitignore'), { force: true });
};

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The crate version, as wasm-pack copied it from Cargo.toml into pkg/package.json. */
const packageVersion = () => {
  const file = path.join(pkgDir, 'package.json');
  return fs.existsSync(file) ? readJson(file).version : '0.0.0';
};

/** npm's tarball name for an unscoped package. */
const tarballName = (name, version) => `${name}-${version}.tgz`;

const copyFile = (from, to) => {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
};

const placeholderReadme = (name) =>
  `# ${name}\n\nSetup documentation has not been written yet; see the project README.\n`;

// A plain grey square: enough for the admin console until the real logo exists.
const placeholderLogo =
  '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48"><rect width="48" height="48" rx="8" fill="#8c8c8c"/></svg>\n';

/**
 * Copies packaging/<kind>/ (README*.md, logo.svg, docs/ and anything else there) except its
 * package.json, whose descriptive fields are merged instead. Returns the top-level names copied
 * and the package.json overrides.
 */
const copyPackagingAssets = (kind, name, target) => {
  const source = path.join(root, 'packaging', kind);
  if (!fs.existsSync(source)) {
    step(`${name}: packaging/${kind}/ is missing, writing a placeholder README.md and logo.svg`);
    fs.writeFileSync(path.join(target, 'README.md'), placeholderReadme(name));
    fs.writeFileSync(path.join(target, 'logo.svg'), placeholderLogo);
    return { copied: ['README.md', 'logo.svg'], overrides: {} };
  }
  const entries = fs.readdirSync(source).filter((entry) => entry !== 'package.json');
  for (const entry of entries) {
    fs.cpSync(path.join(source, entry), path.join(target, entry), { recursive: true });
  }
  const manifest = path.join(source, 'package.json');
  const extra = fs.existsSync(manifest) ? readJson(manifest) : {};
  const overrides = Object.fromEntries(
    overridableFields.filter((key) => key in extra).map((key) => [key, extra[key]]),
  );
  return { copied: entries, overrides };
};

/** package.json of a built package. Logto reads only `name` and `dependencies`; the rest is for npm. */
const manifestFor = ({ name, description, keywords }, version, files, overrides) => ({
  name,
  version,
  description,
  keywords,
  license: 'MPL-2.0',
  ...overrides,
  type: 'module',
  main: 'lib/index.js',
  types: 'lib/index.d.ts',
  files,
  // Only the kit, which Logto provides: `logto connector add` unpacks without installing
  // anything, so every other byte has to ship inside the package.
  dependencies: { '@logto/connector-kit': '^5.1.0' },
  // process.getBuiltinModule (js-shim/core.js) came in 20.16; Logto itself needs 22.14.
  engines: { node: '>=20.16' },
});

/** The core's metadata for `kind`, from the glue just built. */
const coreMetadata = (kind) => {
  const envelope = createRequire(import.meta.url)(
    path.join(pkgDir, 'aliyun_connectors.js'),
  ).getMetadata(kind);
  if (!envelope.ok) {
    throw new Error(
      `the core refused getMetadata('${kind}'): ${envelope.error.data.errorDescription}`,
    );
  }
  return envelope.value;
};

/**
 * The kind's shim as one ES module, lib/index.js: Logto imports it at start-up, and each module
 * file of a graph costs a resolve, a read and a parse (bench/README.md, "Cold start"). The kit
 * stays an import (the host's own), as zod would if anything imported it: it is never bundled.
 * `./metadata.json` becomes what the core's getMetadata answers, so createConnector needs no
 * Wasm instance (docs/contracts.md, "Metadata and start-up").
 */
const bundleShim = async (kind, outfile) => {
  const { build: esbuild } = await import('esbuild');
  const metadata = coreMetadata(kind);
  await esbuild({
    entryPoints: [path.join(shimDir, `${kind}.js`)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    charset: 'utf8',
    legalComments: 'none',
    external: ['@logto/connector-kit', 'zod'],
    logLevel: 'warning',
    plugins: [
      {
        name: 'core-metadata',
        setup: (on) => {
          on.onResolve({ filter: /^\.\/metadata\.json$/ }, () => ({
            path: kind,
            namespace: 'core-metadata',
          }));
          on.onLoad({ filter: /.*/, namespace: 'core-metadata' }, () => ({
            contents: JSON.stringify(metadata),
            loader: 'json',
          }));
        },
      },
    ],
  });
};

const assemblePackage = async (spec, version) => {
  const target = distPackageDir(spec.name);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.join(target, 'lib'), { recursive: true });

  for (const file of sharedTypeFiles) {
    copyFile(path.join(shimDir, file), path.join(target, 'lib', file));
  }
  await bundleShim(spec.kind, path.join(target, 'lib', 'index.js'));
  copyFile(path.join(shimDir, `${spec.kind}.d.ts`), path.join(target, 'lib', 'index.d.ts'));
  for (const file of pkgFiles) {
    copyFile(path.join(pkgDir, file), path.join(target, 'pkg', file));
  }
  const license = path.join(root, 'LICENSE');
  if (fs.existsSync(license)) {
    copyFile(license, path.join(target, 'LICENSE'));
  }

  const { copied, overrides } = copyPackagingAssets(spec.kind, spec.name, target);
  const files = [...new Set(['lib', 'pkg', ...copied])].sort();
  const manifest = manifestFor(spec, version, files, overrides);
  fs.writeFileSync(path.join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  step(`${spec.name}: assembled dist/${spec.name}/ (${files.join(', ')})`);
  return target;
};

/**
 * Checks what Logto will do with the package before anyone installs it: load lib/index.js, call
 * createConnector, and find the files the metadata points at (Logto inlines logo and readme, and
 * silently keeps the bare path when the file is missing).
 */
const checkLoads = async (spec, target) => {
  const { default: createConnector } = await import(
    pathToFileURL(path.join(target, 'lib', 'index.js')).href
  );
  const connector = await createConnector({
    getConfig: () => {
      throw new Error('not_implemented');
    },
  });
  const missing = ['logo', 'readme', 'configTemplate']
    .map((key) => connector.metadata[key])
    .filter((file) => typeof file === 'string' && !file.startsWith('http'))
    .filter((file) => !fs.existsSync(path.join(target, file)));
  if (missing.length > 0) {
    console.warn(
      `[build] WARNING ${spec.name}: metadata points at missing files: ${missing.join(', ')}`,
    );
  }
  step(`${spec.name}: loads; metadata id ${connector.metadata.id}, type ${connector.type}`);
};

const pack = (spec, target) => {
  const stdout = execFileSync('npm', ['pack', target, '--json', '--pack-destination', distDir], {
    cwd: root,
    env: toolEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [{ filename, size }] = JSON.parse(stdout);
  const tarball = path.join(distDir, filename);
  // Read the tarball itself, not npm's report of what it meant to pack.
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const required of [
    `package/pkg/${wasmFile}`,
    `package/pkg/${glueFile}`,
    'package/lib/index.js',
  ]) {
    if (!listing.includes(required)) {
      throw new Error(`${filename} lacks ${required}; npm pack dropped it`);
    }
  }
  step(`${spec.name}: packed dist/${filename} (${(size / 1024).toFixed(1)} KiB, .wasm included)`);
  return tarball;
};

export const build = async ({ force = false } = {}) => {
  // The load check below imports the packages, which need the kit from node_modules.
  if (!fs.existsSync(path.join(root, 'node_modules', '@logto', 'connector-kit'))) {
    throw new Error('node_modules is missing; run: bash scripts/ensure-tools.sh (or npm ci)');
  }
  buildWasm(force);
  if (!fs.existsSync(path.join(pkgDir, wasmFile))) {
    throw new Error(`pkg/${wasmFile} is missing after wasm-pack`);
  }
  fs.rmSync(path.join(pkgDir, '.gitignore'), { force: true });
  fs.mkdirSync(distDir, { recursive: true });
  const version = packageVersion();
  const tarballs = {};
  for (const spec of packages) {
    fs.rmSync(path.join(distDir, tarballName(spec.name, version)), { force: true });
    const target = await assemblePackage(spec, version);

    await checkLoads(spec, target);
    tarballs[spec.kind] = pack(spec, target);
  }
  return tarballs;
};

/** Paths of the built tarballs by kind, building first if anything is stale. */
export const ensureBuilt = async () => {
  if (isPkgFresh() && isDistFresh()) {
    const version = packageVersion();
    return Object.fromEntries(
      packages.map(({ kind, name }) => [kind, path.join(distDir, tarballName(name, version))]),
    );
  }
  return build();
};

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    // A fresh clone has no node_modules: install what is missing, as npm start and npm test do.
    run('bash', [path.join('scripts', 'ensure-tools.sh'), '--build']);
    await build({ force: process.argv.includes('--force') });
    step('done');
  } catch (error) {
    console.error(`[build] FAILED: ${error.message}`);
    process.exitCode = 1;
  }
}
