// Entry point for `node --test sandbox/test/` on Node ≥ 21, where a directory argument is
// loaded as a module (this folder's package.json "main") instead of being searched for test
// files as Node 20 does. Imports every *.test.mjs here, in name order.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Node 20 runs every file of a test/ directory, this one included: there the entry point is
// this file itself and the suites already run on their own, so do nothing.
const entry = process.argv[1] ?? '';
if (!entry.endsWith('run-all.mjs')) {
  for (const name of readdirSync(here)
    .filter((n) => n.endsWith('.test.mjs'))
    .sort()) {
    await import(pathToFileURL(`${here}/${name}`).href);
  }
}
