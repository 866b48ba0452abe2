#!/usr/bin/env node
// What each crate costs: bytes of the shipped .wasm and µs of CPU per send.
//
//   node bench/tools/crate-costs.mjs            # the three kinds
//   node bench/tools/crate-costs.mjs --help
//
// Bytes: the release module built as it ships but with its name section kept
// (tools/lib/named-build.mjs; checked to be the shipped module byte for byte apart from that
// section), each function body attributed to a crate by its name (tools/lib/crates.mjs) and
// summed; the data section apart. µs per send: per kind, a child process under `node
// --cpu-prof` sends through core.sendMessage of that named build with a fetch that answers at
// once, `--concurrency` in flight (tools/lib/hot-loop.mjs); the self time of the samples inside
// the measured window, by crate for Wasm functions and by category for everything else, over
// the sends in the window. What the figures mean: bench/tools/README.md.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

import { benchDir, kindNames, kinds } from '../lib/inputs.mjs';
import { parseOptions } from '../lib/options.mjs';
import { closureShims, crateOf, serdeForOurs, specifiedCrates } from './lib/crates.mjs';
import { buildNamedPackage } from './lib/named-build.mjs';
import { readModule } from './lib/wasm-sections.mjs';

const execFileAsync = promisify(execFile);

const help = `Usage: node bench/tools/crate-costs.mjs [--option=value ...]

  --kinds=a,b         ${kindNames.join(',')}
  --sends=N           measured sends per kind (30000)
  --warmup=N          unprofiled-window sends before them (3000)
  --concurrency=N     sends in flight (32)
  --interval=N        --cpu-prof-interval in µs (100)
  --out=FILE          JSON (default bench/results/crate-costs-<timestamp>.json)
  --keep-profiles     copy the .cpuprofile files next to the JSON
`;
const options = parseOptions({
  env: {},
  help,
  spec: {
    kinds: { kind: 'list', full: kindNames, allowed: kindNames },
    sends: { kind: 'integer', full: 30_000 },
    warmup: { kind: 'integer', full: 3000 },
    concurrency: { kind: 'integer', full: 32 },
    interval: { kind: 'integer', full: 100 },
    out: { kind: 'string' },
    'keep-profiles': { kind: 'boolean', full: false },
  },
});

const started = Date.now();
const log = (line) =>
  console.log(
    `[crate-costs ${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s] ${line}`,
  );
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');

// ---- bytes -------------------------------------------------------------------------------------
/** The three metadata JSON texts build.rs compiles in, found in the data section by their start. */
const metadataBytes = (bytes, { start, end }) => {
  let total = 0;
  const marker = Buffer.from('{"id":"aliyun-');
  for (
    let at = bytes.indexOf(marker, start);
    at !== -1 && at < end;
    at = bytes.indexOf(marker, at + 1)
  ) {
    let depth = 0;
    let inString = false;
    for (let i = at; i < end; i += 1) {
      const c = bytes[i];
      if (inString) {
        if (c === 0x5c) i += 1;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b) depth += 1;
      else if (c === 0x7d && --depth === 0) {
        total += i + 1 - at;
        at = i;
        break;
      }
    }
  }
  return total;
};

const sizeByCrate = (bytes, module) => {
  const crates = new Map();
  for (const fn of module.functions) {
    const crate = crateOf(fn.name);
    const entry = crates.get(crate) ?? { functions: 0, bytes: 0, bodies: [], top: [] };
    entry.functions += 1;
    entry.bytes += fn.size;
    entry.bodies.push(bytes.subarray(fn.offset, fn.offset + fn.size));
    entry.top.push({ name: fn.name, size: fn.size });
    crates.set(crate, entry);
  }
  for (const entry of crates.values()) {
    // Each crate's bodies gzipped alone: a rough figure, gzip is not additive.
    entry.gzipAlone = gzipSync(Buffer.concat(entry.bodies), { level: 9 }).length;
    delete entry.bodies;
    entry.top = entry.top.sort((a, b) => b.size - a.size).slice(0, 5);
  }
  return crates;
};

// ---- µs per send -------------------------------------------------------------------------------
const categoryOf = ({ functionName: name, url }) => {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return '(program): V8 itself, unattributed';
  if (name === '(idle)') return '(idle)';
  if (/^(?:js-to-wasm|wasm-to-js)/.test(name)) return 'JS↔Wasm call wrappers';
  if (url.startsWith('wasm://')) return 'Wasm, not ours';
  if (url.endsWith('/pkg/aliyun_connectors.js')) return 'wasm-bindgen JS glue';
  if (/\/lib\/(?:core|connector|config-error|index)\.js$/.test(url)) return 'shim (lib/index.js)';
  if (url.endsWith('/tools/lib/instant.mjs')) {
    return name === 'fetch'
      ? 'harness: the instant fetch (makes the Response)'
      : "host transport: now, nonce, sleep (the shim's)";
  }
  if (url.includes('/bench/')) return 'harness: the send loop';
  if (/undici|webstreams|internal\/encoding|internal\/blob|js_transferable/.test(url))
    return 'host: Response and its body (undici, web streams)';
  if (/internal\/abort_controller|internal\/event_target/.test(url))
    return 'host: AbortController, AbortSignal';
  if (/timers/.test(url)) return 'host: timers (setTimeout, clearTimeout)';
  if (/crypto/.test(url)) return 'host: randomUUID';
  if (url === '') return 'V8 builtins (promises, JSON, strings, …)';
  return 'other JS and node internals';
};

/** Self µs per send inside the window, by crate (our Wasm) and by category (the rest). */
const attribute = (profile, { windowUs: [from, to], sends }) => {
  const { nodes, samples, timeDeltas, startTime } = profile;
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const times = [];
  for (let i = 0, t = startTime; i < samples.length; i += 1) {
    t += timeDeltas[i];
    times.push(t);
  }
  if (!(times[0] <= from && to <= times.at(-1))) {
    throw new Error(
      `the measured window [${from}, ${to}] is not inside the profile [${times[0]}, ${times.at(-1)}]`,
    );
  }
  const crates = {};
  const categories = {};
  const functions = new Map();
  let wasmUs = 0;
  let totalUs = 0;
  for (let i = 0; i + 1 < samples.length; i += 1) {
    if (times[i] < from || times[i] >= to) continue;
    const us = times[i + 1] - times[i];
    const { callFrame } = byId.get(samples[i]);
    totalUs += us;
    const wrapper = /^(?:js-to-wasm|wasm-to-js)/.test(callFrame.functionName);
    if (
      !wrapper &&
      callFrame.url.startsWith('wasm://') &&
      callFrame.url.includes('aliyun_connectors')
    ) {
      const crate = crateOf(callFrame.functionName);
      crates[crate] = (crates[crate] ?? 0) + us;
      wasmUs += us;
      functions.set(callFrame.functionName, (functions.get(callFrame.functionName) ?? 0) + us);
    } else {
      const category = categoryOf(callFrame);
      categories[category] = (categories[category] ?? 0) + us;
    }
  }
  const perSend = (object) =>
    Object.fromEntries(Object.entries(object).map(([k, v]) => [k, v / sends]));
  return {
    sends,
    windowMs: (to - from) / 1000,
    cpuUsPerSend: totalUs / sends,
    wasmUsPerSend: wasmUs / sends,
    crates: perSend(crates),
    categories: perSend(categories),
    topWasm: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, us]) => ({ name, usPerSend: us / sends })),
  };
};

const profileKind = async (scratch, packageDir, kind) => {
  const dir = path.join(scratch, `cpu-${kind}`);
  await fs.mkdir(dir);
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-interval=${options.interval}`,
      path.join(benchDir, 'tools', 'lib', 'hot-loop.mjs'),
      packageDir,
      kind,
      String(options.sends),
      String(options.warmup),
      String(options.concurrency),
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const run = JSON.parse(stdout.trim().split('\n').at(-1));
  const [file] = await fs.readdir(dir);
  const profile = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8'));
  if (options.keepProfiles) {
    await fs.copyFile(
      path.join(dir, file),
      path.join(benchDir, 'results', `crate-costs-${stamp}-${kind}.cpuprofile`),
    );
  }
  return { ...attribute(profile, run), wallUsPerSend: (run.wallMs * 1000) / run.sends };
};

// ---- main --------------------------------------------------------------------------------------
const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'aliyun-crate-costs-'));
try {
  log(
    `Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const build = await buildNamedPackage(scratch, { log });
  const named = await fs.readFile(build.namedWasm);
  const shipped = await fs.readFile(build.shippedWasm);
  const module = readModule(named);
  const shippedModule = readModule(shipped);
  if (!module.named) throw new Error('the built module has no name section');
  // The named build must be the shipped module plus its name section, byte for byte.
  const body = (bytes, { sections }) =>
    Buffer.concat(
      sections.filter((s) => s.name !== 'name').map((s) => bytes.subarray(s.end - s.size, s.end)),
    );
  const identical = body(named, module).equals(body(shipped, shippedModule));
  log(
    identical
      ? `named build = the shipped .wasm (${shipped.length} B) + a name section of ${named.length - shipped.length} B`
      : 'WARNING: the named build differs from dist/ beyond its name section (stale dist/? run npm run build): bytes are of the named build',
  );

  const sections = Object.fromEntries(shippedModule.sections.map((s) => [s.name, s.size]));
  const data = shippedModule.sections.find((s) => s.kind === 'data');
  const metadata = data ? metadataBytes(shipped, data) : 0;
  const crates = sizeByCrate(named, module);
  const codeBytes = sections.code ?? 0;

  const cpu = {};
  for (const kind of options.kinds) {
    log(
      `profiling ${kind}: ${options.sends} sends at ${options.concurrency} in flight after ${options.warmup} (--cpu-prof-interval=${options.interval})`,
    );
    cpu[kind] = await profileKind(scratch, build.packageDir, kind);
  }

  // ---- the table ---------------------------------------------------------------------------
  const others = [...crates.keys()]
    .filter((c) => !specifiedCrates.includes(c))
    .sort((a, b) => crates.get(b).bytes - crates.get(a).bytes);
  const cratesShown = [...specifiedCrates, ...others];
  const pct = (part, whole) => `${((part / whole) * 100).toFixed(1)} %`;
  const us = (value) => (value ? value.toFixed(2) : '0');
  const header = [
    'crate',
    'functions',
    'code B',
    'of code',
    'gzip alone',
    ...options.kinds.map((k) => `${kinds[k].short} µs`),
  ];
  const rows = [];
  for (const crate of cratesShown) {
    const c = crates.get(crate);
    rows.push([
      crate + (specifiedCrates.includes(crate) ? ' *' : ''),
      String(c?.functions ?? 0),
      String(c?.bytes ?? 0),
      c ? pct(c.bytes, codeBytes) : '—',
      String(c?.gzipAlone ?? 0),
      ...options.kinds.map((k) => us(cpu[k].crates[crate])),
    ]);
  }
  const codeSection = module.sections.find((s) => s.kind === 'code');
  const codeGzip = gzipSync(named.subarray(codeSection.start, codeSection.end), {
    level: 9,
  }).length;
  rows.push([
    'Wasm code, all crates',
    String(module.functions.length),
    String(codeBytes),
    '100 %',
    String(codeGzip),
    ...options.kinds.map((k) => us(cpu[k].wasmUsPerSend)),
  ]);
  const categories = [
    ...new Set(options.kinds.flatMap((k) => Object.keys(cpu[k].categories))),
  ].sort(
    (a, b) =>
      (cpu[options.kinds[0]].categories[b] ?? 0) - (cpu[options.kinds[0]].categories[a] ?? 0),
  );
  const hostRows = categories.map((category) => [
    category,
    '',
    '',
    '',
    '',
    ...options.kinds.map((k) => us(cpu[k].categories[category])),
  ]);
  hostRows.push([
    'main thread per send, every sample',
    '',
    '',
    '',
    '',
    ...options.kinds.map((k) => us(cpu[k].cpuUsPerSend)),
  ]);
  const all = [header, ...rows, ...hostRows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  console.log(
    ['', line(header), rule, ...rows.map(line), rule, ...hostRows.map(line), rule].join('\n'),
  );
  console.log(
    `* a crate issue 15 names. ${closureShims}: boxed closures' bodies (ours, mostly: the promise chain). ` +
      `${serdeForOurs}: serde derive's code for our types.`,
  );
  const other = shipped.length - (sections.code ?? 0) - (sections.data ?? 0);
  console.log(
    `.wasm ${shipped.length} B: code section ${sections.code} B, data section ${sections.data ?? 0} B ` +
      `(of which the metadata JSON of the three kinds ${metadata} B), everything else ${other} B ` +
      `(${shippedModule.sections
        .filter((s) => !['code', 'data'].includes(s.kind))
        .map((s) => `${s.name} ${s.size}`)
        .join(', ')}).`,
  );
  for (const kind of options.kinds) {
    console.log(
      `${kinds[kind].short} top Wasm functions, µs per send: ` +
        cpu[kind].topWasm
          .slice(0, 8)
          .map(({ name, usPerSend }) => `${us(usPerSend)} ${name.replace(/::h[0-9a-f]{16}$/, '')}`)
          .join('; '),
    );
  }

  const out = path.resolve(
    options.out ?? path.join(benchDir, 'results', `crate-costs-${stamp}.json`),
  );
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    `${JSON.stringify(
      {
        startedAt: new Date(started).toISOString(),
        node: process.version,
        loadavg: os.loadavg(),
        options,
        wasm: {
          raw: shipped.length,
          identicalToShippedButNames: identical,
          sections,
          metadataJsonBytes: metadata,
          wasmOptFlags: build.wasmOptFlags,
        },
        crates: Object.fromEntries(
          cratesShown.map((c) => [
            c,
            crates.get(c) ?? { functions: 0, bytes: 0, gzipAlone: 0, top: [] },
          ]),
        ),
        cpu,
      },
      null,
      2,
    )}\n`,
  );
  log(`written to ${path.relative(process.cwd(), out)}`);
} finally {
  await fs.rm(scratch, { recursive: true, force: true });
}
