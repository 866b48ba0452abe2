// Shared helpers of the robustness suites (not a test file). Everything here reaches the
// connectors only through the installed dist packages (tests/js/host.mjs) and Aliyun only
// through the sandbox.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ConnectorError } from '@logto/connector-kit';

import { kinds } from '../js/host.mjs';

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

/**
 * Watches the installed packages for traps: each package's core.js replaces its Wasm exports
 * after a trap (or a malformed result) and logs one line. `count()` is the number of both seen
 * since the watch began; the stand-in exports of a test hook are not installed here.
 */
export const watchTraps = async (host) => {
  const cores = await Promise.all(
    Object.keys(kinds).map((kind) => import(pathToFileURL(path.join(host.dirOf(kind), 'lib', 'core.js')).href)),
  );
  const initial = cores.map((core) => core.__testing.exports());
  const lines = [];
  const original = console.error;
  console.error = (...args) => {
    lines.push(args.map((arg) => (typeof arg === 'string' ? arg : Object.prototype.toString.call(arg))).join(' '));
    original.apply(console, args);
  };
  return {
    cores,
    lines,
    reloads: () => cores.filter((core, index) => core.__testing.exports() !== initial[index]).length,
    trapLines: () => lines.filter((line) => /WebAssembly core (trapped|returned a malformed)/.test(line)),
    count() {
      return this.reloads() + this.trapLines().length;
    },
    stop: () => {
      console.error = original;
    },
  };
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
  assert.ok(error instanceof ConnectorError, `${context}: expected the host's ConnectorError, got ${describeRejection(error)}`);
  assert.equal(typeof error.data?.errorDescription, 'string', `${context}: data.errorDescription is a string`);
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
        chunks.push(typeof arg === 'string' ? arg : Buffer.isBuffer(arg) ? arg.toString('utf8') : JSON.stringify(arg) ?? String(arg));
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
