// Regression test for a V8 abort (SIGTRAP in the deoptimizer) that a hot send loop with major
// GCs caused on Node 20 and 22 when TurboFan inlined calls into the Wasm exports. The shipped
// lib/core.js turns that inlining off; this runs bench/repro/v8-wasm-inline-crash.mjs (30 000
// sends, forced gc() every 2 000) in a child process of the Node under test, against the
// built package, and the child must finish normally.
//
// The same script with the inlining turned back on is run as well and its outcome reported,
// not asserted: whether the unmitigated V8 crashes is V8's business, not ours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { repoRoot } from './host.mjs';

const repro = path.join(repoRoot, 'bench', 'repro', 'v8-wasm-inline-crash.mjs');

const runRepro = (env) =>
  spawnSync(process.execPath, ['--expose-gc', repro], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });

test('a hot send loop with major GCs does not abort the process', (t) => {
  const run = runRepro({ KEEP_INLINING: '' });
  assert.equal(
    run.status,
    0,
    `child exited with ${run.status} (signal ${run.signal}):\n${run.stdout}\n${run.stderr.slice(0, 2000)}`,
  );
  assert.match(run.stdout, /^ok \(v\d+/);

  const unmitigated = runRepro({ KEEP_INLINING: '1' });
  t.diagnostic(
    `${process.version} with JS→Wasm inlining turned back on: ${unmitigated.status === 0 ? 'no crash this time' : `exit ${unmitigated.status}, signal ${unmitigated.signal}`}`,
  );
});
