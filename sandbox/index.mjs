// Local Aliyun sandbox: an HTTP(S) server that speaks Direct Mail SingleSendMail, Dysmsapi
// SendSms and Dypnsapi SendSmsVerifyCode like Aliyun (POP RPC, signature V1), records what it
// accepts, shows it in an inbox page, and can be told to misbehave. Node built-ins only.
// Contract: docs/contracts.md §2.
//
//   const sb = await startSandbox({ credentials: { id: { secret } } });
//   sb.url  // point a connector's `endpoint` at it
import http from 'node:http';
import https from 'node:https';
import { createAliyun, newRequestId, recipientsOf } from './aliyun.mjs';
import { errorResponse, lookupCode } from './errors.mjs';
import { echoOf, FaultSet, recipientFault } from './faults.mjs';
import { parseForm } from './form.mjs';
import { INBOX_CSS, INBOX_HTML, INBOX_JS, PAGE_CSP, summarize } from './inbox.mjs';
import { Store } from './store.mjs';

export { computeSignature, percentEncode, signedForm, stringToSign } from './signature.mjs';
// For connector tests: which action belongs to which product, the gift templates the inbox
// renders, the error table and the phone numbers that trigger faults.
export { API, GIFT_TEMPLATES } from './aliyun.mjs';
export { allCodes, codeFitsProduct, lookupCode, PRODUCT_NAMES } from './errors.mjs';
export { ACTIONS, PHONE_TRIGGER_PREFIXES, PHONE_TRIGGERS, phoneTrigger } from './faults.mjs';

const MAX_BODY_BYTES = 16 * 1024 * 1024; // DM bodies may be ~8 MB once percent-encoded
const MAX_SSE_CLIENTS = 64;
const SSE_PING_MS = 15000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const JSON_TYPE = 'application/json;charset=utf-8';

// The success body of each action, of which the `truncated` fault sends the first half.
const TRUNCATED_SUCCESS = {
  SingleSendMail: (requestId) => ({ EnvId: '0', RequestId: requestId }),
  SendSms: (requestId) => ({ Code: 'OK', Message: 'OK', BizId: '0^0', RequestId: requestId }),
  SendSmsVerifyCode: (requestId) => ({
    Message: '成功',
    RequestId: requestId,
    Model: { RequestId: requestId.toLowerCase(), BizId: '0^0' },
    Code: 'OK',
    Success: true,
  }),
};

/**
 * Start the sandbox.
 * @param {object} [options]
 * @param {string} [options.host='127.0.0.1'] loopback only
 * @param {number} [options.port=0] 0 = any free port
 * @param {Record<string,{secret:string, securityToken?:string, inactive?:boolean}>} [options.credentials]
 * @param {string} [options.journal] JSON-lines file: deliveries are appended and reloaded on start
 * @param {{key:string|Buffer, cert:string|Buffer}} [options.tls] serve HTTPS
 * @param {() => number} [options.now=Date.now] clock for the timestamp and nonce windows
 * @param {Record<string,string[]>} [options.senders] DM sender addresses per RegionId
 * @param {string[]} [options.smsSignNames] approved SMS signatures (default any)
 * @param {string[]} [options.smsTemplates] approved SMS template codes (default any)
 * @param {string[]|'*'} [options.verificationTemplates] SMS templates whose values must be [a-zA-Z0-9]
 * @param {string[]} [options.smsAuthSignNames] SendSmsVerifyCode signatures (default any)
 * @param {string[]} [options.smsAuthTemplates] SendSmsVerifyCode template codes (default any)
 * @param {number} [options.maxRecords=10000] deliveries and requests kept in memory
 * @param {(line: string) => void} [options.log] one line per API request
 */
export async function startSandbox(options = {}) {
  const {
    host = '127.0.0.1',
    port = 0,
    credentials = {},
    journal,
    tls,
    now = () => Date.now(),
    senders,
    smsSignNames,
    smsTemplates,
    verificationTemplates,
    smsAuthSignNames,
    smsAuthTemplates,
    maxRecords = 10000,
    log,
  } = options;
  // The sandbox accepts any sender and prints what it receives: never expose it.
  if (!LOOPBACK.has(host))
    throw new Error(
      `sandbox: refusing to listen on ${host}, only on loopback (127.0.0.1, ::1, localhost)`,
    );
  for (const [id, cred] of Object.entries(credentials)) {
    if (!cred || typeof cred.secret !== 'string')
      throw new TypeError(`sandbox: credentials[${JSON.stringify(id)}].secret must be a string`);
  }

  const store = new Store({ journal, maxRecords });
  const aliyun = createAliyun({
    credentials,
    now,
    senders,
    smsSignNames,
    smsTemplates,
    verificationTemplates,
    smsAuthSignNames,
    smsAuthTemplates,
  });
  const faults = new FaultSet();
  const pending = new Set(); // timers and hanging responses, released by close()
  const sseClients = new Set();
  let closed = false;

  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest)
    : http.createServer(onRequest);
  // Keep-alive sockets would otherwise hold close() open until they time out.
  server.keepAliveTimeout = 5000;

  async function onRequest(req, res) {
    let body;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e.code === 'TOO_LARGE') {
        const r = errorResponse('RequestEntityTooLarge', {
          requestId: newRequestId(),
          hostId: req.headers.host ?? '',
        });
        sendJson(res, r.status, r.body, { connection: 'close' });
      }
      return;
    }
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    try {
      if (url.pathname === '/__sandbox' || url.pathname.startsWith('/__sandbox/')) {
        await onAdmin(req, res, url, body);
      } else if (
        req.method === 'GET' &&
        url.pathname === '/' &&
        url.search === '' &&
        wantsHtml(req)
      ) {
        sendPage(res);
      } else {
        await onApi(req, res, url, body);
      }
    } catch (e) {
      // A sandbox bug must show as Aliyun's InternalError, not as a hang.
      if (!res.headersSent) {
        const r = errorResponse('InternalError', {
          requestId: newRequestId(),
          hostId: req.headers.host ?? '',
          message: `sandbox error: ${e.message}`,
        });
        sendJson(res, r.status, r.body);
      } else {
        res.destroy();
      }
    }
  }

  // ---- Aliyun API ----------------------------------------------------------------------
  async function onApi(req, res, url, body) {
    const method = req.method;
    const host = String(req.headers.host ?? '').toLowerCase();
    const contentType = String(req.headers['content-type'] ?? '');
    const query = parseForm(url.search.slice(1));
    // Like Aliyun's SDK: query and form body are one parameter set, the body winning.
    const form =
      method === 'POST' &&
      (contentType === '' || /application\/x-www-form-urlencoded/i.test(contentType))
        ? parseForm(body)
        : {};
    const params = { ...query, ...form };
    const rawBody = body.toString('utf8');
    const at = new Date(now()).toISOString();
    const entry = {
      at,
      method,
      path: url.pathname,
      host,
      action: params.Action ?? null,
      params,
      requestId: null,
    };

    const auth = aliyun.authenticate({ method, host, params });
    entry.requestId = auth.requestId;
    if (!auth.ok) {
      finish(entry, 'rejected', auth);
      sendJson(res, auth.status, auth.body, { 'x-acs-request-id': auth.requestId });
      return;
    }

    const recipients = recipientsOf(auth.action, params);
    const fault =
      faults.take({ action: auth.action, recipients }) ?? recipientFault(auth.action, recipients);
    if (fault && fault.mode !== 'slow') {
      // Other modes may also be delayed (e.g. a reset after 2 s).
      if (fault.delayMs > 0 && !(await delay(fault.delayMs))) return; // sandbox closed meanwhile
      applyFault(fault, { req, res, entry, auth, method, params, rawBody });
      return;
    }

    const result = aliyun.execute({ params, auth });
    if (result.delivery) {
      const { Signature, ...kept } = params; // the signature is not part of the message
      const { kind, region, to, recipients, ...specific } = result.delivery;
      const delivery = store.addDelivery({
        kind,
        action: auth.action,
        region,
        host,
        receivedAt: at,
        requestId: auth.requestId,
        to,
        recipients,
        ...specific,
        params: kept,
        rawBody,
      });
      entry.deliveryId = delivery.id;
      finish(entry, 'delivered', result, fault);
    } else {
      finish(entry, 'rejected', result, fault);
    }
    // slow: the message is accepted now, only the answer is late, as when Aliyun's answer is
    // slower than the client's timeout (the connector must then not resend).
    if (fault?.mode === 'slow' && !(await delay(fault.delayMs))) return;
    sendJson(res, result.status, result.body, { 'x-acs-request-id': auth.requestId });
  }

  function finish(entry, outcome, { status, code }, fault) {
    entry.outcome = outcome;
    entry.status = status;
    entry.code = code ?? null;
    entry.fault = fault ? { mode: fault.mode, code: fault.code, source: fault.source } : null;
    store.addRequest(entry);
    log?.(
      `${entry.at} ${entry.method} ${entry.action ?? '-'} ${outcome} ${status ?? '-'} ${entry.code ?? ''}`.trimEnd(),
    );
  }

  function applyFault(fault, { req, res, entry, auth, method, params, rawBody }) {
    const code = fault.code ?? fault.mode;
    const quote = () => echoOf(fault.echo, { method, params, rawBody });
    switch (fault.mode) {
      case 'error': {
        const message = fault.echo
          ? `${lookupCode(fault.code).message} The request was: ${quote()}`
          : undefined;
        const r = errorResponse(fault.code, {
          requestId: auth.requestId,
          hostId: auth.hostId,
          productKind: auth.product,
          message,
        });
        finish(entry, 'fault', r, fault);
        sendJson(res, r.status, r.body, { 'x-acs-request-id': auth.requestId });
        return;
      }
      case 'html502': {
        // What a load balancer in front of the API answers when the backend is gone.
        finish(entry, 'fault', { status: 502, code }, fault);
        send(
          res,
          502,
          'text/html',
          '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n',
        );
        return;
      }
      case 'truncated': {
        const full = JSON.stringify(TRUNCATED_SUCCESS[auth.action](auth.requestId));
        finish(entry, 'fault', { status: 200, code }, fault);
        send(res, 200, JSON_TYPE, full.slice(0, Math.floor(full.length / 2)));
        return;
      }
      case 'nonjson': {
        finish(entry, 'fault', { status: 200, code }, fault);
        send(
          res,
          200,
          'text/plain;charset=utf-8',
          'upstream answered with something that is not JSON\n',
        );
        return;
      }
      case 'empty500': {
        finish(entry, 'fault', { status: 500, code }, fault);
        send(res, 500, 'application/json', '');
        return;
      }
      case 'echo': {
        finish(entry, 'fault', { status: 500, code }, fault);
        send(res, 500, 'text/plain;charset=utf-8', quote());
        return;
      }
      case 'reset': {
        finish(entry, 'fault', { status: null, code }, fault);
        req.socket.destroy();
        return;
      }
      case 'hang': {
        // Never answer; the socket is destroyed by close() or when the client gives up.
        finish(entry, 'fault', { status: null, code }, fault);
        const hold = { release: () => res.destroy() };
        pending.add(hold);
        res.on('close', () => pending.delete(hold));
        return;
      }
      default:
        throw new Error(`unknown fault mode ${fault.mode}`);
    }
  }

  /** Resolves true after ms, or false if the sandbox closed first. */
  function delay(ms) {
    return new Promise((resolve) => {
      const hold = {
        release: () => {
          clearTimeout(timer);
          resolve(false);
        },
      };
      const timer = setTimeout(() => {
        pending.delete(hold);
        resolve(!closed);
      }, ms);
      pending.add(hold);
    });
  }

  // ---- Sandbox admin: inbox, JSON API, faults --------------------------------------------
  async function onAdmin(req, res, url, body) {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method;
    // The sandbox is on loopback, but a web page in the user's browser could still post to
    // it: refuse state changes from another origin.
    if (method !== 'GET' && method !== 'HEAD' && req.headers.origin && !sameOrigin(req)) {
      sendJson(res, 403, { error: 'cross-origin request refused' });
      return;
    }
    if (method === 'GET' && path === '/__sandbox') return sendPage(res);
    if (method === 'GET' && path === '/__sandbox/inbox.js')
      return send(res, 200, 'text/javascript;charset=utf-8', INBOX_JS);
    if (method === 'GET' && path === '/__sandbox/inbox.css')
      return send(res, 200, 'text/css;charset=utf-8', INBOX_CSS);
    if (method === 'GET' && path === '/__sandbox/health') return sendJson(res, 200, { ok: true });
    if (method === 'GET' && path === '/__sandbox/events') return openEvents(req, res);

    if (path === '/__sandbox/api/messages') {
      if (method === 'GET') return sendJson(res, 200, listMessages(url.searchParams));
      if (method === 'DELETE') return sendJson(res, 200, { deleted: store.clearDeliveries() });
    }
    const one = /^\/__sandbox\/api\/messages\/(\d+)$/.exec(path);
    if (one && method === 'GET') {
      const rec = store.getDelivery(Number(one[1]));
      return rec ? sendJson(res, 200, rec) : sendJson(res, 404, { error: 'no such message' });
    }
    if (path === '/__sandbox/api/requests' && method === 'GET')
      return sendJson(res, 200, store.requests().reverse());

    if (path === '/__sandbox/faults') {
      if (method === 'GET') return sendJson(res, 200, faults.list());
      if (method === 'DELETE') {
        faults.clear();
        return sendJson(res, 200, { cleared: true });
      }
      if (method === 'POST') {
        let spec;
        try {
          spec = JSON.parse(body.toString('utf8'));
          const f = faults.add(spec);
          return sendJson(
            res,
            201,
            faults.list().find((x) => x.id === f.id),
          );
        } catch (e) {
          return sendJson(res, 400, { error: e.message });
        }
      }
    }
    const oneFault = /^\/__sandbox\/faults\/(\d+)$/.exec(path);
    if (oneFault && method === 'DELETE') {
      faults.remove(Number(oneFault[1]));
      return sendJson(res, 200, { removed: Number(oneFault[1]) });
    }
    if (path === '/__sandbox/reset' && method === 'POST') {
      reset();
      return sendJson(res, 200, { reset: true });
    }
    sendJson(res, 404, { error: `no sandbox route ${method} ${path}` });
  }

  function listMessages(q) {
    let list = store.deliveries().reverse(); // newest first
    if (q.get('kind')) list = list.filter((m) => m.kind === q.get('kind'));
    if (q.get('to')) {
      const to = q.get('to').toLowerCase();
      list = list.filter((m) => m.recipients.some((r) => r.toLowerCase() === to));
    }
    const limit = Number(q.get('limit'));
    if (Number.isInteger(limit) && limit > 0) list = list.slice(0, limit);
    return q.get('summary') ? list.map(summarize) : list;
  }

  function openEvents(req, res) {
    if (sseClients.size >= MAX_SSE_CLIENTS)
      return sendJson(res, 503, { error: 'too many event streams' });
    res.writeHead(200, {
      'content-type': 'text/event-stream;charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    const client = {
      res,
      ping: setInterval(() => res.write(': ping\n\n'), SSE_PING_MS),
    };
    client.ping.unref();
    client.unsubscribe = store.subscribe((event, rec) => {
      const data = rec ? JSON.stringify(summarize(rec)) : '{}';
      res.write(`event: ${event}\n${rec ? `id: ${rec.id}\n` : ''}data: ${data}\n\n`);
    });
    sseClients.add(client);
    res.on('close', () => dropClient(client));
  }

  function dropClient(client) {
    clearInterval(client.ping);
    client.unsubscribe();
    sseClients.delete(client);
  }

  function sendPage(res) {
    send(res, 200, 'text/html; charset=utf-8', INBOX_HTML, { 'content-security-policy': PAGE_CSP });
  }

  function sameOrigin(req) {
    try {
      return new URL(req.headers.origin).host === String(req.headers.host ?? '');
    } catch {
      return false;
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------
  function reset() {
    faults.clear();
    store.clearDeliveries();
    store.clearRequests();
    aliyun.nonces.clear();
    for (const hold of [...pending]) {
      pending.delete(hold);
      hold.release();
    }
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${actualPort}/`,
    port: actualPort,
    host,
    /** Accepted messages, oldest first. */
    deliveries: () => store.deliveries(),
    /** Every API request with its outcome, oldest first. */
    requests: () => store.requests(),
    /** Register a fault; returns it (with its id). Throws TypeError on an invalid fault. */
    addFault: (spec) => faults.add(spec),
    removeFault: (id) => faults.remove(id),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
    clearDeliveries: () => store.clearDeliveries(),
    /** Forget deliveries (journal included), requests, faults and nonces; release hanging requests. */
    reset,
    /** Number of journal lines that could not be read back on start. */
    get journalSkipped() {
      return store.journalSkipped;
    },
    /**
     * Resolve with the first delivery (already made or future) for which predicate is true.
     * @param {(d: object) => boolean} [predicate]
     * @param {{ timeoutMs?: number }} [opts]
     */
    waitForDelivery(predicate = () => true, { timeoutMs = 5000 } = {}) {
      const found = store.deliveries().find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`no matching delivery within ${timeoutMs} ms`));
        }, timeoutMs);
        const unsubscribe = store.subscribe((event, rec) => {
          if (event === 'message' && predicate(rec)) {
            clearTimeout(timer);
            unsubscribe();
            resolve(rec);
          }
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const hold of [...pending]) {
        pending.delete(hold);
        hold.release();
      }
      for (const client of [...sseClients]) {
        dropClient(client);
        client.res.end();
      }
      const done = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

function wantsHtml(req) {
  return /text\/html/i.test(String(req.headers.accept ?? ''));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        const e = new Error('request body too large');
        e.code = 'TOO_LARGE';
        reject(e);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, type, text, headers = {}) {
  const buf = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    'content-type': type,
    'content-length': buf.length,
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(buf);
}

function sendJson(res, status, value, headers = {}) {
  send(res, status, JSON_TYPE, JSON.stringify(value), headers);
}
