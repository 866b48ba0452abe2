// One long-lived benchmark child per contender (ours, official, floor, floorTimeout). The parent spawns it
// with NODE_EXTRA_CA_CERTS (the throw-away certificate), `--import preload-dns.mjs` (the Aliyun
// names → the sandbox) and --expose-gc, then drives it over IPC one phase at a time, alternating
// contenders. Nothing here prints; results go back as messages.
//
//   ours, official: the installed packages, loaded with @logto/cli's loader as Logto core does
//                   (loadConnectorFactories, then buildRawConnector once per kind), and the
//                   measured call is `rawConnector.sendMessage(data)`.
//   floor:          `fetch(url, { method: 'POST', headers, body })` + `await response.text()` of
//                   requests signed before the phase (sandbox/signature.mjs), nothing else.
//   floorTimeout:   the floor plus an aborting 10 s deadline and `redirect: 'error'`, as our
//                   core asks of fetch (a reference, not a contender).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { probeWasmMemory } from '../../scripts/wasm-probe.mjs';
import { floorRequests } from './floor.mjs';

// Caught as the glue makes them, so before any package is loaded.
const wasmProbe = probeWasmMemory();

// ---- contenders ---------------------------------------------------------------------------
const quietly = async (action) => {
  const { log, info, warn } = console;
  console.log = () => {};
  console.info = () => {};
  console.warn = () => {};
  try {
    return await action();
  } finally {
    Object.assign(console, { log, info, warn });
  }
};

/** ours / official: { [kind]: () => Promise } through Logto's loader. */
const loadConnectors = async ({ connectorsDir, packageDirs, configs, sendData }) => {
  const { buildRawConnector, loadConnectorFactories } =
    await import('@logto/cli/lib/connector/index.js');
  const { getConnectorPackagesFromDirectory } = await import('@logto/cli/lib/utils.js');
  const packages = await getConnectorPackagesFromDirectory(connectorsDir);
  const factories = await quietly(() => loadConnectorFactories(packages, false));
  const senders = {};
  for (const [kind, dir] of Object.entries(packageDirs)) {
    const factory = factories.find(({ path }) => path === dir);
    if (!factory) {
      throw new Error(`Logto's loader did not load ${dir}`);
    }
    const config = configs[kind];
    const { rawConnector } = await buildRawConnector(
      factory,
      async () => config,
      undefined,
      async () => null, // Logto's getI18nEmailTemplate: no custom template stored
    );
    const data = sendData[kind];
    senders[kind] = () => rawConnector.sendMessage(data);
  }
  return senders;
};

// ---- phases --------------------------------------------------------------------------------
let contender;
let senders;
let floor;
let packageDirs = {};

const prepare = (kind, count) => floor?.presign(kind, count);

/** Sequential sends; returns each latency in ms. */
const latency = async ({ kind, count, warmup }) => {
  const send = senders[kind];
  prepare(kind, count + warmup);
  let errors = 0;
  let firstError;
  for (let i = 0; i < warmup; i += 1) {
    await send().catch((error) => {
      errors += 1;
      firstError ??= String(error?.message ?? error);
    });
  }
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    try {
      await send();
    } catch (error) {
      errors += 1;
      firstError ??= String(error?.message ?? error);
    }
    samples[i] = performance.now() - start;
  }
  floor?.release();
  return { samples: Array.from(samples), errors, firstError, sent: count + warmup };
};

/** `concurrency` loops sending back to back for `durationMs`; counts completions in the window. */
const throughput = async ({ kind, concurrency, durationMs, warmupMs, expectedRate }) => {
  const send = senders[kind];
  // Pool for the floor: the expected count with a wide margin (late signing is counted).
  prepare(
    kind,
    Math.ceil((((expectedRate ?? 5000) * (durationMs + warmupMs)) / 1000) * 1.5) + concurrency,
  );
  let errors = 0;
  let firstError;
  let sent = 0;
  const run = async (until, counter) => {
    const loops = Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        sent += 1;
        try {
          await send();
          if (performance.now() <= until) counter.done += 1;
        } catch (error) {
          errors += 1;
          firstError ??= String(error?.message ?? error);
        }
      }
    });
    await Promise.all(loops);
  };
  await run(performance.now() + warmupMs, { done: 0 });
  const counter = { done: 0 };
  const start = performance.now();
  await run(start + durationMs, counter);
  const drained = performance.now() - start;
  const signedLate = floor?.signedLate() ?? 0;
  floor?.release();
  return {
    completed: counter.done,
    durationMs,
    drainedMs: drained,
    errors,
    firstError,
    sent,
    signedLate,
  };
};

/** Resident KB of the process's mappings grouped by permissions (Linux only; else null). */
const residentByKind = () => {
  try {
    const text = readFileSync('/proc/self/smaps', 'utf8');
    const out = {};
    let key = null;
    for (const line of text.split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        const name = head[2] ? (head[2].startsWith('/') ? 'file' : head[2]) : 'anon';
        key = `${head[1]} ${name}`;
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss && key) out[key] = (out[key] ?? 0) + Number(rss[1]);
    }
    return out;
  } catch {
    return null;
  }
};

/**
 * Memory after two full collections and a pause: V8 hands freed pages back to the system from
 * background threads after gc() returns, so an RSS read at once can be tens of MB high.
 */
const snapshot = async () => {
  globalThis.gc?.();
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const usage = process.memoryUsage();
  return {
    residentKb: process.env.BENCH_SMAPS === '1' ? residentByKind() : undefined,
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    // Linear memory of each kind's core instance (ours only; null elsewhere).
    wasmMemory: Object.fromEntries(
      Object.entries(packageDirs).map(([kind, dir]) => [kind, wasmProbe.memoryOf(dir)]),
    ),
  };
};

/**
 * Memory before and after `sends` sends, spread over `kinds` in alternating chunks, at
 * `concurrency` in flight, after `warmup` sends done the same way.
 */
const memory = async ({ kinds, sends, warmup, concurrency, chunk = 1000, points = 10 }) => {
  let errors = 0;
  let firstError;
  const batch = async (count) => {
    // The floor signs each chunk before sending it, so its pool of bodies stays small.
    for (let done = 0, turn = 0; done < count; turn += 1) {
      const kind = kinds[turn % kinds.length];
      const size = Math.min(chunk, count - done);
      const send = senders[kind];
      prepare(kind, size);
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < size) {
            next += 1;
            await send().catch((error) => {
              errors += 1;
              firstError ??= String(error?.message ?? error);
            });
          }
        }),
      );
      done += size;
    }
    floor?.release();
  };
  await batch(warmup);
  const before = await snapshot();
  // Points on the way (gc before each), to tell a one-off step (a heap resize) from growth.
  const trajectory = [{ sends: 0, ...before }];
  const step = Math.ceil(sends / points);
  for (let done = 0; done < sends; done += step) {
    await batch(Math.min(step, sends - done));
    trajectory.push({ sends: Math.min(done + step, sends), ...(await snapshot()) });
  }
  const { sends: _, ...after } = trajectory.at(-1);
  return { before, after, trajectory, errors, firstError, sent: warmup + sends };
};

const handlers = {
  async init(message) {
    contender = message.contender;
    const start = performance.now();
    if (contender === 'floor' || contender === 'floorTimeout') {
      floor = floorRequests(message, { abortable: contender === 'floorTimeout' });
      senders = floor.senders;
    } else {
      packageDirs = message.packageDirs;
      senders = await loadConnectors(message);
    }
    return {
      loadMs: performance.now() - start,
      afterLoad: await snapshot(),
      node: process.version,
    };
  },
  latency,
  throughput,
  memory,
  dns: () => globalThis.__benchDnsRedirects?.() ?? null,
  memoryNow: () => snapshot(),
};

process.on('message', async (message) => {
  try {
    const result = await handlers[message.cmd](message);
    process.send({ id: message.id, ok: true, result });
  } catch (error) {
    process.send({ id: message.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true });
