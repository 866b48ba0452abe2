// Aliyun refuses a SignatureNonce it saw from the same AccessKey in the last 31 minutes, and a
// repeated nonce on a retry would make a resend look like a replay. The shim draws every nonce
// from node:crypto's randomUUID: connector.js for the first attempt, the installed transport's
// stamp() for each retry. Draw 1 000 000 the same two ways and find no repeat, each one a
// nonce the core accepts (1–64 printable ASCII; a v4 UUID).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { logtoHost } from '../js/host.mjs';

const COUNT = 1_000_000;
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let host;
let transportModule;
before(async () => {
  host = await logtoHost();
  // The installed package's own transport module, as Logto's loader resolved it.
  transportModule = await import(pathToFileURL(path.join(host.dirOf('aliyun-sms'), 'lib', 'transport.js')).href);
});
after(() => host?.close());

test(`${COUNT.toLocaleString('en')} nonces drawn as the shim draws them: no repeat`, () => {
  const { stamp } = transportModule.createFetchTransport({ fetch: async () => new Response('') });
  const seen = new Set();
  const started = performance.now();
  let malformed = 0;
  for (let i = 0; i < COUNT; i += 1) {
    // Even draws as connector.js draws the first attempt's nonce, odd ones as a retry's stamp.
    const nonce = i % 2 === 0 ? randomUUID() : stamp().nonce;
    if (!uuidV4.test(nonce)) {
      malformed += 1;
    }
    seen.add(nonce);
  }
  const elapsed = Math.round(performance.now() - started);
  const repeats = COUNT - seen.size;
  console.log(`[nonces] ${COUNT} drawn in ${elapsed} ms: ${seen.size} distinct, ${repeats} repeats, ${malformed} not a v4 UUID`);
  assert.equal(malformed, 0, 'every nonce is a v4 UUID (printable ASCII, 36 characters)');
  assert.equal(repeats, 0, 'a nonce repeated');
  seen.clear();
});
