// The shipped fetch transport (dist/…/lib/transport.js) against real sockets: it must answer
// every request with a value, never a rejection, and say `sent: false` only when the request
// provably never left (the core retries exactly those).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { distDir } from './host.mjs';
import { uuidPattern } from './fixtures.mjs';

const { createFetchTransport, classifyNetworkError } = await import(
  pathToFileURL(path.join(distDir, 'connector-aliyun-dm', 'lib', 'transport.js')).href
);

const listen = async (server) => {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${server.address().port}/`;
};

const servers = [];
const serve = async (handler) => {
  const server = http.createServer(handler);
  servers.push(server);
  return listen(server);
};
const serveTcp = async (onSocket) => {
  const server = net.createServer(onSocket);
  servers.push(server);
  return listen(server);
};
after(() => {
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
});

const request = (url, overrides = {}) => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: 'Action=SendSms&SignName=%E7%A4%BA%E4%BE%8B',
  timeoutMs: 2000,
  ...overrides,
});

const transport = createFetchTransport();

describe('answers', () => {
  const seen = [];
  let url;
  before(async () => {
    url = await serve((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: '/elsewhere' }).end('moved');
        } else if (req.url === '/error') {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"Code":"InternalError"}');
        } else {
          res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end('{"Message":"触发分钟级流控"}');
        }
      });
    });
  });

  test('a 200 comes back as status and UTF-8 text; method, headers and body go out as given', async () => {
    const result = await transport.send(request(url));
    assert.deepEqual(result, { status: 200, body: '{"Message":"触发分钟级流控"}' });
    const last = seen.at(-1);
    assert.equal(last.method, 'POST');
    assert.equal(last.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(last.body, 'Action=SendSms&SignName=%E7%A4%BA%E4%BE%8B');
  });

  test('an error status is an answer, not a failure', async () => {
    assert.deepEqual(await transport.send(request(`${url}error`)), { status: 500, body: '{"Code":"InternalError"}' });
  });

  test('a redirect is not followed (a signed body is never replayed elsewhere): a sent network error that says so', async () => {
    const before = seen.length;
    const result = await transport.send(request(`${url}redirect`));
    assert.deepEqual(Object.keys(result), ['networkError']);
    assert.equal(result.networkError.kind, 'other');
    assert.equal(result.networkError.sent, true, 'the server took the request, so it is never resent');
    assert.match(result.networkError.message, /redirect, which is not followed/);
    assert.equal(seen.length, before + 1, 'the redirect target was not requested');
  });
});

describe('answer size', () => {
  test('an endless answer is read only to maxResponseBytes + 1, chunked or declared', async () => {
    let written = 0;
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const url = await serve((req, res) => {
      req.resume();
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(4 * 1024 * 1024) });
        res.end(Buffer.alloc(4 * 1024 * 1024, 'y'));
        return;
      }
      // Chunked, without end: the reader must stop by itself.
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (!res.destroyed && written < 64 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (!res.destroyed && written < 64 * 1024 * 1024) res.once('drain', pump);
      };
      pump();
    });
    const chunked = await transport.send(request(url, { maxResponseBytes: 1000 }));
    assert.equal(chunked.status, 200);
    assert.equal(Buffer.byteLength(chunked.body), 1001);
    assert.ok(written < 64 * 1024 * 1024, 'the transport stopped reading');
    const declared = await transport.send(request(`${url}declared`, { maxResponseBytes: 1000 }));
    assert.equal(Buffer.byteLength(declared.body), 1001);
    // Within the limit, the whole answer comes back.
    const small = await transport.send(request(url.replace(/\/$/, '/declared'), { maxResponseBytes: 8 * 1024 * 1024 }));
    assert.equal(small.body.length, 4 * 1024 * 1024);
  });
});

describe('network failures become values', () => {
  test('connection refused → refused, sent: false', async () => {
    const server = net.createServer();
    const url = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const { networkError } = await transport.send(request(url));
    assert.equal(networkError.kind, 'refused');
    assert.equal(networkError.sent, false);
    assert.match(networkError.message, /ECONNREFUSED/);
  });

  test('an unresolvable host → dns, sent: false', async () => {
    const { networkError } = await transport.send(request('http://no-such-host.invalid/'));
    assert.equal(networkError.kind, 'dns');
    assert.equal(networkError.sent, false);
  });

  test('a port fetch refuses to use → other, sent: false', async () => {
    const { networkError } = await transport.send(request('http://127.0.0.1:6000/'));
    assert.deepEqual([networkError.kind, networkError.sent], ['other', false]);
  });

  test('a reset after the request arrived → reset, sent: true', async () => {
    const url = await serveTcp((socket) => socket.once('data', () => socket.destroy()));
    const { networkError } = await transport.send(request(url));
    assert.deepEqual([networkError.kind, networkError.sent], ['reset', true]);
  });

  test('a reset in the middle of the body → reset, sent: true', async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"Code":');
      setTimeout(() => res.destroy(), 20);
    });
    const { networkError } = await transport.send(request(url));
    assert.deepEqual([networkError.kind, networkError.sent], ['reset', true]);
  });

  test('no answer within timeoutMs → timeout, sent: true', async () => {
    const url = await serve(() => {});
    const started = Date.now();
    const { networkError } = await transport.send(request(url, { timeoutMs: 300 }));
    const elapsed = Date.now() - started;
    assert.deepEqual([networkError.kind, networkError.sent], ['timeout', true]);
    // Which timeout applied (300 ms, not the 10 s default), with slack for a loaded machine.
    assert.ok(elapsed >= 250 && elapsed < 8000, `${elapsed} ms`);
  });

  test('the timeout also covers a body that stops arriving', async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"Code":');
    });
    const { networkError } = await transport.send(request(url, { timeoutMs: 300 }));
    assert.deepEqual([networkError.kind, networkError.sent], ['timeout', true]);
  });

  test('an unparsable URL → other, sent: false', async () => {
    const { networkError } = await transport.send(request('not a url'));
    assert.deepEqual([networkError.kind, networkError.sent], ['other', false]);
  });

  test('whatever an injected fetch throws, send resolves', async () => {
    const throwers = [
      () => {
        throw new Error('synchronous');
      },
      async () => {
        throw 'a string'; // eslint-disable-line no-throw-literal -- exactly the point
      },
      async () => ({ status: 200, text: async () => Promise.reject(new RangeError('body')) }),
      async () => {
        throw null; // eslint-disable-line no-throw-literal -- exactly the point
      },
    ];
    for (const fetch of throwers) {
      // eslint-disable-next-line no-await-in-loop -- each on its own
      const result = await createFetchTransport({ fetch }).send(request('http://127.0.0.1:1/'));
      assert.deepEqual(Object.keys(result), ['networkError']);
      assert.equal(result.networkError.kind, 'other');
      assert.equal(result.networkError.sent, true, 'unknown failures count as possibly sent');
      assert.equal(typeof result.networkError.message, 'string');
    }
  });
});

test('the default fetch is the global one at request time, so a host can instrument it later', async (t) => {
  const late = createFetchTransport();
  const calls = [];
  t.mock.method(globalThis, 'fetch', async (url, init) => {
    calls.push([url, init.method, init.redirect]);
    return new Response('{"ok":1}', { status: 201 });
  });
  assert.deepEqual(await late.send(request('https://dm.aliyuncs.com/')), { status: 201, body: '{"ok":1}' });
  assert.deepEqual(calls, [['https://dm.aliyuncs.com/', 'POST', 'error']]);
});

describe('classifyNetworkError', () => {
  const fetchFailed = (cause) => Object.assign(new TypeError('fetch failed'), { cause });
  const coded = (code, message = code) => Object.assign(new Error(message), { code });
  const cases = [
    ['ECONNREFUSED', fetchFailed(coded('ECONNREFUSED')), 'refused', false],
    ['happy eyeballs: AggregateError of refusals', fetchFailed(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'x')), 'refused', false],
    ['ENOTFOUND', fetchFailed(coded('ENOTFOUND')), 'dns', false],
    ['EAI_AGAIN', fetchFailed(coded('EAI_AGAIN')), 'dns', false],
    ['ECONNRESET', fetchFailed(coded('ECONNRESET')), 'reset', true],
    ['UND_ERR_SOCKET', fetchFailed(coded('UND_ERR_SOCKET', 'other side closed')), 'reset', true],
    ['TimeoutError', new DOMException('timed out', 'TimeoutError'), 'timeout', true],
    ['AbortError', new DOMException('aborted', 'AbortError'), 'timeout', true],
    ['ETIMEDOUT (connect or read: cannot tell)', fetchFailed(coded('ETIMEDOUT')), 'other', true],
    ['no cause', new TypeError('fetch failed'), 'other', true],
    ['a redirect under redirect: error', fetchFailed(new Error('unexpected redirect')), 'other', true],
  ];
  for (const [name, error, kind, sent] of cases) {
    test(`${name} → ${kind}, sent: ${sent}`, () => {
      const result = classifyNetworkError(error);
      assert.deepEqual([result.kind, result.sent], [kind, sent]);
      assert.equal(typeof result.message, 'string');
    });
  }
});

describe('stamp and sleep', () => {
  test('stamp gives the current time and a fresh UUID each call', () => {
    const first = transport.stamp();
    const second = transport.stamp();
    assert.ok(Math.abs(first.nowMs - Date.now()) < 1000);
    assert.match(first.nonce, uuidPattern);
    assert.notEqual(first.nonce, second.nonce);
  });

  test('sleep waits about the given time', async () => {
    const started = Date.now();
    await transport.sleep(50);
    assert.ok(Date.now() - started >= 45);
  });
});
