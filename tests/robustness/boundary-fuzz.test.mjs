// Random hostile values through the Wasm boundary, from JS, the way they can reach it: the
// installed connectors' configGuard.safeParse and sendMessage as Logto calls them (data, `to`,
// `type`, `payload`, the config given as inputConfig or returned by getConfig,
// getI18nEmailTemplate returning hostile templates or throwing), hostile answers from a local
// HTTP provider (random statuses, random bytes, huge and truncated bodies, JSON of the wrong
// shape, resets), and the module's three exports (getMetadata, validateConfig, sendMessage)
// called straight and through the package's core.js, with hostile kinds, configs and inputs
// and a hostile transport (fetch, now, nonce, sleep that throw, return what they should not,
// never settle, reject with odd values).
//
// What must hold (docs/contracts.md section 1): every export answers with an envelope, and
// throws or rejects only when a host value throws while the core reads it, never with a
// WebAssembly.RuntimeError; core.js never throws, always resolves to an envelope, and answers
// such a throw with `general` and a fresh instance; every send settles; a send resolves only
// with a success some server really sent; the access key secret and the STS token appear in
// no answer, no error, no log line and (the secret) nowhere on the wire.
//
//   FUZZ_SEED=<n>        replay a run (the seed is printed)
//   FUZZ_ITERATIONS=<n>  iterations (default 1000: about 5 s)
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

import { requiredUsageTypes } from '../../scripts/config-facts.mjs';
import { kinds, logtoHost } from '../js/host.mjs';
import {
  CORE_FAILED_DESCRIPTION,
  describeRejection,
  fastSleep,
  isConnectorError,
  recognisable,
  settleWithin,
  tally,
  watchTraps,
} from './support.mjs';

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
        text += r.pick([
          '{{',
          '}}',
          '{{code}}',
          '%',
          '&',
          '=',
          '+',
          '\\',
          '"',
          "'",
          '<',
          '>',
          '\u2028',
          '\uFEFF',
          '\u202E',
          '\0',
          'é',
          '한',
          '😀',
          '𠮷',
        ]);
        break;
      default:
        text += String.fromCharCode(0x20 + r.int(0x5f));
    }
  }
  return text;
};

const WORDS = [
  '',
  ' ',
  'SignIn',
  'Register',
  'ForgotPassword',
  'Generic',
  'BindMfa',
  'Unknown',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'toJSON',
  'then',
  'length',
  '{{code}}',
  'aliyun-dm',
  'aliyun-sms',
  'aliyun-sms-auth',
  'text/plain',
  'zh-CN',
  'en',
  'http://127.0.0.1:1/',
  'https://example.com/',
  'user@example.com',
  '13912345678',
  'a@b.co,c@d.co',
];

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
      return new ConnectorError(ConnectorErrorCodes.General, {
        errorDescription: 'thrown by the host',
      });
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
  return r.pick([
    () => 'x'.repeat(size),
    () => '中'.repeat(size / 2),
    () => '😀'.repeat(size / 4),
    () => `a\uD800${'b'.repeat(size)}`,
  ])();
};

/** One hostile JS value; `depth` bounds the nesting of composite ones. */
const hostile = (r, depth = 3, budget = { huge: 0 }) => {
  const leaf = () =>
    r.pick([
      () => undefined,
      () => null,
      () => r.chance(0.5),
      () =>
        r.pick([
          0,
          -0,
          NaN,
          Infinity,
          -Infinity,
          1e308,
          -1e308,
          5e-324,
          2 ** 53 + 1,
          -1,
          1.5,
          999,
          1000,
          60_000,
          60_001,
          2 ** 32,
          1e21,
        ]),
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
  const put = (object, key, value) =>
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  const keys = () =>
    r.pick([
      () => r.pick(WORDS),
      () => randomText(r, 8),
      () => r.pick(['code', 'locale', 'to', 'type', 'payload', 'templates', 'subject', 'content']),
    ])();
  switch (r.int(14)) {
    case 0: {
      const object = {};
      for (let i = r.int(6); i > 0; i -= 1) put(object, keys(), child());
      return object;
    }
    case 1: {
      // An own "__proto__" key, as JSON.parse makes it.
      const object = JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      );
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
      return {
        toJSON: r.chance(0.5)
          ? () => value
          : () => {
              throw thrown;
            },
      };
    }
    case 6: {
      const target = r.chance(0.5) ? { a: child() } : [child()];
      const thrown = hostileThrown(r);
      const trap = r.pick([
        'get',
        'ownKeys',
        'getOwnPropertyDescriptor',
        'has',
        'getPrototypeOf',
        'none',
      ]);
      return new Proxy(
        target,
        trap === 'none'
          ? {}
          : {
              [trap]: () => {
                throw thrown;
              },
            },
      );
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

// What Direct Mail and SMS need a template for; SMS authentication needs one for every type.
const usageTypes = requiredUsageTypes['aliyun-dm'];
const kindNames = Object.keys(kinds);
const baseConfig = (kind, endpoint) =>
  kind === 'aliyun-sms-auth'
    ? {
        accessKeyId: 'LTAI5tFuzz',
        accessKeySecret: SECRET,
        securityToken: TOKEN,
        signName: '速通互联验证码',
        endpoint,
        timeoutMs: 10_000,
        codeValidityMinutes: 10,
        templates: requiredUsageTypes['aliyun-sms-auth'].map((usageType) => ({
          usageType,
          templateCode: '100001',
        })),
      }
    : kind === 'aliyun-dm'
      ? {
          accessKeyId: 'LTAI5tFuzz',
          accessKeySecret: SECRET,
          securityToken: TOKEN,
          accountName: 'noreply@mail.example.com',
          fromAlias: 'Fuzz',
          endpoint,
          timeoutMs: 10_000,
          templates: usageTypes.map((usageType) => ({
            usageType,
            subject: `${usageType} {{code}}`,
            content: '<p>{{code}}</p>',
          })),
        }
      : {
          accessKeyId: 'LTAI5tFuzz',
          accessKeySecret: SECRET,
          securityToken: TOKEN,
          signName: 'Fuzz',
          endpoint,
          timeoutMs: 10_000,
          templates: requiredUsageTypes['aliyun-sms'].map((usageType) => ({
            usageType,
            templateCode: `SMS_${usageType}`,
            type: 0,
          })),
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

const validRecipient = (r, kind) =>
  ({
    'aliyun-dm': () => `fuzz-${r.int(1e9)}@example.com`,
    'aliyun-sms': () => `139${String(r.int(1e8)).padStart(8, '0')}`,
    'aliyun-sms-auth': () => `86139${String(r.int(1e8)).padStart(8, '0')}`,
  })[kind]();

/** A recipient each kind sends to, for the tests that are not random. */
const recipient = (kind, local) =>
  ({
    'aliyun-dm': `${local}@example.com`,
    'aliyun-sms': '13912345678',
    'aliyun-sms-auth': '8613912345678',
  })[kind];

const sendData = (r, kind, budget) => {
  if (r.chance(0.05)) return hostile(r, 3, budget); // the whole argument
  const data = {
    to: r.chance(0.8) ? validRecipient(r, kind) : hostile(r, 2, budget),
    type: r.chance(0.7)
      ? r.pick([...usageTypes, 'BindMfa', 'MfaVerification', 'SomethingNew'])
      : hostile(r, 1, budget),
    payload: r.chance(0.7)
      ? {
          code: r.chance(0.8) ? String(r.int(1e6)) : hostile(r, 2, budget),
          locale: r.pick(['zh-CN', 'en', undefined]),
        }
      : hostile(r, 3, budget),
  };
  if (r.chance(0.15)) {
    const thrown = hostileThrown(r);
    Object.defineProperty(data, r.pick(['to', 'type', 'payload']), {
      enumerable: true,
      get: () => {
        throw thrown;
      },
    });
  }
  if (r.chance(0.15)) {
    const thrown = hostileThrown(r);
    try {
      Object.defineProperty(data.payload, 'locale', {
        enumerable: true,
        configurable: true,
        get: () => {
          throw thrown;
        },
      });
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
    () => async () => ({
      subject: `i18n ${randomText(r, 20)} {{code}}`,
      content: randomText(r, 200),
      contentType: r.pick(['text/plain', 'text/html', undefined]),
      sendFrom: r.chance(0.5) ? randomText(r, 10) : undefined,
      replyTo: r.chance(0.3) ? 'reply@example.com' : undefined,
    }),
    () => async () => hostile(r, 3, budget),
    () => async () => {
      throw hostileThrown(r);
    },
    () => () => {
      throw hostileThrown(r);
    }, // throws synchronously
    () => hostile(r, 1, budget), // not even a function
  ])();

const configCallback = (r, config) =>
  r.pick([
    () => async () => config,
    () => () => config, // synchronous
    () => async () => {
      throw hostileThrown(r);
    },
    () => () => ({ then: (resolve) => resolve(config) }), // a thenable
    () => () => ({
      get then() {
        throw hostileThrown(r);
      },
    }),
    () => hostile(r, 1), // not a function
  ])();

// ─── the hostile provider ───────────────────────────────────────────────────────────────────

/** RequestIds of every success any server or made-up fetch answered: a send resolves with one. */
const successIds = new Set();

const actionOf = (kind) =>
  ({
    'aliyun-dm': 'SingleSendMail',
    'aliyun-sms': 'SendSms',
    'aliyun-sms-auth': 'SendSmsVerifyCode',
  })[kind];
/** SendSms and SendSmsVerifyCode succeed with Code "OK", SingleSendMail with an EnvId. */
const isSms = (action) => action === 'SendSms' || action === 'SendSmsVerifyCode';

/**
 * Whatever an answer meant, a body that is a well-formed success is one (a random Code may come
 * out "OK"): registered, so the check is exactly "resolved ⇒ some server answered that success".
 */
const registerIfSuccess = (action, status, body) => {
  if (status < 200 || status >= 300 || typeof body !== 'string') return;
  try {
    const value = JSON.parse(body.replace(/^\uFEFF/, ''));
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (
      isObject &&
      typeof value.RequestId === 'string' &&
      (isSms(action)
        ? value.Code === 'OK' && typeof value.Message === 'string'
        : typeof value.EnvId === 'string')
    ) {
      successIds.add(value.RequestId);
    }
  } catch {
    // not JSON: not a success
  }
};

const successFields = (action, RequestId) =>
  ({
    SendSms: { Code: 'OK', Message: 'OK', BizId: '900^0', RequestId },
    SendSmsVerifyCode: { Message: '成功', RequestId, Model: { BizId: '900^0' }, Code: 'OK' },
  })[action] ?? { EnvId: '900', RequestId };

// The core reads at most 64 KB of an answer (MAX_ANSWER_BYTES) and parses only what fits.
const ANSWER_CAP = 64 * 1024;
const WIDE_KEYS = 50_000;
const wideBody = JSON.stringify(
  Object.fromEntries(Array.from({ length: WIDE_KEYS }, (_, i) => [`k${i}`, i])),
);
// As many keys (`"k6522":0,` is 10 bytes) and as many array elements as fit under the cap.
const FITTING_KEYS = Math.floor((ANSWER_CAP - 200) / 10);
const FITTING_ELEMENTS = Math.floor((ANSWER_CAP - 200) / 2);
const fittingKeys = Object.fromEntries(
  Array.from({ length: FITTING_KEYS }, (_, i) => [`k${i}`, 0]),
);
const wideAnswers = {
  wide: () => wideBody,
  'wide-keys': (action) =>
    JSON.stringify({ ...successFields(action, `wide-keys-${randomUUID()}`), ...fittingKeys }),
  'wide-array': (action) =>
    JSON.stringify({
      ...successFields(action, `wide-array-${randomUUID()}`),
      x: new Array(FITTING_ELEMENTS).fill(0),
    }),
  'wide-bare': () => JSON.stringify(fittingKeys),
};

const startProvider = async (seed) => {
  const r = makeRandom(seed);
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
      const wide = wideAnswers[req.url.split('/')[1]];
      if (wide) {
        // Many keys or elements: cheap to send, while Aliyun's answers are tiny.
        const body = wide(action);
        registerIfSuccess(action, 200, body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
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
    const id = String(r.int(1e9));
    return JSON.stringify(
      {
        SendSms: { Code: 'OK', Message: 'OK', BizId: `${id}^0`, RequestId },
        SendSmsVerifyCode: {
          Message: '成功',
          RequestId,
          Model: { RequestId: randomUUID(), BizId: `${id}^0` },
          Code: 'OK',
          Success: true,
        },
      }[action] ?? { EnvId: id, RequestId },
    );
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
    const anyStatus = () =>
      r.pick([
        200,
        200,
        201,
        204,
        299,
        301,
        302,
        304,
        400,
        401,
        403,
        404,
        413,
        429,
        500,
        502,
        503,
        504,
        599,
        200 + r.int(400),
      ]);
    const code = () =>
      r.pick([
        'Throttling.Api',
        'ServiceUnavailable',
        'Throttling.User',
        'InternalError',
        'SignatureDoesNotMatch',
        'isv.BUSINESS_LIMIT_CONTROL',
        'isv.DAY_LIMIT_CONTROL',
        'InvalidToAddress',
        'FREQUENCY_FAIL',
        'biz.FREQUENCY',
        'OK',
        'ok',
        '',
        'Unknown.Code',
      ]);
    switch (mode) {
      case 0:
      case 1:
      case 2:
        return reply(200, success(action));
      case 3:
        return reply(200, success(action).slice(0, r.int(60))); // truncated (its RequestId is never whole)
      case 4: // the shape of success with wrong types
        return reply(
          200,
          JSON.stringify(
            r.pick([
              { EnvId: 1, RequestId: 'x' },
              { EnvId: 'x', RequestId: null },
              { Code: 'OK', Message: 1, RequestId: 'x' },
              { Code: 'OK' },
              { Code: ['OK'], Message: 'OK', RequestId: 'r' },
              { __proto__: null, EnvId: {}, RequestId: [] },
            ]),
          ),
        );
      case 5:
        return reply(
          anyStatus(),
          JSON.stringify({
            RequestId: randomUUID(),
            Code: code(),
            Message: randomText(r, 60),
            HostId: 'h',
            Recommend: 'https://x',
          }),
        );
      case 6:
        return reply(
          200,
          JSON.stringify({ RequestId: randomUUID(), Code: code(), Message: randomText(r, 30) }),
        ); // SMS business errors come with 200
      case 7: {
        const bytes = Buffer.alloc(r.int(4096));
        for (let i = 0; i < bytes.length; i += 1) bytes[i] = r.int(256);
        return reply(anyStatus(), bytes, {
          'content-type': r.pick([
            'application/json',
            'text/html',
            'application/octet-stream',
            'text/plain; charset=utf-16',
          ]),
        });
      }
      case 8: // huge
        return reply(
          r.pick([200, 400, 500]),
          r.chance(0.5)
            ? JSON.stringify({ Code: 'X', Message: 'm'.repeat(4 * MB), RequestId: 'r' })
            : 'x'.repeat(3 * MB),
        );
      case 9: // deep nesting
        return reply(
          200,
          r.chance(0.5)
            ? '['.repeat(100_000) + ']'.repeat(100_000)
            : `{"EnvId":"1","RequestId":"r-deep","x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
        );
      case 10: // lone surrogate escapes, a BOM, NaN, duplicate keys
        // fetch's text() drops a UTF-8 BOM (WHATWG decode), so after one a success is a success.
        if (r.chance(0.2)) return reply(200, `\uFEFF${success(action)}`);
        return reply(
          200,
          r.pick([
            '{"Code":"\\ud800","Message":"m","RequestId":"r-lone"}',
            '{"EnvId":NaN,"RequestId":"r-nan"}',
            '{"EnvId":"1","RequestId":"r-dup","EnvId":1}',
            '{"Code":"OK","Message":"OK","RequestId":"\\udfff"}',
            'null',
            '[]',
            '"OK"',
            '',
          ]),
        );
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
        return reply(r.pick([301, 302, 307, 308]), '', {
          location: 'http://example.com/elsewhere',
        });
      case 16: // slow drip, well within the timeout
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(success(action).slice(0, 5));
        return setTimeout(() => res.end('garbage'), 20).unref();
      case 17:
        return reply(
          200,
          JSON.stringify({ ...JSON.parse(success(action)), extra: hostileJson(r) }),
        );
      case 18:
        return reply(
          400,
          JSON.stringify({
            Code: 'SignatureDoesNotMatch',
            Message: `server string to sign is:POST&%2F&SecurityToken%3D${TOKEN} ${TOKEN}`,
            RequestId: 'r',
          }),
        );
      default:
        return reply(anyStatus(), hostileJson(r));
    }
  };
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
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
    return r.pick([
      () => 'null',
      () => 'true',
      () => String(r.int(1e9)),
      () => '1e999',
      () => '-0',
      () => JSON.stringify(randomText(r, 20)),
      () => JSON.stringify(r.pick(WORDS)),
    ])();
  }
  if (r.chance(0.5)) {
    return `[${Array.from({ length: r.int(4) }, () => hostileJson(r, depth - 1)).join(',')}]`;
  }
  const keys = [
    'EnvId',
    'RequestId',
    'Code',
    'Message',
    'BizId',
    'Model',
    '__proto__',
    'constructor',
  ];
  return `{${Array.from({ length: r.int(5) }, () => `${JSON.stringify(r.pick(keys))}:${hostileJson(r, depth - 1)}`).join(',')}}`;
};

// ─── hostile transports ─────────────────────────────────────────────────────────────────────

// A transport's clock runs this much faster than the wall clock: deadlines and backoffs of
// the sends made with it come sooner.
const SPEEDUP = 20;

const seededBytes = (r, length) => {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = r.int(256);
  return bytes;
};

/** What a fetch may hand back that is not a Response. */
const notAResponse = (r) =>
  r.pick([
    () => undefined,
    () => null,
    () => 42,
    () => 'a string',
    () => ({}),
    () => ({
      status: 200,
      headers: new Headers(),
      body: null,
      text: async () => '{"EnvId":"1","RequestId":"fake"}',
    }),
    () => Symbol('response'),
    () => 10n,
    () =>
      new Proxy(
        {},
        {
          get() {
            throw new Error('proxy get');
          },
          getPrototypeOf() {
            throw new Error('proxy prototype');
          },
        },
      ),
  ])();

/**
 * A Response a fetch-compatible function might make up, chosen now and built per call (it may
 * quote the request it answers): any status, a success, random JSON or bytes, an echo of the
 * signed body, a body over the cap, a body that errors, chunks that are not bytes, a declared
 * length that lies.
 */
const madeUpResponse = (r, kind) => {
  const status = r.pick([200, 200, 200, 201, 299, 400, 403, 404, 429, 500, 502, 503, 504, 599]);
  const json = hostileJson(r);
  const bytes = seededBytes(r, r.int(2048));
  const code = r.pick([
    'Throttling.Api',
    'ServiceUnavailable',
    'InternalError',
    'SignatureDoesNotMatch',
    'OK',
  ]);
  const bodyOf = r.pick([
    () => () => JSON.stringify(successFields(actionOf(kind), randomUUID())),
    () => () => json,
    () => (init) =>
      JSON.stringify({
        Code: code,
        Message: `server string to sign is:${typeof init?.body === 'string' ? init.body : ''}`,
        RequestId: randomUUID(),
      }),
    () => (init) => `<html>${typeof init?.body === 'string' ? init.body : ''}</html>`,
    () => () => bytes,
    () => () => 'x'.repeat(ANSWER_CAP + 1 + r.int(3) * 1000),
    () => () => '',
    () => () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"EnvId":'));
          controller.error(new TypeError('terminated'));
        },
      }),
    () => () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue('not bytes');
          controller.enqueue(12);
          controller.close();
        },
      }),
    () => () => {
      let sent = 0;
      return new ReadableStream({
        pull(controller) {
          // Endless, in chunks: the cap ends the reading.
          sent += 1;
          controller.enqueue(new Uint8Array(4096).fill(0x20 + (sent % 90)));
        },
      });
    },
  ])();
  const declared = r.chance(0.25)
    ? r.pick(['0', '5', 'abc', '-1', '99999999999999999999', ' 12 ', String(ANSWER_CAP)])
    : undefined;
  return (init) => {
    const body = bodyOf(init);
    const nullBody = status === 204 || status === 304;
    if (typeof body === 'string') registerIfSuccess(actionOf(kind), status, body);
    return new Response(nullBody ? null : body, {
      status,
      headers: declared === undefined ? {} : { 'content-length': declared },
    });
  };
};

/** A rejection a fetch-compatible function might come up with (`tags.mayThrow`: see below). */
const fetchRejection = (r, tags) => {
  const thrown = hostileThrown(r);
  const coded = (message, code) => Object.assign(new Error(message), { code });
  const choice = r.int(15);
  if (choice === 13 || choice === 14) {
    // An `errors` list that throws when the core looks at it (Array.isArray, length).
    tags.mayThrow = true;
  }
  return [
    () => thrown,
    () =>
      new TypeError('fetch failed', {
        cause: coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
      }),
    () =>
      new TypeError('fetch failed', {
        cause: coded('getaddrinfo ENOTFOUND aliyun.invalid', 'ENOTFOUND'),
      }),
    () =>
      new TypeError('fetch failed', {
        cause: new AggregateError([coded('a', 'ECONNREFUSED'), coded('b', 'ECONNREFUSED')]),
      }),
    () => new DOMException('This operation was aborted', 'AbortError'),
    () => new DOMException('The operation timed out', 'TimeoutError'),
    () => new TypeError('fetch failed', { cause: coded('other side closed', 'UND_ERR_SOCKET') }),
    () => new TypeError('fetch failed', { cause: new Error('unexpected redirect') }),
    () => new TypeError('fetch failed', { cause: new Error('bad port') }),
    (init) => new TypeError('fetch failed', { cause: new Error(`echo ${init?.body}`) }),
    (init) => new Error(String(init?.body)),
    () => {
      const cyclic = new Error('cyclic');
      cyclic.cause = cyclic;
      return cyclic;
    },
    () => ({
      name: 12n,
      code: Symbol('code'),
      message: {
        toString: () => {
          throw new Error('message');
        },
      },
    }),
    () => {
      const { proxy, revoke } = Proxy.revocable([], {});
      revoke();
      return { errors: proxy };
    },
    () => ({
      errors: new Proxy([coded('x', 'ECONNREFUSED')], {
        get() {
          throw thrown;
        },
      }),
    }),
  ][choice];
};

/**
 * A transport with 0–3 of its four members (or the whole object) made hostile. Every choice is
 * made now, from `r`, so FUZZ_SEED replays it. `tags.mayThrow` is set when a member hands the
 * core a value that throws while the core reads it (a Response or a promise with a throwing
 * accessor): only then may the export throw or reject. `tags.names` says what was chosen.
 */
const hostileTransport = (r, kind, honestFetch, tags) => {
  const names = [];
  tags.names = names;
  const chosen = (name, value) => {
    names.push(name);
    return value;
  };
  const thrown = hostileThrown(r);
  const sleepOk = fastSleep(SPEEDUP);
  // Each member is hostile one time in four.
  const hostileMember = () => r.chance(0.25);

  let fetch = honestFetch;
  if (hostileMember()) {
    const response = madeUpResponse(r, kind);
    const value = notAResponse(r);
    const rejection = fetchRejection(r, tags);
    const getter = r.pick(['status', 'headers', 'body']);
    fetch = r.pick([
      () =>
        chosen('fetch throws', () => {
          throw thrown;
        }),
      () => chosen('fetch returns a value, not a promise', () => value),
      () => chosen('fetch returns a Response, not a promise', (url, init) => response(init)),
      () => chosen('fetch resolves a made-up Response', async (url, init) => response(init)),
      () => chosen('fetch resolves something else', async () => value),
      () =>
        chosen('fetch rejects', async (url, init) => {
          throw rejection(init);
        }),
      () =>
        chosen(
          'fetch never settles (honours its signal)',
          (url, init) =>
            new Promise((resolve, reject) => {
              const signal = init?.signal;
              if (signal?.aborted) reject(signal.reason);
              signal?.addEventListener('abort', () => reject(signal.reason));
            }),
        ),
      () =>
        chosen('fetch: a thenable settling three times', (url, init) => ({
          then(resolve, reject) {
            resolve(response(init));
            resolve(value);
            reject(thrown);
          },
        })),
      () => {
        tags.mayThrow = true;
        return chosen('fetch: a promise whose then throws', (url, init) => {
          const promise = honestFetch(url, init);
          promise.catch(() => {});
          return Object.defineProperty(promise, 'then', {
            value: () => {
              throw thrown;
            },
          });
        });
      },
      () => {
        tags.mayThrow = true;
        // Response.prototype without a Response inside: its getters throw "Illegal invocation".
        return chosen('fetch resolves an object made from Response.prototype', async () =>
          Object.create(Response.prototype),
        );
      },
      () => {
        tags.mayThrow = true;
        return chosen(`fetch: a Response whose ${getter} getter throws`, async (url, init) =>
          Object.defineProperty(response(init), getter, {
            get: () => {
              throw thrown;
            },
          }),
        );
      },
    ])();
  }

  let now = () => Date.now();
  if (hostileMember()) {
    const value = r.pick([
      NaN,
      Infinity,
      -1,
      0,
      1e20,
      253402300800000,
      '1700000000000',
      1700000000000n,
      Symbol('now'),
      { valueOf: () => Date.now() },
      null,
      undefined,
    ]);
    now = r.pick([
      () =>
        chosen('now throws', () => {
          throw thrown;
        }),
      () => chosen(`now returns ${typeof value}`, () => value),
    ])();
  }

  let nonce = () => randomUUID();
  if (hostileMember()) {
    const value = r.pick([
      '',
      'x'.repeat(65),
      'x'.repeat(64),
      'é'.repeat(4),
      'a b',
      '\uD800',
      42,
      Symbol('nonce'),
      { toString: () => 'abc' },
      null,
      'the-same-every-time',
    ]);
    nonce = r.pick([
      () =>
        chosen('nonce throws', () => {
          throw thrown;
        }),
      () => chosen(`nonce returns ${typeof value}`, () => value),
    ])();
  }

  let sleep = sleepOk;
  if (hostileMember()) {
    const value = r.pick([undefined, null, 5, 'slept', {}]);
    sleep = r.pick([
      () => chosen('sleep resolves at once', () => Promise.resolve()),
      () =>
        chosen('sleep throws', () => {
          throw thrown;
        }),
      () => chosen('sleep returns a value, not a promise', () => value),
      () => chosen('sleep rejects', () => Promise.reject(thrown)),
      () =>
        chosen('sleep: a thenable whose then getter throws', () => ({
          get then() {
            throw thrown;
          },
        })),
      () =>
        chosen('sleep: cancel throws', (ms) =>
          Object.assign(sleepOk(ms), {
            cancel: () => {
              throw thrown;
            },
          }),
        ),
      () =>
        chosen('sleep: cancel is not a function', (ms) =>
          Object.assign(sleepOk(ms), { cancel: 'no' }),
        ),
      () => {
        tags.mayThrow = true;
        return chosen('sleep: a promise whose then throws', (ms) =>
          Object.defineProperty(sleepOk(ms), 'then', {
            value: () => {
              throw thrown;
            },
          }),
        );
      },
      () => {
        tags.mayThrow = true;
        return chosen('sleep: a promise whose constructor getter throws', (ms) =>
          Object.defineProperty(sleepOk(ms), 'constructor', {
            get: () => {
              throw thrown;
            },
          }),
        );
      },
    ])();
  }

  const transport = { fetch, now, nonce, sleep };
  if (r.chance(0.06)) {
    return r.pick([
      () => chosen('no transport', undefined),
      () => chosen('null transport', null),
      () =>
        chosen(
          'a transport Proxy whose get throws',
          new Proxy(transport, {
            get() {
              throw thrown;
            },
          }),
        ),
      () => {
        const { proxy, revoke } = Proxy.revocable(transport, {});
        revoke();
        return chosen('a revoked transport', proxy);
      },
      () =>
        chosen(
          'a transport of throwing getters',
          Object.defineProperties(
            {},
            Object.fromEntries(
              ['fetch', 'now', 'nonce', 'sleep'].map((key) => [
                key,
                {
                  get: () => {
                    throw thrown;
                  },
                },
              ]),
            ),
          ),
        ),
      () => chosen('a frozen transport', Object.freeze(transport)),
    ])();
  }
  return transport;
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
  // request leaves this machine: the shim's transport looks globalThis.fetch up per request,
  // and so do the test's honest transports.
  globalThis.fetch = (url, init) => {
    if (String(url).startsWith(provider.url)) return realFetch(url, init);
    blockedFetches += 1;
    return Promise.resolve(
      new Response('blocked by the test: only the local provider is reachable', { status: 599 }),
    );
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

const honestFetch = (url, init) => globalThis.fetch(url, init);
const honestTransport = () => ({
  fetch: honestFetch,
  now: () => Date.now(),
  nonce: () => randomUUID(),
  sleep: fastSleep(SPEEDUP),
});

/** The strict shape: ok with a value, or a string code with data.errorDescription a string. */
const isEnvelope = (value) =>
  value !== null &&
  typeof value === 'object' &&
  ((value.ok === true && 'value' in value) ||
    (value.ok === false &&
      typeof value.error?.code === 'string' &&
      typeof value.error?.data?.errorDescription === 'string'));

/** The JSON of a value for the secret search; a value JSON refuses counts as leaking nothing. */
const textOf = (value) => {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
};
const leaksSecret = (text) => text.includes(SECRET) || text.includes(TOKEN);

const isRuntimeError = (thrown) => {
  try {
    return thrown instanceof WebAssembly.RuntimeError;
  } catch {
    return false;
  }
};

/** What core.js does after a throw: the next call goes to a fresh instance. */
const reloadIfCurrent = (core, instance) => {
  if (core.__testing.exports() === instance) core.__testing.reload();
};

/** A send's input: a hostile whole, or the base config (kept, mutated or toJSON-made) and a message. */
const sendInput = (r, kind, budget) => {
  if (r.chance(0.15)) return hostile(r, 3, budget);
  const base = baseConfig(kind, provider.url);
  const other = mutatedConfig(r, kind, provider.url, budget);
  let flip = false;
  const config = r.pick([
    () => base,
    () => base,
    () => other,
    // A config whose text changes on every read: the kept config must follow the text.
    () => ({
      toJSON: () => {
        flip = !flip;
        return flip ? base : other;
      },
    }),
  ])();
  const input = {
    config,
    to: r.chance(0.85) ? validRecipient(r, kind) : hostile(r, 2, budget),
    type: r.chance(0.8) ? r.pick(usageTypes) : hostile(r, 1, budget),
    payload: r.chance(0.8)
      ? { code: String(r.int(1e6)), locale: r.pick(['zh-CN', 'en', undefined]) }
      : hostile(r, 3, budget),
    template:
      kind === 'aliyun-dm' && r.chance(0.3)
        ? r.pick([
            () => ({
              subject: `i18n {{code}} ${randomText(r, 10)}`,
              content: randomText(r, 100),
              contentType: r.pick(['text/plain', 'text/html', undefined]),
            }),
            () => hostile(r, 3, budget),
          ])()
        : null,
  };
  if (r.chance(0.1)) {
    const thrown = hostileThrown(r);
    Object.defineProperty(input, r.pick(['config', 'to', 'type', 'payload', 'template']), {
      enumerable: true,
      get: () => {
        throw thrown;
      },
    });
  }
  return input;
};

test(`boundary fuzz: ${ITERATIONS} iterations of hostile values (seed ${SEED})`, async () => {
  console.log(
    `[boundary-fuzz] seed=${SEED} iterations=${ITERATIONS} (FUZZ_SEED=${SEED} replays the choices)`,
  );
  const counts = {
    safeParse: tally(),
    send: tally(),
    exports: tally(),
    boundarySend: tally(),
    transports: tally(),
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
  // Calls that may end in core.js's `general` answer after a throw: one tagged by the generator.
  let excusedFailures = 0;

  /** An envelope a send answered: a success some server sent, or an error without secrets. */
  const checkSendEnvelope = (label, envelope) => {
    if (!isEnvelope(envelope)) {
      fail(`${label}: answered something else than an envelope: ${textOf(envelope).slice(0, 200)}`);
      return 'not an envelope';
    }
    if (envelope.ok) {
      if (!successIds.has(envelope.value?.RequestId))
        fail(
          `${label}: resolved with ${textOf(envelope.value)}, which no server answered as a success`,
        );
      return 'ok';
    }
    if (leaksSecret(textOf(envelope))) fail(`${label}: the error carries the secret or the token`);
    return envelope.error.code;
  };

  /** The synchronous exports, straight and through core.js, with hostile kinds and configs. */
  const syncExports = (r, kind, label, budget) => {
    const core = coreFor(kind);
    const kindArg = r.chance(0.8) ? kind : hostile(r, 1);
    const config = r.chance(0.5)
      ? hostile(r, 4, budget)
      : mutatedConfig(r, kind, provider.url, budget);
    const name = r.pick(['validateConfig', 'validateConfig', 'getMetadata']);
    const args = name === 'validateConfig' ? [kindArg, config] : [kindArg];
    const validKind = kindNames.includes(kindArg);
    for (const via of ['export', 'core.js']) {
      const instance = core.__testing.exports();
      calls += 1;
      let result;
      try {
        result = via === 'export' ? instance[name](...args) : core[name](...args);
      } catch (error) {
        fail(`${label}: ${name} (${via}) threw ${describeRejection(error)}`);
        counts.exports.add(`${name} ${via}: threw`);
        if (via === 'export') reloadIfCurrent(core, instance);
        continue;
      }
      if (!isEnvelope(result)) {
        fail(
          `${label}: ${name} (${via}) answered something else than an envelope: ${typeof result}`,
        );
        continue;
      }
      counts.exports.add(`${name} ${via}: ${result.ok ? 'ok' : result.error.code}`);
      if (result.ok && !validKind)
        fail(`${label}: ${name} (${via}) accepted the kind ${String(kindArg)}`);
      if (name === 'validateConfig' && result.ok && result.value !== config)
        fail(`${label}: validateConfig's value is not the caller's object`);
      if (name === 'getMetadata' && result.ok && typeof result.value?.id !== 'string')
        fail(`${label}: getMetadata's value has no id`);
      if (!result.ok && leaksSecret(textOf(result)))
        fail(`${label}: ${name} (${via}) error carries the secret or the token`);
      if (!result.ok && CORE_FAILED_DESCRIPTION.test(result.error.data.errorDescription))
        fail(`${label}: ${name} (${via}) failed in the core`);
    }
  };

  /** sendMessage straight or through core.js, with a hostile input and a hostile transport. */
  const boundarySend = async (r, kind, label, budget) => {
    const core = coreFor(kind);
    const kindArg = r.chance(0.9) ? kind : hostile(r, 1);
    const input = sendInput(r, kind, budget);
    const tags = { mayThrow: false, names: [] };
    const transport = r.chance(0.2)
      ? honestTransport()
      : hostileTransport(r, kind, honestFetch, tags);
    const via = r.pick(['export', 'core.js']);
    const what = `sendMessage (${via}; ${tags.names.join(', ') || 'honest transport'})`;
    for (const name of tags.names) counts.transports.add(name);
    calls += 1;
    const instance = core.__testing.exports();

    if (via === 'export') {
      let promise;
      try {
        promise = instance.sendMessage(kindArg, input, transport);
      } catch (error) {
        counts.boundarySend.add(
          `export threw ${isRuntimeError(error) ? 'a RuntimeError' : 'a host value'}`,
        );
        if (isRuntimeError(error)) fail(`${label}: ${what} trapped: ${describeRejection(error)}`);
        else if (!tags.mayThrow)
          fail(`${label}: ${what} threw ${describeRejection(error)} though no host value throws`);
        reloadIfCurrent(core, instance);
        return;
      }
      if (!(promise instanceof Promise))
        fail(`${label}: ${what} returned ${typeof promise}, not a Promise`);
      const outcome = await settleWithin(Promise.resolve(promise), SETTLE_MS);
      if (outcome.status === 'unsettled') {
        fail(`${label}: ${what} did not settle within ${SETTLE_MS} ms`);
        counts.boundarySend.add('export unsettled');
      } else if (outcome.status === 'rejected') {
        counts.boundarySend.add(
          `export rejected ${isRuntimeError(outcome.error) ? 'a RuntimeError' : 'a host value'}`,
        );
        if (isRuntimeError(outcome.error))
          fail(`${label}: ${what} trapped: ${describeRejection(outcome.error)}`);
        else if (!tags.mayThrow)
          fail(
            `${label}: ${what} rejected with ${describeRejection(outcome.error)} though no host value throws`,
          );
        reloadIfCurrent(core, instance);
      } else {
        counts.boundarySend.add(`export ${checkSendEnvelope(`${label}: ${what}`, outcome.value)}`);
      }
      return;
    }

    const outcome = await settleWithin(
      (async () => core.sendMessage(kindArg, input, transport))(),
      SETTLE_MS,
    );
    if (outcome.status !== 'resolved') {
      fail(
        `${label}: ${what} ${outcome.status === 'unsettled' ? `did not settle within ${SETTLE_MS} ms` : `rejected with ${describeRejection(outcome.error)}`}`,
      );
      counts.boundarySend.add(`core.js ${outcome.status}`);
      return;
    }
    const code = checkSendEnvelope(`${label}: ${what}`, outcome.value);
    const failedInCore =
      outcome.value?.ok === false &&
      CORE_FAILED_DESCRIPTION.test(outcome.value.error.data.errorDescription);
    counts.boundarySend.add(`core.js ${failedInCore ? 'core failed' : code}`);
    if (failedInCore) {
      if (!tags.mayThrow) fail(`${label}: ${what} failed in the core though no host value throws`);
      else excusedFailures += 1;
      if (outcome.value.error.code !== ConnectorErrorCodes.General)
        fail(`${label}: ${what}: the core failure is not general`);
      if (core.__testing.exports() === instance)
        fail(`${label}: ${what}: the core failed and the instance was kept`);
    }
  };

  /** One iteration: pick a slot, fill it with hostile values, check the answer. */
  const iteration = async (index) => {
    const r = makeRandom((SEED + Math.imul(index, 0x9e3779b1)) >>> 0);
    // A 5 MB string costs seconds of signing; one iteration in thirty may carry one.
    const budget = { huge: r.chance(1 / 30) ? 1 : 0 };
    const kind = r.pick(kindNames);
    const label = `iteration ${index} (${kind})`;
    const slot = r.int(12);

    if (slot <= 1) {
      // configGuard.safeParse, as the admin console calls it (factory and per-request instance).
      const config = r.chance(0.5)
        ? hostile(r, 4, budget)
        : mutatedConfig(r, kind, provider.url, budget);
      const guard = r.chance(0.5)
        ? host.factoryOf(kind).configGuard
        : (await host.connect(kind, { config })).configGuard;
      calls += 1;
      try {
        const result = guard.safeParse(config);
        if (typeof result?.success !== 'boolean')
          fail(`${label}: safeParse answered ${typeof result}`);
        else if (!result.success && (typeof result.error !== 'object' || result.error === null))
          fail(`${label}: safeParse failure without an error object`);
        counts.safeParse.add(String(result?.success));
      } catch (error) {
        fail(`${label}: safeParse threw ${describeRejection(error)}`);
        counts.safeParse.add('threw');
      }
      return;
    }

    if (slot === 2) {
      syncExports(r, kind, label, budget);
      return;
    }

    if (slot <= 4) {
      await boundarySend(r, kind, label, budget);
      return;
    }

    // sendMessage through the installed connector, over HTTP to the hostile provider: half the
    // time a clean message (so that the provider's hostile answers are what is tested), half
    // the time hostile input.
    const clean = r.chance(0.5);
    const config = clean
      ? baseConfig(kind, provider.url)
      : r.chance(0.85)
        ? mutatedConfig(r, kind, provider.url, budget)
        : hostile(r, 3, budget);
    const viaInput = r.chance(0.4);
    const callbacks = {
      getConfig: viaInput
        ? async () => {
            throw new Error('getConfig must not be called when inputConfig is given');
          }
        : clean
          ? async () => config
          : configCallback(r, config),
      getI18nEmailTemplate:
        kind === 'aliyun-dm' ? (clean ? undefined : i18nCallback(r, budget)) : undefined,
    };
    const connector = await host.connect(kind, callbacks);
    const data = clean
      ? { to: validRecipient(r, kind), type: 'SignIn', payload: { code: String(r.int(1e6)) } }
      : sendData(r, kind, budget);
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
      if (!successIds.has(value?.RequestId))
        fail(
          `${label}: resolved with ${textOf(value)}, which the provider never answered as a success`,
        );
    } else {
      const { error } = outcome;
      counts.send.add(describeRejection(error));
      if (!isConnectorError(error)) {
        fail(`${label}: rejected with ${describeRejection(error)}, not the host's ConnectorError`);
      } else if (typeof error.data?.errorDescription !== 'string') {
        fail(`${label}: ConnectorError(${error.code}) without data.errorDescription`);
      } else if (CORE_FAILED_DESCRIPTION.test(error.data.errorDescription)) {
        fail(`${label}: the core failed: ${error.data.errorDescription}`);
      } else if (
        leaksSecret(
          `${String(error.message)}\n${textOf(error.data)}\n${error.data.errorDescription}`,
        )
      ) {
        fail(`${label}: ConnectorError(${error.code}) carries the secret or the token`);
      }
    }
  };

  // Regressions first: hostile values that once escaped as something other than a ConnectorError.
  const nullProto = () => Object.create(null);
  const regressions = [
    [
      'a getter on data throwing a null-prototype object',
      {
        get to() {
          throw nullProto();
        },
      },
    ],
    [
      'a getter on data throwing an object whose toString throws',
      {
        get to() {
          throw {
            toString() {
              throw new Error('no');
            },
          };
        },
      },
    ],
    [
      'payload.locale throwing a null-prototype object',
      {
        to: 'user@example.com',
        type: 'SignIn',
        get payload() {
          return {
            code: '1',
            get locale() {
              throw nullProto();
            },
          };
        },
      },
    ],
    [
      'a Proxy as data whose every trap throws',
      new Proxy(
        {},
        {
          get() {
            throw nullProto();
          },
          getPrototypeOf() {
            throw nullProto();
          },
        },
      ),
    ],
  ];
  for (const [name, data] of regressions) {
    for (const kind of kindNames) {
      const connector = await host.connect(kind, { config: baseConfig(kind, provider.url) });
      calls += 1;
      const outcome = await settleWithin((async () => connector.sendMessage(data))(), SETTLE_MS);
      counts.send.add(
        outcome.status === 'rejected' ? describeRejection(outcome.error) : outcome.status,
      );
      if (outcome.status !== 'rejected' || !isConnectorError(outcome.error)) {
        fail(
          `regression "${name}" (${kind}): ${outcome.status} ${outcome.status === 'rejected' ? describeRejection(outcome.error) : ''}`,
        );
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
  const failureLines = traps.failureLines();
  console.log(
    `[boundary-fuzz] ${calls} boundary calls (${ITERATIONS} random + ${regressions.length * kindNames.length} regressions) in ${elapsed} ms`,
  );
  console.log(`[boundary-fuzz] safeParse: ${counts.safeParse}`);
  console.log(`[boundary-fuzz] connector sendMessage: ${counts.send}`);
  console.log(`[boundary-fuzz] getMetadata/validateConfig: ${counts.exports}`);
  console.log(`[boundary-fuzz] sendMessage at the boundary: ${counts.boundarySend}`);
  console.log(`[boundary-fuzz] hostile transport members: ${counts.transports}`);
  console.log(
    `[boundary-fuzz] provider: ${requests} requests answered, ${successIds.size} success bodies, secret on the wire ${secretOnWire} times; ${blockedFetches} requests to other hosts blocked`,
  );
  console.log(
    `[boundary-fuzz] core.js failures: ${failureLines.length} logged (${excusedFailures} from a host value that throws), RuntimeErrors ${traps.trapLines().length}, unhandled rejections: ${unhandled.length}, failures: ${failures.length}`,
  );
  durations.sort(([a], [b]) => b - a);
  console.log(
    `[boundary-fuzz] slowest iterations (ms, index): ${durations
      .slice(0, 5)
      .map(([ms, i]) => `${ms}@${i}`)
      .join(' ')}`,
  );
  // Failures by kind (the iteration number and the connector stripped), then the first few.
  const kinds = tally();
  for (const line of failures)
    kinds.add(
      line
        .replace(/^(iteration \d+( \([a-z-]+\))?|regression "[^"]*" \([a-z-]+\)): /, '')
        .replace(/\{.*\}/, '{…}'),
    );
  for (const [kind, count] of kinds.entries()) console.log(`[boundary-fuzz]   ${count} × ${kind}`);
  for (const line of failures.slice(0, 12)) console.log(`[boundary-fuzz]   e.g. ${line}`);

  assert.deepEqual(traps.trapLines(), [], 'the Wasm core trapped (WebAssembly.RuntimeError)');
  assert.equal(
    failureLines.length,
    excusedFailures,
    'core.js logged a failure that no host value explains',
  );
  assert.ok(!traps.lines.some(leaksSecret), 'a log line carries the secret or the token');
  assert.deepEqual(unhandled, [], 'unhandled rejections');
  assert.equal(secretOnWire, 0, 'the access key secret went on the wire');
  assert.deepEqual(failures, []);
});

const coreFor = (kind) => traps.cores[kindNames.indexOf(kind)];

test('the module exports exactly getMetadata, validateConfig and sendMessage', () => {
  for (const core of traps.cores) {
    const exports = core.__testing.exports();
    assert.deepEqual(Object.keys(exports).sort(), ['getMetadata', 'sendMessage', 'validateConfig']);
    for (const name of Object.keys(exports)) assert.equal(typeof exports[name], 'function', name);
  }
});

// ─── the transport, one hostile member at a time ────────────────────────────────────────────

const thrower = (thrown) => () => {
  throw thrown;
};
/** A success answer, registered, made up on the spot (returned as it is, not as a promise). */
const successNow = (kind) => () => {
  const body = JSON.stringify(successFields(actionOf(kind), `made-up-${randomUUID()}`));
  registerIfSuccess(actionOf(kind), 200, body);
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
};
const answering = (kind) => async () => successNow(kind)();
/** A fetch that answers only when its signal aborts: with the abort's reason, as fetch does. */
const honouringSignal = (url, init) =>
  new Promise((resolve, reject) => {
    if (init.signal.aborted) reject(init.signal.reason);
    init.signal.addEventListener('abort', () => reject(init.signal.reason));
  });
const rejecting = (make) => async () => {
  throw make();
};
const coded = (message, code) => Object.assign(new Error(message), { code });
const failing = (cause) => new TypeError('fetch failed', { cause });
const madeUp = (makeBody, init) => async () => new Response(makeBody(), init);
const neverSettles = () => new Promise(() => {});

/**
 * name, transport members, and what must come of a send: `ok`, or the error `code` and
 * `network`; `fetches` calls of fetch; `coreFailed`: the value thrown while the core read it
 * makes the export reject (or throw) with that very value, and core.js answer `general` from a
 * fresh instance.
 */
const memberCases = (kind) => {
  const nullPrototype = Object.create(null);
  const everyTrapThrows = new Proxy(
    {},
    {
      get: thrower(new Error('get')),
      getPrototypeOf: thrower(new Error('getPrototypeOf')),
      ownKeys: thrower(new Error('ownKeys')),
    },
  );
  const statusThrows = new RangeError('the status getter');
  const thenThrows = new SyntaxError('then');
  const ok = answering(kind);
  return [
    [
      'now throws',
      { now: thrower(new Error('clock')), fetch: ok },
      { code: 'general', fetches: 0 },
    ],
    ['now returns NaN', { now: () => NaN, fetch: ok }, { code: 'general', fetches: 0 }],
    [
      'now returns a numeric string',
      { now: () => String(Date.now()), fetch: ok },
      { code: 'general', fetches: 0 },
    ],
    [
      'now returns year 10000',
      { now: () => 253402300800000, fetch: ok },
      { code: 'general', fetches: 0 },
    ],
    [
      'nonce throws',
      { nonce: thrower(new Error('nonce')), fetch: ok },
      { code: 'general', fetches: 0 },
    ],
    [
      'nonce returns 65 characters',
      { nonce: () => 'n'.repeat(65), fetch: ok },
      { code: 'general', fetches: 0 },
    ],
    [
      'nonce returns a lone surrogate',
      { nonce: () => 'abc\uD800', fetch: ok },
      { code: 'general', fetches: 0 },
    ],
    ['nonce returns a number', { nonce: () => 42, fetch: ok }, { code: 'general', fetches: 0 }],
    [
      'sleep throws: no deadline, so nothing is sent',
      { sleep: thrower(new Error('timer')), fetch: ok },
      { code: 'general', network: 'other', fetches: 0 },
    ],
    [
      'sleep resolves at once: the deadline passes first',
      { sleep: () => Promise.resolve(), fetch: honouringSignal },
      { code: 'general', network: 'timeout', fetches: 1 },
    ],
    [
      'sleep returns undefined, not a promise: no deadline, so nothing is sent',
      { sleep: () => undefined, fetch: honouringSignal },
      { code: 'general', network: 'other', fetches: 0 },
    ],
    [
      'sleep returns a number, not a promise: no deadline, so nothing is sent',
      { sleep: () => 5, fetch: honouringSignal },
      { code: 'general', network: 'other', fetches: 0 },
    ],
    [
      'sleep never settles and the answer comes',
      { sleep: neverSettles, fetch: ok },
      { ok: true, fetches: 1 },
    ],
    [
      'sleep without cancel',
      { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / SPEEDUP)), fetch: ok },
      { ok: true, fetches: 1 },
    ],
    [
      'sleep whose cancel throws',
      {
        sleep: (ms) =>
          Object.assign(fastSleep(SPEEDUP)(ms), { cancel: thrower(new Error('cancel')) }),
        fetch: ok,
      },
      { ok: true, fetches: 1 },
    ],
    [
      'fetch throws synchronously',
      { fetch: thrower(new TypeError('sync')) },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch returns a Response, not a promise',
      { fetch: successNow(kind) },
      { ok: true, fetches: 1 },
    ],
    [
      'fetch resolves a plain object shaped like a Response',
      {
        fetch: async () => ({
          status: 200,
          ok: true,
          headers: new Headers(),
          text: async () => '{}',
        }),
      },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch resolves undefined',
      { fetch: async () => undefined },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch rejects: connection refused',
      { fetch: rejecting(() => failing(coded('connect ECONNREFUSED', 'ECONNREFUSED'))) },
      { code: 'general', network: 'refused', fetches: 3 },
    ],
    [
      'fetch rejects: no such host',
      { fetch: rejecting(() => failing(coded('getaddrinfo ENOTFOUND', 'ENOTFOUND'))) },
      { code: 'general', network: 'dns', fetches: 3 },
    ],
    [
      'fetch rejects: every address refused (AggregateError)',
      {
        fetch: rejecting(() =>
          failing(new AggregateError([coded('a', 'ECONNREFUSED'), coded('b', 'ECONNREFUSED')])),
        ),
      },
      { code: 'general', network: 'refused', fetches: 3 },
    ],
    [
      'fetch rejects: reset',
      { fetch: rejecting(() => failing(coded('other side closed', 'UND_ERR_SOCKET'))) },
      { code: 'general', network: 'reset', fetches: 1 },
    ],
    [
      'fetch rejects: a redirect',
      { fetch: rejecting(() => failing(new Error('unexpected redirect'))) },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch rejects: aborted',
      { fetch: rejecting(() => new DOMException('This operation was aborted', 'AbortError')) },
      { code: 'general', network: 'timeout', fetches: 1 },
    ],
    [
      'fetch rejects with a null-prototype object',
      { fetch: rejecting(() => nullPrototype) },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch rejects with a Proxy whose every trap throws',
      { fetch: rejecting(() => everyTrapThrows) },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch rejects with undefined',
      { fetch: rejecting(() => undefined) },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch rejects with a BigInt',
      { fetch: rejecting(() => 10n) },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch rejects with an error that is its own cause',
      {
        fetch: rejecting(() => {
          const e = new Error('cyclic');
          e.cause = e;
          return e;
        }),
      },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'fetch never settles (honours its signal)',
      { fetch: honouringSignal },
      { code: 'general', network: 'timeout', fetches: 1 },
    ],
    [
      'an answer whose body errors midway',
      {
        fetch: madeUp(
          () =>
            new ReadableStream({
              start: (c) => {
                c.enqueue(new TextEncoder().encode('{"Env'));
                c.error(new TypeError('terminated'));
              },
            }),
        ),
      },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'an endless answer in chunks',
      {
        fetch: madeUp(
          () => new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(8192).fill(0x61)) }),
        ),
      },
      { code: 'invalid_response', fetches: 1 },
    ],
    [
      'an answer that declares 5 bytes and carries 70 KB',
      {
        fetch: async () =>
          new Response('y'.repeat(70 * 1024), { headers: { 'content-length': '5' } }),
      },
      { code: 'invalid_response', fetches: 1 },
    ],
    [
      'an answer of chunks that are not bytes',
      {
        fetch: madeUp(
          () =>
            new ReadableStream({
              start: (c) => {
                c.enqueue('text');
                c.enqueue(7);
                c.close();
              },
            }),
        ),
      },
      { code: 'invalid_response', fetches: 1 },
    ],
    ['no transport', { whole: undefined }, { code: 'general', fetches: 0 }],
    [
      'a transport whose every property throws',
      { whole: new Proxy({}, { get: thrower(new Error('get')) }) },
      { code: 'general', fetches: 0 },
    ],
    [
      'fetch resolves an object made from Response.prototype',
      { fetch: async () => Object.create(Response.prototype) },
      { coreFailed: TypeError, fetches: 1 },
    ],
    [
      'fetch resolves a Response whose status getter throws',
      {
        fetch: async () =>
          Object.defineProperty(new Response('{}'), 'status', { get: thrower(statusThrows) }),
      },
      { coreFailed: statusThrows, fetches: 1 },
    ],
    [
      'fetch rejects with errors whose length throws',
      {
        fetch: rejecting(() => ({
          errors: new Proxy([], { get: thrower(new EvalError('length')) }),
        })),
      },
      { code: 'general', network: 'other', fetches: 1 },
    ],
    [
      'sleep returns a promise whose then throws',
      {
        sleep: (ms) =>
          Object.defineProperty(fastSleep(SPEEDUP)(ms), 'then', { value: thrower(thenThrows) }),
        fetch: ok,
      },
      { coreFailed: thenThrows, fetches: 0 },
    ],
  ];
};

test('the transport, one hostile member at a time: the send settles as the contract says, through the export and through core.js', async () => {
  const problems = [];
  let count = 0;
  for (const kind of kindNames) {
    const core = coreFor(kind);
    for (const [name, members, expected] of memberCases(kind)) {
      for (const via of ['export', 'core.js']) {
        const label = `${kind} ${name} (${via})`;
        let fetches = 0;
        const base = { ...honestTransport(), ...members };
        const counted = {
          ...base,
          fetch: (...args) => {
            fetches += 1;
            return base.fetch(...args);
          },
        };
        const transport = 'whole' in members ? members.whole : counted;
        const input = {
          config: baseConfig(kind, provider.url),
          to: recipient(kind, 'member'),
          type: 'SignIn',
          payload: { code: '1' },
          template: null,
        };
        const instance = core.__testing.exports();
        const outcome = await settleWithin(
          via === 'export'
            ? (async () => instance.sendMessage(kind, input, transport))()
            : core.sendMessage(kind, input, transport),
          SETTLE_MS,
        );
        count += 1;
        const got =
          outcome.status === 'resolved'
            ? textOf(outcome.value).slice(0, 300)
            : outcome.status === 'rejected'
              ? describeRejection(outcome.error)
              : 'unsettled';
        if (fetches !== expected.fetches)
          problems.push(`${label}: fetch called ${fetches} times, expected ${expected.fetches}`);
        if (expected.coreFailed) {
          if (via === 'export') {
            const same =
              typeof expected.coreFailed === 'function'
                ? outcome.error instanceof expected.coreFailed
                : outcome.error === expected.coreFailed;
            if (outcome.status !== 'rejected' || !same || isRuntimeError(outcome.error))
              problems.push(
                `${label}: expected a rejection with the host's own thrown value, got ${got}`,
              );
            reloadIfCurrent(core, instance);
          } else {
            const envelope = outcome.value;
            if (
              outcome.status !== 'resolved' ||
              envelope?.ok !== false ||
              envelope.error.code !== 'general' ||
              !CORE_FAILED_DESCRIPTION.test(envelope.error.data.errorDescription)
            ) {
              problems.push(`${label}: expected core.js's general answer, got ${got}`);
            }
            if (core.__testing.exports() === instance)
              problems.push(`${label}: the instance was kept`);
          }
          continue;
        }
        if (outcome.status !== 'resolved' || !isEnvelope(outcome.value)) {
          problems.push(`${label}: expected an envelope, got ${got}`);
          continue;
        }
        const envelope = outcome.value;
        if (expected.ok) {
          if (!envelope.ok || !successIds.has(envelope.value.RequestId))
            problems.push(`${label}: expected the success, got ${got}`);
        } else if (
          envelope.ok ||
          envelope.error.code !== expected.code ||
          (expected.network && envelope.error.data.network !== expected.network)
        ) {
          problems.push(
            `${label}: expected ${expected.code}${expected.network ? ` (network ${expected.network})` : ''}, got ${got}`,
          );
        } else if (CORE_FAILED_DESCRIPTION.test(envelope.error.data.errorDescription)) {
          problems.push(`${label}: the core failed: ${got}`);
        }
      }
    }
  }
  console.log(`[boundary-fuzz] transport members: ${count} sends, problems: ${problems.length}`);
  for (const line of problems) console.log(`[boundary-fuzz]   ${line}`);
  assert.deepEqual(problems, []);
});

// ─── wide answers ───────────────────────────────────────────────────────────────────────────

test(`a provider answer of ${Math.round(wideBody.length / 1024)} KB holding ${WIDE_KEYS.toLocaleString('en')} keys is refused unread as invalid_response; the widest answers within the 64 KB cap are parsed`, async () => {
  assert.ok(wideBody.length > ANSWER_CAP, 'the wide answer is over the cap');
  for (const name of ['wide-keys', 'wide-array', 'wide-bare']) {
    for (const action of kindNames.map(actionOf)) {
      assert.ok(wideAnswers[name](action).length <= ANSWER_CAP, `${name} fits under the cap`);
    }
  }
  const problems = [];
  for (const kind of kindNames) {
    for (const [path, expected] of [
      ['wide', 'over'],
      ['wide-keys', 'resolve'],
      ['wide-array', 'resolve'],
      ['wide-bare', ConnectorErrorCodes.InvalidResponse],
    ]) {
      const connector = await host.connect(kind, {
        config: { ...baseConfig(kind, `${provider.url}${path}/`), timeoutMs: 10_000 },
      });
      const outcome = await settleWithin(
        connector.sendMessage({
          to: recipient(kind, 'wide'),
          type: 'SignIn',
          payload: { code: '1' },
        }),
        SETTLE_MS,
      );
      const got =
        outcome.status === 'rejected'
          ? `${describeRejection(outcome.error)} ${outcome.error?.data?.errorDescription}`
          : outcome.status;
      console.log(`[boundary-fuzz] ${kind} ${path}: ${got}`);
      if (expected === 'resolve') {
        if (outcome.status !== 'resolved' || !outcome.value.RequestId.startsWith(`${path}-`))
          problems.push(`${kind} ${path}: ${got}`);
      } else if (expected === 'over') {
        if (
          outcome.status !== 'rejected' ||
          outcome.error?.code !== ConnectorErrorCodes.InvalidResponse ||
          !/over 64 KB/.test(outcome.error.data.errorDescription)
        )
          problems.push(`${kind} ${path}: ${got}`);
      } else if (outcome.status !== 'rejected' || outcome.error?.code !== expected) {
        problems.push(`${kind} ${path}: ${got}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

// ─── deadlines, and what an error says about sending ────────────────────────────────────────

/** A local server that takes requests and never answers: only a deadline ends them. */
const silentServer = async () => {
  const sockets = new Set();
  const server = http.createServer(() => {});
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

const sendWith = (core, kind, endpoint, transport) =>
  settleWithin(
    core.sendMessage(
      kind,
      {
        config: baseConfig(kind, endpoint),
        to: recipient(kind, 'deadline'),
        type: 'SignIn',
        payload: { code: '1' },
        template: null,
      },
      transport,
    ),
    SETTLE_MS,
  );

test('a deadline is a timeout whatever the sleep resolves to (the contract types it Promise<unknown>) or when a broken sleep rejects', async () => {
  const silent = await silentServer();
  const problems = [];
  try {
    const later = (settle) => (ms) => {
      let timer;
      const slept = new Promise((resolve, reject) => {
        timer = setTimeout(() => settle(resolve, reject), Math.ceil(ms / SPEEDUP));
      });
      slept.cancel = () => clearTimeout(timer);
      return slept;
    };
    const sleeps = {
      'resolves to a string': later((resolve) => resolve('slept')),
      'resolves to an Error': later((resolve) => resolve(new Error('a value, not a failure'))),
      'rejects (a broken timer)': later((resolve, reject) => reject(new Error('broken timer'))),
    };
    for (const kind of kindNames) {
      for (const [name, sleep] of Object.entries(sleeps)) {
        // The real fetch, past the test's guard, to a server that never answers.
        const hostFetch = (url, init) => realFetch(url, init);
        for (const [fetchName, fetch] of [
          ['the host fetch', hostFetch],
          ['a fetch honouring its signal', honouringSignal],
        ]) {
          const endpoint = fetch === hostFetch ? silent.url : provider.url;
          const outcome = await sendWith(coreFor(kind), kind, endpoint, {
            ...honestTransport(),
            fetch,
            sleep,
          });
          const data = outcome.value?.error?.data;
          if (outcome.status !== 'resolved' || data?.network !== 'timeout') {
            problems.push(
              `${kind}, sleep ${name}, ${fetchName}: expected network timeout, got ${outcome.status === 'resolved' ? textOf(outcome.value) : outcome.status}`,
            );
          }
        }
      }
    }
  } finally {
    await silent.close();
  }
  for (const line of problems) console.log(`[boundary-fuzz]   ${line}`);
  assert.deepEqual(problems, []);
});

test('an error never says a message may have been sent and was not retried when it was never sent, or was retried', async () => {
  const problems = [];
  const cases = [
    [
      'sleep throws (no deadline, nothing sent)',
      { sleep: thrower(new Error('timer')), fetch: answering('aliyun-dm') },
      0,
    ],
    [
      'fetch refuses a port ("bad port")',
      { fetch: rejecting(() => failing(new Error('bad port'))) },
      3,
    ],
    [
      'fetch refuses the URL (ERR_INVALID_URL)',
      {
        fetch: rejecting(() =>
          Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }),
        ),
      },
      3,
    ],
  ];
  for (const kind of kindNames) {
    for (const [name, members, attempts] of cases) {
      let fetches = 0;
      const base = { ...honestTransport(), ...members };
      const outcome = await sendWith(coreFor(kind), kind, provider.url, {
        ...base,
        fetch: (...args) => {
          fetches += 1;
          return base.fetch(...args);
        },
      });
      const description = outcome.value?.error?.data?.errorDescription ?? '';
      if (fetches !== attempts)
        problems.push(`${kind} ${name}: ${fetches} fetches, expected ${attempts}`);
      if (
        outcome.status !== 'resolved' ||
        outcome.value.ok ||
        /may have been sent|not retried/.test(description)
      ) {
        problems.push(
          `${kind} ${name}: ${outcome.status === 'resolved' ? description : outcome.status}`,
        );
      }
    }
  }
  for (const line of problems) console.log(`[boundary-fuzz]   ${line}`);
  assert.deepEqual(problems, []);
});

test('a send settles at its deadline even when the fetch ignores its signal or its answer stalls', async () => {
  const LIVENESS_MS = 10_000;
  const problems = [];
  const stalling = async () =>
    new Response(
      new ReadableStream({
        start: (c) => c.enqueue(new TextEncoder().encode('{"EnvId":')),
        pull: () => new Promise(() => {}),
      }),
    );
  const unchunked = async () =>
    new Response(new ReadableStream({ pull: () => new Promise(() => {}) }), {
      headers: { 'content-length': '10' },
    });
  const cases = kindNames.flatMap((kind) =>
    [
      ['a fetch that never settles and ignores its signal', neverSettles],
      ['an answer whose body stalls (read in chunks)', stalling],
      ['an answer whose body stalls (declared length)', unchunked],
    ].map(([name, fetch]) => ({ kind, name, fetch })),
  );
  // All at once: each may take the whole liveness bound.
  await Promise.all(
    cases.map(async ({ kind, name, fetch }) => {
      const input = {
        config: baseConfig(kind, provider.url),
        to: recipient(kind, 'stall'),
        type: 'SignIn',
        payload: { code: '1' },
        template: null,
      };
      const outcome = await settleWithin(
        coreFor(kind).sendMessage(kind, input, { ...honestTransport(), fetch }),
        LIVENESS_MS,
      );
      if (outcome.status !== 'resolved' || outcome.value?.error?.data?.network !== 'timeout') {
        problems.push(
          `${kind} ${name}: ${outcome.status === 'unsettled' ? `unsettled after ${LIVENESS_MS} ms (the deadline passed after ${baseConfig(kind, '').timeoutMs / SPEEDUP} ms)` : textOf(outcome.value ?? outcome.error)}`,
        );
      }
    }),
  );
  for (const line of problems) console.log(`[boundary-fuzz]   ${line}`);
  assert.deepEqual(problems, []);
});

test('an answer reads the same whether its length is declared or it comes in chunks: a UTF-8 BOM before a success', async () => {
  const problems = [];
  for (const kind of kindNames) {
    for (const how of ['declared', 'chunked']) {
      const RequestId = `bom-${how}-${randomUUID()}`;
      const body = `\uFEFF${JSON.stringify(successFields(actionOf(kind), RequestId))}`;
      registerIfSuccess(actionOf(kind), 200, body);
      const bytes = new TextEncoder().encode(body);
      const fetch = async () =>
        how === 'declared'
          ? new Response(bytes, { headers: { 'content-length': String(bytes.length) } })
          : new Response(
              new ReadableStream({
                start: (c) => {
                  c.enqueue(bytes);
                  c.close();
                },
              }),
            );
      const outcome = await sendWith(coreFor(kind), kind, provider.url, {
        ...honestTransport(),
        fetch,
      });
      if (
        outcome.status !== 'resolved' ||
        outcome.value.ok !== true ||
        outcome.value.value.RequestId !== RequestId
      ) {
        problems.push(
          `${kind} ${how}: ${outcome.status === 'resolved' ? textOf(outcome.value) : outcome.status}`,
        );
      }
    }
  }
  for (const line of problems) console.log(`[boundary-fuzz]   ${line}`);
  assert.deepEqual(problems, []);
});
