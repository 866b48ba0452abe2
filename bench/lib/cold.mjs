// One cold start, in a fresh process: `node bench/lib/cold.mjs <mode> <target> <logto-modules>`.
//
//   mode      logto:      first import what a Logto process has already loaded when it loads a
//                         connector (<logto-modules>: @logto/connector-kit, zod, got,
//                         @silverhand/essentials, @logto/shared, resolved from the instance's
//                         packages/core as Logto core resolves them), then the package: the
//                         difference is what adding the package costs inside Logto
//             with-kit:   only @logto/connector-kit first
//             standalone: the package first thing (it imports what it needs itself)
//             After a preload, 200 ms of idle time before the measured part (below).
//   target    a connector package directory (its lib/index.js is imported and its default
//             export, createConnector, called and awaited, as Logto's loader does), or `floor`
//             (nothing: how long Node and the preloaded modules take to get here)
//
// Prints one JSON line. Times are performance.now(), i.e. ms since this process started.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const entered = performance.now();
const [mode, target, logtoModules] = parseArgs({
  allowPositionals: true,
  strict: true,
}).positionals;
const settleMs = 200;

if (mode === 'logto') {
  await import(pathToFileURL(logtoModules).href);
} else if (mode === 'with-kit') {
  await import('@logto/connector-kit');
} else if (mode !== 'standalone') {
  throw new Error(`unknown mode ${mode}`);
}
// A Logto process loaded its modules a while before it loads a connector. Right after such a
// load V8 may still have a major GC to finish, which would land on whatever runs next (README,
// "Cold start"): idle time lets it finish before the measured part starts.
if (mode !== 'standalone') {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
}
const preloaded = performance.now();

let resolved = preloaded;
if (target !== 'floor') {
  const { default: createConnector } = await import(
    pathToFileURL(path.join(target, 'lib', 'index.js')).href
  );
  const connector = await createConnector({
    // What Logto's loader passes at start-up: nothing may be read yet.
    getConfig: async () => {
      throw new Error('not implemented');
    },
  });
  if (!connector?.metadata?.id) {
    throw new Error('createConnector resolved without metadata');
  }
  resolved = performance.now();
}

process.stdout.write(
  `${JSON.stringify({
    entered, // Node's own start-up, up to the first line of this script
    preloadMs: preloaded - entered - (mode === 'standalone' ? 0 : settleMs), // what the mode imports first
    marginalMs: resolved - preloaded, // import + createConnector of the package
    sinceStartMs: resolved, // fresh process to createConnector resolved (settling included)
  })}\n`,
);
