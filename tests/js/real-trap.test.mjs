// Real traps, not stand-ins: the DM package is installed as `logto connector add` does, then
// its pkg/ is swapped for a test build of the core (cargo feature `test-trap`, built by
// scripts/test.sh into target/pkg-trap) that panics for two recipients: trap-before@trap.invalid
// in sendMessage's synchronous part (the export call throws), trap-after@trap.invalid in the
// continuation that follows Aliyun's answer (the promise sendMessage returned rejects). Under
// panic=abort a panic executes `unreachable`. The node20 and node22 layers run this same file.
//
// At both points: the send rejects with the host's `general` ConnectorError, one log line
// without secrets, no uncaughtException or unhandledRejection, every send settles, the process
// goes on, the sends in flight at the same time finish normally (each delivered once), and
// later sends use a fresh instance. A trapped instance leaks shadow stack and breaks after
// enough traps; the shim never reuses one, so no number of traps accumulates.
//
// Its own file, so Logto's loader (which caches factories per process) loads this instance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { buildRawConnector, loadConnectorFactories } from '@logto/cli/lib/connector/index.js';
import { getConnectorPackagesFromDirectory } from '@logto/cli/lib/utils.js';

import { accessKeySecret, dmConfig, rejectsWith, sandbox } from './fixtures.mjs';
import { createInstance, internalsOf, kinds, repoRoot, tarballOf } from './host.mjs';

const trapBuild = path.join(repoRoot, 'target', 'pkg-trap');
const failedCore =
  'Internal connector error (the WebAssembly core failed); the module has been reloaded.';
// A liveness bound, not a timing: the slowest send here waits 500 ms for its answer.
const LIVENESS_MS = 20_000;

// Whatever escapes to the process is recorded here (and, with a listener, does not end it).
const escaped = [];
process.on('uncaughtException', (error) => escaped.push(['uncaughtException', String(error)]));
process.on('unhandledRejection', (reason) => escaped.push(['unhandledRejection', String(reason)]));

let sb;
let instance;
let factory;
let core;
before(async () => {
  await fs.access(path.join(trapBuild, 'aliyun_connectors_bg.wasm')).catch(() => {
    throw new Error(
      `${trapBuild} is missing: scripts/test.sh builds it (wasm-pack build -- --features test-trap)`,
    );
  });
  sb = await sandbox();
  const { packageName } = kinds['aliyun-dm'];
  const created = await createInstance([await tarballOf(packageName)]);
  instance = created.instance;
  const packageDir = path.join(created.connectorsDir, packageName);
  for (const file of ['aliyun_connectors.js', 'aliyun_connectors_bg.wasm']) {
    await fs.copyFile(path.join(trapBuild, file), path.join(packageDir, 'pkg', file));
  }
  const [loaded] = await loadConnectorFactories(
    await getConnectorPackagesFromDirectory(created.connectorsDir),
    false,
  );
  factory = loaded;
  // The module instance Logto's loader imported, for its test hook.
  core = (await internalsOf(packageDir)).core;
});
after(async () => {
  await sb?.close();
  if (instance) {
    await fs.rm(instance, { recursive: true, force: true });
  }
});
afterEach(() => sb.reset());

const connect = async () =>
  (await buildRawConnector(factory, async () => dmConfig(sb.url))).rawConnector;

const message = (to) => ({
  to,
  type: 'SignIn',
  payload: { code: String(100_000 + Math.floor(Math.random() * 900_000)) },
});

/** What `promise` came to, or 'unsettled' after the liveness bound (never holding the process). */
const settleWithin = (promise) => {
  let timer;
  const bound = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ status: 'unsettled' }), LIVENESS_MS);
    timer.unref();
  });
  const settled = promise.then(
    (value) => ({ status: 'resolved', value }),
    (error) => ({ status: 'rejected', error }),
  );
  return Promise.race([settled, bound]).finally(() => clearTimeout(timer));
};

/** Waits (within the liveness bound) until `condition()` holds. */
const until = async (condition, what) => {
  const deadline = Date.now() + LIVENESS_MS;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `never happened: ${what}`);

    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** Lets pending microtasks and timers run, so anything that escaped has been reported. */
const quiet = () => new Promise((resolve) => setTimeout(resolve, 50));

const deliveredTo = (to) => sb.deliveries().filter((delivery) => delivery.to === to);
const requestsTo = (to) => sb.requests().filter((request) => request.params.ToAddress === to);

for (const point of ['trap-before', 'trap-after']) {
  test(`${point}: general, one log line, nothing escapes, 20 sends in flight finish`, async (t) => {
    const logged = t.mock.method(console, 'error', () => {});
    const connector = await connect();
    const trapped = core.__testing.exports();
    const trapTo = `${point}@trap.invalid`;

    // Ten sends already waiting on a slow answer from the instance about to trap...
    sb.addFault({ match: { to: /^slow-/ }, mode: 'slow', delayMs: 500 });
    const slow = Array.from({ length: 10 }, (_, index) => `slow-${point}-${index}@example.com`);
    let trapSettled = false;
    const waiting = slow.map((to) =>
      settleWithin(connector.sendMessage(message(to))).then((outcome) => ({
        ...outcome,
        afterTrap: trapSettled,
      })),
    );
    await until(
      () => slow.every((to) => requestsTo(to).length === 1),
      'the slow sends reached the sandbox',
    );
    // ...then the trap, and ten more sends started alongside it.
    const trap = settleWithin(connector.sendMessage(message(trapTo))).finally(() => {
      trapSettled = true;
    });
    const alongside = Array.from({ length: 10 }, (_, index) => `now-${point}-${index}@example.com`);
    const started = alongside.map((to) => settleWithin(connector.sendMessage(message(to))));
    const others = await Promise.all([...waiting, ...started]);
    const trapOutcome = await trap;
    await quiet();

    assert.equal(trapOutcome.status, 'rejected', `the trap send ${trapOutcome.status}`);
    const error = await rejectsWith(Promise.reject(trapOutcome.error), ConnectorErrorCodes.General);
    assert.equal(error.data.errorDescription, failedCore);
    assert.equal(
      requestsTo(trapTo).length,
      point === 'trap-before' ? 0 : 1,
      'sent at most once, never again',
    );

    const recipients = [...slow, ...alongside];
    others.forEach((outcome, index) => {
      assert.equal(
        outcome.status,
        'resolved',
        `${recipients[index]}: ${outcome.status} ${outcome.error?.message ?? ''}`,
      );
      assert.equal(typeof outcome.value.EnvId, 'string');
    });
    for (const to of recipients) {
      assert.equal(deliveredTo(to).length, 1, `${to} delivered once`);
    }
    assert.ok(
      others.slice(0, slow.length).every(({ afterTrap }) => afterTrap),
      'the slow sends were still in flight when the trap settled',
    );

    assert.equal(logged.mock.callCount(), 1, 'one log line');
    const line = logged.mock.calls[0].arguments.join(' ');
    assert.equal(
      line,
      '[connector-aliyun-dm] sendMessage: the WebAssembly core failed ' +
        '(WebAssembly.RuntimeError: unreachable); reloading the module.',
    );
    assert.ok(!line.includes(accessKeySecret));
    assert.deepEqual(escaped, [], 'nothing reached the process');
    assert.equal(process.exitCode, undefined);

    const fresh = core.__testing.exports();
    assert.notEqual(fresh, trapped, 'a fresh instance');
    const next = await settleWithin(connector.sendMessage(message(`next-${point}@example.com`)));
    assert.equal(next.status, 'resolved');
    assert.equal(deliveredTo(`next-${point}@example.com`).length, 1);
    assert.equal(core.__testing.exports(), fresh, 'and it stays');
  });
}

test(
  'more traps than one instance survives: each trap gets a fresh instance, none accumulates',
  { timeout: 120_000 },
  async (t) => {
    // What the shim prevents: one instance trapped again and again breaks (its shadow stack leaks
    // on every trap) long before this many.
    const bound = 20_000;
    const gluePath = path.join(trapBuild, 'aliyun_connectors.js');
    const load = createRequire(gluePath);
    delete load.cache[gluePath];
    const reused = load(gluePath);
    delete load.cache[gluePath];
    const transport = {
      fetch: () => Promise.reject(new Error('not called')),
      now: () => Date.now(),
      nonce: () => randomUUID(),
      sleep: () => Object.assign(new Promise(() => {}), { cancel() {} }),
    };
    const trapBefore = {
      ...message('trap-before@trap.invalid'),
      config: dmConfig(sb.url),
      template: null,
    };
    let survived = 0;
    for (; survived < bound; survived += 1) {
      let thrown;
      try {
        reused.sendMessage('aliyun-dm', trapBefore, transport);
      } catch (error) {
        thrown = error;
      }
      if (!(thrown instanceof WebAssembly.RuntimeError && thrown.message === 'unreachable')) {
        break;
      }
    }
    assert.ok(
      survived < bound,
      `one instance took ${bound} traps: the leak this test is about is gone`,
    );

    // Through the shim: more traps than that, one in ten after an answer.
    const logged = t.mock.method(console, 'error', () => {});
    const connector = await connect();
    const replaced = [];
    const traps = survived + 100;
    for (let index = 0; index < traps; index += 1) {
      const before = core.__testing.exports();
      const to = index % 10 === 9 ? 'trap-after@trap.invalid' : 'trap-before@trap.invalid';

      const outcome = await settleWithin(connector.sendMessage(message(to)));
      assert.ok(
        outcome.status === 'rejected' && outcome.error instanceof ConnectorError,
        `trap ${index}: ${outcome.status}`,
      );
      assert.equal(outcome.error.code, ConnectorErrorCodes.General);
      assert.notEqual(core.__testing.exports(), before, `trap ${index}: a fresh instance`);
      replaced.push(new WeakRef(before));
    }
    assert.equal(logged.mock.callCount(), traps);
    const last = await settleWithin(connector.sendMessage(message('after-traps@example.com')));
    assert.equal(last.status, 'resolved', `after ${traps} traps: ${last.status}`);
    assert.equal(deliveredTo('after-traps@example.com').length, 1);
    await quiet();
    assert.deepEqual(escaped, []);

    // And the replaced instances (each with its linear memory) are garbage, not kept.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    for (let round = 0; round < 3; round += 1) {
      gc();

      await quiet();
    }
    const alive = replaced.filter((ref) => ref.deref() !== undefined).length;
    assert.ok(alive <= 10, `${alive} of ${traps} replaced instances are still alive`);
  },
);
