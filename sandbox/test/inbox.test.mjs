// The inbox page, its JSON API and the Server-Sent Events stream.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox } from '../index.mjs';
import { summarize } from '../inbox.mjs';
import { CREDENTIALS, dmParams, postSigned, request, smsParams } from './helpers.mjs';

/** Open the SSE stream; returns { next(): Promise<{event, id, data}>, close() }. */
function openEvents(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${url}__sandbox/events`,
      { headers: { accept: 'text/event-stream' } },
      (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(res.headers['content-type'], /^text\/event-stream/);
        res.setEncoding('utf8');
        let buffer = '';
        const queue = [];
        const waiters = [];
        res.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const ev = { event: 'message', id: null, data: null };
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) ev.event = line.slice(7);
              else if (line.startsWith('id: ')) ev.id = line.slice(4);
              else if (line.startsWith('data: ')) ev.data = JSON.parse(line.slice(6));
            }
            if (ev.data === null) continue; // retry: / comments
            if (waiters.length) waiters.shift()(ev);
            else queue.push(ev);
          }
        });
        resolve({
          next: () =>
            queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)),
          close: () => req.destroy(),
          response: res,
        });
      },
    );
    req.on('error', reject);
  });
}

describe('inbox', () => {
  let sb;
  before(async () => {
    sb = await startSandbox({ credentials: CREDENTIALS });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  it('GET /__sandbox/ serves the page as UTF-8 HTML with a strict CSP', async () => {
    for (const path of ['__sandbox/', '__sandbox']) {
      const res = await request(sb.url + path, { method: 'GET' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.text, /<meta charset="utf-8">/);
      assert.match(res.headers['content-security-policy'], /default-src 'none'/);
      assert.match(res.headers['content-security-policy'], /script-src 'self'/);
      assert.doesNotMatch(res.text, /<script>/); // no inline script
    }
  });

  it('GET / with Accept: text/html serves the page; without it, / is the Aliyun API', async () => {
    const page = await request(sb.url, {
      method: 'GET',
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    assert.match(page.text, /Aliyun sandbox inbox/);
    const api = await request(sb.url, { method: 'GET', headers: { accept: 'application/json' } });
    assert.equal(api.status, 400);
    assert.equal(api.json.Code, 'MissingParameter');
  });

  it('serves its script and stylesheet; the script never uses innerHTML', async () => {
    const js = await request(`${sb.url}__sandbox/inbox.js`, { method: 'GET' });
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'], /^text\/javascript/);
    assert.doesNotMatch(js.text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    assert.match(js.text, /sandbox/);
    assert.match(js.text, /default-src 'none'; img-src data:; style-src 'unsafe-inline'/);
    assert.doesNotThrow(() => new Function(js.text)); // it parses
    const css = await request(`${sb.url}__sandbox/inbox.css`, { method: 'GET' });
    assert.match(css.headers['content-type'], /^text\/css/);
  });

  it('GET /__sandbox/api/messages lists newest first; filters by kind, to, limit; summary form', async () => {
    await postSigned(sb, dmParams(Date.now(), { Subject: '第一' }));
    await postSigned(sb, smsParams(Date.now()));
    await postSigned(sb, dmParams(Date.now(), { Subject: '第三', ToAddress: 'bob@example.com' }));
    const all = (await request(`${sb.url}__sandbox/api/messages`, { method: 'GET' })).json;
    assert.deepEqual(
      all.map((m) => m.id),
      [3, 2, 1],
    );
    assert.equal(all[0].subject, '第三');
    assert.equal(all[0].rawBody.length > 0, true);
    const emails = (await request(`${sb.url}__sandbox/api/messages?kind=email`, { method: 'GET' }))
      .json;
    assert.deepEqual(
      emails.map((m) => m.id),
      [3, 1],
    );
    const bob = (
      await request(`${sb.url}__sandbox/api/messages?to=BOB@example.com`, { method: 'GET' })
    ).json;
    assert.deepEqual(
      bob.map((m) => m.id),
      [3],
    );
    const one = (
      await request(`${sb.url}__sandbox/api/messages?limit=1&summary=1`, { method: 'GET' })
    ).json;
    assert.deepEqual(one, [summarize(sb.deliveries()[2])]);
    assert.deepEqual(Object.keys(one[0]), [
      'id',
      'kind',
      'action',
      'to',
      'title',
      'receivedAt',
      'region',
    ]);
  });

  it('GET /__sandbox/api/messages/:id returns one record; unknown → 404', async () => {
    await postSigned(sb, smsParams(Date.now(), { TemplateParam: '{"code":"654321"}' }));
    const { id } = sb.deliveries()[0];
    const res = await request(`${sb.url}__sandbox/api/messages/${id}`, { method: 'GET' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, sb.deliveries()[0]);
    assert.equal(
      (await request(`${sb.url}__sandbox/api/messages/999`, { method: 'GET' })).status,
      404,
    );
  });

  it('DELETE /__sandbox/api/messages clears them', async () => {
    await postSigned(sb, smsParams(Date.now()));
    const res = await request(`${sb.url}__sandbox/api/messages`, { method: 'DELETE' });
    assert.deepEqual(res.json, { deleted: 1 });
    assert.equal(sb.deliveries().length, 0);
  });

  it('GET /__sandbox/api/requests lists requests newest first; /health answers; unknown routes 404', async () => {
    await postSigned(sb, smsParams(Date.now()));
    await postSigned(sb, smsParams(Date.now()), { secret: 'bad' });
    const reqs = (await request(`${sb.url}__sandbox/api/requests`, { method: 'GET' })).json;
    assert.deepEqual(
      reqs.map((r) => r.outcome),
      ['rejected', 'delivered'],
    );
    assert.deepEqual((await request(`${sb.url}__sandbox/health`, { method: 'GET' })).json, {
      ok: true,
    });
    assert.equal((await request(`${sb.url}__sandbox/nope`, { method: 'GET' })).status, 404);
  });

  it('POST /__sandbox/reset forgets everything', async () => {
    await postSigned(sb, smsParams(Date.now()));
    sb.addFault({ mode: 'reset' });
    await request(`${sb.url}__sandbox/reset`, { method: 'POST' });
    assert.equal(sb.deliveries().length, 0);
    assert.equal(sb.requests().length, 0);
    assert.deepEqual(sb.faults(), []);
  });

  it('a cross-origin DELETE is refused; same-origin is fine', async () => {
    await postSigned(sb, smsParams(Date.now()));
    const evil = await request(`${sb.url}__sandbox/api/messages`, {
      method: 'DELETE',
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(evil.status, 403);
    assert.equal(sb.deliveries().length, 1);
    const own = await request(`${sb.url}__sandbox/api/messages`, {
      method: 'DELETE',
      headers: { origin: sb.url.slice(0, -1) },
    });
    assert.equal(own.status, 200);
  });

  it('SSE: a delivery sends a "message" event with the summary; clearing sends "clear"', async () => {
    const events = await openEvents(sb.url);
    try {
      await postSigned(sb, dmParams(Date.now(), { Subject: '实时 🔔' }));
      const ev = await events.next();
      assert.equal(ev.event, 'message');
      assert.equal(ev.data.title, '实时 🔔');
      assert.equal(ev.data.kind, 'email');
      assert.equal(ev.id, String(ev.data.id));
      await postSigned(sb, smsParams(Date.now()), { secret: 'bad' }); // rejected: no event
      await postSigned(sb, smsParams(Date.now()));
      const ev2 = await events.next();
      assert.equal(ev2.data.kind, 'sms');
      assert.equal(ev2.data.title, 'SMS_123456');
      sb.clearDeliveries();
      assert.equal((await events.next()).event, 'clear');
    } finally {
      events.close();
    }
  });

  it('SSE streams are ended by close()', async () => {
    const own = await startSandbox({ credentials: CREDENTIALS });
    const events = await openEvents(own.url);
    const ended = new Promise((r) => events.response.on('close', r));
    await own.close();
    await ended;
  });
});
