// How the shim (js-shim/core.js, bundled into lib/index.js) answers a core that fails, with
// stand-in exports: a trap (a Rust panic) surfaces as a WebAssembly.RuntimeError thrown from an export call or rejecting the
// promise sendMessage returned; a host value may throw through the Wasm frames; a broken core
// may answer something that is not an envelope. Each must become the host's `general`
// ConnectorError (a 400 with a message in Logto, not a 500), one log line without secrets, and
// a fresh instance for every later call.
//
// The stand-ins are swapped into the installed package's own core module (the module instance
// Logto's loader uses) through its test hook. tests/js/real-trap.test.mjs does the same with
// real panics from a test build of the core.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { accessKeySecret, dmConfig, rejectsWith, sandbox, smsConfig } from './fixtures.mjs';
import { internalsOf, logtoHost } from './host.mjs';

const failedCore =
  'Internal connector error (the WebAssembly core failed); the module has been reloaded.';

let host;
let sb;
let core;
before(async () => {
  [host, sb] = await Promise.all([logtoHost(), sandbox()]);
  // Both packages carry their own core module; the DM one is exercised here.
  core = (await internalsOf(host.dirOf('aliyun-dm'))).core;
});
after(async () => {
  await sb?.close();
  await host?.close();
});
afterEach(() => {
  core.__testing.reload();
  sb.reset();
});

const send = (connector, to = 'user@example.com') =>
  connector.sendMessage({ to, type: 'SignIn', payload: { code: '123456' } });

/** The real exports with one replaced. */
const standIn = (name, implementation) => ({ ...core.__testing.exports(), [name]: implementation });

const captureConsoleError = (t) => t.mock.method(console, 'error', () => {});

const loggedLines = (logged) => logged.mock.calls.map((call) => call.arguments.join(' '));

/** A failed send: the host's general ConnectorError with the shim's description, no secret. */
const rejectsAsFailedCore = async (promise) => {
  const error = await rejectsWith(promise, ConnectorErrorCodes.General);
  assert.equal(error.data.errorDescription, failedCore);
  return error;
};

test('a trap in sendMessage’s synchronous part → general, one clean log line, a fresh instance', async (t) => {
  const logged = captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  const trapping = standIn('sendMessage', () => {
    throw new WebAssembly.RuntimeError('unreachable');
  });
  core.__testing.replaceExports(trapping);

  await rejectsAsFailedCore(send(connector));
  const lines = loggedLines(logged);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^\[connector-aliyun-dm\] sendMessage: .*RuntimeError: unreachable.*reloading the module/,
  );
  assert.ok(!lines[0].includes(accessKeySecret));

  const reloaded = core.__testing.exports();
  assert.notEqual(reloaded, trapping, 'the trapped instance is never called again');
  assert.equal(typeof reloaded.sendMessage, 'function');
  await send(connector);
  assert.equal(sb.deliveries().length, 1, 'the next send works');
  assert.equal(core.__testing.exports(), reloaded, 'and stays on the fresh instance');
});

test('a trap after the answer (the promise rejects) → general, the message not sent again', async (t) => {
  captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  const real = core.__testing.exports().sendMessage;
  core.__testing.replaceExports(
    standIn('sendMessage', (...args) =>
      real(...args).then(() => {
        throw new WebAssembly.RuntimeError('memory access out of bounds');
      }),
    ),
  );
  await rejectsAsFailedCore(send(connector));
  assert.equal(sb.requests().length, 1, 'sent once, never again');
});

test('a thrown or rejected non-Error value is handled, and never logged verbatim', async (t) => {
  const logged = captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  const hostile = new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new Error(accessKeySecret);
      },
    },
  );

  const failures = [
    () => {
      throw `config was ${accessKeySecret}`;
    },
    () => Promise.reject(`config was ${accessKeySecret}`),
    () => Promise.reject(null),
    () => Promise.reject(hostile),
    () => Promise.reject(new Error(`config was ${accessKeySecret}`)),
  ];

  for (const failure of failures) {
    core.__testing.replaceExports(standIn('sendMessage', failure));

    await rejectsAsFailedCore(send(connector));
  }
  const lines = loggedLines(logged);
  assert.equal(lines.length, failures.length);
  for (const line of lines) {
    assert.ok(!line.includes(accessKeySecret), line);
  }
});

test('a malformed result (not an envelope) → general and a fresh instance', async (t) => {
  const logged = captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  for (const result of [
    { ok: 'yes' },
    { ok: false, error: { code: 'general' } },
    undefined,
    'ok',
  ]) {
    const malformed = standIn('sendMessage', async () => result);
    core.__testing.replaceExports(malformed);

    await rejectsAsFailedCore(send(connector));
    assert.notEqual(core.__testing.exports(), malformed);
  }
  assert.match(loggedLines(logged)[0], /the WebAssembly core failed \(TypeError\)/);
});

test('sends failing together on one instance replace it once, the others find it replaced', async (t) => {
  const logged = captureConsoleError(t);
  const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
  const real = core.__testing.exports().sendMessage;
  const broken = standIn('sendMessage', (...args) =>
    real(...args).then(() => Promise.reject(new WebAssembly.RuntimeError('unreachable'))),
  );
  core.__testing.replaceExports(broken);
  const sends = Array.from({ length: 5 }, (_, index) =>
    send(connector, `user${index}@example.com`),
  );
  for (const sent of sends) {
    await rejectsAsFailedCore(sent);
  }
  const lines = loggedLines(logged);
  assert.equal(lines.filter((line) => line.endsWith('reloading the module.')).length, 1);
  assert.equal(lines.filter((line) => line.endsWith('the module was reloaded already.')).length, 4);
  const fresh = core.__testing.exports();
  assert.notEqual(fresh, broken);
  await send(connector);
  assert.equal(core.__testing.exports(), fresh);
});

test('a trap in validateConfig (configGuard.safeParse) → general, then it works again', async (t) => {
  const logged = captureConsoleError(t);
  const { configGuard } = host.factoryOf('aliyun-dm');
  core.__testing.replaceExports(
    standIn('validateConfig', () => {
      throw new WebAssembly.RuntimeError('unreachable');
    }),
  );
  // Not `{ success: false }`: Logto would report that as an invalid config.
  await rejectsAsFailedCore(Promise.resolve().then(() => configGuard.safeParse(dmConfig(sb.url))));
  assert.equal(logged.mock.callCount(), 1);
  assert.equal(configGuard.safeParse(dmConfig(sb.url)).success, true);
  assert.equal(configGuard.safeParse({}).success, false, 'and still refuses a bad config');
});

test('the SMS package has its own instance, untouched by a DM trap', async (t) => {
  captureConsoleError(t);
  const smsCore = (await internalsOf(host.dirOf('aliyun-sms'))).core;
  assert.notEqual(smsCore, core);
  const smsBefore = smsCore.__testing.exports();
  core.__testing.replaceExports(
    standIn('sendMessage', () => {
      throw new WebAssembly.RuntimeError('unreachable');
    }),
  );
  await rejectsAsFailedCore(send(await host.connect('aliyun-dm', { config: dmConfig(sb.url) })));
  assert.equal(smsCore.__testing.exports(), smsBefore);
  const sms = await host.connect('aliyun-sms', { config: smsConfig(sb.url) });
  await sms.sendMessage({ to: '13912345678', type: 'SignIn', payload: { code: '1' } });
  assert.equal(sb.deliveries().length, 1);
  assert.equal(smsCore.__testing.exports(), smsBefore);
});

test('the module is instantiated once per process, not per createConnector', async () => {
  const loaded = core.__testing.exports();
  for (let index = 0; index < 5; index += 1) {
    const connector = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });

    await send(connector);
  }
  assert.equal(sb.deliveries().length, 5);
  assert.equal(core.__testing.exports(), loaded);
});
