// The floor and floorTimeout contenders of the bench (bench/lib/worker.mjs) and of
// bench/tools/real-path.mjs: plain `fetch` of requests signed before the timed part.
import { randomUUID } from 'node:crypto';

import { signedForm } from '../../sandbox/signature.mjs';
import { officialParams, urlOf } from './inputs.mjs';

// The core's default request deadline (timeoutMs), for the floorTimeout reference.
const abortTimeoutMs = 10_000;

// The floor's requests: the parameters the official connectors send (the same template text,
// rendered), signed with a fresh nonce and timestamp each, before the timed part. `urlFor(kind)`
// is where they go: the kind's Aliyun host, unless a tool points them elsewhere.
export const floorRequests = ({ configs }, { abortable = false, urlFor = urlOf } = {}) => {
  const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const kindList = Object.keys(configs);
  const params = Object.fromEntries(
    kindList.map((kind) => [kind, officialParams(kind, configs[kind])]),
  );
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };

  // The answer's text, or a throw for anything but 200 (synchronous: no extra await in the
  // timed path).
  const accepted = (response, text) => {
    if (response.status !== 200) {
      throw new Error(
        `${abortable ? 'floorTimeout' : 'floor'}: HTTP ${response.status} ${text.slice(0, 200)}`,
      );
    }
    return text;
  };

  let pools = {};
  let signedLate = 0;
  const sign = (kind) =>
    signedForm(
      'POST',
      { ...params[kind], SignatureNonce: randomUUID(), Timestamp: timestamp() },
      configs[kind].accessKeySecret,
    );
  return {
    /** Signs `count` requests for `kind` now (outside any timing); drops the unused ones. */
    presign(kind, count) {
      pools[kind] = Array.from({ length: count }, () => sign(kind));
    },
    release() {
      pools = {};
    },
    /** Requests signed during a timed phase because the pool ran dry (should stay 0). */
    signedLate: () => signedLate,
    senders: Object.fromEntries(
      kindList.map((kind) => [
        kind,
        async () => {
          let body = pools[kind]?.pop();
          if (body === undefined) {
            signedLate += 1;
            body = sign(kind);
          }
          if (!abortable) {
            const response = await fetch(urlFor(kind), { method: 'POST', headers, body });
            return accepted(response, await response.text());
          }
          // floorTimeout: the same, plus what our core adds to fetch for safety (an end-to-end
          // deadline that aborts the request, and no redirect following).
          const controller = new AbortController();
          const timer = setTimeout(() => controller.abort(), abortTimeoutMs);
          try {
            const response = await fetch(urlFor(kind), {
              method: 'POST',
              headers,
              body,
              signal: controller.signal,
              redirect: 'error',
            });
            return accepted(response, await response.text());
          } finally {
            clearTimeout(timer);
          }
        },
      ]),
    ),
  };
};
