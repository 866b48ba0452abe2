// A hot send loop with major GCs: how the V8 fatal error behind the shim's one V8 flag was found
// (SIGTRAP, "unreachable code" in Deoptimizer::DoComputeBuiltinContinuation; the minimal repro
// is v8-js-wasm-inline-deopt.mjs next to this file). It calls the built package's lib/index.js
// sendMessage (dist/connector-aliyun-dm) with a transport whose fetch answers at once: no network.
//
//   node --expose-gc bench/repro/v8-wasm-inline-crash.mjs   a forced gc() every 2000 sends
//   node bench/repro/v8-wasm-inline-crash.mjs               allocation churn, natural major GCs
//   KEEP_INLINING=1 …                                       JS→Wasm inlining turned back on
//                                                           after lib/index.js turned it off
//   SENDS=100000 …                                          a longer loop (default 30 000)
//
// Prints `ok (…)` and exits 0 when the loop finishes; a crash kills the process with SIGTRAP,
// now and then rather than every time. Results: bench/README.md ("A V8 crash found while
// profiling"). Not a benchmark; not run by `npm run bench`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = path.join(repoRoot, 'dist', 'connector-aliyun-dm', 'lib');
const { core, transport: shipped } = (await import(pathToFileURL(path.join(lib, 'index.js')).href))
  .internals;
// The shim sets its flag when it loads the module, on the first call: before KEEP_INLINING.
core.getMetadata('aliyun-dm');

const unmitigated = process.env.KEEP_INLINING === '1';
if (unmitigated) {
  v8.setFlagsFromString('--turbo-inline-js-wasm-calls');
}
const sends = Number(process.env.SENDS ?? 30_000);

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
  ...shipped,
  fetch: async () => new Response('{"EnvId":"1","RequestId":"r"}', { status: 200 }),
};

for (let i = 1; i <= sends; i += 1) {
  const input = {
    config,
    to: 'u@example.com',
    type: 'SignIn',
    payload: { code: String(i) },
    template: null,
  };
  const envelope = await core.sendMessage('aliyun-dm', input, transport);
  if (!envelope.ok) {
    throw new Error(JSON.stringify(envelope));
  }
  if (i % 2000 === 0 && globalThis.gc) {
    globalThis.gc();
  } else if (i % 2000 === 0) {
    // Ordinary garbage, enough for a major GC now and then.
    const junk = [];
    for (let k = 0; k < 40; k += 1) junk.push(new Array(250_000).fill(k));
  }
}
const gcs = globalThis.gc ? 'forced gc()' : 'allocation churn';
const inlining = unmitigated ? 'turned back on' : 'off (lib/index.js)';
console.log(`ok (${process.version}, ${sends} sends, ${gcs}, JS→Wasm inlining ${inlining})`);
