// The connectors' only network I/O: the Transport of docs/contracts.md section 1, over the
// global fetch (undici in Node). The core plans and signs requests and interprets responses;
// this file moves bytes, and reports failures as values because the core awaits it across the
// Wasm boundary and must never see a rejection.
import { randomUUID } from 'node:crypto';

const defaultTimeoutMs = 10_000;

// Error codes meaning the request provably never reached a server: the core may retry these.
const unsentCodes = Object.freeze({
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
});

// Codes meaning the connection broke after it was made: the request may have arrived.
const resetCodes = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/**
 * Every error code on the chain undici builds: `TypeError('fetch failed')` with a `cause`, which
 * may itself be an AggregateError (happy eyeballs tries several addresses) or have a cause.
 */
const errorCodes = (error, depth = 0) => {
  if (typeof error !== 'object' || error === null || depth > 5) {
    return [];
  }
  const own = typeof error.code === 'string' ? [error.code] : [];
  const nested = Array.isArray(error.errors) ? error.errors : [];
  return [
    ...own,
    ...errorCodes(error.cause, depth + 1),
    ...nested.flatMap((inner) => errorCodes(inner, depth + 1)),
  ];
};

const causeMessages = (error, depth = 0) =>
  typeof error === 'object' && error !== null && depth <= 5
    ? [String(error.message), ...causeMessages(error.cause, depth + 1)]
    : [];

const redirectMessage =
  'the server answered with a redirect, which is not followed: a signed request is valid for its own URL only; check the endpoint';

const errorName = (error) => (typeof error === 'object' && error !== null ? error.name : undefined);

/** One line for error data: the message, and its cause's message when that says more. */
const describe = (error) => {
  if (typeof error !== 'object' || error === null) {
    return String(error);
  }
  const causeMessage = error.cause instanceof Error ? error.cause.message : undefined;
  const message = String(error.message ?? error);
  return causeMessage && causeMessage !== message ? `${message}: ${causeMessage}` : message;
};

/**
 * Maps whatever fetch (or reading the body) threw to the contract's network error. `sent: false`
 * only when the request provably never left: refused, unresolvable, or an unusable URL. A timeout
 * or a reset may come after the server got the request, so the core must not resend it.
 */
export const classifyNetworkError = (error) => {
  const message = describe(error);
  const name = errorName(error);
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'timeout', message, sent: true };
  }
  const codes = errorCodes(error);
  const unsent = codes.find((code) => code in unsentCodes);
  if (unsent) {
    return { kind: unsentCodes[unsent], message, sent: false };
  }
  if (codes.some((code) => resetCodes.has(code))) {
    return { kind: 'reset', message, sent: true };
  }
  const causes = causeMessages(error);
  // Refused before any socket opened: an unparsable URL, or a port fetch blocks ("bad port",
  // a cause without a code, e.g. 6000 or 1).
  if (codes.includes('ERR_INVALID_URL') || causes.includes('bad port')) {
    return { kind: 'other', message, sent: false };
  }
  // `redirect: 'error'` (see send): the server took the request and answered with a redirect.
  if (causes.includes('unexpected redirect')) {
    return { kind: 'other', message: redirectMessage, sent: true };
  }
  return { kind: 'other', message, sent: true };
};

const timeoutOf = (req) =>
  Number.isFinite(req.timeoutMs) && req.timeoutMs > 0 ? Math.ceil(req.timeoutMs) : defaultTimeoutMs;

// Read at most this much of an answer when the request does not say (the core sets
// `maxResponseBytes`; it refuses anything larger without parsing it).
const defaultMaxResponseBytes = 64 * 1024;

const maxBytesOf = (req) =>
  Number.isSafeInteger(req.maxResponseBytes) && req.maxResponseBytes > 0
    ? req.maxResponseBytes
    : defaultMaxResponseBytes;

/**
 * True when the whole answer may be read at once: it has no body, or declares a length within
 * the limit (undici stops at the declared length).
 */
const fitsAsDeclared = (response, limit) => {
  if (response.body === null) {
    return true;
  }
  const declared = response.headers.get('content-length');
  return declared !== null && Number(declared) <= limit;
};

/**
 * The answer's text, but never more than `limit` + 1 bytes of it: enough for the core to see
 * that it is too large, without holding a hostile or misrouted multi-megabyte body in memory.
 */
const readLimited = async (response, limit) => {
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size > limit) {
    // The rest is not needed; cancelling frees the connection. Errors here change nothing.
    await reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks, Math.min(size, limit + 1));
  return new TextDecoder().decode(bytes);
};

/**
 * `{ send, sleep, stamp }` for the core. `fetch` is injectable for tests; by default the global
 * one is looked up per request, so a host that swaps or instruments it later is honoured.
 */
export const createFetchTransport = ({ fetch = (url, init) => globalThis.fetch(url, init) } = {}) => ({
  /** POSTs one request; resolves `{ status, body }` or `{ networkError }`, never rejects. */
  async send(req) {
    // One deadline covers the connection, the headers and the body: the timeout is end to end.
    // A cleared timer rather than AbortSignal.timeout: the latter keeps its timer (and a few
    // objects) alive until it fires, which costs time per send and heap under load.
    const controller = new AbortController();
    const timeoutMs = timeoutOf(req);
    const timer = setTimeout(() => {
      controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    try {
      const response = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
        // A signed body is never replayed to another URL. 'error' rather than 'manual': with
        // any other mode undici copies every request first (a tee of the body stream, two more
        // streams) in case it must follow, which cost about a tenth of the send rate under
        // load (bench/README.md, "Redirect mode"); a redirect then arrives as a network error.
        redirect: 'error',
      });
      // The usual answer is small and says so: read it without another async layer.
      const limit = maxBytesOf(req);
      const body = fitsAsDeclared(response, limit) ? await response.text() : await readLimited(response, limit);
      return { status: response.status, body };
    } catch (error) {
      return { networkError: classifyNetworkError(error) };
    } finally {
      clearTimeout(timer);
    }
  },

  /** Backoff between retries. Not unref'd: someone awaits it, so it must keep the process alive. */
  sleep: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, Math.max(0, Number(ms) || 0));
    }),

  /** A fresh time and nonce, so a retry carries a new Timestamp, SignatureNonce and signature. */
  stamp: () => ({ nowMs: Date.now(), nonce: randomUUID() }),
});
