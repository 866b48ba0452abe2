import { performance } from 'node:perf_hooks';
await import('@logto/connector-kit');
await import('zod');
await import('got');
await new Promise((r) => setTimeout(r, 200));
const L = '/work/main/dist/connector-aliyun-dm/lib/';
const steps = process.argv.slice(2);
let t = performance.now();
for (const s of steps) {
  await import(L + s);
  const n = performance.now();
  process.stdout.write(`${s} ${(n - t).toFixed(2)}  `);
  t = n;
}
console.log();
