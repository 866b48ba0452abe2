// A Rust panic surfaces as a WebAssembly.RuntimeError and can leave the instance poisoned. The
// shim must turn it into a `general` ConnectorError (a 400 with a message in Logto, not a 500),
// log one line without secrets, and re-instantiate the module so the next call works.
//
// The real core never traps on purpose, so these tests swap stand-in exports into the installed
// package's own core.js (the module instance Logto's loader is using) through its test hook.
// Every export is synchronous, so a trap anywhere in the core is a throw the shim can catch.
// tests/js/real-trap.test.mjs does the same with a real panic from a test build of the core.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { accessKeySecret, dmConfig, rejectsWith, sandbox, smsConfig } from './fixtures.mjs';
import { logtoHost } from './host.mjs';

const trapped = 'Internal connector error (the WebAssembly core trapped); the module has been reloaded.';

let host;
let sb;
let core;
before(async () => {
  [host, sb] = await Promise.all([logtoHost(), sandbox()]);
  // Both packages carry their own core.js; the DM one is exercised here.
  core = await import(pathToFileURL(path.join(host.dirOf('aliyun-dm'), 'lib', 'core.js')).href);
});
after(async () => {
  await sb?.close();
  await host?.close();
});
afterEach(() => core.__testing.reload());

const send = (connector) => connector.sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '1' } });

/** The real exports with one replaced. */
const standIn = (name, implementation) => ({ ...core.__testing.exports(), [name]: implementation });

const captureConsoleError = (t) => t.mock.method(console, 'error', () => {});

test('a trap in planSend → general ConnectorError, one log line without secrets, a fresh instance', async (t) => {
  const logged = captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  const original = core.__testing.exports();
  core.__testing.replaceExports(
    standIn('planSend', () => {
      throw new WebAssembly.RuntimeError('unreachable');
    }),
  );

  const error = await rejectsWith(send(connector), ConnectorErrorCodes.General);
  assert.equal(error.data.errorDescription, trapped);

  assert.equal(logged.mock.callCount(), 1);
  const line = logged.mock.calls[0].arguments.join(' ');
  assert.match(line, /RuntimeError: unreachable/);
  assert.ok(!line.includes(accessKeySecret));

  const reloaded = core.__testing.exports();
  assert.notEqual(reloaded, original, 'the glue was required afresh: a new instance');
  assert.equal(typeof reloaded.planSend, 'function');

  sb.reset();
  await send(connector);
  assert.equal(sb.deliveries().length, 1, 'the next send works');
});

test('a trap in interpretSend, after the request left, is handled the same way and not resent', async (t) => {
  captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  core.__testing.replaceExports(
    standIn('interpretSend', () => {
      throw new WebAssembly.RuntimeError('memory access out of bounds');
    }),
  );
  sb.reset();
  const error = await rejectsWith(send(connector), ConnectorErrorCodes.General);
  assert.equal(error.data.errorDescription, trapped);
  assert.equal(sb.requests().length, 1, 'sent once, never again');
});

test('a thrown non-Error value (what wasm-bindgen may throw) is handled and not logged verbatim', async (t) => {
  const logged = captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  core.__testing.replaceExports(
    standIn('planSend', () => {
      throw `config was ${accessKeySecret}`; // eslint-disable-line no-throw-literal -- exactly the point
    }),
  );
  await rejectsWith(send(connector), ConnectorErrorCodes.General);
  assert.ok(!logged.mock.calls[0].arguments.join(' ').includes(accessKeySecret));
});

test('a malformed result (not an envelope) → general ConnectorError and a reload', async (t) => {
  captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  core.__testing.replaceExports(standIn('interpretSend', () => ({ ok: 'yes' })));
  const error = await rejectsWith(send(connector), ConnectorErrorCodes.General);
  assert.match(error.data.errorDescription, /malformed result/);
  assert.notEqual(core.__testing.exports().interpretSend, undefined);
});

test('a trap in validateConfig (configGuard.safeParse) → general ConnectorError, then safeParse works again', async (t) => {
  captureConsoleError(t);
  const { configGuard } = host.factoryOf('aliyun-dm');
  core.__testing.replaceExports(
    standIn('validateConfig', () => {
      throw new WebAssembly.RuntimeError('unreachable');
    }),
  );
  await rejectsWith(Promise.resolve().then(() => configGuard.safeParse({})), ConnectorErrorCodes.General);
  assert.equal(configGuard.safeParse(dmConfig(sb.url)).success, true);
});

test('the SMS package has its own instance, untouched by a DM trap', async (t) => {
  captureConsoleError(t);
  const smsCore = await import(pathToFileURL(path.join(host.dirOf('aliyun-sms'), 'lib', 'core.js')).href);
  assert.notEqual(smsCore, core);
  const before = smsCore.__testing.exports();
  core.__testing.replaceExports(
    standIn('planSend', () => {
      throw new WebAssembly.RuntimeError('unreachable');
    }),
  );
  await rejectsWith(send(await host.connect('aliyun-dm', { config: dmConfig(sb.url) })), ConnectorErrorCodes.General);
  assert.equal(smsCore.__testing.exports(), before);
  sb.reset();
  const sms = await host.connect('aliyun-sms', { config: smsConfig(sb.url) });
  await sms.sendMessage({ to: '13912345678', type: 'SignIn', payload: { code: '1' } });
  assert.equal(sb.deliveries().length, 1);
});

test('the module is instantiated once per process, not per createConnector', async () => {
  const before = core.__testing.exports();
  for (let index = 0; index < 5; index += 1) {
    // eslint-disable-next-line no-await-in-loop -- as Logto does, one request after another
    await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  }
  assert.equal(core.__testing.exports(), before);
});
