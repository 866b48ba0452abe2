#!/usr/bin/env node
// `npm run bench` (= `node bench/run.mjs`): our three connectors against the official
// @logto/connector-aliyun-dm, -sms and -sms-mas packages and against the floor (plain fetch of
// pre-signed requests), in one run, on this machine, over the same HTTPS path to the local
// sandbox. Never part of `npm test`. See bench/README.md for what each figure means.
//
//   node bench/run.mjs                 full run
//   node bench/run.mjs --quick         smoke run, same figures with smaller counts
//   node bench/run.mjs --help          every option (each also has a BENCH_* variable)
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { startWorker } from './lib/child.mjs';
import { hosts, installedVersion, kindNames, kinds, urlOf } from './lib/inputs.mjs';
import { parseOptions } from './lib/options.mjs';
import { budgetsOf, printTable } from './lib/report.mjs';
import {
  benchDir,
  configs,
  installContenders,
  makeCertificate,
  makeCounters,
  makeScratch,
  repoRoot,
  sendData,
  startHttpsSandbox,
} from './lib/setup.mjs';
import { packageFootprint, wasmSize } from './lib/sizes.mjs';
import { median, slope, summary } from './lib/stats.mjs';

const execFileAsync = promisify(execFile);

// ---- options -------------------------------------------------------------------------------
const allPhases = ['sizes', 'cold', 'latency', 'throughput', 'memory'];
const coldModes = ['logto', 'with-kit', 'standalone'];

// Full run (`quick` in brackets where it differs). Latency and throughput are split into short
// alternating rounds so that a burst of machine noise hits every contender (README, "Alternation").
const spec = {
  quick: { kind: 'boolean', full: false },
  'cold-runs': { kind: 'integer', full: 15, quick: 5 },
  'cold-modes': { kind: 'list', full: coldModes, allowed: coldModes },
  sends: { kind: 'integer', full: 2000, quick: 400 },
  'latency-rounds': { kind: 'integer', full: 20, quick: 2 },
  warmup: { kind: 'integer', full: 300, quick: 150 },
  concurrency: { kind: 'integer', full: 32 },
  'throughput-ms': { kind: 'integer', full: 5000, quick: 1000 },
  'throughput-rounds': { kind: 'integer', full: 5, quick: 2 },
  'memory-sends': { kind: 'integer', full: 20000, quick: 3000 },
  'memory-warmup': { kind: 'integer', full: 2000, quick: 1000 },
  'memory-concurrency': { kind: 'integer', full: 1 },
  kinds: { kind: 'list', full: kindNames, allowed: kindNames },
  phases: { kind: 'list', full: allPhases, allowed: allPhases },
  out: { kind: 'string' },
  'keep-samples': { kind: 'boolean', full: false },
};

const help = `Usage: node bench/run.mjs [--quick] [--option=value ...]   (npm run bench -- ...)

  --quick                  smaller counts (~2 min); figures are rougher         (BENCH_QUICK=1)
  --cold-runs=N            cold starts per contender/kind/mode      (BENCH_COLD_RUNS, 15)
  --cold-modes=a,b         ${coldModes.join(',')}      (BENCH_COLD_MODES; budget: logto)
  --sends=N                sequential sends per contender/kind      (BENCH_SENDS, 2000)
  --latency-rounds=N       alternating rounds those are split into  (BENCH_LATENCY_ROUNDS, 20)
  --warmup=N               unmeasured sends before the first round  (BENCH_WARMUP, 300)
  --concurrency=N          requests in flight for throughput        (BENCH_CONCURRENCY, 32)
  --throughput-ms=N        measured ms per contender/kind           (BENCH_THROUGHPUT_MS, 5000)
  --throughput-rounds=N    alternating rounds those are split into  (BENCH_THROUGHPUT_ROUNDS, 5)
  --memory-sends=N         sends between the memory snapshots       (BENCH_MEMORY_SENDS, 20000)
  --memory-warmup=N        sends before the first snapshot          (BENCH_MEMORY_WARMUP, 2000)
  --memory-concurrency=N   sends in flight in the memory phase      (BENCH_MEMORY_CONCURRENCY, 1)
  --kinds=a,b              ${kindNames.join(',')}   (BENCH_KINDS)
  --phases=a,b             ${allPhases.join(',')}   (BENCH_PHASES)
  --out=FILE               JSON results (default bench/results/<timestamp>.json; BENCH_OUT)
  --keep-samples           put every latency sample in the JSON     (BENCH_KEEP_SAMPLES=1)
`;

// ---- helpers ---------------------------------------------------------------------------------
const contenders = ['ours', 'official', 'floor'];
// The send phases (latency, throughput) also run a reference that is not a contender: the floor
// plus the aborting deadline and `redirect: 'error'` our core asks of fetch, to show what that
// safety costs apart from the rest of a send. No budget is judged against it.
const sendContenders = [...contenders, 'floorTimeout'];
/** The list in a different order each round, so none always runs first (or last). */
const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s`;
const log = (line) => console.log(`[bench ${elapsed()}] ${line}`);
const fmt = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const shortKind = (kind) => kinds[kind].short;

/** Growth of `key` over the whole trajectory, from its least-squares trend. */
const trendOver = (trajectory, key) => {
  const xs = trajectory.map((p) => p.sends);
  return (
    slope(
      xs,
      trajectory.map((p) => p[key]),
    ) *
    (xs.at(-1) - xs[0])
  );
};

const wasmOf = (packageDir) => path.join(packageDir, 'pkg', 'aliyun_connectors_bg.wasm');

// ---- phases ----------------------------------------------------------------------------------
const measureSizes = async (options, installed) => {
  const wasm = {};
  for (const kind of kindNames) {
    wasm[kind] = await wasmSize(wasmOf(installed.contenders.ours.packageDirs[kind]));
  }
  const packages = {};
  const tarballs = {};
  for (const contender of ['ours', 'official']) {
    packages[contender] = {};
    tarballs[contender] = {};
    for (const kind of options.kinds) {
      packages[contender][kind] = await packageFootprint(
        installed.contenders[contender].packageDirs[kind],
      );
      tarballs[contender][kind] = (await fs.stat(installed.tarballs[contender][kind])).size;
    }
  }
  // One module serves the three packages: the figures are of one file, checked to be one.
  const wasmIdentical = new Set(Object.values(wasm).map(({ sha256 }) => sha256)).size === 1;
  return { wasm: wasm['aliyun-dm'], wasmIdentical, wasmByKind: wasm, packages, tarballs };
};

/** One cold start in a fresh `node` (no preload, no extra CA: nothing but the imports). */
const coldOnce = async (mode, target, logtoModules) => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  const { stdout } = await execFileAsync(
    process.execPath,
    [path.join(benchDir, 'lib', 'cold.mjs'), mode, target, logtoModules],
    {
      cwd: repoRoot,
      env,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1));
};

const measureColdStarts = async (options, installed) => {
  const runs = {}; // runs[mode][contender][kind] = [{...}]; runs[mode].floor = [{...}]
  for (const mode of options.coldModes) {
    runs[mode] = { ours: {}, official: {}, floor: [] };
    for (const kind of options.kinds) {
      runs[mode].ours[kind] = [];
      runs[mode].official[kind] = [];
    }
  }
  for (let round = 0; round < options.coldRuns; round += 1) {
    for (const mode of rotate(options.coldModes, round)) {
      for (const contender of rotate(contenders, round)) {
        const { logtoModules, packageDirs } =
          installed.contenders[contender === 'floor' ? 'ours' : contender];
        if (contender === 'floor') {
          runs[mode].floor.push(await coldOnce(mode, 'floor', logtoModules));
          continue;
        }
        for (const kind of rotate(options.kinds, round)) {
          runs[mode][contender][kind].push(await coldOnce(mode, packageDirs[kind], logtoModules));
        }
      }
    }
  }
  const cold = { runs: options.coldRuns, modes: options.coldModes };
  for (const mode of options.coldModes) {
    cold[mode] = {
      floor: {
        preload: summary(runs[mode].floor.map((r) => r.preloadMs)),
        sinceStart: summary(runs[mode].floor.map((r) => r.sinceStartMs)),
      },
    };
    for (const contender of ['ours', 'official']) {
      cold[mode][contender] = {};
      for (const kind of options.kinds) {
        cold[mode][contender][kind] = {
          marginal: summary(runs[mode][contender][kind].map((r) => r.marginalMs)),
          sinceStart: summary(runs[mode][contender][kind].map((r) => r.sinceStartMs)),
        };
      }
    }
  }
  return cold;
};

/** What was measured: the .wasm's hash and the repo state, to tell runs of different builds apart. */
const buildIdentity = async (installed) => {
  const git = async (...gitArgs) => {
    try {
      return (await execFileAsync('git', gitArgs, { cwd: repoRoot })).stdout.trim();
    } catch {
      return null;
    }
  };
  const dirty = await git(
    'status',
    '--porcelain',
    '--',
    'src',
    'js-shim',
    'Cargo.toml',
    'Cargo.lock',
    'build.rs',
  );
  return {
    wasmSha256: (await wasmSize(wasmOf(installed.contenders.ours.packageDirs['aliyun-dm']))).sha256,
    gitHead: await git('rev-parse', 'HEAD'),
    uncommittedCoreChanges: dirty === null ? null : dirty.split('\n').filter(Boolean).length,
  };
};

// ---- main ------------------------------------------------------------------------------------
const main = async () => {
  const options = parseOptions({ spec, help });
  const phases = new Set(options.phases);
  log(
    `${options.quick ? 'quick' : 'full'} run on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; kinds ${options.kinds.join(', ')}; phases ${options.phases.join(', ')}`,
  );

  const scratch = await makeScratch();
  const cleanups = [() => fs.rm(scratch, { recursive: true, force: true })];
  const workers = [];
  const { positionals, ...recorded } = options;
  const results = {
    schema: 'aliyun-connectors-bench/2',
    startedAt: new Date(started).toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      totalMemory: os.totalmem(),
      loadavgStart: os.loadavg(),
    },
    options: recorded,
    contenders: {
      ours: `${kindNames.map((kind) => `dist/${kinds[kind].packageName}`).join(', ')} (this repo), installed with @logto/cli`,
      official: `${kindNames.map((kind) => `${kinds[kind].official} ${installedVersion(kinds[kind].official)}`).join(', ')} (npm), installed with @logto/cli`,
      floor:
        'fetch POST of the official parameters, signed before the phase (sandbox/signature.mjs), response read as text',
      floorTimeout:
        "the floor + an AbortController deadline (10 s, cleared) + redirect: 'error', as our core calls fetch",
    },
  };

  try {
    // -- setup: certificate, sandbox on :443, the two Logto-like instances -------------------
    const certificate = await makeCertificate(scratch);
    const counters = makeCounters();
    const server = await startHttpsSandbox(certificate, counters);
    cleanups.push(() => server.sb.close());
    const installed = await installContenders(scratch);
    for (const instance of installed.instances) {
      cleanups.push(() => fs.rm(instance, { recursive: true, force: true }));
    }
    results.build = await buildIdentity(installed);
    results.path = {
      urls: Object.fromEntries(kindNames.map((kind) => [kind, urlOf(kind)])),
      sandbox: `https://127.0.0.1:${server.port}/`,
      portRewritten: server.portRewritten,
      certificate: certificate.source,
    };
    log(
      `setup: sandbox on https://127.0.0.1:${server.port}/ (certificate from ${certificate.source}` +
        `${server.portRewritten ? `; port 443 unavailable (${server.port443}), the preload rewrites :443` : ''}); ` +
        `contenders installed with @logto/cli in ${installed.instances.length} Logto-like instances`,
    );

    // -- sizes ------------------------------------------------------------------------------------
    if (phases.has('sizes')) {
      results.sizes = await measureSizes(options, installed);
      const { wasm, packages, wasmIdentical } = results.sizes;
      log(
        `sizes: .wasm ${wasm.raw} B raw, gzip ${wasm.gzipZlib} B (zlib -9) / ${wasm.gzipCli ?? '—'} B (gzip -9 CLI) (${wasmIdentical ? 'the same file in the three packages' : 'WARNING: the packages ship different .wasm files'}); ` +
          options.kinds
            .map(
              (kind) =>
                `${shortKind(kind)} package ${packages.ours[kind].own.files} files / official ${packages.official[kind].withDependencies.files} with dependencies`,
            )
            .join(', '),
      );
    }

    // -- cold start -----------------------------------------------------------------------------
    if (phases.has('cold')) {
      const cold = await measureColdStarts(options, installed);
      results.coldStart = cold;
      for (const mode of options.coldModes) {
        log(
          `cold start, ${mode} (${options.coldRuns}× each, marginal median ours / official): ` +
            options.kinds
              .map(
                (kind) =>
                  `${shortKind(kind)} ${fmt(cold[mode].ours[kind].marginal.median, 1)} / ${fmt(cold[mode].official[kind].marginal.median, 1)} ms`,
              )
              .join(', ') +
            (mode === 'standalone'
              ? `; node alone ${fmt(cold[mode].floor.sinceStart.median, 1)} ms`
              : `; importing the preloaded modules ${fmt(cold[mode].floor.preload.median, 1)} ms`),
        );
      }
    }

    const sendPhases = ['latency', 'throughput', 'memory'].filter((p) => phases.has(p));
    if (sendPhases.length > 0) {
      // -- one long-lived worker per contender ----------------------------------------------------
      const byName = {};
      const allConfigs = configs();
      const pick = (object) =>
        Object.fromEntries(options.kinds.map((kind) => [kind, object[kind]]));
      for (const contender of sendContenders) {
        const worker = await startWorker({
          certFile: certificate.certFile,
          address: server.address,
          port: server.port,
        });
        workers.push(worker);
        const dirs = installed.contenders[contender];
        const init = await worker.call('init', {
          contender,
          ...(dirs
            ? { connectorsDir: dirs.connectorsDir, packageDirs: pick(dirs.packageDirs) }
            : {}),
          configs: pick(allConfigs),
          sendData: pick(sendData),
        });
        byName[contender] = { worker, init };
      }
      results.workers = Object.fromEntries(
        sendContenders.map((c) => [
          c,
          { loadMs: byName[c].init.loadMs, memoryAfterLoad: byName[c].init.afterLoad },
        ]),
      );
      log(
        `workers: ${sendContenders.map((c) => `${c} loaded in ${fmt(byName[c].init.loadMs, 0)} ms`).join(', ')}`,
      );

      // Every phase must reach the sandbox once per send, accepted: the same path for everyone.
      const sandboxSeen = Object.fromEntries(
        sendContenders.map((c) => [c, { sent: 0, delivered: 0, rejected: 0, other: 0 }]),
      );
      const call = async (contender, cmd, args) => {
        const mark = counters.mark();
        const result = await byName[contender].worker.call(cmd, args);
        // Let the sandbox log the last answers.
        await new Promise((resolve) => setImmediate(resolve));
        const seen = counters.since(mark);
        const tally = sandboxSeen[contender];
        tally.sent += result.sent ?? 0;
        tally.delivered += seen.delivered;
        tally.rejected += seen.rejected;
        tally.other += seen.fault + seen.other;
        if (result.errors > 0) {
          log(
            `WARNING: ${contender} ${cmd}: ${result.errors} failed sends, first: ${result.firstError}`,
          );
        }
        return result;
      };

      // -- latency: sequential sends, alternating rounds ----------------------------------------
      if (phases.has('latency')) {
        results.latency = {};
        const perRound = Math.ceil(options.sends / options.latencyRounds);
        for (const [k, kind] of options.kinds.entries()) {
          const samples = Object.fromEntries(sendContenders.map((c) => [c, []]));
          const rounds = Object.fromEntries(sendContenders.map((c) => [c, []]));
          for (let round = 0; round < options.latencyRounds; round += 1) {
            const count = Math.min(perRound, options.sends - round * perRound);
            for (const contender of rotate(sendContenders, round + k)) {
              const r = await call(contender, 'latency', {
                kind,
                count,
                // a full warm-up first; later rounds only re-open idle keep-alive connections
                warmup: round === 0 ? options.warmup : 30,
              });
              samples[contender].push(...r.samples);
              rounds[contender].push(median(r.samples));
            }
            // About four lines per kind: twenty would bury the rest.
            if (
              (round + 1) % Math.ceil(options.latencyRounds / 4) === 0 ||
              round + 1 === options.latencyRounds
            ) {
              log(
                `latency ${shortKind(kind)} round ${round + 1}/${options.latencyRounds} (${count} sends each): median ` +
                  sendContenders.map((c) => `${c} ${fmt(rounds[c].at(-1), 3)} ms`).join(', '),
              );
            }
          }
          results.latency[kind] = Object.fromEntries(
            sendContenders.map((c) => [
              c,
              {
                ...summary(samples[c]),
                roundMedians: rounds[c],
                ...(options.keepSamples ? { samples: samples[c] } : {}),
              },
            ]),
          );
        }
      }

      // -- throughput: `concurrency` in flight, alternating rounds ---------------------------
      if (phases.has('throughput')) {
        results.throughput = {};
        const roundMs = Math.ceil(options.throughputMs / options.throughputRounds);
        for (const [k, kind] of options.kinds.entries()) {
          const totals = Object.fromEntries(
            sendContenders.map((c) => [c, { completed: 0, ms: 0, rounds: [], signedLate: 0 }]),
          );
          for (let round = 0; round < options.throughputRounds; round += 1) {
            for (const contender of rotate(sendContenders, round + k)) {
              const r = await call(contender, 'throughput', {
                kind,
                concurrency: options.concurrency,
                durationMs: roundMs,
                // As for latency, a full warm-up first: whoever ran first after the latency phase
                // came out about a third slower in that round otherwise, whoever it was.
                warmupMs: round === 0 ? 1500 : 300,
                expectedRate: 4000,
              });
              const t = totals[contender];
              t.completed += r.completed;
              t.ms += r.durationMs;
              t.signedLate += r.signedLate;
              t.rounds.push((r.completed * 1000) / r.durationMs);
            }
            log(
              `throughput ${shortKind(kind)} round ${round + 1}/${options.throughputRounds} (${roundMs} ms at ${options.concurrency} in flight): ` +
                sendContenders.map((c) => `${c} ${fmt(totals[c].rounds.at(-1), 0)}/s`).join(', '),
            );
          }
          results.throughput[kind] = Object.fromEntries(
            sendContenders.map((c) => [
              c,
              {
                perSecond: (totals[c].completed * 1000) / totals[c].ms,
                completed: totals[c].completed,
                ms: totals[c].ms,
                roundRates: totals[c].rounds,
                ...(c === 'floor' || c === 'floorTimeout'
                  ? { signedDuringPhase: totals[c].signedLate }
                  : {}),
              },
            ]),
          );
        }
      }

      // -- memory: snapshots around N sends (the kinds alternating by chunks) -------------------
      if (phases.has('memory')) {
        results.memory = {};
        for (const contender of contenders) {
          const r = await call(contender, 'memory', {
            kinds: options.kinds,
            sends: options.memorySends,
            warmup: options.memoryWarmup,
            concurrency: options.memoryConcurrency,
          });
          const total = (snapshot) => {
            const values = Object.values(snapshot.wasmMemory).filter((v) => v !== null);
            return values.length ? values.reduce((a, b) => a + b, 0) : null;
          };
          const wasmBefore = total(r.before);
          const wasmAfter = total(r.after);
          results.memory[contender] = {
            sends: options.memorySends,
            before: r.before,
            after: r.after,
            // The least-squares trend over the 11 snapshots is the figure judged (one odd
            // reading cannot decide it); the plain difference of the end points is kept beside it.
            rssGrowth: trendOver(r.trajectory, 'rss'),
            rssGrowthEndpoints: r.after.rss - r.before.rss,
            heapUsedGrowth: trendOver(r.trajectory, 'heapUsed'),
            heapUsedGrowthEndpoints: r.after.heapUsed - r.before.heapUsed,
            externalGrowth: r.after.external - r.before.external,
            wasmMemoryBefore: wasmBefore,
            wasmMemoryAfter: wasmAfter,
            wasmMemoryGrowth: wasmAfter === null ? null : wasmAfter - wasmBefore,
            wasmMemoryMax: r.trajectory.reduce((max, p) => Math.max(max, total(p) ?? 0), 0) || null,
            trajectory: r.trajectory,
          };
          const m = results.memory[contender];
          log(
            `memory ${contender}: ${options.memorySends} sends → RSS trend ${fmt(m.rssGrowth / 2 ** 20)} MiB, end points ${fmt(m.rssGrowthEndpoints / 2 ** 20)} MiB ` +
              `(${r.trajectory.map((p) => fmt(p.rss / 2 ** 20, 1)).join(' → ')}), heap trend ${fmt(m.heapUsedGrowth / 2 ** 20)} MiB` +
              (wasmAfter === null
                ? ''
                : `, Wasm memory ${wasmBefore} → ${wasmAfter} B (${Object.entries(
                    r.after.wasmMemory,
                  )
                    .map(([kind, v]) => `${shortKind(kind)} ${v}`)
                    .join(', ')})`),
          );
        }
      }

      // -- proof of the same path -------------------------------------------------------------
      results.samePath = {};
      for (const contender of sendContenders) {
        const dns = await byName[contender].worker.call('dns');
        results.samePath[contender] = { dnsRedirects: dns, sandbox: sandboxSeen[contender] };
      }
      results.sandboxRejections = counters.rejectedCodes();
      log(
        `same path: ` +
          sendContenders
            .map((c) => {
              const { dnsRedirects: d, sandbox: s } = results.samePath[c];
              const lookups = hosts.reduce((sum, host) => sum + (d?.[host] ?? 0), 0);
              return `${c} ${lookups} lookups → ${d?.address}, sandbox accepted ${s.delivered}/${s.sent}`;
            })
            .join('; '),
      );
      for (const c of sendContenders) {
        const s = sandboxSeen[c];
        if (s.delivered !== s.sent || s.rejected > 0) {
          log(
            `WARNING: ${c}: the sandbox accepted ${s.delivered} of ${s.sent} sends (${s.rejected} rejected)`,
          );
        }
      }
    }
  } finally {
    for (const worker of workers) worker.stop();
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(() => {});
    }
  }

  results.machine.loadavgEnd = os.loadavg();
  results.finishedAt = new Date().toISOString();
  results.durationS = (Date.now() - started) / 1000;
  results.budgets = budgetsOf(results);

  printTable(results);

  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const out = path.resolve(options.out ?? path.join(benchDir, 'results', `${stamp}.json`));
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), out) || out}`);
};

main().catch((error) => {
  console.error(`[bench] failed: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
