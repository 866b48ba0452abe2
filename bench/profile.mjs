#!/usr/bin/env node
// Where the time (and memory) of one of our sends goes: `node bench/profile.mjs [--quick]`.
// Not a benchmark (no contenders, no ratios): the evidence for what to optimise. Same path as
// bench/run.mjs: the sandbox on https://127.0.0.1:443 with a throw-away certificate, children
// with NODE_EXTRA_CA_CERTS and the DNS preload. Uses the built dist/ packages.
//
//   1. breakdown  per-send medians (µs) of each piece: JSON.stringify of the input, the core with
//                 an instant stub transport (split before/after the transport call), the real
//                 connector, the transport alone, plain fetch, fetch + AbortSignal.timeout, …
//   1b. throughput sends/s at 32 in flight: ours, the core with the shim's transport, plain
//                 fetch, fetch + AbortSignal.timeout, fetch + a cleared abort timer
//   2. cold       our marginal cold start piece by piece (fresh processes)
//   3. memory     RSS / heap / Wasm memory every few thousand sends, per variant, to find what grows
//   4. cpu        --cpu-prof of a send loop (ours, and plain fetch for reference), self time by
//                 category (Wasm, glue, shim, undici, TLS/net, GC, …) and the top functions
//
// Options: `node bench/profile.mjs --help`; an unknown one is refused before anything runs.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  benchDir,
  configs,
  makeCertificate,
  makeCounters,
  makeScratch,
  preloadUrl,
  repoRoot,
  sendData,
  startHttpsSandbox,
} from './lib/setup.mjs';
import { median } from './lib/stats.mjs';

const execFileAsync = promisify(execFile);

const help = `Usage: node bench/profile.mjs [--quick] [--option=value ...]
  --quick                      smaller counts, rougher figures
  --phases=a,b                 of breakdown,throughput,cold,memory,cpu (default: all)
  --n=N                        breakdown samples per variant (2000; --quick 500)
  --memory-sends=N             sends per memory variant (20000; --quick 8000)
  --memory-variants=a,b        which memory variants to run (default: all)
  --memory-concurrency=N       sends in flight in the memory phase (1)
  --cpu-sends=N                sends per CPU-profiled loop (5000; --quick 1500)
  --out=FILE                   where the JSON goes (default: bench/results/profile-<timestamp>.json)
  --help                       this text
`;
const known = new Set(['quick', 'phases', 'n', 'memory-sends', 'memory-variants', 'memory-concurrency', 'cpu-sends', 'out', 'help']);
const args = new Map(
  process.argv.slice(2).map((arg) => {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !known.has(m[1])) throw new Error(`unknown argument ${arg}\n\n${help}`);
    return [m[1], m[2] ?? true];
  }),
);
if (args.has('help')) {
  process.stdout.write(help);
  process.exit(0);
}
const quick = args.has('quick');
const phases = new Set(String(args.get('phases') ?? 'breakdown,throughput,cold,memory,cpu').split(','));
const n = Number(args.get('n') ?? (quick ? 500 : 2000));
const memorySends = Number(args.get('memory-sends') ?? (quick ? 8000 : 20000));
const cpuSends = Number(args.get('cpu-sends') ?? (quick ? 1500 : 5000));
const coldRuns = quick ? 5 : 10;

const started = Date.now();
const log = (line) => console.log(`[profile ${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s] ${line}`);
const us = (v) => (Number.isFinite(v) ? v.toFixed(1).padStart(8) : '       —');

const scratch = await makeScratch();
const certificate = await makeCertificate(scratch);
const counters = makeCounters();
const server = await startHttpsSandbox(certificate, counters);
const shared = { configs: configs(), sendData };

/** Runs profile-child.mjs the way bench children run, returns its JSON line. */
const child = async (childArgs, { cpuProfDir, stdin } = {}) => {
  const execArgv = ['--expose-gc', '--import', preloadUrl];
  if (cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, '--cpu-prof-interval=200');
  const { stdout } = await execFileAsync(
    process.execPath,
    [...execArgv, path.join(benchDir, 'lib', 'profile-child.mjs'), ...childArgs],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certificate.certFile,
        BENCH_SANDBOX_ADDR: server.address,
        BENCH_SANDBOX_PORT: String(server.port),
      },
      maxBuffer: 64 * 1024 * 1024,
      input: stdin,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1));
};

const report = { startedAt: new Date(started).toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), quick };

try {
  // ---- 1. breakdown ----------------------------------------------------------------------------
  if (phases.has('breakdown')) {
    log(`breakdown: ${n} sequential sends per piece and kind`);
    const rows = await child(['breakdown', JSON.stringify({ ...shared, kinds: ['aliyun-dm', 'aliyun-sms'], n, warmup: 300 })]);
    report.breakdown = rows;
    const lines = [
      ['input JSON bytes / request JSON bytes', 'inputBytes', 'requestBytes'],
      ['JSON.stringify(input) (what crossing the boundary as JSON costs on the JS side)', 'stringifyInput'],
      ['core.sendMessage with an instant stub transport (all Wasm + glue)', 'coreStub'],
      ['  … call → transport.send: planSend (input in, validate, render, sign, request out)', 'coreStubBeforeTransport'],
      ['  … send resolved → envelope: interpretSend (answer in, interpret, envelope out)', 'coreStubAfterTransport'],
      ['connector.sendMessage with fetch stubbed (everything but the network)', 'connectorStubFetch'],
      ['  (the stub: new Response(canned).text())', 'cannedResponse'],
      ['signing in JS (the sandbox signer, for scale)', 'signJs'],
      ['connector.sendMessage, real fetch (ours, as Logto calls it)', 'connectorReal'],
      ['core.sendMessage with the shim transport (real)', 'coreReal'],
      ['  … of which inside transport.send', 'coreRealInTransport'],
      ['transport.send alone (fetch + cleared abort timer + redirect: error)', 'transportReal'],
      ['plain fetch of a pre-signed request (the floor)', 'fetchPlain'],
      ['fetch + AbortSignal.timeout(10 s)', 'fetchTimeout'],
      ['fetch + redirect: manual', 'fetchRedirectManual'],
      ['fetch + redirect: error (no copy of the request)', 'fetchRedirectError'],
    ];
    console.log(`\n${'piece (median µs per send, variants interleaved)'.padEnd(84)}${'DM'.padStart(8)}  ${'SMS'.padStart(8)}`);
    for (const [label, key, key2] of lines) {
      const dm = rows['aliyun-dm'];
      const sms = rows['aliyun-sms'];
      if (key2) {
        console.log(`${label.padEnd(84)}${`${dm[key]}/${dm[key2]}`.padStart(8)}  ${`${sms[key]}/${sms[key2]}`.padStart(8)}`);
      } else {
        console.log(`${label.padEnd(84)}${us(dm[key])}  ${us(sms[key])}`);
      }
    }
    for (const kind of ['aliyun-dm', 'aliyun-sms']) {
      const r = rows[kind];
      const js = r.connectorStubFetch - r.cannedResponse - r.coreStub;
      console.log(
        `${kind}: ours − floor = ${(r.connectorReal - r.fetchPlain).toFixed(0)} µs ≈ core ${r.coreStub.toFixed(0)} ` +
          `(plan ${r.coreStubBeforeTransport.toFixed(0)} + interpret ${r.coreStubAfterTransport.toFixed(0)}) + connector/shim JS ${js.toFixed(0)} ` +
          `+ transport extras ${(r.transportReal - r.fetchPlain).toFixed(0)} (AbortSignal.timeout ${(r.fetchTimeout - r.fetchPlain).toFixed(0)}, redirect:manual ${(r.fetchRedirectManual - r.fetchPlain).toFixed(0)}, redirect:error ${(r.fetchRedirectError - r.fetchPlain).toFixed(0)})`,
      );
    }
    console.log('');
  }

  // ---- 1b. throughput at 32 in flight, per variant ---------------------------------------------
  // One fresh process per variant and round (rounds interleave the variants). Mixing all of them
  // in one Node 20 process crashed V8 (SIGTRAP "unreachable code" in the deoptimizer; see
  // bench/README.md), so they are kept apart.
  if (phases.has('throughput')) {
    report.throughput = {};
    const variantsToRun = ['ours', 'coreShimTransport', 'fetchPlain', 'fetchTimeout', 'fetchClearedTimer'];
    const rounds = quick ? 1 : 3;
    for (const kind of ['aliyun-dm', 'aliyun-sms']) {
      const rates = Object.fromEntries(variantsToRun.map((v) => [v, []]));
      for (let round = 0; round < rounds; round += 1) {
        for (const variant of variantsToRun.map((_, i) => variantsToRun[(i + round) % variantsToRun.length])) {
          const r = await child(['throughput', JSON.stringify({ ...shared, kind, variants: [variant], concurrency: 32, ms: quick ? 1000 : 1500, rounds: 1 })]);
          rates[variant].push(r[variant]);
        }
      }
      report.throughput[kind] = Object.fromEntries(variantsToRun.map((v) => [v, median(rates[v])]));
      log(
        `throughput ${kind} at 32 in flight (sends/s, median of ${rounds} rounds; the fetch variants sign in the loop): ` +
          Object.entries(report.throughput[kind]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '),
      );
    }
  }

  // ---- 2. cold start pieces ------------------------------------------------------------------
  if (phases.has('cold')) {
    const runs = [];
    const compiles = [];
    for (let i = 0; i < coldRuns; i += 1) {
      runs.push(await child(['cold']));
      compiles.push(await child(['compileOnly']));
    }
    const keys = Object.keys(runs[0]).filter((k) => k.endsWith('Ms'));
    report.cold = Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))]));
    report.cold.compileOnlyMs = median(compiles.map((r) => r.compileMs));
    report.cold.wasmBytes = runs[0].wasmBytes;
    log(
      `cold (median of ${coldRuns} fresh processes, ms): ` +
        Object.entries(report.cold)
          .map(([k, v]) => `${k} ${typeof v === 'number' && k.endsWith('Ms') ? v.toFixed(2) : v}`)
          .join(', '),
    );
  }

  // ---- 3. memory per variant -------------------------------------------------------------------
  if (phases.has('memory')) {
    report.memory = {};
    const step = Math.max(1000, Math.round(memorySends / 10));
    const memoryVariants = String(args.get('memory-variants') ?? 'coreStub,ours,coreShimTransport,fetchPlain,fetchTimeout').split(',');
    const memoryConcurrency = Number(args.get('memory-concurrency') ?? 1);
    for (const variant of memoryVariants) {
      let r;
      try {
        r = await child(['memory', variant, JSON.stringify({ ...shared, kind: 'aliyun-dm', sends: memorySends, step, warmup: 2000, concurrency: memoryConcurrency })]);
      } catch (error) {
        report.memory[variant] = { failed: crashSummary(error) };
        log(`memory ${variant.padEnd(12)} FAILED: ${crashSummary(error)}`);
        continue;
      }
      report.memory[variant] = r.points;
      const first = r.points[0];
      log(
        `memory ${variant.padEnd(12)} RSS MB ${r.points.map((p) => (p.rss / 1e6).toFixed(1)).join(' → ')}; ` +
          `heap MB ${r.points.map((p) => (p.heapUsed / 1e6).toFixed(1)).join(' → ')}` +
          (first.wasm === null ? '' : `; Wasm bytes ${r.points.map((p) => p.wasm).join(' → ')}`),
      );
    }
  }

  // ---- 4. CPU profile ----------------------------------------------------------------------------
  if (phases.has('cpu')) {
    report.cpu = {};
    for (const variant of ['ours', 'connectorStubFetch', 'coreStub', 'fetchPlain']) {
      const dir = path.join(scratch, `cpu-${variant}`);
      await fs.mkdir(dir, { recursive: true });
      const run = await child(['loop', variant, JSON.stringify({ ...shared, kind: 'aliyun-dm', sends: cpuSends })], { cpuProfDir: dir });
      const [file] = await fs.readdir(dir);
      const profile = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8'));
      const analysis = analyse(profile);
      report.cpu[variant] = { ...analysis, sends: run.sends, loopMs: run.ms };
      const keep = path.join(benchDir, 'results', `cpu-${variant}-${report.startedAt.replace(/[:.]/g, '-')}.cpuprofile`);
      await fs.copyFile(path.join(dir, file), keep);
      console.log(`\n--cpu-prof, ${variant} (aliyun-dm, ${run.sends} sequential sends, ${(run.ms / run.sends * 1000).toFixed(0)} µs/send; ${path.relative(process.cwd(), keep)})`);
      const total = analysis.totalUs;
      for (const [category, value] of Object.entries(analysis.categories).sort((a, b) => b[1] - a[1])) {
        console.log(`  ${category.padEnd(40)} ${(value / 1000).toFixed(0).padStart(7)} ms  ${((value / total) * 100).toFixed(1).padStart(5)} %`);
      }
      console.log('  top self time:');
      for (const f of analysis.top.slice(0, 15)) {
        console.log(`    ${(f.selfUs / 1000).toFixed(1).padStart(7)} ms  ${f.name.slice(0, 60).padEnd(60)} ${f.where}`);
      }
    }
  }
} finally {
  await server.sb.close();
  await fs.rm(scratch, { recursive: true, force: true });
}

const out = path.resolve(String(args.get('out') ?? path.join(benchDir, 'results', `profile-${report.startedAt.replace(/[:.]/g, '-')}.json`)));
await fs.writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
log(`profile written to ${path.relative(process.cwd(), out)}`);

/** One line for a child that died: the signal and V8's fatal message if any. */
function crashSummary(error) {
  const fatal = /Fatal error[^\n]*\n#\s*([^\n]+)/.exec(error?.stderr ?? '');
  const where = /\d: 0x[0-9a-f]+ (v8::internal::[^\n(]+)/.exec(error?.stderr ?? '');
  return `exit ${error?.code ?? error?.signal}${fatal ? `, V8 fatal "${fatal[1].trim()}"` : ''}${where ? ` in ${where[1]}` : ''} (see bench/README.md)`;
}

/** Self time per category and per function, from a V8 .cpuprofile. */
function analyse(profile) {
  const self = new Map(); // node id → µs
  const { samples, timeDeltas, nodes } = profile;
  for (let i = 0; i < samples.length; i += 1) {
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  }
  const categoryOf = ({ functionName, url }) => {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle (waiting for the sandbox)';
    if (functionName === '(program)') return '(program: V8/native, unattributed)';
    if (/JSToWasm|js-to-wasm|wasm-to-js/i.test(functionName)) return 'JS↔Wasm call wrappers';
    if (url.startsWith('wasm://') || /\.wasm/.test(url)) return 'Wasm core';
    if (url.endsWith('aliyun_connectors.js')) return 'wasm-bindgen glue';
    if (/\/lib\/(connector|core|transport|index)\.js$/.test(url)) return 'our shim (lib/*.js)';
    if (url.includes('undici')) return 'undici (fetch)';
    if (/node:(_tls|tls|internal\/tls|internal\/crypto|crypto)/.test(url)) return 'TLS / crypto (node)';
    if (/node:(net|internal\/net|internal\/stream|stream|internal\/streams|_http|http|events|internal\/event_target|internal\/abort_controller|internal\/timers|timers)/.test(url)) return 'net / streams / events / timers (node)';
    if (url.includes('sandbox/signature') || url.includes('profile-child')) return 'bench harness (signing, loop)';
    if (url.includes('@logto/connector-kit')) return 'connector-kit';
    if (url === '') return `native builtins (${functionName || 'anonymous'})`.startsWith('native builtins (JSON') ? 'JSON builtins' : 'other native builtins';
    if (url.startsWith('node:')) return 'other node internals';
    return 'other JS';
  };
  // Two Wasm modules run in a send: our core and undici's HTTP parser (llhttp). A Wasm frame
  // belongs to whichever JS frame called into Wasm: our glue, or undici.
  const parent = new Map();
  for (const node of nodes) for (const child of node.children ?? []) parent.set(child, node);
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const isWasm = ({ url }) => url.startsWith('wasm://') || /\.wasm/.test(url);
  const wasmOwner = (node) => {
    for (let n = parent.get(node.id); n; n = parent.get(n.id)) {
      const { url } = n.callFrame;
      if (url.endsWith('aliyun_connectors.js') || /\/lib\/core\.js$/.test(url)) return 'Wasm core (ours)';
      if (url.includes('undici')) return 'Wasm llhttp (undici)';
    }
    return 'Wasm (caller unknown)';
  };
  const categories = {};
  const functions = new Map();
  let totalUs = 0;
  for (const node of nodes) {
    const t = self.get(node.id) ?? 0;
    if (!t) continue;
    totalUs += t;
    const category = isWasm(node.callFrame) ? wasmOwner(byId.get(node.id)) : categoryOf(node.callFrame);
    categories[category] = (categories[category] ?? 0) + t;
    const where = node.callFrame.url ? `${node.callFrame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '…/')}:${node.callFrame.lineNumber + 1}` : '(native)';
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where}`;
    const entry = functions.get(key) ?? { name: node.callFrame.functionName || '(anonymous)', where, selfUs: 0 };
    entry.selfUs += t;
    functions.set(key, entry);
  }
  return { totalUs, categories, top: [...functions.values()].sort((a, b) => b.selfUs - a.selfUs).slice(0, 30) };
}
