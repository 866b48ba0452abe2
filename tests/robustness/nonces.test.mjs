// Aliyun refuses a SignatureNonce it saw from the same AccessKey in the last 31 minutes, and a
// repeated nonce on a retry would make a resend look like a replay. Every nonce comes from the
// transport the shim hands the core (js-shim/connector.js: the global crypto.randomUUID), one
// call per attempt. Draw 1 000 000 from that very transport and find no repeat, each one a nonce
// the core accepts (1–64 printable ASCII; a v4 UUID); then check on the wire that every
// attempt of a send carries a nonce of its own, the one the transport gave for it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { dmConfig, smsAuthConfig, smsConfig } from '../js/fixtures.mjs';
import { logtoHost } from '../js/host.mjs';
import { captureShimTransport, coreOf } from './support.mjs';

const COUNT = 1_000_000;
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let host;
let transport;
before(async () => {
  host = await logtoHost();
  transport = await captureShimTransport(host, 'aliyun-sms', smsConfig('http://127.0.0.1:1/'));
});
after(() => host?.close());

test(`${COUNT.toLocaleString('en')} nonces drawn from the transport the shim hands the core: no repeat`, () => {
  const seen = new Set();
  const started = performance.now();
  let malformed = 0;
  for (let i = 0; i < COUNT; i += 1) {
    const nonce = transport.nonce();
    if (typeof nonce !== 'string' || !uuidV4.test(nonce)) {
      malformed += 1;
    }
    seen.add(nonce);
  }
  const elapsed = Math.round(performance.now() - started);
  const repeats = COUNT - seen.size;
  console.log(
    `[nonces] ${COUNT} drawn in ${elapsed} ms: ${seen.size} distinct, ${repeats} repeats, ${malformed} not a v4 UUID`,
  );
  assert.equal(malformed, 0, 'every nonce is a v4 UUID (printable ASCII, 36 characters)');
  assert.equal(repeats, 0, 'a nonce repeated');
  seen.clear();
});

for (const [kind, config, to] of [
  ['aliyun-dm', dmConfig, 'nonce@example.com'],
  ['aliyun-sms', smsConfig, '13912345678'],
  ['aliyun-sms-auth', smsAuthConfig, '8613912345678'],
]) {
  test(`${kind}: each attempt is signed with the nonce the transport gave for it, never one of its own`, async () => {
    const core = await coreOf(host, kind);
    const drawn = [];
    const onWire = [];
    // The shim's own clock, nonce and sleep around a fetch that proves nothing was sent (a
    // refused connection), so the core makes all its attempts.
    const watched = {
      ...transport,
      nonce: () => {
        const nonce = transport.nonce();
        drawn.push(nonce);
        return nonce;
      },
      fetch: async (url, init) => {
        onWire.push(new URLSearchParams(init.body).get('SignatureNonce'));
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        });
      },
    };
    const sends = 50;
    // At once: each waits out the shim's real backoffs between its attempts.
    const envelopes = await Promise.all(
      Array.from({ length: sends }, () =>
        core.sendMessage(
          kind,
          {
            config: config('http://127.0.0.1:1/'),
            to,
            type: 'SignIn',
            payload: { code: '1' },
            template: null,
          },
          watched,
        ),
      ),
    );
    for (const envelope of envelopes) {
      assert.equal(envelope.ok, false);
      assert.equal(envelope.error.data.network, 'refused');
    }
    console.log(
      `[nonces] ${kind}: ${sends} refused sends, ${onWire.length} attempts, ${new Set(onWire).size} distinct nonces on the wire`,
    );
    assert.equal(onWire.length, sends * 3, 'three attempts per refused send');
    assert.equal(drawn.length, onWire.length, 'one draw per attempt');
    assert.deepEqual(
      [...onWire].sort(),
      [...drawn].sort(),
      'every nonce on the wire is one the transport gave',
    );
    assert.equal(new Set(onWire).size, onWire.length, 'no attempt reused a nonce');
  });
}
