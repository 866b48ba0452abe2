// The fetch adapter (src/wasm/fetch.rs) end to end through the built package: the core's
// sendMessage (dist/…/lib/core.js) with a transport shaped like the one js-shim/connector.js
// passes, against real local HTTP servers. Whatever happens on the wire, the send settles as an
// envelope the shim turns into the host's ConnectorError, and a request is resent only when it
// provably never left (a refused connection, a failed DNS lookup, a port fetch will not use).
//
// Test timeouts are liveness bounds (a send that hangs fails instead of stalling the suite),
// never timing assertions.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { parseForm } from '../../sandbox/form.mjs';
import { verifySignature } from '../../sandbox/signature.mjs';
import { accessKeySecret, dmConfig, rejectsWith } from './fixtures.mjs';
import { distDir, internalsOf, logtoHost } from './host.mjs';

const { General, InvalidResponse } = ConnectorErrorCodes;

const packageDir = path.join(distDir, 'connector-aliyun-dm');
const libDir = path.join(packageDir, 'lib');
const sendOnce = fileURLToPath(new URL('send-once.mjs', import.meta.url));
const { core, transport: shipped } = await internalsOf(packageDir);

const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_ATTEMPTS = 3;
// Liveness bound of a test: several sends, each at most one timeout (1 s) plus two backoffs.
const BOUND = { timeout: 30_000 };

/** The shipped transport (js-shim/connector.js) with a fetch of the test's choosing. */
const transportWith = (fetch) => Object.freeze({ ...shipped, fetch });

/** The global fetch, with every call recorded. */
const recordingFetch = () => {
  const calls = [];
  const fetch = (url, init) => {
    calls.push({ url, init });
    return globalThis.fetch(url, init);
  };
  return { calls, fetch };
};

const subject = '[SignIn] 验证码 123456';

/** One DM send to `endpoint` through the core: its result, or the host's ConnectorError. */
const send = async (endpoint, { fetch = recordingFetch().fetch, timeoutMs } = {}) => {
  const config = dmConfig(endpoint, timeoutMs === undefined ? {} : { timeoutMs });
  const input = {
    config,
    to: 'user@example.com',
    type: 'SignIn',
    payload: { code: '123456' },
    template: null,
  };
  return core.unwrap(await core.sendMessage('aliyun-dm', input, transportWith(fetch)));
};

const servers = [];
const listen = async (server) => {
  servers.push(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}/`;
};
after(() => {
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
});

/** An HTTP server that records every request (method, headers, body bytes) before `answer`. */
const serve = async (answer) => {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(request);
      answer(req, res, request);
    });
  });
  return { url: await listen(server), seen };
};

const json = (res, status, text, headers = {}) => {
  const body = Buffer.from(text);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': body.length,
    ...headers,
  });
  res.end(body);
};

// Each field carries 2-, 3- and 4-byte UTF-8 sequences, so a decoding slip changes the text.
const delivered = { EnvId: '信封-1-é', RequestId: '请求-😀-Ünïcode-한국어' };
const deliveredText = JSON.stringify(delivered);

/** A ReadableStream of the given chunks, one per pull. */
const streamOf = (chunks) =>
  new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) {
        controller.close();
      } else {
        controller.enqueue(next);
      }
    },
  });

describe('answers', () => {
  test(
    'a 200 answer comes back byte-exact UTF-8; method, headers and body go out as given',
    BOUND,
    async () => {
      const { url, seen } = await serve((req, res) => json(res, 200, deliveredText));
      const { calls, fetch } = recordingFetch();
      assert.deepEqual(await send(url, { fetch }), delivered);

      assert.equal(calls.length, 1);
      assert.equal(seen.length, 1);
      const [{ init }] = calls;
      const [arrived] = seen;
      assert.equal(calls[0].url, url, 'a URL and an init, not a Request');
      assert.equal(init.method, 'POST');
      assert.equal(arrived.method, init.method);
      assert.equal(init.redirect, 'error');
      assert.ok(init.signal instanceof AbortSignal, 'every request carries the deadline signal');
      const headers = new Headers(init.headers);
      assert.equal(headers.get('content-type'), 'application/x-www-form-urlencoded');
      assert.equal(arrived.headers['content-type'], headers.get('content-type'));
      assert.ok(
        arrived.body.equals(Buffer.from(init.body)),
        'the body arrived byte for byte as given',
      );
      const params = parseForm(arrived.body);
      assert.equal(params.Action, 'SingleSendMail');
      assert.equal(params.Subject, subject);
      assert.ok(verifySignature('POST', params, accessKeySecret).ok, 'the body arrived signed');
    },
  );

  test(
    'an answer split inside a UTF-8 sequence is decoded as a whole (chunked, and byte by byte)',
    BOUND,
    async () => {
      const bytes = Buffer.from(deliveredText);
      const emoji = bytes.indexOf(Buffer.from('😀'));
      const { url } = await serve(async (req, res) => {
        // No content-length: the adapter reads the stream chunk by chunk.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(bytes.subarray(0, emoji + 2));
        await new Promise((resolve) => setTimeout(resolve, 20));
        res.end(bytes.subarray(emoji + 2));
      });
      assert.deepEqual(await send(url), delivered);

      const byteByByte = async () =>
        new Response(streamOf([...bytes].map((byte) => Uint8Array.of(byte))));
      assert.deepEqual(await send(url, { fetch: byteByByte }), delivered);
    },
  );

  test(
    'an error status is an answer: Aliyun’s code and message come back as they were sent',
    BOUND,
    async () => {
      const answer = {
        RequestId: 'r-错误-1',
        HostId: 'dm.aliyuncs.com',
        Code: 'InternalError',
        Message: '服务器内部错误 😀',
      };
      const { url, seen } = await serve((req, res) => json(res, 500, JSON.stringify(answer)));
      const error = await rejectsWith(send(url), General);
      assert.equal(error.data.status, 500);
      assert.equal(error.data.Code, answer.Code);
      assert.equal(error.data.Message, answer.Message);
      assert.equal(error.data.RequestId, answer.RequestId);
      assert.equal(error.data.network, undefined, 'an answer, not a network failure');
      assert.equal(seen.length, 1, 'InternalError may have taken the message: never resent');
    },
  );

  test('a redirect is not followed, nothing is resent, and the error says so', BOUND, async () => {
    // The target would accept: following the redirect would replay the signed body there.
    const target = await serve((req, res) => json(res, 200, deliveredText));
    const moved = await serve((req, res) => {
      res.writeHead(301, { location: target.url }).end();
    });
    const { calls, fetch } = recordingFetch();
    const error = await rejectsWith(send(moved.url, { fetch }), General);
    assert.equal(error.data.network, 'other');
    assert.match(error.data.errorDescription, /redirect, which is not followed/);
    assert.match(error.data.errorDescription, /may have been sent, so it was not retried/);
    assert.equal(moved.seen.length, 1);
    assert.equal(calls.length, 1, 'the server took the request: it is not sent again');
    assert.equal(target.seen.length, 0, 'the redirect target was never asked');
  });
});

describe('answer size', () => {
  const padded = (size) => {
    const text = JSON.stringify({ EnvId: '1', RequestId: 'r' });
    return text + ' '.repeat(size - text.length);
  };

  test(
    'a 64 KiB answer is read; one byte more is invalid_response, declared or chunked',
    BOUND,
    async () => {
      const { url } = await serve((req, res, { url: route }) => {
        const body = padded(route.includes('over') ? MAX_ANSWER_BYTES + 1 : MAX_ANSWER_BYTES);
        if (route.includes('declared')) {
          json(res, 200, body);
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(body.slice(0, 1000));
          res.end(body.slice(1000));
        }
      });
      for (const how of ['declared', 'chunked']) {
        assert.deepEqual(await send(`${url}${how}`), { EnvId: '1', RequestId: 'r' }, how);

        const error = await rejectsWith(send(`${url}${how}/over`), InvalidResponse);
        assert.match(error.data.errorDescription, /over 64 KB/, how);
      }
    },
  );

  test(
    'an endless answer is read only to 64 KiB + 1 and refused: chunked, and with a declared length',
    BOUND,
    async () => {
      const limit = 64 * 1024 * 1024;
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pumps = [];
      const { url } = await serve((req, res, { url: route }) => {
        const declared = route.includes('declared');
        res.writeHead(
          200,
          declared ? { 'content-length': String(limit) } : { 'content-type': 'application/json' },
        );
        const pump = { written: 0, closed: new Promise((resolve) => res.once('close', resolve)) };
        pumps.push(pump);
        const more = () => {
          while (!res.destroyed && pump.written < limit && res.write(chunk))
            pump.written += chunk.length;
          if (!res.destroyed && pump.written < limit) res.once('drain', more);
        };
        more();
      });
      await rejectsWith(send(`${url}chunked`), InvalidResponse);
      await rejectsWith(send(`${url}declared`), InvalidResponse);
      assert.equal(pumps.length, 2, 'one request each, not resent');
      for (const pump of pumps) {
        await pump.closed;
        assert.ok(pump.written < limit, `the server stopped after ${pump.written} bytes`);
      }
    },
  );

  test(
    'a made-up Response that declares a small length but never ends is read only that far',
    BOUND,
    async () => {
      // A fetch-compatible function may answer a Response whose header promises 5 bytes and whose
      // body never ends: trusting the header (Response.text()) would read it forever. Each
      // chunk waits a turn, so that a reader that does not stop fails the liveness bound
      // instead of starving the event loop.
      let pulled = 0;
      const size = 1000;
      const endless = () =>
        new ReadableStream(
          {
            async pull(controller) {
              await new Promise((resolve) => setImmediate(resolve));
              pulled += size;
              controller.enqueue(new Uint8Array(size).fill(0x20));
            },
          },
          { highWaterMark: 0 },
        );
      const fetch = async () =>
        new Response(endless(), { status: 200, headers: { 'content-length': '5' } });
      await rejectsWith(send('http://127.0.0.1:9/', { fetch }), InvalidResponse);
      assert.ok(pulled <= 2 * size, `${pulled} bytes pulled`);
    },
  );

  test('the reader takes no more than 64 KiB + 1 bytes and cancels the rest', BOUND, async () => {
    let pulled = 0;
    let cancelled = false;
    const size = 1000;
    // Endless: a reader that did not stop would never settle (and the liveness bound fails it).
    const endless = () =>
      new ReadableStream(
        {
          pull(controller) {
            pulled += size;
            controller.enqueue(new Uint8Array(size).fill(0x20));
          },
          cancel() {
            cancelled = true;
          },
        },
        { highWaterMark: 0 },
      );
    const fetch = async () => new Response(endless(), { status: 200 });
    await rejectsWith(send('http://127.0.0.1:9/', { fetch }), InvalidResponse);
    assert.ok(cancelled, 'the rest of the stream was cancelled');
    assert.ok(pulled <= MAX_ANSWER_BYTES + 1 + size, `${pulled} bytes pulled`);
  });
});

describe('network failures', () => {
  const closedPort = async () => {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return port;
  };

  test('connection refused → retried (nothing was sent), then general', BOUND, async () => {
    const { calls, fetch } = recordingFetch();
    const error = await rejectsWith(
      send(`http://127.0.0.1:${await closedPort()}/`, { fetch }),
      General,
    );
    assert.equal(error.data.network, 'refused');
    assert.match(error.data.errorDescription, /ECONNREFUSED/);
    assert.match(error.data.errorDescription, /Nothing was sent/);
    assert.equal(calls.length, MAX_ATTEMPTS, 'every attempt the rules allow');
    assert.notEqual(calls[0].init.body, calls[1].init.body, 'each attempt signed anew');
  });

  test('an unresolvable host → dns, retried, then general', BOUND, async () => {
    const { calls, fetch } = recordingFetch();
    const error = await rejectsWith(send('https://no-such-host.invalid/', { fetch }), General);
    assert.equal(error.data.network, 'dns');
    assert.match(error.data.errorDescription, /Nothing was sent/);
    assert.equal(calls.length, MAX_ATTEMPTS);
  });

  test('a port fetch refuses (1, 6000) → other, never sent, so retried', BOUND, async () => {
    for (const port of [1, 6000]) {
      const { calls, fetch } = recordingFetch();

      const error = await rejectsWith(send(`http://127.0.0.1:${port}/`, { fetch }), General);
      assert.equal(error.data.network, 'other', `port ${port}`);
      assert.match(error.data.errorDescription, /bad port/, `port ${port}`);
      assert.equal(
        calls.length,
        MAX_ATTEMPTS,
        `port ${port}: nothing left, so going again is safe`,
      );
    }
  });

  test('a reset after the request arrived → reset, and not resent', BOUND, async () => {
    let arrived = 0;
    const server = net.createServer((socket) =>
      socket.once('data', () => {
        arrived += 1;
        socket.destroy();
      }),
    );
    const { calls, fetch } = recordingFetch();
    const error = await rejectsWith(send(await listen(server), { fetch }), General);
    assert.equal(error.data.network, 'reset');
    assert.match(error.data.errorDescription, /may have been sent, so it was not retried/);
    assert.equal(calls.length, 1);
    assert.equal(arrived, 1);
  });

  test('a reset in the middle of the body → reset, and not resent', BOUND, async () => {
    const { url, seen } = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"EnvId":');
      setTimeout(() => res.destroy(), 20);
    });
    const error = await rejectsWith(send(url), General);
    assert.equal(error.data.network, 'reset');
    assert.equal(seen.length, 1);
  });

  test('no answer within timeoutMs → timeout, and not resent', BOUND, async () => {
    const { url, seen } = await serve(() => {});
    const { calls, fetch } = recordingFetch();
    const error = await rejectsWith(send(url, { fetch, timeoutMs: 1000 }), General);
    assert.equal(error.data.network, 'timeout');
    assert.match(error.data.errorDescription, /did not answer within 1000 ms/);
    assert.equal(calls.length, 1);
    assert.equal(seen.length, 1);
  });

  test('the timeout also covers a body that stops arriving', BOUND, async () => {
    const { url, seen } = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"EnvId":');
    });
    const error = await rejectsWith(send(url, { timeoutMs: 1000 }), General);
    assert.equal(error.data.network, 'timeout');
    assert.equal(seen.length, 1);
  });

  test(
    'whatever an injected fetch throws or resolves to, the send settles as a ConnectorError',
    BOUND,
    async (t) => {
      t.mock.method(console, 'error', () => {});
      const hostile = new Proxy(
        {},
        {
          get() {
            throw new Error('get trap');
          },
          getPrototypeOf() {
            throw new Error('getPrototypeOf trap');
          },
          has() {
            throw new Error('has trap');
          },
        },
      );
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      const erroring = (reason) =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.error(reason);
            },
          }),
        );

      const fetches = {
        'a synchronous throw': () => {
          throw new Error('synchronous');
        },
        'a rejected string': async () => {
          throw 'a string';
        },
        'a rejected null': () => Promise.reject(null),
        'a rejected undefined': () => Promise.reject(undefined),
        'a rejected Proxy whose every trap throws': () => Promise.reject(hostile),
        'a rejected revoked Proxy': () => Promise.reject(revoked.proxy),
        'a rejection whose cause chain never ends': () => {
          const error = new TypeError('fetch failed');
          error.cause = error;
          return Promise.reject(error);
        },
        'undefined returned': () => undefined,
        'a non-Response resolved': async () => ({ status: 200, text: async () => deliveredText }),
        'a resolved Proxy whose every trap throws': async () => hostile,
        'a resolved revoked Proxy': async () => revoked.proxy,
        'a body that errors with a non-Error value': async () => erroring(42),
        'a body that errors with a Proxy': async () => erroring(hostile),
      };

      for (const [name, fetch] of Object.entries(fetches)) {
        const error = await rejectsWith(send('http://127.0.0.1:9/', { fetch }), General).catch(
          (failure) => {
            throw new Error(`${name}: ${failure.message}`);
          },
        );
        assert.equal(
          error.data.network,
          'other',
          `${name}: a failure that may have sent, never resent`,
        );
      }
      // A revoked Proxy where an AggregateError keeps its errors: read without a throw
      // (Array.isArray would throw), so the core answers itself, with kind other.
      const aggregate = await rejectsWith(
        send('http://127.0.0.1:9/', { fetch: () => Promise.reject({ errors: revoked.proxy }) }),
        General,
      );
      assert.equal(aggregate.data.network, 'other');
    },
  );
});

describe('the deadline and the default fetch', () => {
  test(
    'the deadline timer is cleared after the answer: a process that sent once exits at once',
    BOUND,
    async () => {
      // timeoutMs is the largest allowed; a timer left running would hold the child that long,
      // and the bound below (a liveness bound far under it) would kill it.
      const { stdout } = await promisify(execFile)(process.execPath, [sendOnce], {
        env: {
          ...process.env,
          CONNECTOR: pathToFileURL(path.join(libDir, 'index.js')).href,
          CONFIG: JSON.stringify(dmConfig('', { timeoutMs: 60_000 })),
          ENV_ID: delivered.EnvId,
          REQUEST_ID: delivered.RequestId,
        },
        timeout: 20_000,
      });
      assert.deepEqual(JSON.parse(stdout), delivered);
    },
  );

  test(
    'the default fetch is the global one at request time, so a host can swap it later',
    BOUND,
    async (t) => {
      const host = await logtoHost();
      t.after(() => host.close());
      const connector = await host.connect('aliyun-dm', {
        config: dmConfig('https://dm.example.com/'),
      });
      const calls = [];
      t.mock.method(globalThis, 'fetch', async (url, init) => {
        calls.push({ url, init });
        return new Response(deliveredText, { status: 200 });
      });
      assert.deepEqual(
        await connector.sendMessage({
          to: 'user@example.com',
          type: 'SignIn',
          payload: { code: '1' },
        }),
        delivered,
      );
      assert.equal(calls.length, 1);
      assert.equal(calls[0].url, 'https://dm.example.com/');
      assert.equal(calls[0].init.method, 'POST');
      assert.equal(calls[0].init.redirect, 'error');
    },
  );
});
