// Reproduces a V8 fatal error (SIGTRAP, "Fatal error in , line 0 / unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) found while profiling: on Node 20.20.2 and 22.23.3,
// calling the core's `sendMessage` (lib/core.js of the built package) in a hot loop while the
// process does ordinary allocation (a few major GCs) killed the process. No network: the
// transport answers at once.
//
// lib/core.js now sets --no-turbo-inline-js-wasm-calls before the glue loads, so:
//
//   node --expose-gc bench/repro/v8-wasm-inline-crash.mjs     → ok (the shipped behaviour;
//                                                                tests/js/v8-inline-crash.test.mjs)
//   KEEP_INLINING=1 node --expose-gc bench/repro/…             → crashed here, Node 20 and 22,
//                                                                3 of 3 runs: the flag turned
//                                                                back on after core.js loaded
//   without --expose-gc the churn below makes the major GCs; Node 20 crashed without the flag,
//   Node 22 only with forced gc().
//
// What is known: keeping TurboFan from inlining the glue's JS→Wasm call of `planSend` (the
// export takes and returns externrefs) avoids it (%NeverOptimizeFunction(glue.planSend) → ok;
// the same for interpretSend → still crashes). Building without reference types is not an
// option: wasm-bindgen 0.2.130 requires its externref table.
// Not a benchmark; not run by `npm run bench`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { randomUUID } from 'node:crypto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const core = await import(pathToFileURL(path.join(repoRoot, 'dist', 'connector-aliyun-dm', 'lib', 'core.js')).href);

if (process.env.KEEP_INLINING === '1') {
  v8.setFlagsFromString('--turbo-inline-js-wasm-calls');
}

const config = {
  accessKeyId: 'id',
  accessKeySecret: 'secret',
  accountName: 'a@mail.example.com',
  fromAlias: 'X',
  templates: ['Register', 'SignIn', 'ForgotPassword', 'Generic'].map((usageType) => ({
    usageType,
    subject: 's {{code}}',
    content: '<p>{{code}}</p>',
  })),
};
const transport = {
  send: async () => ({ status: 200, body: '{"EnvId":"1","RequestId":"r"}' }),
  sleep: async () => {},
  stamp: () => ({ nowMs: Date.now(), nonce: randomUUID() }),
};

for (let i = 1; i <= 30_000; i += 1) {
  const envelope = await core.sendMessage(
    'aliyun-dm',
    { config, to: 'u@example.com', type: 'SignIn', payload: { code: '1' }, template: null, nowMs: Date.now(), nonce: randomUUID() },
    transport,
  );
  if (!envelope.ok) {
    throw new Error(JSON.stringify(envelope));
  }
  if (i % 2000 === 0 && globalThis.gc) {
    globalThis.gc();
  } else if (i % 2000 === 0) {
    // Ordinary garbage, enough for a major GC now and then.
    let junk = [];
    for (let k = 0; k < 40; k += 1) junk.push(new Array(250_000).fill(k));
    junk = null;
  }
}
console.log(`ok (${process.version}${process.env.KEEP_INLINING === '1' ? ', with JS→Wasm inlining turned back on' : ''})`);
