// The one door into the WebAssembly core, and the only file that throws ConnectorError.
//
// The module is loaded at most once per process, on the first call that needs it: Logto calls
// `createConnector` on every request, so instantiating there would cost a compile per request.
// The core keeps no tenant state, so one instance serves every tenant of a Logto process.
//
// Every core export answers with an envelope (docs/contracts.md). Only a trap (a Rust panic),
// or a host value that throws while the core reads it, makes one throw or reject; either may
// leave the instance's stack and state broken, so it is never called again: sends already in
// flight finish on it, every later call goes to a fresh instance.
import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

import { toHostConfigError } from './config-error.js';

// Resolved on first use: resolving touches the file system, which an import should not.
let gluePath;

/**
 * A fresh instance: out of the require cache, Node evaluates the glue (and instantiates) again.
 * A require of its own each time: the module it is made for lists every module it loads among
 * its children, which would keep each replaced instance, and its memory, alive for good.
 */
const instantiate = () => {
  // Not imported: node:module would be one more module for every Logto start-up to link.
  const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);
  // Node 20 and 22 abort the process (SIGTRAP in Deoptimizer::DoComputeBuiltinContinuation)
  // when optimized JS that inlined a call into a Wasm function returning an externref, as
  // every export and closure of the glue does, is deoptimized while that call runs
  // (bench/repro/v8-js-wasm-inline-deopt.mjs). Only that inlining is turned off, process-wide,
  // before the first call into the module; setting a flag costs over a millisecond, so not at
  // import.
  require('node:v8').setFlagsFromString('--no-turbo-inline-js-wasm-calls');
  gluePath ??= require.resolve('../pkg/aliyun_connectors.js');
  delete require.cache[gluePath];
  return require(gluePath);
};

// Made on first use, not at import: Logto imports and creates every installed connector at
// start-up, and compiling the module is most of a cold start.
let wasm;
const current = () => {
  wasm ??= instantiate();
  return wasm;
};

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
 * and data (config issues as the host's ZodError, which Logto's console lists).
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
    // A hostile value (a Proxy, a throwing getter): described by its type alone.
  }
  return `a thrown ${typeof thrown}`;
};

/**
 * One log line, a fresh instance for every later call, and the `general` envelope Logto answers
 * with a 400 and a message instead of a bare 500.
 */
const failed = (exportName, kind, thrown, broken) => {
  const reason = broken === wasm ? 'reloading the module' : 'the module was reloaded already';
  console.error(
    `[connector-${kind}] ${exportName}: the WebAssembly core failed (${describeThrown(thrown)}); ${reason}.`,
  );
  if (broken === wasm) {
    wasm = instantiate();
  }
  return {
    ok: false,
    error: {
      code: ConnectorErrorCodes.General,
      data: {
        errorDescription:
          'Internal connector error (the WebAssembly core failed); the module has been reloaded.',
      },
    },
  };
};

const checked = (exportName, kind, result, instance) =>
  isEnvelope(result)
    ? result
    : failed(exportName, kind, new TypeError('not an envelope'), instance);

/** Calls a synchronous export and returns its envelope. */
const callSync = (exportName, kind, ...args) => {
  const instance = current();
  try {
    return checked(exportName, kind, instance[exportName](kind, ...args), instance);
  } catch (thrown) {
    return failed(exportName, kind, thrown, instance);
  }
};

/** `Envelope<ConnectorMetadata>` for `kind`. */
export const getMetadata = (kind) => callSync('getMetadata', kind);

/** `Envelope<Config>`: the core's verdict on an untrusted config value. */
export const validateConfig = (kind, config) => callSync('validateConfig', kind, config);

/** `Promise<Envelope<Delivered>>`: one send, its attempts and retries run by the core. */
export const sendMessage = async (kind, input, transport) => {
  const instance = current();
  try {
    return checked(
      'sendMessage',
      kind,
      await instance.sendMessage(kind, input, transport),
      instance,
    );
  } catch (thrown) {
    return failed('sendMessage', kind, thrown, instance);
  }
};

/**
 * Test hooks, not public API: `reload()` takes a fresh instance, `replaceExports(object)` swaps
 * in stand-in exports (one that throws a RuntimeError, say), `exports()` returns what is loaded.
 */
export const __testing = Object.freeze({
  reload: () => {
    wasm = instantiate();
  },
  replaceExports: (standIn) => {
    wasm = standIn;
  },
  exports: current,
});
