#!/usr/bin/env node
// The core's cost per send, without any network: `core.sendMessage` of a built package
// (lib/core.js → pkg/) with a transport that answers at once, split at the transport call
// (before = planSend: input across, validate, render, sign, request back; after =
// interpretSend). For quick before/after numbers of a change to src/ or js-shim/core.js:
//
//   npm run build && node bench/core-loop.mjs                 # dist/connector-aliyun-{dm,sms}
//   node bench/core-loop.mjs --dir=/path/to/connector-aliyun-dm --n=20000 --batches=7
//   node bench/core-loop.mjs --dirs=a=/path/one,b=/path/two    # several builds, alternating
//
// Prints, per kind, the median over batches of the mean µs per send. No sandbox, no TLS; the
// numbers still move with the machine's load, so compare runs made back to back, or better,
// with --dirs: every build is loaded into this one process (each its own Wasm instance) and
// their batches alternate, the order reversed every other round, so load drifts hit all alike
// (bench/build-choices.mjs uses it).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map(
  process.argv.slice(2).map((arg) => {
    const m = /^--([a-z]+)=(.*)$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (use --dir=, --dirs=, --n=, --batches=, --json=)`);
    return [m[1], m[2]];
  }),
);
const n = Number(args.get('n') ?? 10_000);
const batches = Number(args.get('batches') ?? 5);

const requiredTypes = ['Register', 'SignIn', 'ForgotPassword', 'Generic'];
const configs = {
  'aliyun-dm': {
    accessKeyId: 'LTAI5tBenchKeyId0001',
    accessKeySecret: 'bench-0123456789abcdef0123456789abcdef01',
    accountName: 'no-reply@mail.example.com',
    fromAlias: 'Example',
    templates: requiredTypes.map((usageType) => ({
      usageType,
      subject: `Your ${usageType} code`,
      content: '<p>Your Logto verification code is <b>{{code}}</b>. It will remain active for 10 minutes.</p>',
    })),
  },
  'aliyun-sms': {
    accessKeyId: 'LTAI5tBenchKeyId0001',
    accessKeySecret: 'bench-0123456789abcdef0123456789abcdef01',
    signName: 'Logto',
    templates: requiredTypes.map((usageType) => ({
      usageType,
      templateCode: { china: `SMS_CN_${usageType}`, overseas: `SMS_INT_${usageType}` },
    })),
  },
};
const to = { 'aliyun-dm': 'user@example.com', 'aliyun-sms': '13800000000' };
const answer = {
  'aliyun-dm': JSON.stringify({ EnvId: '600000000001', RequestId: randomUUID() }),
  'aliyun-sms': JSON.stringify({ Code: 'OK', Message: 'OK', BizId: '900000000001^0', RequestId: randomUUID() }),
};

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `--dirs=name=path,…` as `[name, path]` pairs; none without the option. */
const namedDirs = (args.get('dirs') ?? '')
  .split(',')
  .filter(Boolean)
  .map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0) throw new Error(`--dirs wants name=path pairs, not ${spec}`);
    return [spec.slice(0, at), spec.slice(at + 1)];
  });

/** `run(count)` for one kind on the core of one built package. */
const runnerFor = async (kind, dir) => {
  const core = await import(pathToFileURL(path.join(dir, 'lib', 'core.js')).href);
  let sentAt = 0;
  let resumedAt = 0;
  const transport = {
    send: async () => {
      sentAt = performance.now();
      const result = { status: 200, body: answer[kind] };
      resumedAt = performance.now();
      return result;
    },
    sleep: async () => {},
    stamp: () => ({ nowMs: Date.now(), nonce: randomUUID() }),
  };
  const input = () => ({ config: configs[kind], to: to[kind], type: 'SignIn', payload: { code: '123456' }, template: null, nowMs: Date.now(), nonce: randomUUID() });
  const run = async (count) => {
    let total = 0;
    let before = 0;
    let after = 0;
    for (let i = 0; i < count; i += 1) {
      const start = performance.now();
      const envelope = await core.sendMessage(kind, input(), transport);
      const end = performance.now();
      if (!envelope.ok) throw new Error(JSON.stringify(envelope.error));
      total += end - start;
      before += sentAt - start;
      after += end - resumedAt;
    }
    return { total: (total / count) * 1000, before: (before / count) * 1000, after: (after / count) * 1000 };
  };
  return run;
};

if (namedDirs.length === 0) {
  for (const kind of ['aliyun-dm', 'aliyun-sms']) {
    const dir = args.get('dir') ?? path.join(repoRoot, 'dist', `connector-${kind}`);
    const run = await runnerFor(kind, dir);
    await run(Math.min(2000, n)); // warm-up
    const results = [];
    for (let b = 0; b < batches; b += 1) results.push(await run(n));
    console.log(
      `${kind.padEnd(10)} core.sendMessage ${median(results.map((r) => r.total)).toFixed(1)} µs/send ` +
        `(planSend side ${median(results.map((r) => r.before)).toFixed(1)}, interpretSend side ${median(results.map((r) => r.after)).toFixed(1)}; ` +
        `median of ${batches} × ${n}) — ${path.relative(process.cwd(), dir) || dir}`,
    );
  }
} else {
  const figures = {};
  for (const kind of ['aliyun-dm', 'aliyun-sms']) {
    const runs = [];
    for (const [name, dir] of namedDirs) runs.push([name, await runnerFor(kind, dir)]);
    for (const [, run] of runs) await run(Math.min(2000, n)); // warm-up
    const totals = Object.fromEntries(runs.map(([name]) => [name, []]));
    for (let b = 0; b < batches; b += 1) {
      for (const [name, run] of b % 2 ? [...runs].reverse() : runs) totals[name].push((await run(n)).total);
    }
    for (const [name] of runs) (figures[name] ??= {})[kind] = median(totals[name]);
  }
  console.log(`${'build'.padEnd(16)}${'DM µs'.padStart(8)}${'SMS µs'.padStart(8)}   (median of ${batches} alternating batches × ${n})`);
  for (const [name] of namedDirs) {
    console.log(`${name.padEnd(16)}${figures[name]['aliyun-dm'].toFixed(1).padStart(8)}${figures[name]['aliyun-sms'].toFixed(1).padStart(8)}`);
  }
  if (args.has('json')) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(args.get('json'), `${JSON.stringify({ n, batches, figures }, null, 2)}\n`);
  }
}
