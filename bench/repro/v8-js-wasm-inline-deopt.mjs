// The minimal repro of the V8 fatal error behind --no-turbo-inline-js-wasm-calls in
// js-shim/core.js: no connector code, a 47-byte Wasm module, no natives syntax, deterministic.
//
// TurboFan optimizes `caller` and inlines its call into the Wasm export `f`, whose result is an
// externref (every wasm-bindgen export and closure call returns one). While `f` is on the
// stack, it calls back into JS, and that callback invalidates an assumption `caller`'s
// optimized code made (here: a field it read as constant is written). `caller` is then
// deoptimized lazily, on return from `f`, and V8 aborts the process: SIGTRAP, "Fatal error in ,
// line 0 / unreachable code" in Deoptimizer::DoComputeBuiltinContinuation.
//
//   node bench/repro/v8-js-wasm-inline-deopt.mjs          crashes (Node 20.20.2, 22.23.3)
//   node --no-turbo-inline-js-wasm-calls bench/repro/…    ok
//   RESULT=i32 node bench/repro/…                         ok: only a reference result crashes
//   SHIM=1 node bench/repro/…                             ok: the built package's lib/index.js,
//                                                         having loaded its module, set the flag
//
// Results: bench/README.md ("A V8 crash found while profiling");
// tests/js/v8-inline-crash.test.mjs runs the first and the last. Not run by `npm run bench`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (process.env.SHIM === '1') {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const shim = path.join(repoRoot, 'dist', 'connector-aliyun-dm', 'lib', 'index.js');
  // The shim sets the flag when it first loads its Wasm module, on its first call.
  const { internals } = await import(pathToFileURL(shim).href);
  internals.core.getMetadata('aliyun-dm');
}

// (module (import "m" "cb" (func $cb (param T) (result T)))
//         (func (export "f") (param T) (result T) local.get 0 call $cb))   T = externref or i32
const type = process.env.RESULT === 'i32' ? 0x7f : 0x6f;
// prettier-ignore
const bytes = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x06, 0x01, 0x60, 0x01, type, 0x01, type, // type section: (T) -> T
  0x02, 0x08, 0x01, 0x01, 0x6d, 0x02, 0x63, 0x62, 0x00, 0x00, // import m.cb
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, // export "f" = function 1
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, // body: local.get 0, call 0
]);

const holder = { value: 1 };
let invalidate = false;
const callback = (x) => {
  if (invalidate) {
    invalidate = false;
    holder.value = 2;
  }
  return x;
};
const module = new WebAssembly.Module(bytes);
const { exports } = new WebAssembly.Instance(module, { m: { cb: callback } });

const caller = (x) => {
  const result = exports.f(x);
  return holder.value === 1 ? result : result;
};

let calls = 0;
for (let i = 0; i < 200_000; i += 1) {
  calls += caller(1) === 1 ? 1 : 0;
}
invalidate = true;
caller(1);
const result = process.env.RESULT === 'i32' ? 'i32' : 'externref';
console.log(`ok (${process.version}, ${result} result, ${calls} calls)`);
