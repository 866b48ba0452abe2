// The measuring side of bench/profile.mjs, in a child started like every bench child
// (NODE_EXTRA_CA_CERTS + the DNS preload + --expose-gc). Loads our built package straight from
// dist/ (lib/ and pkg/, as shipped) and prints one JSON line.
//
//   node … profile-child.mjs breakdown <json options>   where the time of one send goes
//   node … profile-child.mjs memory <variant> <json>    RSS / heap / Wasm memory over many sends
//   node … profile-child.mjs loop <variant> <json>      sends in a loop (run under --cpu-prof)
//   node … profile-child.mjs cold                       what our cold start is made of
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const packageDir = (kind) => path.join(repoRoot, 'dist', `connector-${kind}`);
const libUrl = (kind, file) => pathToFileURL(path.join(packageDir(kind), 'lib', file)).href;

const [mode, arg1, arg2] = process.argv.slice(2);
const options = JSON.parse((['breakdown', 'throughput'].includes(mode) ? arg1 : arg2) ?? '{}');
const { configs, sendData } = options;

const urls = { 'aliyun-dm': 'https://dm.aliyuncs.com/', 'aliyun-sms': 'https://dysmsapi.aliyuncs.com/' };
const canned = {
  'aliyun-dm': JSON.stringify({ EnvId: '600000000001', RequestId: randomUUID() }),
  'aliyun-sms': JSON.stringify({ Code: 'OK', Message: 'OK', BizId: '900000000001^0', RequestId: randomUUID() }),
};

const median = (values) => {
  const s = Float64Array.from(values).sort();
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `fn` warmup + n times sequentially; returns the median in µs. */
const timeIt = async (fn, n, warmup) => {
  for (let i = 0; i < warmup; i += 1) await fn();
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    await fn();
    samples[i] = (performance.now() - start) * 1000;
  }
  return median(samples);
};

/** The input connector.js builds for the core. */
const inputOf = (kind) => {
  const { to, type, payload } = sendData[kind];
  return { config: configs[kind], to, type, payload, template: null, nowMs: Date.now(), nonce: randomUUID() };
};

/** Requests as the floor sends them, signed now. */
const signer = async () => {
  const { signedForm } = await import(pathToFileURL(path.join(repoRoot, 'sandbox', 'signature.mjs')).href);
  const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const common = { Format: 'json', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0' };
  const dm = configs['aliyun-dm'];
  const sms = configs['aliyun-sms'];
  const params = {
    'aliyun-dm': () => ({
      Action: 'SingleSendMail', ...common, Version: '2015-11-23', AccessKeyId: dm.accessKeyId, RegionId: 'cn-hangzhou',
      AccountName: dm.accountName, ReplyToAddress: 'false', AddressType: '1', ToAddress: sendData['aliyun-dm'].to,
      FromAlias: dm.fromAlias, Subject: dm.templates[1].subject,
      HtmlBody: dm.templates[1].content.replaceAll('{{code}}', sendData['aliyun-dm'].payload.code),
      SignatureNonce: randomUUID(), Timestamp: timestamp(),
    }),
    'aliyun-sms': () => ({
      Action: 'SendSms', ...common, Version: '2017-05-25', AccessKeyId: sms.accessKeyId,
      PhoneNumbers: sendData['aliyun-sms'].to, SignName: sms.signName, TemplateCode: 'SMS_CN_SignIn',
      TemplateParam: JSON.stringify(sendData['aliyun-sms'].payload), SignatureNonce: randomUUID(), Timestamp: timestamp(),
    }),
  };
  return (kind) => signedForm('POST', params[kind](), configs[kind].accessKeySecret);
};

const headers = { 'content-type': 'application/x-www-form-urlencoded' };

/** The send functions the modes share. */
const variants = async (kind) => {
  const core = await import(libUrl(kind, 'core.js'));
  const { createFetchTransport } = await import(libUrl(kind, 'transport.js'));
  const { default: createConnector } = await import(libUrl(kind, 'index.js'));
  const connector = await createConnector({ getConfig: async () => configs[kind], getI18nEmailTemplate: async () => null });
  const sign = await signer();
  const realTransport = createFetchTransport();
  const stub = {
    send: async () => ({ status: 200, body: canned[kind] }),
    sleep: async () => {},
    stamp: () => ({ nowMs: Date.now(), nonce: randomUUID() }),
  };
  return {
    core,
    connector,
    /** The core with the shim's transport (what the connector runs, minus the connector). */
    coreShimTransport: async () => core.unwrap(await core.sendMessage(kind, inputOf(kind), realTransport)),
    fetchClearedTimer: async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 10_000);
      try {
        const response = await fetch(urls[kind], { method: 'POST', headers, body: sign(kind), signal: controller.signal });
        return await response.text();
      } finally {
        clearTimeout(timer);
      }
    },
    realTransport,
    stub,
    sign,
    /** The whole connector, real fetch. */
    ours: () => connector.sendMessage(sendData[kind]),
    /** The whole connector with fetch answering a canned Response at once: all but the network. */
    connectorStubFetch: async () => {
      const realFetch = globalThis.fetch;
      globalThis.fetch = async () => new Response(canned[kind], { status: 200, headers: { 'content-type': 'application/json' } });
      try {
        return await connector.sendMessage(sendData[kind]);
      } finally {
        globalThis.fetch = realFetch;
      }
    },
    /** The core alone (Wasm + glue + JSON across the boundary), no I/O. */
    coreStub: async () => core.unwrap(await core.sendMessage(kind, inputOf(kind), stub)),
    /** Plain fetch of a freshly signed request (signing included: it is not the floor). */
    fetchPlain: async () => {
      const response = await fetch(urls[kind], { method: 'POST', headers, body: sign(kind) });
      return response.text();
    },
    fetchTimeout: async () => {
      const response = await fetch(urls[kind], { method: 'POST', headers, body: sign(kind), signal: AbortSignal.timeout(10_000) });
      return response.text();
    },
  };
};

const gcTwice = () => {
  globalThis.gc?.();
  globalThis.gc?.();
};

// ---- modes -----------------------------------------------------------------------------------
/**
 * Times every variant the same number of times, interleaved in rounds (each round in a rotated
 * order) so machine noise spreads over all of them. `prepare(count)` runs before a variant's
 * round, untimed (the fetch variants sign their bodies there). Returns medians in µs.
 */
const interleaved = async (variantsByName, n, warmup, rounds = 10) => {
  const names = Object.keys(variantsByName);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) {
    const { prepare, run } = variantsByName[name];
    prepare?.(warmup);
    for (let i = 0; i < warmup; i += 1) await run();
  }
  const perRound = Math.ceil(n / rounds);
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names.map((_, i) => names[(i + round) % names.length])) {
      const { prepare, run, after } = variantsByName[name];
      prepare?.(perRound);
      for (let i = 0; i < perRound; i += 1) {
        const start = performance.now();
        await run();
        samples[name].push((performance.now() - start) * 1000);
        after?.();
      }
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name])]));
};

const breakdown = async () => {
  const n = options.n ?? 2000;
  const warmup = options.warmup ?? 300;
  const out = {};
  for (const kind of options.kinds) {
    const v = await variants(kind);
    const row = {};
    row.inputBytes = JSON.stringify(inputOf(kind)).length;

    // -- CPU-only pieces: no network --------------------------------------------------------
    // The core with an instant stub transport, split at the transport call: before = planSend
    // (input across the boundary, validation, template, signing, the request back to JS);
    // after = interpretSend (the answer across, interpretation, the envelope back).
    let sendAt = 0;
    let resumedAt = 0;
    let requestText = '';
    const pre = [];
    const post = [];
    const splitStub = {
      ...v.stub,
      send: async (req) => {
        sendAt = performance.now();
        requestText ||= JSON.stringify(req);
        const answer = { status: 200, body: canned[kind] };
        resumedAt = performance.now();
        return answer;
      },
    };
    // The whole connector (Logto's call) with fetch replaced by an instant canned Response:
    // everything we run per send except the network.
    const realFetch = globalThis.fetch;
    const stubFetch = async () => new Response(canned[kind], { status: 200, headers: { 'content-type': 'application/json' } });
    const cpu = await interleaved(
      {
        stringifyInput: { run: () => JSON.stringify(inputOf(kind)) },
        coreStub: {
          run: async () => {
            const start = performance.now();
            const envelope = await v.core.sendMessage(kind, inputOf(kind), splitStub);
            const end = performance.now();
            v.core.unwrap(envelope);
            pre.push((sendAt - start) * 1000);
            post.push((end - resumedAt) * 1000);
          },
        },
        connectorStubFetch: {
          run: async () => {
            globalThis.fetch = stubFetch;
            try {
              await v.ours();
            } finally {
              globalThis.fetch = realFetch;
            }
          },
        },
        cannedResponse: { run: async () => (await stubFetch()).text() },
        signJs: { run: () => v.sign(kind) },
      },
      n,
      warmup,
    );
    Object.assign(row, cpu);
    row.coreStubBeforeTransport = median(pre.slice(warmup));
    row.coreStubAfterTransport = median(post.slice(warmup));
    row.requestBytes = requestText.length;

    // -- the real path, interleaved ----------------------------------------------------------
    const inTransport = [];
    const timedTransport = {
      ...v.realTransport,
      send: async (req) => {
        const start = performance.now();
        const result = await v.realTransport.send(req);
        inTransport.push((performance.now() - start) * 1000);
        return result;
      },
    };
    const pool = [];
    const fill = (count) => {
      pool.length = 0;
      for (let i = 0; i < count; i += 1) pool.push(v.sign(kind));
    };
    const postFetch = async (init) => {
      const response = await fetch(urls[kind], { method: 'POST', headers, body: pool.pop(), ...init });
      return response.text();
    };
    const real = await interleaved(
      {
        connectorReal: { run: v.ours },
        coreReal: { run: async () => v.core.unwrap(await v.core.sendMessage(kind, inputOf(kind), timedTransport)) },
        transportReal: {
          prepare: fill,
          run: () => v.realTransport.send({ method: 'POST', url: urls[kind], headers, body: pool.pop(), timeoutMs: 10_000 }),
        },
        fetchPlain: { prepare: fill, run: () => postFetch({}) },
        fetchTimeout: { prepare: fill, run: () => postFetch({ signal: AbortSignal.timeout(10_000) }) },
        fetchRedirectManual: { prepare: fill, run: () => postFetch({ redirect: 'manual' }) },
        fetchRedirectError: { prepare: fill, run: () => postFetch({ redirect: 'error' }) },
      },
      n,
      warmup,
    );
    Object.assign(row, real);
    row.coreRealInTransport = median(inTransport.slice(warmup));
    out[kind] = row;
  }
  return out;
};

/** After two full collections and a pause (V8 returns freed pages from background threads). */
const snapshot = async (core) => {
  gcTwice();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, wasm: core?.__testing?.exports()?.memoryBytes?.() ?? null };
};

const runConcurrent = async (fn, count, concurrency) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        await fn();
      }
    }),
  );
};

const memory = async () => {
  const kind = options.kind ?? 'aliyun-dm';
  const v = await variants(kind);
  const fn = v[arg1];
  if (!fn) throw new Error(`unknown variant ${arg1}`);
  const step = options.step ?? 4000;
  const points = [];
  await runConcurrent(fn, options.warmup ?? 2000, options.concurrency ?? 32);
  points.push({ sends: 0, ...(await snapshot(v.core)) });
  for (let done = 0; done < options.sends; done += step) {
    await runConcurrent(fn, step, options.concurrency ?? 32);
    points.push({ sends: done + step, ...(await snapshot(v.core)) });
  }
  return { variant: arg1, kind, points };
};

const loop = async () => {
  const kind = options.kind ?? 'aliyun-dm';
  const v = await variants(kind);
  const fn = v[arg1];
  for (let i = 0; i < (options.warmup ?? 300); i += 1) await fn();
  const start = performance.now();
  for (let i = 0; i < options.sends; i += 1) await fn();
  return { variant: arg1, kind, sends: options.sends, ms: performance.now() - start };
};

/** Our marginal cold start, piece by piece (connector-kit imported first, as in Logto). */
const cold = async () => {
  const t0 = performance.now();
  await import('@logto/connector-kit');
  const t1 = performance.now();
  const fs = await import('node:fs');
  const wasmFile = path.join(packageDir('aliyun-dm'), 'pkg', 'aliyun_connectors_bg.wasm');
  const bytes = fs.readFileSync(wasmFile);
  const t2 = performance.now();
  // Compiling a copy first would let V8's in-process module cache serve the glue's compile, so
  // this process compiles once: the glue's own require, timed whole, then the shim on top.
  const require = createRequire(import.meta.url);
  const t3 = performance.now();
  const glue = require(path.join(packageDir('aliyun-dm'), 'pkg', 'aliyun_connectors.js'));
  const t4 = performance.now();
  const { default: createConnector } = await import(libUrl('aliyun-dm', 'index.js'));
  const t5 = performance.now();
  await createConnector({ getConfig: async () => ({}) });
  const t6 = performance.now();
  glue.getMetadata('aliyun-dm');
  const t7 = performance.now();
  // A second compile of the same bytes in a new Module (served from no cache only if it differs).
  const t8 = performance.now();
  new WebAssembly.Module(bytes);
  const t9 = performance.now();
  return {
    wasmBytes: bytes.length,
    kitImportMs: t1 - t0,
    readWasmMs: t2 - t1,
    glueRequireMs: t4 - t3, // read + compile + instantiate + __wbindgen_start
    shimImportMs: t5 - t4, // lib/*.js ESM (the glue is cached by then)
    createConnectorMs: t6 - t5, // first call: getMetadata across the boundary + JSON.parse
    getMetadataAgainMs: t7 - t6,
    recompileMs: t9 - t8,
  };
};

const compileOnly = async () => {
  const fs = await import('node:fs');
  const bytes = fs.readFileSync(path.join(packageDir('aliyun-dm'), 'pkg', 'aliyun_connectors_bg.wasm'));
  const t0 = performance.now();
  const module = new WebAssembly.Module(bytes);
  const t1 = performance.now();
  return { compileMs: t1 - t0, exports: WebAssembly.Module.exports(module).length };
};

/** `concurrency` in flight for `ms` per variant, variants interleaved in rounds: sends/s. */
const throughput = async () => {
  const kind = options.kind ?? 'aliyun-dm';
  const v = await variants(kind);
  const names = options.variants;
  const totals = Object.fromEntries(names.map((name) => [name, { done: 0, ms: 0 }]));
  const runFor = async (fn, ms) => {
    const until = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: options.concurrency ?? 32 }, async () => {
        while (performance.now() < until) {
          await fn();
          if (performance.now() <= until) done += 1;
        }
      }),
    );
    return done;
  };
  for (const name of names) await runFor(v[name], 300);
  for (let round = 0; round < (options.rounds ?? 4); round += 1) {
    for (const name of names.map((_, i) => names[(i + round) % names.length])) {
      totals[name].done += await runFor(v[name], options.ms ?? 1000);
      totals[name].ms += options.ms ?? 1000;
    }
  }
  return Object.fromEntries(names.map((name) => [name, (totals[name].done * 1000) / totals[name].ms]));
};

const modes = { breakdown, memory, loop, cold, compileOnly, throughput };
const result = await modes[mode]();
process.stdout.write(`${JSON.stringify(result)}\n`);
