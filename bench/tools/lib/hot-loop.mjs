// The send loop crate-costs.mjs profiles: `node --cpu-prof … hot-loop.mjs <package> <kind>
// <sends> <warmup> <concurrency>`. `concurrency` loops call core.sendMessage back to back with
// the instant fetch until `sends` have completed, after `warmup` sends done the same way.
// Prints one JSON line: the measured window on the clock the profile's timestamps use
// (process.hrtime, µs), the sends in it, and its wall time.
import { parseArgs } from 'node:util';

import { instantTransport, loadCore, sendInput, sendOnce } from './instant.mjs';

const [packageDir, kind, sends, warmup, concurrency] = parseArgs({
  allowPositionals: true,
  strict: true,
}).positionals;
const core = await loadCore(packageDir);
const transport = instantTransport(kind);
const input = sendInput(kind);

const loop = async (count) => {
  let started = 0;
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async () => {
      while (started < count) {
        started += 1;
        await sendOnce(core, kind, input(), transport);
      }
    }),
  );
};

await loop(Number(warmup));
const micros = () => Number(process.hrtime.bigint() / 1000n);
const start = micros();
const wallStart = performance.now();
await loop(Number(sends));
const wallMs = performance.now() - wallStart;
const end = micros();
process.stdout.write(
  `${JSON.stringify({ kind, sends: Number(sends), windowUs: [start, end], wallMs })}\n`,
);
