// JS side of tests/wasm_node.rs (`wasm-pack test --node`): a scripted transport whose fetch
// answers with real `Response` objects and rejects the way undici does, a check that a value
// is plain JSON-shaped data, and the exports of the glue module under test.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

// The clock and nonce of attempt n (from 0): 2026-01-01T00:00:00Z plus n seconds, `nonce-n`.
const EPOCH_MS = Date.UTC(2026, 0, 1);

// Sleeps this long or longer are a request's deadline (timeoutMs is 1000–60000 ms); shorter
// ones are the backoff before a retry (200–800 ms).
const DEADLINE_FROM_MS = 1000;

// Chunks of an endless body before it gives up, so a missing cap fails instead of hanging.
const ENDLESS_LIMIT = 1000;

// Aliyun's percent-encoding: RFC 3986 unreserved characters stay, everything else is %XX.
const percentEncode = (text) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

// An undici-like network failure: TypeError('fetch failed') with the socket error as cause.
const networkError = (code, message) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });

const abortError = (signal) =>
  signal.reason ?? new DOMException('This operation was aborted', 'AbortError');

const answered = (body, init) => Promise.resolve(new Response(body, init));

export class Fake {
  // answers: one per fetch call, in order (see the answer makers below); overrides: transport
  // members to replace (now, nonce, sleep, fetch); deadline: 'pending' (a deadline's sleep
  // never fires) or 'at-once' (it resolves at once).
  constructor(answers, overrides = {}, deadline = 'pending') {
    this.answers = [...answers];
    this.deadline = deadline;
    this.requests = [];
    this.sleeps = [];
    this.cancels = 0;
    this.nows = 0;
    this.nonces = 0;
    this.pulled = 0;
    this.bodyCancelled = false;
    this.transport = {
      fetch: (url, init) => this.fetch(url, init),
      now: () => EPOCH_MS + 1000 * this.nows++,
      nonce: () => `nonce-${this.nonces++}`,
      sleep: (ms) => this.sleep(ms),
      ...overrides,
    };
  }

  fetch(url, init) {
    const request = {
      url,
      method: init.method,
      contentType: new Headers(init.headers).get('content-type'),
      body: init.body,
      redirect: init.redirect,
      signalIsAbortSignal: init.signal instanceof AbortSignal,
    };
    this.requests.push(request);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('the fake has no answer left');
    return answer.call(this, request, init.signal);
  }

  sleep(ms) {
    this.sleeps.push(ms);
    const fires = ms < DEADLINE_FROM_MS || this.deadline === 'at-once';
    const sleeping = fires ? Promise.resolve() : new Promise(() => {});
    sleeping.cancel = () => {
      this.cancels++;
    };
    return sleeping;
  }

  // Answer makers: each returns what fetch does for one call.

  static respond(status, body, headers = {}) {
    return () => answered(body, { status, headers });
  }

  // Aliyun's answer to a wrong signature, quoting its string to sign (every parameter of the
  // request), with the request echoed in HostId and Recommend too.
  static echo() {
    return ({ body }) => {
      const canonical = body.split('&Signature=')[0];
      const stringToSign = `POST&%2F&${percentEncode(canonical)}`;
      const mismatch = 'Specified signature is not matched with our calculation.';
      const answer = {
        Code: 'SignatureDoesNotMatch',
        Message: `${mismatch} server string to sign is:${stringToSign}`,
        RequestId: 'R-echo',
        HostId: body,
        Recommend: decodeURIComponent(canonical),
      };
      return answered(JSON.stringify(answer), { status: 400 });
    };
  }

  static refused() {
    return () => Promise.reject(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443'));
  }

  static reset() {
    return () => Promise.reject(networkError('UND_ERR_SOCKET', 'other side closed'));
  }

  // What undici throws for a URL it cannot use, before opening any socket.
  static unusableUrl() {
    return () =>
      Promise.reject(Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }));
  }

  static throws(value) {
    return () => {
      throw value;
    };
  }

  static resolvesTo(value) {
    return () => Promise.resolve(value);
  }

  // Never answers; rejects with an AbortError when the request's signal aborts, as undici does.
  static silent() {
    return (_request, signal) =>
      new Promise((_resolve, reject) => {
        if (signal.aborted) reject(abortError(signal));
        signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
      });
  }

  // Never answers and ignores the signal.
  static deaf() {
    return () => new Promise(() => {});
  }

  // A 200 whose body never delivers a byte, and is not tied to the request's signal.
  static stalled() {
    return () => answered(new ReadableStream({ pull: () => new Promise(() => {}) }));
  }

  // A 200 whose body never ends (16 KiB chunks), with the given headers.
  static endless(headers = {}) {
    return function () {
      const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
      const body = new ReadableStream({
        pull: (controller) => {
          this.pulled++;
          if (this.pulled > ENDLESS_LIMIT) controller.error(new Error('read on and on'));
          else controller.enqueue(chunk);
        },
        cancel: () => {
          this.bodyCancelled = true;
        },
      });
      return answered(body, { status: 200, headers });
    };
  }
}

// Where `value` stops being plain JSON-shaped data (objects with Object.prototype, arrays,
// strings, finite numbers, booleans, null), as a path; null when it never does.
export function impurity(value, path = '$') {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path}: ${value}`;
  if (typeof value !== 'object') return `${path}: ${typeof value}`;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
    return `${path}: a ${value.constructor?.name ?? 'null-prototype object'}`;
  }
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const found = impurity(item, `${path}.${key}`);
    if (found !== null) return found;
  }
  return null;
}

export function deepEqual(a, b) {
  return isDeepStrictEqual(a, b);
}

// Aliyun's percent-encoding, for tests that look for encoded forms.
export function aliyunEncode(text) {
  return percentEncode(text);
}

// The exports of the glue module under test: the module the test runner's script loads
// (run.cjs requires CommonJS glue; run.mjs would import an ES module).
export async function glueExports() {
  const root = new URL('../../../../', import.meta.url);
  const runners = [
    ['run.cjs', /require\('(\.\/[^']+)'\)/],
    ['run.mjs', /import \* as wasm from '(\.\/[^']+)'/],
  ];
  for (const [runner, pattern] of runners) {
    const script = await readFile(new URL(runner, root), 'utf8').catch(() => null);
    const glue = script === null ? undefined : pattern.exec(script)?.[1];
    if (glue === undefined) continue;
    const url = new URL(glue, root);
    return runner === 'run.cjs' ? createRequire(url)(url.pathname) : import(url.href);
  }
  throw new Error(`no test runner script naming the glue module in ${root.pathname}`);
}

// `promise`'s value, or the string 'unsettled' when it has not settled after `ms` (a guard
// against a send that would never end, not a measurement).
export function settledWithin(promise, ms) {
  let timer;
  const guard = new Promise((resolve) => {
    timer = setTimeout(() => resolve('unsettled'), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}
