// Random hostile values through the Wasm boundary, from JS, the way Logto can reach it: the
// installed connectors' configGuard.safeParse and sendMessage (data, `to`, `type`, `payload`,
// the config given as inputConfig or returned by getConfig, getI18nEmailTemplate returning
// hostile templates or throwing), the raw Wasm exports the shim calls, and hostile provider
// answers from a local HTTP server (random statuses, random bytes, huge and truncated bodies,
// JSON of the wrong shape, resets). Every safeParse returns {success: boolean}; every
// sendMessage settles, resolves only with a success the server really sent, and otherwise
// rejects with the host's ConnectorError; nothing ever traps (no WebAssembly.RuntimeError, no
// module reload).
//
//   FUZZ_SEED=<n>        replay a run (the seed is printed)
//   FUZZ_ITERATIONS=<n>  iterations (default 1000: about 10 s)
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

import { logtoHost } from '../js/host.mjs';
import { describeRejection, isConnectorError, recognisable, settleWithin, tally, watchTraps } from './support.mjs';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1000);
const IN_FLIGHT = 16;
const SETTLE_MS = 30_000;
const SECRET = recognisable('SECRET');
const TOKEN = recognisable('TOKEN');
const MB = 1024 * 1024;

// ─── seeded randomness ──────────────────────────────────────────────────────────────────────

/** mulberry32: small, fast, good enough to pick cases; one stream per use so runs replay. */
const prng = (seed) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const makeRandom = (seed) => {
  const next = prng(seed);
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
  return r;
};

// ─── hostile values ─────────────────────────────────────────────────────────────────────────

/** Text made of code units that break things: lone surrogates, astral pairs, controls, CJK. */
const randomText = (r, maxLength = 40) => {
  const length = r.int(maxLength + 1);
  let text = '';
  for (let i = 0; i < length; i += 1) {
    switch (r.int(9)) {
      case 0:
        text += String.fromCharCode(0xd800 + r.int(0x800)); // a lone surrogate (either half)
        break;
      case 1:
        text += String.fromCodePoint(0x10000 + r.int(0xfffff)); // astral
        break;
      case 2:
        text += String.fromCharCode(r.int(0x20)); // control
        break;
      case 3:
        text += String.fromCharCode(0x4e00 + r.int(0x5000)); // CJK
        break;
      case 4:
        text += r.pick(['{{', '}}', '{{code}}', '%', '&', '=', '+', '\\', '"', "'", '<', '>', '\u2028', '\uFEFF', '\u202E', '\0', 'é', '한', '😀', '𠮷']);
        break;
      default:
        text += String.fromCharCode(0x20 + r.int(0x5f));
    }
  }
  return text;
};

const WORDS = ['', ' ', 'SignIn', 'Register', 'ForgotPassword', 'Generic', 'BindMfa', 'Unknown', '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'toJSON', 'then', 'length', '{{code}}', 'aliyun-dm', 'aliyun-sms', 'text/plain', 'zh-CN', 'en', 'http://127.0.0.1:1/', 'https://example.com/', 'user@example.com', '13912345678', 'a@b.co,c@d.co'];

/** Something to throw: errors, and things that are not errors and resist being printed. */
const hostileThrown = (r) => {
  switch (r.int(10)) {
    case 0:
      return new Error(randomText(r, 20));
    case 1:
      return new TypeError('boom');
    case 2:
      return Object.create(null);
    case 3:
      return {
        toString() {
          throw new Error('toString throws');
        },
      };
    case 4:
      return Symbol('thrown');
    case 5:
      return undefined;
    case 6:
      return 42n;
    case 7:
      return new Proxy(
        {},
        {
          get() {
            throw Object.create(null);
          },
          getPrototypeOf() {
            throw Object.create(null);
          },
        },
      );
    case 8:
      return new ConnectorError(ConnectorErrorCodes.General, { errorDescription: 'thrown by the host' });
    default:
      return Object.assign(new Error('with a message getter'), {}).constructor === Error
        ? Object.defineProperty(new Error('x'), 'message', {
            get() {
              throw Object.create(null);
            },
          })
        : null;
  }
};

const nested = (depth, asArray) => {
  let value = 'bottom';
  for (let i = 0; i < depth; i += 1) {
    value = asArray ? [value] : { a: value };
  }
  return value;
};

const hugeString = (r) => {
  const size = 5 * MB;
  return r.pick([() => 'x'.repeat(size), () => '中'.repeat(size / 2), () => '😀'.repeat(size / 4), () => `a\uD800${'b'.repeat(size)}`])();
};

/** One hostile JS value; `depth` bounds the nesting of composite ones. */
const hostile = (r, depth = 3, budget = { huge: 0 }) => {
  const leaf = () =>
    r.pick([
      () => undefined,
      () => null,
      () => r.chance(0.5),
      () => r.pick([0, -0, NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324, 2 ** 53 + 1, -1, 1.5, 999, 1000, 60_000, 60_001, 2 ** 32, 1e21]),
      () => BigInt(r.int(1000)) ** 5n,
      () => Symbol(randomText(r, 5)),
      () => r.pick(WORDS),
      () => randomText(r),
      () => randomText(r, 400),
      () => () => 'a function',
      () => class Hostile {},
      () => new Date(r.chance(0.5) ? NaN : r.int(2 ** 40)),
      () => new String('boxed'),
      () => Object(1n),
      () => /regexp/g,
      () => new Map([[1, 2]]),
      () => new Set([1]),
      () => new Uint8Array(8),
      () => new ArrayBuffer(4),
      () => new WeakMap(),
      () => Promise.resolve(1),
      () => new Error('an error as a value'),
    ])();
  if (depth <= 0 || r.chance(0.45)) {
    if (budget.huge > 0 && r.chance(0.2)) {
      budget.huge -= 1;
      return hugeString(r);
    }
    return leaf();
  }
  const child = () => hostile(r, depth - 1, budget);
  // Own data properties, defined rather than assigned: assigning "__proto__" a revoked Proxy
  // would make every later assignment to the object throw inside this generator.
  const put = (object, key, value) => Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  const keys = () => r.pick([() => r.pick(WORDS), () => randomText(r, 8), () => r.pick(['code', 'locale', 'to', 'type', 'payload', 'templates', 'subject', 'content'])])();
  switch (r.int(14)) {
    case 0: {
      const object = {};
      for (let i = r.int(6); i > 0; i -= 1) put(object, keys(), child());
      return object;
    }
    case 1: {
      // An own "__proto__" key, as JSON.parse makes it.
      const object = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}');
      put(object, keys(), child());
      return object;
    }
    case 2: {
      const object = Object.create(null);
      for (let i = r.int(4); i > 0; i -= 1) put(object, keys(), child());
      return object;
    }
    case 3: {
      const array = [];
      for (let i = r.int(6); i > 0; i -= 1) array.push(child());
      if (r.chance(0.3)) array.length += 5; // holes
      return array;
    }
    case 4: {
      const thrown = hostileThrown(r);
      const object = { [keys()]: child() };
      Object.defineProperty(object, keys(), {
        enumerable: true,
        get() {
          throw thrown;
        },
      });
      return object;
    }
    case 5: {
      const value = child();
      const thrown = hostileThrown(r);
      return { toJSON: r.chance(0.5) ? () => value : () => { throw thrown; } };
    }
    case 6: {
      const target = r.chance(0.5) ? { a: child() } : [child()];
      const thrown = hostileThrown(r);
      const trap = r.pick(['get', 'ownKeys', 'getOwnPropertyDescriptor', 'has', 'getPrototypeOf', 'none']);
      return new Proxy(target, trap === 'none' ? {} : { [trap]: () => { throw thrown; } });
    }
    case 7: {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    case 8: {
      const cyclic = { a: child() };
      cyclic.self = cyclic;
      return cyclic;
    }
    case 9:
      return nested(r.pick([200, 10_000]), r.chance(0.5));
    case 10:
      return nested(r.pick([200_000, 1_000_000]), r.chance(0.5)); // JSON.stringify throws RangeError
    case 11: {
      const wide = {};
      // (50 000 keys is a test of its own below: it costs seconds.)
      for (let i = 0; i < 3000; i += 1) wide[`k${i}`] = i;
      return wide;
    }
    case 12:
      return Object.defineProperty([child()], 'toJSON', { value: () => 10n ** 20n }); // toJSON returning a BigInt
    default:
      return child();
  }
};

// ─── configs, templates, data ───────────────────────────────────────────────────────────────

const usageTypes = ['SignIn', 'Register', 'ForgotPassword', 'Generic'];
const baseConfig = (kind, endpoint) =>
  kind === 'aliyun-dm'
    ? {
        accessKeyId: 'LTAI5tFuzz',
        accessKeySecret: SECRET,
        securityToken: TOKEN,
        accountName: 'noreply@mail.example.com',
        fromAlias: 'Fuzz',
        endpoint,
        timeoutMs: 10_000,
        templates: usageTypes.map((usageType) => ({ usageType, subject: `${usageType} {{code}}`, content: '<p>{{code}}</p>' })),
      }
    : {
        accessKeyId: 'LTAI5tFuzz',
        accessKeySecret: SECRET,
        securityToken: TOKEN,
        signName: 'Fuzz',
        endpoint,
        timeoutMs: 10_000,
        templates: usageTypes.map((usageType) => ({ usageType, templateCode: `SMS_${usageType}`, type: 0 })),
      };

/** Paths of a plain JSON tree (only the base configs are walked). */
const pathsOf = (value, prefix = [], out = []) => {
  out.push(prefix);
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) pathsOf(value[key], [...prefix, key], out);
  }
  return out;
};

/** The base config with a few hostile values put at random places. */
const mutatedConfig = (r, kind, endpoint, budget) => {
  const config = structuredClone(baseConfig(kind, endpoint));
  // Paths of the clean config: a hostile value put in earlier is never walked into.
  const paths = pathsOf(config).filter((p) => p.length > 0);
  const count = r.pick([0, 0, 1, 1, 2, 3]);
  for (let i = 0; i < count; i += 1) {
    const path = r.pick(paths);
    const remove = r.chance(0.2);
    const value = remove ? undefined : hostile(r, 2, budget);
    try {
      let parent = config;
      for (const key of path.slice(0, -1)) parent = parent[key];
      if (parent && typeof parent === 'object') {
        if (remove) delete parent[path.at(-1)];
        else parent[path.at(-1)] = value;
      }
    } catch {
      // an earlier mutation put a hostile value on the way: leave it there
    }
  }
  return config;
};

const validRecipient = (r, kind) => (kind === 'aliyun-dm' ? `fuzz-${r.int(1e9)}@example.com` : `139${String(r.int(1e8)).padStart(8, '0')}`);

const sendData = (r, kind, budget) => {
  if (r.chance(0.05)) return hostile(r, 3, budget); // the whole argument
  const data = {
    to: r.chance(0.8) ? validRecipient(r, kind) : hostile(r, 2, budget),
    type: r.chance(0.7) ? r.pick([...usageTypes, 'BindMfa', 'MfaVerification', 'SomethingNew']) : hostile(r, 1, budget),
    payload: r.chance(0.7) ? { code: r.chance(0.8) ? String(r.int(1e6)) : hostile(r, 2, budget), locale: r.pick(['zh-CN', 'en', undefined]) } : hostile(r, 3, budget),
  };
  if (r.chance(0.15)) {
    const thrown = hostileThrown(r);
    Object.defineProperty(data, r.pick(['to', 'type', 'payload']), { enumerable: true, get: () => { throw thrown; } });
  }
  if (r.chance(0.15)) {
    const thrown = hostileThrown(r);
    try {
      Object.defineProperty(data.payload, 'locale', { enumerable: true, configurable: true, get: () => { throw thrown; } });
    } catch {
      // not an object, a Proxy, a getter that throws, a frozen object: leave it
    }
  }
  return data;
};

const i18nCallback = (r, budget) =>
  r.pick([
    () => undefined,
    () => async () => null,
    () => async () => ({ subject: `i18n ${randomText(r, 20)} {{code}}`, content: randomText(r, 200), contentType: r.pick(['text/plain', 'text/html', undefined]), sendFrom: r.chance(0.5) ? randomText(r, 10) : undefined, replyTo: r.chance(0.3) ? 'reply@example.com' : undefined }),
    () => async () => hostile(r, 3, budget),
    () => async () => { throw hostileThrown(r); },
    () => () => { throw hostileThrown(r); }, // throws synchronously
    () => hostile(r, 1, budget), // not even a function
  ])();

const configCallback = (r, config) =>
  r.pick([
    () => async () => config,
    () => () => config, // synchronous
    () => async () => { throw hostileThrown(r); },
    () => () => ({ then: (resolve) => resolve(config) }), // a thenable
    () => () => ({ get then() { throw hostileThrown(r); } }),
    () => hostile(r, 1), // not a function
  ])();

// ─── the hostile provider ───────────────────────────────────────────────────────────────────

const WIDE_KEYS = 50_000;
const wideBody = JSON.stringify(Object.fromEntries(Array.from({ length: WIDE_KEYS }, (_, i) => [`k${i}`, i])));

const startProvider = async (seed) => {
  const r = makeRandom(seed);
  const successIds = new Set();
  const bodies = tally();
  let requests = 0;
  let secretOnWire = 0;
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= 64 * MB) chunks.push(chunk);
    });
    req.on('end', () => {
      requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      if (body.includes(SECRET)) secretOnWire += 1;
      const action = /(?:^|&)Action=([^&]*)/.exec(body)?.[1] ?? 'SingleSendMail';
      if (req.url.startsWith('/wide/')) {
        // A JSON object with many keys: cheap to send, and Aliyun's answers are tiny.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(wideBody);
        return;
      }
      answer(action, req, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 1000;

  const success = (action) => {
    const RequestId = randomUUID();
    successIds.add(RequestId);
    return JSON.stringify(action === 'SendSms' ? { Code: 'OK', Message: 'OK', BizId: `${r.int(1e9)}^0`, RequestId } : { EnvId: String(r.int(1e9)), RequestId });
  };
  const registerIfSuccess = (action, status, body) => {
    if (status < 200 || status >= 300 || typeof body !== 'string') return;
    try {
      const value = JSON.parse(body.replace(/^\uFEFF/, ''));
      const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
      if (isObject && typeof value.RequestId === 'string' && (action === 'SendSms' ? value.Code === 'OK' && typeof value.Message === 'string' : typeof value.EnvId === 'string')) {
        successIds.add(value.RequestId);
      }
    } catch {
      // not JSON: not a success
    }
  };
  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  const answer = (action, req, res) => {
    // Whatever the mode meant, a body that is a well-formed success is one (a random Code may
    // come out "OK"): register it, so the check below is exactly "resolved ⇒ success answered".
    const reply = (status, body, headers) => {
      registerIfSuccess(action, status, body);
      send(res, status, body, headers);
    };
    const mode = r.int(22);
    bodies.add(mode);
    const anyStatus = () => r.pick([200, 200, 201, 204, 299, 301, 302, 304, 400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 599, 200 + r.int(400)]);
    const code = () => r.pick(['Throttling.Api', 'ServiceUnavailable', 'Throttling.User', 'InternalError', 'SignatureDoesNotMatch', 'isv.BUSINESS_LIMIT_CONTROL', 'isv.DAY_LIMIT_CONTROL', 'InvalidToAddress', 'OK', 'ok', '', 'Unknown.Code']);
    switch (mode) {
      case 0:
      case 1:
      case 2:
        return reply(200, success(action));
      case 3:
        return reply(200, success(action).slice(0, r.int(60))); // truncated (its RequestId is never whole)
      case 4: // the shape of success with wrong types
        return reply(200, JSON.stringify(r.pick([{ EnvId: 1, RequestId: 'x' }, { EnvId: 'x', RequestId: null }, { Code: 'OK', Message: 1, RequestId: 'x' }, { Code: 'OK' }, { Code: ['OK'], Message: 'OK', RequestId: 'r' }, { __proto__: null, EnvId: {}, RequestId: [] }])));
      case 5:
        return reply(anyStatus(), JSON.stringify({ RequestId: randomUUID(), Code: code(), Message: randomText(r, 60), HostId: 'h', Recommend: 'https://x' }));
      case 6:
        return reply(200, JSON.stringify({ RequestId: randomUUID(), Code: code(), Message: randomText(r, 30) })); // SMS business errors come with 200
      case 7: {
        const bytes = Buffer.alloc(r.int(4096));
        for (let i = 0; i < bytes.length; i += 1) bytes[i] = r.int(256);
        return reply(anyStatus(), bytes, { 'content-type': r.pick(['application/json', 'text/html', 'application/octet-stream', 'text/plain; charset=utf-16']) });
      }
      case 8: // huge
        return reply(r.pick([200, 400, 500]), r.chance(0.5) ? JSON.stringify({ Code: 'X', Message: 'm'.repeat(4 * MB), RequestId: 'r' }) : 'x'.repeat(3 * MB));
      case 9: // deep nesting
        return reply(200, r.chance(0.5) ? '['.repeat(100_000) + ']'.repeat(100_000) : `{"EnvId":"1","RequestId":"r-deep","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
      case 10: // lone surrogate escapes, a BOM, NaN, duplicate keys
        // fetch's text() drops a UTF-8 BOM (WHATWG decode), so after one a success is a success.
        if (r.chance(0.2)) return reply(200, `\uFEFF${success(action)}`);
        return reply(200, r.pick(['{"Code":"\\ud800","Message":"m","RequestId":"r-lone"}', '{"EnvId":NaN,"RequestId":"r-nan"}', '{"EnvId":"1","RequestId":"r-dup","EnvId":1}', '{"Code":"OK","Message":"OK","RequestId":"\\udfff"}', 'null', '[]', '"OK"', '']));
      case 11:
        return reply(anyStatus(), '');
      case 12:
        return req.socket.destroy(); // reset
      case 13: // promise more than is sent
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"EnvId":"1",');
        return setTimeout(() => req.socket.destroy(), 5).unref();
      case 14: // garbage claimed to be gzip
        return reply(200, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
      case 15: // a redirect with a signed request must not be followed
        return reply(r.pick([301, 302, 307, 308]), '', { location: 'http://example.com/elsewhere' });
      case 16: // slow drip, well within the timeout
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(success(action).slice(0, 5));
        return setTimeout(() => res.end('garbage'), 20).unref();
      case 17:
        return reply(200, JSON.stringify({ ...JSON.parse(success(action)), extra: hostileJson(r) }));
      case 18:
        return reply(400, JSON.stringify({ Code: 'SignatureDoesNotMatch', Message: `server string to sign is:POST&%2F&SecurityToken%3D${TOKEN} ${TOKEN}`, RequestId: 'r' }));
      default:
        return reply(anyStatus(), hostileJson(r));
    }
  };
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    successIds,
    bodies,
    stats: () => ({ requests, secretOnWire }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

/** Random JSON text of random shape. */
const hostileJson = (r, depth = 3) => {
  if (depth === 0 || r.chance(0.4)) {
    return r.pick([() => 'null', () => 'true', () => String(r.int(1e9)), () => '1e999', () => '-0', () => JSON.stringify(randomText(r, 20)), () => JSON.stringify(r.pick(WORDS))])();
  }
  if (r.chance(0.5)) {
    return `[${Array.from({ length: r.int(4) }, () => hostileJson(r, depth - 1)).join(',')}]`;
  }
  const keys = ['EnvId', 'RequestId', 'Code', 'Message', 'BizId', '__proto__', 'constructor'];
  return `{${Array.from({ length: r.int(5) }, () => `${JSON.stringify(r.pick(keys))}:${hostileJson(r, depth - 1)}`).join(',')}}`;
};

// ─── the run ────────────────────────────────────────────────────────────────────────────────

let provider;
let host;
let traps;
let blockedFetches = 0;
const realFetch = globalThis.fetch;
before(async () => {
  provider = await startProvider(SEED ^ 0x5eed);
  // Whatever a mutated config points at (a config without endpoint means Aliyun itself), no
  // request leaves this machine: the transport captures globalThis.fetch when the package is
  // loaded, so the guard goes in first.
  globalThis.fetch = (url, init) => {
    if (String(url).startsWith(provider.url)) return realFetch(url, init);
    blockedFetches += 1;
    return Promise.resolve(new Response('blocked by the test: only the local provider is reachable', { status: 599 }));
  };
  host = await logtoHost();
  traps = await watchTraps(host);
});
after(async () => {
  traps?.stop();
  globalThis.fetch = realFetch;
  await provider?.close();
  await host?.close();
});

const isEnvelope = (value) =>
  value !== null &&
  typeof value === 'object' &&
  ((value.ok === true && 'value' in value) ||
    (value.ok === false && typeof value.error?.code === 'string' && typeof value.error?.data?.errorDescription === 'string'));

test(`boundary fuzz: ${ITERATIONS} iterations of hostile values (seed ${SEED})`, async () => {
  console.log(`[boundary-fuzz] seed=${SEED} iterations=${ITERATIONS} (FUZZ_SEED=${SEED} replays the choices)`);
  const counts = {
    safeParse: tally(),
    send: tally(),
    exports: tally(),
  };
  const failures = [];
  const fail = (message) => {
    failures.push(message);
  };
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(describeRejection(reason));
  process.on('unhandledRejection', onUnhandled);
  const started = performance.now();
  let calls = 0;

  const coreOf = (kind) => traps.cores[kind === 'aliyun-dm' ? 0 : 1];
  const exportsOf = (kind) => coreOf(kind).__testing.exports();

  /** One iteration: pick a slot, fill it with hostile values, check the answer. */
  const iteration = async (index) => {
    const r = makeRandom((SEED + Math.imul(index, 0x9e3779b1)) >>> 0);
    // A 5 MB string costs seconds of signing; one iteration in thirty may carry one.
    const budget = { huge: r.chance(1 / 30) ? 1 : 0 };
    const kind = r.pick(['aliyun-dm', 'aliyun-sms']);
    const label = `iteration ${index} (${kind})`;
    const slot = r.int(10);

    if (slot <= 1) {
      // configGuard.safeParse, as the admin console calls it (factory and per-request instance).
      const config = r.chance(0.5) ? hostile(r, 4, budget) : mutatedConfig(r, kind, provider.url, budget);
      const guard = r.chance(0.5) ? host.factoryOf(kind).configGuard : (await host.connect(kind, { config })).configGuard;
      calls += 1;
      try {
        const result = guard.safeParse(config);
        if (typeof result?.success !== 'boolean') fail(`${label}: safeParse answered ${typeof result}`);
        else if (!result.success && (typeof result.error !== 'object' || result.error === null)) fail(`${label}: safeParse failure without an error object`);
        counts.safeParse.add(String(result?.success));
      } catch (error) {
        fail(`${label}: safeParse threw ${describeRejection(error)}`);
        counts.safeParse.add('threw');
      }
      return;
    }

    if (slot <= 2) {
      // The raw Wasm exports the shim drives, with hostile arguments (the shim's own checks
      // bypassed): each returns an envelope (or a retry step) and never throws.
      const wasm = exportsOf(kind);
      const hostileKind = r.chance(0.8) ? kind : hostile(r, 1);
      const input = r.chance(0.5)
        ? hostile(r, 3, budget)
        : { config: mutatedConfig(r, kind, provider.url, budget), to: validRecipient(r, kind), type: 'SignIn', payload: { code: '123456' }, template: null, nowMs: r.chance(0.8) ? Date.now() : hostile(r, 1), nonce: r.chance(0.8) ? randomUUID() : hostile(r, 1) };
      const calls_ = [
        ['validateConfig', () => wasm.validateConfig?.(hostileKind, hostile(r, 4, budget))],
        ['getMetadata', () => wasm.getMetadata?.(hostileKind)],
        ['planSend', () => wasm.planSend?.(hostileKind, input, r.chance(0.5) ? null : hostile(r, 2))],
        [
          'interpretSend',
          () => {
            const planned = wasm.planSend?.(kind, { config: baseConfig(kind, provider.url), to: validRecipient(r, kind), type: 'SignIn', payload: { code: '1' }, template: null, nowMs: Date.now(), nonce: randomUUID() });
            // planSend answers a success with [url, body, timeoutMs, maxResponseBytes, contentType].
            const core = coreOf(kind);
            const asRequest = (a) => (core.isPlannedRequest(a) ? core.toHttpRequest(a) : undefined);
            const request = r.chance(0.7) ? asRequest(planned) : hostile(r, 2);
            const response = r.pick([
              () => ({ status: 200, body: kind === 'aliyun-dm' ? '{"EnvId":"1","RequestId":"r"}' : '{"Code":"OK","Message":"OK","RequestId":"r"}' }),
              () => ({ status: r.pick([200, 400, 403, 500, 503]), body: JSON.stringify({ Code: r.pick(['Throttling.Api', 'ServiceUnavailable', 'InternalError', 'isv.DAY_LIMIT_CONTROL', 'OK']), Message: randomText(r, 10), RequestId: 'r' }) }),
              () => ({ status: r.pick([200, 400, 503, 0, -1, 1e10, 200.5, NaN]), body: r.chance(0.5) ? hostileJson(r) : hostile(r, 1, budget) }),
              () => ({ networkError: { kind: r.pick(['timeout', 'refused', 'dns', 'reset', 'other', hostile(r, 0)]), message: hostile(r, 1), sent: hostile(r, 0) } }),
              () => hostile(r, 3, budget),
            ])();
            return wasm.interpretSend?.(hostileKind, request, r.pick([0, 1, 2, 3, 2 ** 31, 4294967295, -1, NaN, 1.5]), response);
          },
        ],
      ];
      const [name, call] = r.pick(calls_);
      calls += 1;
      try {
        const result = call();
        if (result === undefined && typeof wasm[name] !== 'function') {
          counts.exports.add(`${name}: absent`);
        } else if (name === 'planSend' && coreOf(kind).isPlannedRequest(result)) {
          counts.exports.add('planSend: planned');
        } else if (isEnvelope(result) || (result?.retry === true && Number.isFinite(result.afterMs))) {
          counts.exports.add(`${name}: ${result.ok === undefined ? 'retry' : result.ok ? 'ok' : result.error.code}`);
        } else {
          fail(`${label}: ${name} returned something else than an envelope: ${typeof result}`);
        }
      } catch (error) {
        fail(`${label}: raw export ${name} threw ${describeRejection(error)}`);
        counts.exports.add(`${name}: threw`);
      }
      return;
    }

    // sendMessage through the installed connector, over HTTP to the hostile provider: half the
    // time a clean message (so that the provider's hostile answers are what is tested), half
    // the time hostile input.
    const clean = r.chance(0.5);
    const config = clean ? baseConfig(kind, provider.url) : r.chance(0.85) ? mutatedConfig(r, kind, provider.url, budget) : hostile(r, 3, budget);
    const viaInput = r.chance(0.4);
    const callbacks = {
      getConfig: viaInput ? async () => { throw new Error('getConfig must not be called when inputConfig is given'); } : clean ? async () => config : configCallback(r, config),
      getI18nEmailTemplate: kind === 'aliyun-dm' ? (clean ? undefined : i18nCallback(r, budget)) : undefined,
    };
    const connector = await host.connect(kind, callbacks);
    const data = clean ? { to: validRecipient(r, kind), type: 'SignIn', payload: { code: String(r.int(1e6)) } } : sendData(r, kind, budget);
    calls += 1;
    const outcome = await settleWithin(
      (async () => connector.sendMessage(data, viaInput ? config : undefined))(),
      SETTLE_MS,
    );
    if (outcome.status === 'unsettled') {
      fail(`${label}: sendMessage did not settle within ${SETTLE_MS} ms`);
      counts.send.add('unsettled');
    } else if (outcome.status === 'resolved') {
      counts.send.add('resolved');
      const { value } = outcome;
      if (!provider.successIds.has(value?.RequestId)) fail(`${label}: resolved with ${JSON.stringify(value)}, which the provider never answered as a success`);
    } else {
      const { error } = outcome;
      counts.send.add(describeRejection(error));
      if (!isConnectorError(error)) {
        fail(`${label}: rejected with ${describeRejection(error)}, not the host's ConnectorError`);
      } else if (typeof error.data?.errorDescription !== 'string') {
        fail(`${label}: ConnectorError(${error.code}) without data.errorDescription`);
      } else if (/WebAssembly core (trapped|returned a malformed)/.test(error.data.errorDescription)) {
        fail(`${label}: the core trapped: ${error.data.errorDescription}`);
      }
    }
  };

  // Regressions first: hostile values that once escaped as something other than a ConnectorError.
  const nullProto = () => Object.create(null);
  const regressions = [
    ['a getter on data throwing a null-prototype object', { get to() { throw nullProto(); } }],
    ['a getter on data throwing an object whose toString throws', { get to() { throw { toString() { throw new Error('no'); } }; } }],
    ['payload.locale throwing a null-prototype object', { to: 'user@example.com', type: 'SignIn', get payload() { return { code: '1', get locale() { throw nullProto(); } }; } }],
    ['a Proxy as data whose every trap throws', new Proxy({}, { get() { throw nullProto(); }, getPrototypeOf() { throw nullProto(); } })],
  ];
  for (const [name, data] of regressions) {
    for (const kind of ['aliyun-dm', 'aliyun-sms']) {
      const connector = await host.connect(kind, { config: baseConfig(kind, provider.url) });
      calls += 1;
      const outcome = await settleWithin((async () => connector.sendMessage(data))(), SETTLE_MS);
      counts.send.add(outcome.status === 'rejected' ? describeRejection(outcome.error) : outcome.status);
      if (outcome.status !== 'rejected' || !isConnectorError(outcome.error)) {
        fail(`regression "${name}" (${kind}): ${outcome.status} ${outcome.status === 'rejected' ? describeRejection(outcome.error) : ''}`);
      }
    }
  }

  let next = 0;
  const durations = [];
  const worker = async () => {
    while (next < ITERATIONS) {
      const index = next;
      next += 1;
      const begun = performance.now();
      try {
        await iteration(index);
        durations.push([Math.round(performance.now() - begun), index]);
      } catch (error) {
        fail(`iteration ${index}: the test itself threw ${describeRejection(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  // Unhandled rejections surface on a later turn.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);

  const elapsed = Math.round(performance.now() - started);
  const { requests, secretOnWire } = provider.stats();
  console.log(`[boundary-fuzz] ${calls} boundary calls (${ITERATIONS} random + ${regressions.length * 2} regressions) in ${elapsed} ms`);
  console.log(`[boundary-fuzz] safeParse: ${counts.safeParse}`);
  console.log(`[boundary-fuzz] sendMessage: ${counts.send}`);
  console.log(`[boundary-fuzz] raw exports: ${counts.exports}`);
  console.log(`[boundary-fuzz] provider: ${requests} requests answered, ${provider.successIds.size} success bodies sent, secret on the wire ${secretOnWire} times; ${blockedFetches} requests to other hosts blocked`);
  console.log(`[boundary-fuzz] traps: ${traps.count()} (RuntimeError reloads ${traps.reloads()}, log lines ${traps.trapLines().length}), unhandled rejections: ${unhandled.length}, failures: ${failures.length}`);
  durations.sort(([a], [b]) => b - a);
  console.log(`[boundary-fuzz] slowest iterations (ms, index): ${durations.slice(0, 5).map(([ms, i]) => `${ms}@${i}`).join(' ')}`);
  // Failures by kind (the iteration number and the connector stripped), then the first few.
  const kinds = tally();
  for (const line of failures) kinds.add(line.replace(/^(iteration \d+( \([a-z-]+\))?|regression "[^"]*" \([a-z-]+\)): /, '').replace(/\{.*\}/, '{…}'));
  for (const [kind, count] of kinds.entries()) console.log(`[boundary-fuzz]   ${count} × ${kind}`);
  for (const line of failures.slice(0, 12)) console.log(`[boundary-fuzz]   e.g. ${line}`);

  assert.equal(traps.count(), 0, 'the Wasm core trapped (WebAssembly.RuntimeError)');
  assert.deepEqual(unhandled, [], 'unhandled rejections');
  assert.equal(secretOnWire, 0, 'the access key secret went on the wire');
  assert.deepEqual(failures, []);
});

test(`a provider answer of ${Math.round(wideBody.length / 1024)} KB holding ${WIDE_KEYS.toLocaleString('en')} keys is refused as invalid_response without blocking the event loop`, async () => {
  const problems = [];
  for (const kind of ['aliyun-dm', 'aliyun-sms']) {
    const timeoutMs = 1000;
    const connector = await host.connect(kind, { config: { ...baseConfig(kind, `${provider.url}wide/`), timeoutMs } });
    const started = performance.now();
    const outcome = await settleWithin(connector.sendMessage({ to: kind === 'aliyun-dm' ? 'wide@example.com' : '13912345678', type: 'SignIn', payload: { code: '1' } }), SETTLE_MS);
    const elapsed = Math.round(performance.now() - started);
    console.log(`[boundary-fuzz] ${kind}: ${WIDE_KEYS}-key answer → ${outcome.status === 'rejected' ? describeRejection(outcome.error) : outcome.status} after ${elapsed} ms (liveness bound ${SETTLE_MS} ms)`);
    if (outcome.status !== 'rejected' || !isConnectorError(outcome.error) || outcome.error.code !== ConnectorErrorCodes.InvalidResponse) {
      problems.push(`${kind}: ${outcome.status} ${outcome.status === 'rejected' ? describeRejection(outcome.error) : ''}`);
    }
  }
  assert.deepEqual(problems, []);
});
