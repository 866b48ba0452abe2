#!/usr/bin/env node
// What a send costs the sending process over real HTTP, where the throughput budget is judged:
// our package's `sendMessage` and plain `fetch` of pre-signed requests (the floor, and the
// floor with our deadline and redirect mode), each with `concurrency` sends in flight against
// the sandbox, which runs in a child process so that only the sender's CPU is counted
// (`process.cpuUsage()` over each round, divided by the sends it completed).
//
//   npm run build && node bench/tools/real-path.mjs                 # DM: dist/ against the floors
//   node bench/tools/real-path.mjs --kind=aliyun-sms --rounds=20
//   node bench/tools/real-path.mjs --dirs=a=/path/one,b=/path/two   # several builds of a package
//
// Plain HTTP on 127.0.0.1 through our `endpoint` key, so the official packages (no endpoint
// setting) are not here: `npm run bench` compares with them, over HTTPS. Rounds alternate
// between the contenders, the order reversed every other round; the figures are trimmed means
// over rounds (the middle half), which this noisy machine needs. bench/README.md, "Where the
// throughput gap is", says what they showed.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { floorRequests } from '../lib/floor.mjs';
import {
  accessKeyId,
  accessKeySecret,
  configs,
  kindNames,
  kinds,
  repoRoot,
  sendData,
} from '../lib/inputs.mjs';
import { namedDirs, parseOptions } from '../lib/options.mjs';

if (process.argv[2] === '--sandbox-child') {
  const { startSandbox } = await import('../../sandbox/index.mjs');
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    credentials: { [accessKeyId]: { secret: process.argv[3] } },
  });
  process.send({ url: sandbox.url });
} else {
  await main();
}

async function main() {
  const help = `Usage: node bench/tools/real-path.mjs [--option=value ...]

  --kind=K          ${kindNames.join(' | ')} (aliyun-dm)
  --dirs=a=P,b=Q    built packages of that kind by name (default: ours=dist/connector-<kind>)
  --rounds=N        alternating rounds per contender (14)
  --round-ms=N      ms per round (700)
  --concurrency=N   sends in flight (32)
`;
  const options = parseOptions({
    env: {},
    help,
    spec: {
      kind: { kind: 'string', full: 'aliyun-dm' },
      dirs: { kind: 'string' },
      rounds: { kind: 'integer', full: 14 },
      'round-ms': { kind: 'integer', full: 700 },
      concurrency: { kind: 'integer', full: 32 },
    },
  });
  const { kind } = options;
  if (!kindNames.includes(kind)) {
    throw new Error(`--kind must be one of ${kindNames.join(', ')}\n\n${help}`);
  }
  const dirs = options.dirs
    ? namedDirs(options.dirs)
    : [['ours', path.join(repoRoot, 'dist', kinds[kind].packageName)]];

  const secret = accessKeySecret;
  const child = fork(fileURLToPath(import.meta.url), ['--sandbox-child', secret]);
  try {
    const { url } = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the sandbox exited (${code})`)));
    });
    const config = { ...configs(secret)[kind], endpoint: url };
    const contenders = [];
    for (const [name, dir] of dirs) {
      const { default: createConnector } = await import(
        pathToFileURL(path.join(dir, 'lib', 'index.js')).href
      );
      const connector = await createConnector({ getConfig: async () => config });
      contenders.push({ name, send: () => connector.sendMessage(sendData[kind]) });
    }
    for (const name of ['floor', 'floorTimeout']) {
      const floor = floorRequests(
        { configs: { [kind]: config } },
        { abortable: name === 'floorTimeout', urlFor: () => url },
      );
      contenders.push({ name, send: floor.senders[kind], floor });
    }

    const round = async (contender) => {
      // The floors sign a round's requests before it, for 10 000 sends/s: above any rate seen
      // here; a shortfall is signed in the round, and reported below.
      contender.floor?.presign(kind, Math.ceil(10 * options.roundMs) + options.concurrency);
      let done = 0;
      const end = performance.now() + options.roundMs;
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (performance.now() < end) {
            await contender.send();
            done += 1;
          }
        }),
      );
      const used = process.cpuUsage(cpu);
      contender.rates.push(done / (options.roundMs / 1000));
      contender.cpu.push((used.user + used.system) / done);
    };
    // One unmeasured round each, to warm up.
    for (const contender of contenders) {
      Object.assign(contender, { rates: [], cpu: [] });
      await round(contender);
      Object.assign(contender, { rates: [], cpu: [] });
    }
    for (let i = 0; i < options.rounds; i += 1) {
      for (const contender of i % 2 ? [...contenders].reverse() : contenders) {
        await round(contender);
      }
    }

    const floor = trimmedMean(contenders.find(({ name }) => name === 'floor').rates);
    console.log(
      `${kinds[kind].short}, ${options.concurrency} in flight, ${options.rounds} rounds of ${options.roundMs} ms, Node ${process.version}`,
    );
    console.log('contender        sends/s   /floor   CPU µs per send');
    for (const { name, rates, cpu } of contenders) {
      const rate = trimmedMean(rates);
      console.log(
        `${name.padEnd(14)} ${rate.toFixed(0).padStart(8)} ${(rate / floor).toFixed(3).padStart(8)} ${trimmedMean(cpu).toFixed(1).padStart(12)}`,
      );
    }
    const signedLate = contenders.reduce((sum, { floor: f }) => sum + (f?.signedLate() ?? 0), 0);
    if (signedLate > 0) {
      console.log(`(the floors signed ${signedLate} requests inside rounds: their CPU is high)`);
    }
  } finally {
    child.kill();
  }
}

/** The mean of the middle half. */
function trimmedMean(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const quarter = Math.floor(sorted.length / 4);
  const middle = sorted.slice(quarter, sorted.length - quarter);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}
