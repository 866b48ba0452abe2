// One cold start, in a fresh process: `node bench/lib/cold.mjs <mode> <target>`.
//
//   mode    standalone: import the connector package first thing (it imports connector-kit itself)
//           with-kit:   import @logto/connector-kit first, as it already is inside Logto, then
//                       the package: the difference is the package's marginal cost
//   target  a connector package directory (its lib/index.js is imported and its default export,
//           createConnector, called and awaited, as Logto's loader does), or `floor` (nothing:
//           how long Node itself takes to get here)
//
// Prints one JSON line. Times are performance.now(), i.e. ms since this process started.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const entered = performance.now();
const [mode, target] = process.argv.slice(2);

let kitLoaded = entered;
if (mode === 'with-kit') {
  await import('@logto/connector-kit');
  kitLoaded = performance.now();
}

let resolved = kitLoaded;
if (target !== 'floor') {
  const { default: createConnector } = await import(pathToFileURL(path.join(target, 'lib', 'index.js')).href);
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
    kitMs: kitLoaded - entered, // importing @logto/connector-kit (with-kit only)
    marginalMs: resolved - kitLoaded, // import + createConnector of the package
    sinceStartMs: resolved, // fresh process to createConnector resolved
  })}\n`,
);
