// The one door into the WebAssembly core.
//
// This is the only file that loads `../pkg/aliyun_connectors.js` (the wasm-bindgen `nodejs`
// glue, CommonJS, which reads and instantiates the .wasm synchronously when required). It is
// loaded once per process at module evaluation: Logto calls `createConnector` on every request,
// so instantiating there would cost a compile per request. The core keeps no tenant state, so
// one instance serves every tenant of a Logto process.
//
// Every core export answers with an envelope (docs/contracts.md section 1) and never throws.
// `unwrap` turns an error envelope into the host's `ConnectorError`. `failInternal` covers what
// the contract rules out: a trap (a Rust panic) or a result that is not an envelope.
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { toHostConfigError } from './config-error.js';

// Node 20 and 22 (V8 11.3 and 12.4) abort the whole process (SIGTRAP in
// Deoptimizer::DoComputeBuiltinContinuation) when TurboFan has inlined a call into one of our
// exports and later deoptimizes it; a hot send loop plus a major GC is enough
// (bench/repro/v8-wasm-inline-crash.mjs, tests/js/v8-inline-crash.test.mjs). Turning off only
// that inlining, before the glue is compiled, avoids it. The flag is process-wide; its cost is
// a few nanoseconds per JS→Wasm call, which no connector or Logto's own Wasm use can notice,
// while the crash would take Logto down.
v8.setFlagsFromString('--no-turbo-inline-js-wasm-calls');

const require = createRequire(import.meta.url);
// The same relative path works in js-shim/ (next to the repo's pkg/) and in a built package
// (lib/ next to pkg/).
const gluePath = require.resolve('../pkg/aliyun_connectors.js');

// Per kind, the config of the core's last successful plan, as `{ text, data }`: its JSON text
// and `JSON.parse(text)`. The core keeps that config, so a send whose config is the same data
// passes `null` instead of copying the text into the module again. Forgotten whenever the
// module is (re)instantiated, since the new instance holds none.
const heldConfig = new Map();

/** Requires the glue afresh: out of the require cache, Node runs it (and instantiates) again. */
const instantiate = () => {
  heldConfig.clear();
  delete require.cache[gluePath];
  return require(gluePath);
};

let wasm = instantiate();

const isObject = (value) => typeof value === 'object' && value !== null;

/** True for `{ ok: true, value }` and `{ ok: false, error: { code: string, data: object } }`. */
export const isEnvelope = (value) =>
  isObject(value) &&
  ((value.ok === true && 'value' in value) ||
    (value.ok === false &&
      isObject(value.error) &&
      typeof value.error.code === 'string' &&
      isObject(value.error.data)));

/**
 * The value of an ok envelope; otherwise throws the host's ConnectorError with the core's code
 * and data, config issues as the error Logto's console can list (config-error.js).
 */
export const unwrap = (envelope) => {
  if (envelope.ok) {
    return envelope.value;
  }
  const { code, data } = envelope.error;
  throw new ConnectorError(
    code,
    code === ConnectorErrorCodes.InvalidConfig ? toHostConfigError(data) : data,
  );
};

// Only names reach the log: a thrown value's message could echo input, and input holds the
// secret. A trap's message ("unreachable", "memory access out of bounds") is fixed text.
const describeThrown = (thrown) => {
  try {
    if (thrown instanceof WebAssembly.RuntimeError) {
      return `WebAssembly.RuntimeError: ${String(thrown.message)}`;
    }
    if (thrown instanceof Error) {
      return String(thrown.name);
    }
  } catch {
    // A hostile value (a Proxy, a throwing getter): describe it by its type alone.
  }
  return `a thrown ${typeof thrown}`;
};

const internalErrorDescriptions = Object.freeze({
  trapped: 'Internal connector error (the WebAssembly core trapped); the module has been reloaded.',
  malformed:
    'Internal connector error (the WebAssembly core returned a malformed result); the module has been reloaded.',
});

/**
 * Logs one line, re-instantiates the module (a trap leaves Rust state such as a borrowed RefCell
 * poisoned for good) and throws a `general` ConnectorError, which Logto answers with a 400 and a
 * message instead of a bare 500.
 */
const failInternal = (exportName, kind, reason, detail) => {
  console.error(
    `[connector-${kind}] ${exportName}: the WebAssembly core ${reason === 'trapped' ? 'trapped' : 'returned a malformed result'} (${detail}); reloading the module.`,
  );
  wasm = instantiate();
  throw new ConnectorError(ConnectorErrorCodes.General, {
    errorDescription: internalErrorDescriptions[reason],
  });
};

const checked = (exportName, kind, result) => {
  if (!isEnvelope(result)) {
    failInternal(exportName, kind, 'malformed', isObject(result) ? 'an object' : typeof result);
  }
  return result;
};

/** Calls a synchronous export and returns what it returned; a trap becomes `failInternal`. */
const callRaw = (exportName, kind, ...args) => {
  try {
    return wasm[exportName](kind, ...args);
  } catch (error) {
    return failInternal(exportName, kind, 'trapped', describeThrown(error));
  }
};

/** Calls a synchronous export and returns its envelope. */
const callSync = (exportName, kind, ...args) => checked(exportName, kind, callRaw(exportName, kind, ...args));

/** `Envelope<ConnectorMetadata>` for `kind`. */
export const getMetadata = (kind) => callSync('getMetadata', kind);

/** `Envelope<Config>`: the core's verdict on an untrusted config value. */
export const validateConfig = (kind, config) => callSync('validateConfig', kind, config);

/** JSON text of a value, or undefined when JSON.stringify refuses it or yields nothing. */
const jsonOf = (value) => {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
};

/**
 * True when `JSON.stringify(value)` is certain to give the text `data` was parsed from: `data`
 * is what `JSON.parse` made, and `value` holds, in the same order, the same primitives in
 * plain objects and arrays with nothing that JSON.stringify would call or turn into
 * something else (a `toJSON`, a Date, a class instance, `NaN`, an `undefined` property). Any
 * doubt answers false, and the caller stringifies. Logto reads the stored config afresh for
 * every send (a new object with the same data), so this compares contents, never identity: a
 * config edited in place is seen as changed.
 */
const isSameData = (value, data) => {
  if (typeof data !== 'object' || data === null) {
    return value === data;
  }
  if (typeof value !== 'object' || value === null || typeof value.toJSON === 'function') {
    return false;
  }
  if (Array.isArray(data)) {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype || value.length !== data.length) {
      return false;
    }
    for (let index = 0; index < data.length; index += 1) {
      if (!isSameData(value[index], data[index])) return false;
    }
    return true;
  }
  if (Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    return false;
  }
  const keys = Object.keys(data);
  const valueKeys = Object.keys(value);
  if (valueKeys.length !== keys.length) {
    return false;
  }
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index];
    if (valueKeys[index] !== key || !isSameData(value[key], data[key])) return false;
  }
  return true;
};

/** `isSameData`, where a Proxy's trap or a getter that throws counts as a difference. */
const isSameConfig = (value, held) => {
  try {
    return held !== undefined && isSameData(value, held.data);
  } catch {
    return false;
  }
};

/** True for planSend's success: `[url, body, timeoutMs, maxResponseBytes, contentType]`. */
export const isPlannedRequest = (value) =>
  Array.isArray(value) &&
  value.length === 5 &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'string' &&
  Number.isFinite(value[2]) &&
  Number.isFinite(value[3]) &&
  typeof value[4] === 'string';

/** The transport's `HttpRequest` for a planned request. */
export const toHttpRequest = ([url, body, timeoutMs, maxResponseBytes, contentType]) => ({
  method: 'POST',
  url,
  headers: { 'content-type': contentType },
  body,
  timeoutMs,
  maxResponseBytes,
});

/**
 * `Envelope<HttpRequest>` for one attempt. The core answers a success with the array
 * `[url, body, timeoutMs, maxResponseBytes, contentType]` (cheaper than building the object
 * field by field across the boundary); the object is made here.
 */
const planSend = (kind, input, stamp, configJson) => {
  const result = callRaw('planSend', kind, input, stamp, configJson);
  if (isPlannedRequest(result)) {
    return { ok: true, value: toHttpRequest(result) };
  }
  // The text may have been refused (the core then holds none for this kind): send it next time.
  heldConfig.delete(kind);
  return checked('planSend', kind, result);
};

/**
 * The `{ text, data }` entry for `config`: the held one when the config holds the same data (or
 * stringifies to the same text), else a new one; undefined when JSON.stringify refuses the
 * config (a cycle, a BigInt), which then stays in the input, where the core reports what is
 * wrong. Comparing the data walks a few dozen values; stringifying was the shim's largest cost
 * per send (bench/profile.mjs).
 */
const configEntry = (kind, config) => {
  const held = heldConfig.get(kind);
  if (isSameConfig(config, held)) {
    return held;
  }
  const text = jsonOf(config);
  if (text === undefined) {
    return undefined;
  }
  return held !== undefined && held.text === text ? held : { text, data: JSON.parse(text) };
};

/**
 * What `planSend` takes for the config of `entry`, decided anew for every attempt, just before
 * the synchronous plan: `null` when the core holds that config, else its text (which the core
 * then holds; planSend forgets it again if the core refuses it). Another send may have planned
 * with another config while this one awaited its answer, so a retry cannot reuse the first
 * attempt's decision.
 */
const configArgument = (kind, entry) => {
  if (entry === undefined) {
    return undefined;
  }
  if (heldConfig.get(kind) === entry) {
    return null;
  }
  heldConfig.set(kind, entry);
  return entry.text;
};

/** Longest loop the shim allows; the core itself stops after three attempts. */
const maxAttempts = 10;

const isStep = (value) =>
  isObject(value) && value.retry === true && Number.isFinite(value.afterMs) && value.afterMs >= 0;

/**
 * `Promise<Envelope<ProviderResult>>`: one send, as the core's `send_message` loop runs it.
 * `planSend` signs an attempt, the transport sends it, `interpretSend` says what follows (the
 * result, or a retry after a backoff, only when Aliyun provably did not take the message).
 * Both exports are synchronous on purpose: a trap inside them is a catchable RuntimeError,
 * whereas a trap inside a wasm-bindgen async export escapes as an uncaught exception and
 * leaves the send pending forever.
 */
export const sendMessage = async (kind, input, transport) => {
  // The config goes across as its own JSON text (or `null` for the one the core holds), so
  // the core can recognise the config it validated last time instead of parsing and
  // validating it again.
  const entry = configEntry(kind, input?.config);
  const rest = entry === undefined ? input : { ...input, config: undefined };
  let stamp = null;
  for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
    const planned = planSend(kind, rest, stamp, configArgument(kind, entry));
    if (!planned.ok) {
      return planned;
    }
    let response;
    try {
      response = await transport.send(planned.value);
    } catch {
      // The transport is written never to throw; if it does, nothing proves the request did
      // not leave, so it counts as sent and is not retried.
      response = { networkError: { kind: 'other', message: 'the transport threw', sent: true } };
    }
    const step = callRaw('interpretSend', kind, planned.value, attempt, response, rest);
    if (!isStep(step)) {
      return checked('interpretSend', kind, step);
    }
    await transport.sleep(step.afterMs);
    stamp = transport.stamp();
  }
  return failInternal('interpretSend', kind, 'malformed', 'retries without end');
};

/**
 * Test hooks, not public API. `reload()` re-instantiates the module; `replaceExports(object)`
 * swaps in stand-in exports (say, one that throws a RuntimeError) so a test can prove that a trap
 * becomes a ConnectorError and that the module works again afterwards; `exports()` returns what
 * is loaded now.
 */
export const __testing = Object.freeze({
  reload: () => {
    wasm = instantiate();
  },
  replaceExports: (standIn) => {
    heldConfig.clear();
    wasm = standIn;
  },
  exports: () => wasm,
});
