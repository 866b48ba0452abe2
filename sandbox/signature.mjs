// Aliyun POP RPC signature, version 1.0 (HMAC-SHA1), implemented independently of the
// connector's Rust core so that the sandbox is a real check of it.
// Spec: https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism
//       https://www.alibabacloud.com/help/doc-detail/50286.html
import { createHmac, timingSafeEqual } from 'node:crypto';

// RFC 3986 unreserved characters stay literal; every other UTF-8 byte becomes %XY (uppercase).
// Done byte by byte on purpose (not encodeURIComponent + fix-ups) so the rule is visible.
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}
const HEX = '0123456789ABCDEF';

/** Percent-encode a string as UTF-8 following Aliyun's RFC 3986 rule (space → %20, * → %2A, ~ literal). */
export function percentEncode(value) {
  const bytes = Buffer.from(String(value), 'utf8');
  let out = '';
  for (const b of bytes) {
    out += UNRESERVED[b] ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

// Byte-order comparison of the UTF-8 names. For the ASCII names Aliyun uses this equals
// code-unit order; comparing bytes keeps it right for anything else as well.
function compareBytes(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * CanonicalizedQueryString: every parameter except `Signature`, names and values
 * percent-encoded, sorted by name, joined as k=v with &.
 * @param {Record<string,string>} params decoded parameters
 */
export function canonicalQuery(params) {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort(compareBytes)
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`)
    .join('&');
}

/** StringToSign = METHOD & pe("/") & pe(CanonicalizedQueryString). */
export function stringToSign(method, params) {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** Base64(HMAC-SHA1(secret + "&", StringToSign)). */
export function computeSignature(method, params, secret) {
  return createHmac('sha1', `${secret}&`)
    .update(stringToSign(method, params), 'utf8')
    .digest('base64');
}

/**
 * Verify `params.Signature` in constant time (for equal lengths; a length mismatch
 * is already a mismatch and leaks nothing about the secret).
 * @returns {{ ok: boolean, stringToSign: string }}
 */
export function verifySignature(method, params, secret) {
  const sts = stringToSign(method, params);
  const expected = Buffer.from(
    createHmac('sha1', `${secret}&`).update(sts, 'utf8').digest('base64'),
    'utf8',
  );
  const given = Buffer.from(String(params.Signature ?? ''), 'utf8');
  const ok = given.length === expected.length && timingSafeEqual(given, expected);
  return { ok, stringToSign: sts };
}

/**
 * Build a signed form body (used by the tests and by anyone who wants to poke the sandbox
 * by hand). Returns the application/x-www-form-urlencoded string with Signature included.
 */
export function signedForm(method, params, secret) {
  const signature = computeSignature(method, params, secret);
  const all = { ...params, Signature: signature };
  return Object.keys(all)
    .map((k) => `${percentEncode(k)}=${percentEncode(all[k])}`)
    .join('&');
}
