// Static figures: the .wasm (raw and gzip), and what each installed package brings to a Logto
// instance on disk: its own files, and the run-time dependencies it pulls in (resolved the way
// Node does, from the installed directory upwards), apart from @logto/connector-kit and what it
// needs, which every Logto instance already has.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Files, apparent bytes and allocated bytes under `dir`, not descending into node_modules. */
export const treeSize = async (dir) => {
  let files = 0;
  let bytes = 0;
  let allocated = 0;
  const walk = async (current) => {
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') {
          await walk(full);
        }
      } else {
        const stat = await fs.lstat(full);
        files += 1;
        bytes += stat.size;
        allocated += stat.blocks * 512;
      }
    }
  };
  await walk(dir);
  return { files, bytes, allocated };
};

const readJson = async (file) => JSON.parse(await fs.readFile(file, 'utf8'));

/** Node's lookup of `name` from `fromDir`: the nearest node_modules/<name> upwards. */
const resolvePackage = async (name, fromDir) => {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    try {
      await fs.access(path.join(candidate, 'package.json'));
      return fs.realpath(candidate);
    } catch {
      // keep looking upwards
    }
    if (path.dirname(dir) === dir) {
      return null;
    }
  }
};

/** Every package reachable through `dependencies` (and installed optional ones) from `dir`. */
const closure = async (dir, { exclude = new Set() } = {}) => {
  const found = new Map(); // realpath → { name, version }
  const missing = [];
  const visit = async (packageDir) => {
    const manifest = await readJson(path.join(packageDir, 'package.json'));
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ];
    for (const name of names) {
      const resolved = await resolvePackage(name, packageDir);
      if (!resolved) {
        if (!(name in (manifest.optionalDependencies ?? {}))) missing.push(name);
        continue;
      }
      if (found.has(resolved) || exclude.has(resolved)) continue;
      const { version } = await readJson(path.join(resolved, 'package.json'));
      found.set(resolved, { name, version });
      await visit(resolved);
    }
  };
  await visit(dir);
  return { packages: found, missing };
};

const hostProvided = '@logto/connector-kit';

/** What one installed connector package brings. */
export const packageFootprint = async (packageDir) => {
  const manifest = await readJson(path.join(packageDir, 'package.json'));
  const own = await treeSize(packageDir);
  const direct = Object.keys(manifest.dependencies ?? {});
  const all = await closure(packageDir);
  // What the host already has: connector-kit and its own closure.
  const kitDir = await resolvePackage(hostProvided, packageDir);
  const kitClosure = kitDir ? await closure(kitDir) : { packages: new Map() };
  const hostSet = new Set([kitDir, ...kitClosure.packages.keys()].filter(Boolean));
  const brought = [...all.packages.entries()].filter(([dir]) => !hostSet.has(dir));
  let depFiles = 0;
  let depBytes = 0;
  let depAllocated = 0;
  for (const [dir] of brought) {
    const size = await treeSize(dir);
    depFiles += size.files;
    depBytes += size.bytes;
    depAllocated += size.allocated;
  }
  return {
    name: manifest.name,
    version: manifest.version,
    own,
    directDependencies: direct,
    transitiveDependencies: all.packages.size,
    // dependencies beyond what Logto already has (connector-kit and its closure)
    broughtDependencies: brought.map(([, { name, version }]) => `${name}@${version}`).sort(),
    withDependencies: {
      files: own.files + depFiles,
      bytes: own.bytes + depBytes,
      allocated: own.allocated + depAllocated,
    },
    missing: all.missing,
  };
};

/** The `gzip -9 -n` CLI's output size (GNU gzip deflates differently from zlib), or null. */
const gnuGzipSize = (file) => {
  try {
    return execFileSync('gzip', ['-9', '-n', '-c', file], { maxBuffer: 64 * 1024 * 1024 }).length;
  } catch {
    return null;
  }
};

/**
 * Raw and gzip size of a .wasm file, and its SHA-256. `gzip` is the larger of zlib at level 9
 * (Node's gzipSync, as npm packs) and the gzip CLI at -9, both kept.
 */
export const wasmSize = async (file) => {
  const bytes = await fs.readFile(file);
  const zlib = gzipSync(bytes, { level: 9 }).length;
  const gnu = gnuGzipSize(file);
  return {
    file,
    raw: bytes.length,
    gzip: Math.max(zlib, gnu ?? 0),
    gzipZlib: zlib,
    gzipCli: gnu,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
};
