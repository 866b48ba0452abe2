// The V8 abort behind the one V8 flag the shim sets (js-shim/core.js,
// --no-turbo-inline-js-wasm-calls): on the Node under test, bench/repro/v8-js-wasm-inline-deopt.mjs
// (a 47-byte Wasm module, no connector code) must still crash with V8's defaults, and must run
// clean once the built package's shim has loaded its Wasm module (which it does on its first
// call). The first proves the flag is still needed here: when a Node release
// fixes V8, it fails, and the flag should go (a connector should not change its host's flags).
// Each run takes well under a second.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { repoRoot } from './host.mjs';

const repro = path.join(repoRoot, 'bench', 'repro', 'v8-js-wasm-inline-deopt.mjs');

// Through sh, to turn core dumps off for the crash. TurboFan compiles on the main thread
// (--no-concurrent-recompilation): on a busy machine a background compile can finish after the
// repro's last call, and then neither outcome would say anything. Inlining stays V8's default.
const runRepro = (env = {}) =>
  spawnSync(
    '/bin/sh',
    ['-c', 'ulimit -c 0; exec "$0" --no-concurrent-recompilation "$1"', process.execPath, repro],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );

const outcome = (run) =>
  `exit ${run.status}, signal ${run.signal}\n${run.stdout}\n${run.stderr.slice(0, 1500)}`;

test('with V8’s defaults, the repro still aborts the process: the flag is still needed', () => {
  const run = runRepro();
  assert.equal(
    run.signal,
    'SIGTRAP',
    `${process.version} no longer aborts on the repro: the shim (js-shim/core.js) may stop setting ` +
      `--no-turbo-inline-js-wasm-calls.\n${outcome(run)}`,
  );
  assert.match(run.stderr, /DoComputeBuiltinContinuation/);
});

test('once the shim (js-shim/core.js) has loaded its module, the repro runs clean', () => {
  const run = runRepro({ SHIM: '1' });
  assert.equal(run.status, 0, outcome(run));
  assert.match(run.stdout, /^ok \(v\d+.*externref result/);
});
