// Shared helpers of the robustness suites (not a test file). Everything here reaches the
// connectors only through the installed dist packages (tests/js/host.mjs) and Aliyun only
// through the sandbox.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

import { ConnectorError } from '@logto/connector-kit';

import { internalsOf, kinds } from '../js/host.mjs';

export { ConnectorError };

/** A fresh recognisable secret, e.g. `SECRET-3f9a…`. */
export const recognisable = (prefix) => `${prefix}-${randomBytes(12).toString('hex')}`;

/** What a settled promise came to, without ever throwing. */
export const settle = async (promise) => {
  try {
    return { status: 'resolved', value: await promise };
  } catch (error) {
    return { status: 'rejected', error };
  }
};

/** `promise`, or `{ status: 'unsettled' }` after `ms` (the timer never holds the process). */
export const settleWithin = (promise, ms) => {
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ status: 'unsettled' }), ms);
    timer.unref?.();
  });
  return Promise.race([settle(promise), deadline]).finally(() => clearTimeout(timer));
};

/** A one-word description of a rejection reason, safe for any thrown value. */
export const isConnectorError = (error) => {
  try {
    return error instanceof ConnectorError;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
};

export const describeRejection = (error) => {
  if (isConnectorError(error)) {
    return `ConnectorError(${error.code})`;
  }
  try {
    if (error instanceof WebAssembly.RuntimeError) {
      return 'WebAssembly.RuntimeError';
    }
    if (error instanceof Error) {
      return `raw ${error.name}: ${String(error.message)}`;
    }
    return `raw ${typeof error}${error === null ? ' null' : ''}`;
  } catch {
    return 'raw (indescribable)';
  }
};

/** The installed package's core module, the one its connector uses (one instance per package). */
export const coreOf = async (host, kind) => (await internalsOf(host.dirOf(kind))).core;

/** What core.js writes when a Wasm export threw or rejected (docs/contracts.md, Traps). */
export const CORE_FAILED_LINE =
  /the WebAssembly core failed \((.*)\); (reloading the module|the module was reloaded already)\./;
/** The errorDescription of the `general` envelope core.js answers such a call with. */
export const CORE_FAILED_DESCRIPTION = /the WebAssembly core failed/;

/**
 * Watches the installed packages' cores: each core.js takes a fresh instance after an export
 * threw or rejected (a trap, a host value that threw through the Wasm frames, or a result that
 * is not an envelope) and logs one line naming what was thrown. `reloads()` counts the cores
 * whose instance changed since the watch began, `failureLines()` those lines, `trapLines()` the
 * ones where a WebAssembly.RuntimeError (a Rust panic) was thrown; `count()` is both counts.
 */
export const watchTraps = async (host) => {
  const cores = await Promise.all(Object.keys(kinds).map((kind) => coreOf(host, kind)));
  const initial = cores.map((core) => core.__testing.exports());
  const lines = [];
  const original = console.error;
  console.error = (...args) => {
    lines.push(
      args
        .map((arg) => (typeof arg === 'string' ? arg : Object.prototype.toString.call(arg)))
        .join(' '),
    );
    original.apply(console, args);
  };
  const failureLines = () => lines.filter((line) => CORE_FAILED_LINE.test(line));
  return {
    cores,
    lines,
    reloads: () =>
      cores.filter((core, index) => core.__testing.exports() !== initial[index]).length,
    failureLines,
    trapLines: () => failureLines().filter((line) => /WebAssembly\.RuntimeError/.test(line)),
    count() {
      return this.reloads() + failureLines().length;
    },
    stop: () => {
      console.error = original;
    },
  };
};

/**
 * The transport the installed connector hands its core (js-shim/connector.js keeps it private):
 * one send through the connector with a stand-in core export that keeps the transport it is
 * given and answers `general`; the real exports are back before this returns.
 */
export const captureShimTransport = async (host, kind, connectorConfig) => {
  const core = await coreOf(host, kind);
  const real = core.__testing.exports();
  let captured;
  core.__testing.replaceExports({
    getMetadata: (...args) => real.getMetadata(...args),
    validateConfig: (...args) => real.validateConfig(...args),
    sendMessage: async (_kind, _input, transport) => {
      captured = transport;
      return {
        ok: false,
        error: { code: 'general', data: { errorDescription: 'the transport was captured' } },
      };
    },
  });
  try {
    const connector = await host.connect(kind, { config: connectorConfig });
    await connector
      .sendMessage({ to: 'capture@example.com', type: 'SignIn', payload: { code: '1' } })
      .catch(() => {});
  } finally {
    core.__testing.replaceExports(real);
  }
  assert.ok(captured, 'the connector handed its core a transport');
  return captured;
};

/**
 * A sleep as the contract describes it (a promise, with `cancel()` clearing its timer), whose
 * clock runs `speedup` times faster: deadlines and backoffs of a send come sooner.
 */
export const fastSleep = (speedup) => (ms) => {
  let timer;
  const slept = new Promise((resolve) => {
    timer = setTimeout(resolve, Math.ceil(Number(ms) / speedup));
  });
  slept.cancel = () => clearTimeout(timer);
  return slept;
};

/** A loopback port nothing listens on: bound, then released. */
export const closedPort = async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
};

/** Asserts a rejection is the host's ConnectorError with a string errorDescription. */
export const assertConnectorError = (error, context = '') => {
  assert.ok(
    error instanceof ConnectorError,
    `${context}: expected the host's ConnectorError, got ${describeRejection(error)}`,
  );
  assert.equal(
    typeof error.data?.errorDescription,
    'string',
    `${context}: data.errorDescription is a string`,
  );
};

/**
 * Captures everything written to the console and to stdout/stderr while `action` runs (the
 * writes still go through). Returns `{ result, text }`.
 */
export const captureOutput = async (action) => {
  const chunks = [];
  const record = (args) => {
    for (const arg of args) {
      try {
        chunks.push(
          typeof arg === 'string'
            ? arg
            : Buffer.isBuffer(arg)
              ? arg.toString('utf8')
              : (JSON.stringify(arg) ?? String(arg)),
        );
      } catch {
        chunks.push(String(arg));
      }
    }
  };
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
  const saved = Object.fromEntries(methods.map((name) => [name, console[name]]));
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  for (const name of methods) {
    console[name] = (...args) => {
      record(args);
      return saved[name].apply(console, args);
    };
  }
  process.stdout.write = function write(chunk, ...rest) {
    record([chunk]);
    return stdoutWrite.call(this, chunk, ...rest);
  };
  process.stderr.write = function write(chunk, ...rest) {
    record([chunk]);
    return stderrWrite.call(this, chunk, ...rest);
  };
  try {
    const result = await action();
    return { result, text: chunks.join('\n') };
  } finally {
    Object.assign(console, saved);
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
};

/** Counts of values, for the one-line reports. */
export const tally = () => {
  const counts = new Map();
  return {
    add: (key) => counts.set(key, (counts.get(key) ?? 0) + 1),
    get: (key) => counts.get(key) ?? 0,
    toString: () =>
      [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, count]) => `${key}=${count}`)
        .join(' '),
    entries: () => [...counts.entries()],
  };
};
