// Fault injection over real HTTP (global fetch, as the connectors' transport uses).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox } from '../index.mjs';
import { allCodes, codeFitsProduct } from '../errors.mjs';
import { ACTIONS, PHONE_TRIGGERS, echoOf, normalizeFault, recipientFault } from '../faults.mjs';
import { CREDENTIALS, dmParams, formBody, request, smsParams } from './helpers.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function post(sb, params, init = {}) {
  return fetch(sb.url, { method: 'POST', headers: FORM, body: formBody(params), ...init });
}

// The codes the brief requires the table (and so the `error` mode) to cover, with statuses.
const REQUIRED_GATEWAY = {
  Throttling: 400,
  'Throttling.User': 400,
  'Throttling.Api': 400,
  ServiceUnavailable: 503,
  InternalError: 500,
  SignatureDoesNotMatch: 400,
  'InvalidAccessKeyId.NotFound': 404,
  'InvalidAccessKeyId.Inactive': 400,
  'Forbidden.RAM': 403,
  NoPermission: 403,
  'InvalidTimeStamp.Expired': 400,
};
const REQUIRED_DM = {
  'InvalidSendMail.Spam': 400,
  InvalidToAddress: 400,
  'InvalidToAddress.Spam': 400,
  'InvalidMailAddress.NotFound': 404,
  'InvalidSubject.Malformed': 400,
  'InvalidFromAlias.Malformed': 400,
  InvalidBody: 400,
};
const REQUIRED_SMS = [
  'isv.BUSINESS_LIMIT_CONTROL',
  'isv.DAY_LIMIT_CONTROL',
  'isv.MONTH_LIMIT_CONTROL',
  'isv.AMOUNT_NOT_ENOUGH',
  'isv.OUT_OF_SERVICE',
  'isv.MOBILE_NUMBER_ILLEGAL',
  'isv.MOBILE_COUNT_OVER_LIMIT',
  'isv.SMS_SIGNATURE_ILLEGAL',
  'isv.SMS_TEMPLATE_ILLEGAL',
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL',
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED',
  'isv.INVALID_PARAMETERS',
  'isv.INVALID_JSON_PARAM',
  'isv.TEMPLATE_MISSING_PARAMETERS',
  'isv.DENY_IP_RANGE',
  'isp.RAM_PERMISSION_DENY',
  'isp.SYSTEM_ERROR',
];

describe('fault modes over HTTP', () => {
  let sb;
  before(async () => {
    sb = await startSandbox({ credentials: CREDENTIALS });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  for (const [code, status] of Object.entries({ ...REQUIRED_GATEWAY, ...REQUIRED_DM })) {
    it(`error ${code} on SingleSendMail → HTTP ${status} with Aliyun's body, nothing delivered`, async () => {
      sb.addFault({ match: { action: 'SingleSendMail' }, mode: 'error', code });
      const res = await post(sb, dmParams(Date.now()));
      assert.equal(res.status, status);
      const body = await res.json();
      assert.deepEqual(Object.keys(body).sort(), [
        'Code',
        'HostId',
        'Message',
        'Recommend',
        'RequestId',
      ]);
      assert.equal(body.Code, code);
      assert.equal(sb.deliveries().length, 0);
      const [r] = sb.requests();
      assert.deepEqual([r.outcome, r.status, r.code], ['fault', status, code]);
    });
  }

  for (const code of Object.keys(REQUIRED_GATEWAY)) {
    it(`error ${code} on SendSms → HTTP ${REQUIRED_GATEWAY[code]} gateway body`, async () => {
      sb.addFault({ match: { action: 'SendSms' }, code });
      const res = await post(sb, smsParams(Date.now()));
      assert.equal(res.status, REQUIRED_GATEWAY[code]);
      const body = await res.json();
      assert.equal(body.Code, code);
      assert.match(body.Recommend, /product=Dysmsapi/);
    });
  }

  for (const code of REQUIRED_SMS) {
    it(`error ${code} on SendSms → HTTP 200 {RequestId, Code, Message}`, async () => {
      sb.addFault({ match: { action: 'SendSms' }, mode: 'error', code });
      const res = await post(sb, smsParams(Date.now()));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(Object.keys(body).sort(), ['Code', 'Message', 'RequestId']);
      assert.equal(body.Code, code);
      assert.ok(body.Message.length > 0);
      assert.equal(sb.deliveries().length, 0);
    });
  }

  it('html502 → 502 with an HTML body', async () => {
    sb.addFault({ mode: 'html502' });
    const res = await post(sb, smsParams(Date.now()));
    assert.equal(res.status, 502);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /<h1>502 Bad Gateway<\/h1>/);
  });

  it('truncated → 200 with half a JSON body', async () => {
    sb.addFault({ mode: 'truncated' });
    const res = await post(sb, dmParams(Date.now()));
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.startsWith('{"EnvId"'), text);
    assert.throws(() => JSON.parse(text), SyntaxError);
  });

  it('nonjson → 200 with a text body', async () => {
    sb.addFault({ mode: 'nonjson' });
    const res = await post(sb, smsParams(Date.now()));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    const text = await res.text();
    assert.throws(() => JSON.parse(text), SyntaxError);
  });

  it('empty500 → 500 with an empty body', async () => {
    sb.addFault({ mode: 'empty500' });
    const res = await post(sb, smsParams(Date.now()));
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
  });

  it('reset → fetch rejects, nothing delivered, the request is recorded as a fault', async () => {
    sb.addFault({ mode: 'reset' });
    await assert.rejects(post(sb, smsParams(Date.now())), TypeError);
    assert.equal(sb.deliveries().length, 0);
    assert.deepEqual(
      sb.requests().map((r) => [r.outcome, r.status, r.code]),
      [['fault', null, 'reset']],
    );
  });

  it('hang → the client times out; close() still returns promptly', async () => {
    const own = await startSandbox({ credentials: CREDENTIALS });
    own.addFault({ mode: 'hang' });
    const started = Date.now();
    await assert.rejects(
      post(own, smsParams(Date.now()), { signal: AbortSignal.timeout(300) }),
      (e) => e.name === 'TimeoutError',
    );
    assert.ok(Date.now() - started >= 290);
    // A second hanging request is still pending when we close.
    const pending = post(own, smsParams(Date.now())).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 100));
    const closing = Date.now();
    await own.close();
    assert.ok(Date.now() - closing < 2000);
    assert.equal(await pending, 'failed');
    assert.equal(own.deliveries().length, 0);
  });

  it('slow → answered normally after delayMs, and the message is delivered at once', async () => {
    sb.addFault({ mode: 'slow', delayMs: 400 });
    const started = Date.now();
    const resP = post(sb, smsParams(Date.now()));
    await sb.waitForDelivery(() => true, { timeoutMs: 300 });
    const res = await resP;
    assert.ok(Date.now() - started >= 390, `answered after ${Date.now() - started} ms`);
    assert.equal((await res.json()).Code, 'OK');
    assert.equal(sb.deliveries().length, 1);
    assert.equal(sb.requests()[0].outcome, 'delivered');
    assert.equal(sb.requests()[0].fault.mode, 'slow');
  });

  it('slow with a client timeout shorter than the delay: the client fails, the message was still delivered', async () => {
    sb.addFault({ mode: 'slow', delayMs: 500 });
    await assert.rejects(post(sb, smsParams(Date.now()), { signal: AbortSignal.timeout(150) }));
    assert.equal(sb.deliveries().length, 1);
  });

  it('delayMs also delays an error', async () => {
    sb.addFault({ code: 'Throttling.User', delayMs: 300 });
    const started = Date.now();
    const res = await post(sb, dmParams(Date.now()));
    assert.ok(Date.now() - started >= 290);
    assert.equal(res.status, 400);
  });

  it('times counts down per matching request, then requests go through', async () => {
    sb.addFault({ match: { action: 'SendSms' }, code: 'Throttling.Api', times: 2 });
    assert.equal((await post(sb, dmParams(Date.now()))).status, 200); // not matching: not counted
    assert.equal((await post(sb, smsParams(Date.now()))).status, 400);
    assert.equal((await post(sb, smsParams(Date.now()))).status, 400);
    assert.equal((await (await post(sb, smsParams(Date.now()))).json()).Code, 'OK');
    assert.deepEqual(sb.faults(), []);
  });

  it('match.to selects by recipient (any of several, case-insensitive); a RegExp works too', async () => {
    sb.addFault({ match: { to: 'Bob@Example.com' }, code: 'InvalidToAddress.Spam' });
    sb.addFault({ match: { to: /^1390/ }, code: 'isv.DAY_LIMIT_CONTROL' });
    assert.equal(
      (await post(sb, dmParams(Date.now(), { ToAddress: 'alice@example.com' }))).status,
      200,
    );
    assert.equal(
      (await post(sb, dmParams(Date.now(), { ToAddress: 'alice@example.com,bob@example.com' })))
        .status,
      400,
    );
    assert.equal(
      (await (await post(sb, smsParams(Date.now(), { PhoneNumbers: '13900000000' }))).json()).Code,
      'isv.DAY_LIMIT_CONTROL',
    );
    assert.equal(
      (await (await post(sb, smsParams(Date.now(), { PhoneNumbers: '13800000000' }))).json()).Code,
      'OK',
    );
  });

  it('an isv.* fault without an action never fires on SingleSendMail', async () => {
    sb.addFault({ code: 'isv.BUSINESS_LIMIT_CONTROL' });
    assert.equal((await post(sb, dmParams(Date.now()))).status, 200);
    assert.equal(
      (await (await post(sb, smsParams(Date.now()))).json()).Code,
      'isv.BUSINESS_LIMIT_CONTROL',
    );
  });

  it('faults fire only after authentication: a bad signature is still reported as such and not counted', async () => {
    sb.addFault({ mode: 'reset', times: 1 });
    const res = await post(sb, smsParams(Date.now()), {
      body: formBody(smsParams(Date.now()), 'wrong'),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).Code, 'SignatureDoesNotMatch');
    assert.equal(sb.faults().length, 1);
  });

  it('the nonce of a faulted request is consumed: resending it is caught', async () => {
    sb.addFault({ code: 'Throttling.User', times: 1 });
    const params = smsParams(Date.now());
    assert.equal((await post(sb, params)).status, 400);
    const again = await post(sb, params);
    assert.equal((await again.json()).Code, 'SignatureNonceUsed');
  });

  it('clearFaults() and reset() remove faults', async () => {
    sb.addFault({ mode: 'reset' });
    sb.clearFaults();
    assert.equal((await post(sb, smsParams(Date.now()))).status, 200);
  });
});

describe('addFault validation', () => {
  const bad = [
    [{ mode: 'explode' }, /mode must be one of/],
    [{ mode: 'error' }, /not a known Aliyun code/],
    [{ mode: 'error', code: 'NoSuchCode' }, /not a known Aliyun code/],
    [
      { match: { action: 'SingleSendMail' }, code: 'isv.BUSINESS_LIMIT_CONTROL' },
      /cannot be returned by SingleSendMail/,
    ],
    [
      { match: { action: 'SendSms' }, code: 'InvalidSendMail.Spam' },
      /cannot be returned by SendSms/,
    ],
    [{ match: { action: 'DescribeRegions' }, mode: 'reset' }, /action must be one of/],
    [{ mode: 'reset', code: 'Throttling' }, /only meaningful with mode 'error'/],
    [{ mode: 'slow', delayMs: -1 }, /delayMs/],
    [{ mode: 'reset', times: 0 }, /times/],
    [{ mode: 'reset', times: 1.5 }, /times/],
    [{ mode: 'reset', match: { to: 5 } }, /match.to/],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => assert.throws(() => normalizeFault(spec), message));
  }

  it('defaults: times Infinity, slow 2000 ms, mode error when only a code is given', () => {
    assert.deepEqual(normalizeFault({ mode: 'slow' }), {
      match: { action: null, to: null },
      mode: 'slow',
      code: null,
      echo: null,
      delayMs: 2000,
      times: Infinity,
    });
    assert.equal(normalizeFault({ code: 'Throttling' }).mode, 'error');
    assert.equal(normalizeFault({ mode: 'echo' }).echo, 'form');
  });

  for (const [spec, message] of [
    [{ mode: 'error', code: 'Throttling', echo: 'xml' }, /fault.echo must be one of/],
    [{ mode: 'reset', echo: 'form' }, /only meaningful with mode 'error' or 'echo'/],
  ]) {
    it(`rejects ${JSON.stringify(spec)}`, () => assert.throws(() => normalizeFault(spec), message));
  }

  it('echoOf quotes the request in each form, the string to sign as SignatureDoesNotMatch does', () => {
    const params = { Action: 'SendSms', TemplateParam: '{"code":"Q1 2"}', Signature: 'sig=' };
    const rawBody = 'Action=SendSms&TemplateParam=%7B%22code%22%3A%22Q1%202%22%7D&Signature=sig%3D';
    assert.equal(echoOf('form', { method: 'POST', params, rawBody }), rawBody);
    assert.equal(
      echoOf('decoded', { method: 'POST', params, rawBody }),
      'Action: SendSms; TemplateParam: {"code":"Q1 2"}; Signature: sig=',
    );
    assert.equal(echoOf('json', { method: 'POST', params, rawBody }), JSON.stringify(params));
    assert.equal(
      echoOf('canonical', { method: 'POST', params, rawBody }),
      'Action=SendSms&TemplateParam=%7B%22code%22%3A%22Q1%202%22%7D',
    );
    assert.equal(
      echoOf('stringToSign', { method: 'POST', params, rawBody }),
      'POST&%2F&Action%3DSendSms%26TemplateParam%3D%257B%2522code%2522%253A%2522Q1%25202%2522%257D',
    );
  });

  it('every code in the table has a status and a message; 200 only for SMS business codes', () => {
    for (const row of allCodes()) {
      assert.ok([200, 400, 403, 404, 413, 500, 503].includes(row.status), row.code);
      assert.ok(row.message.length > 0);
      assert.deepEqual(
        row.products.filter((p) => !['pop', 'dm', 'sms', 'pnvs'].includes(p)),
        [],
        row.code,
      );
      if (row.product === 'sms') assert.equal(row.status, 200, row.code);
      if (row.product === 'pop' || row.product === 'dm') assert.notEqual(row.status, 200, row.code);
      if (row.product === 'pnvs') assert.ok([200, 400].includes(row.status), row.code);
    }
  });
});

describe('faults over the HTTP admin API', () => {
  let sb;
  before(async () => {
    sb = await startSandbox({ credentials: CREDENTIALS });
  });
  after(() => sb.close());

  it('POST /__sandbox/faults adds, GET lists, DELETE clears', async () => {
    const add = await request(`${sb.url}__sandbox/faults`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        match: { action: 'SendSms' },
        mode: 'error',
        code: 'isv.AMOUNT_NOT_ENOUGH',
        times: 1,
      }),
    });
    assert.equal(add.status, 201, add.text);
    assert.equal(add.json.code, 'isv.AMOUNT_NOT_ENOUGH');
    assert.equal(add.json.times, 1);
    const list = await request(`${sb.url}__sandbox/faults`, { method: 'GET' });
    assert.equal(list.json.length, 1);
    assert.equal(
      (await (await post(sb, smsParams(Date.now()))).json()).Code,
      'isv.AMOUNT_NOT_ENOUGH',
    );

    await request(`${sb.url}__sandbox/faults`, {
      headers: { 'content-type': 'application/json' },
      body: '{"mode":"reset"}',
    });
    const del = await request(`${sb.url}__sandbox/faults`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.deepEqual(sb.faults(), []);
    assert.equal((await (await post(sb, smsParams(Date.now()))).json()).Code, 'OK');
  });

  it('DELETE /__sandbox/faults/:id removes one; an Infinity fault lists times null', async () => {
    const a = sb.addFault({ mode: 'reset' });
    const b = sb.addFault({ mode: 'hang' });
    await request(`${sb.url}__sandbox/faults/${a.id}`, { method: 'DELETE' });
    const list = (await request(`${sb.url}__sandbox/faults`, { method: 'GET' })).json;
    assert.deepEqual(
      list.map((f) => [f.id, f.mode, f.times]),
      [[b.id, 'hang', null]],
    );
    sb.clearFaults();
  });

  it('an invalid fault → 400 with the reason; invalid JSON → 400', async () => {
    const res = await request(`${sb.url}__sandbox/faults`, {
      headers: { 'content-type': 'application/json' },
      body: '{"mode":"boom"}',
    });
    assert.equal(res.status, 400);
    assert.match(res.json.error, /mode must be one of/);
    const res2 = await request(`${sb.url}__sandbox/faults`, {
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(res2.status, 400);
  });

  it('a cross-origin POST is refused', async () => {
    const res = await request(`${sb.url}__sandbox/faults`, {
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: '{"mode":"reset"}',
    });
    assert.equal(res.status, 403);
    assert.deepEqual(sb.faults(), []);
  });
});

describe('recipient triggers', () => {
  let sb;
  before(async () => {
    sb = await startSandbox({ credentials: CREDENTIALS });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  it('email: fault-<code>@… answers that code', async () => {
    const res = await post(
      sb,
      dmParams(Date.now(), { ToAddress: 'fault-InvalidSendMail.Spam@sandbox.test' }),
    );
    assert.equal(res.status, 400);
    assert.equal((await res.json()).Code, 'InvalidSendMail.Spam');
    assert.equal(sb.requests()[0].fault.source, 'recipient');
  });

  it('email: the code is matched case-insensitively (addresses are often lower-cased)', async () => {
    const res = await post(
      sb,
      dmParams(Date.now(), { ToAddress: 'fault-throttling.user@sandbox.test' }),
    );
    assert.equal((await res.json()).Code, 'Throttling.User');
  });

  it('email: name+fault-<mode>@… applies the mode', async () => {
    await assert.rejects(
      post(sb, dmParams(Date.now(), { ToAddress: 'alice+fault-reset@example.com' })),
    );
    assert.equal(sb.deliveries().length, 0);
  });

  it('email: fault-slow-<ms>@… delays the answer and delivers', async () => {
    const started = Date.now();
    const res = await post(sb, dmParams(Date.now(), { ToAddress: 'fault-slow-300@sandbox.test' }));
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 290);
    assert.equal(sb.deliveries().length, 1);
  });

  it('email: an SMS-only code or an unknown name is ignored and the mail is delivered', async () => {
    assert.equal(
      (
        await post(
          sb,
          dmParams(Date.now(), { ToAddress: 'fault-isv.BUSINESS_LIMIT_CONTROL@sandbox.test' }),
        )
      ).status,
      200,
    );
    assert.equal(
      (await post(sb, dmParams(Date.now(), { ToAddress: 'fault-nonsense@sandbox.test' }))).status,
      200,
    );
    assert.equal(sb.deliveries().length, 2);
  });

  it('SMS: a number containing +fault-<code> answers that code', async () => {
    const res = await post(
      sb,
      smsParams(Date.now(), { PhoneNumbers: '13800000000+fault-isv.BUSINESS_LIMIT_CONTROL' }),
    );
    assert.equal((await res.json()).Code, 'isv.BUSINESS_LIMIT_CONTROL');
  });

  it('SMS: digit-only 999NN… numbers pick a fault from the table', async () => {
    const res = await post(sb, smsParams(Date.now(), { PhoneNumbers: '9993012345678' }));
    assert.equal((await res.json()).Code, 'isv.BUSINESS_LIMIT_CONTROL');
    const res2 = await post(sb, smsParams(Date.now(), { PhoneNumbers: '+99911' }));
    assert.equal(res2.status, 400);
    assert.equal((await res2.json()).Code, 'Throttling.User');
    await assert.rejects(post(sb, smsParams(Date.now(), { PhoneNumbers: '99901000' })));
    // An unassigned pair is an ordinary number.
    assert.equal(
      (await (await post(sb, smsParams(Date.now(), { PhoneNumbers: '9999912345' }))).json()).Code,
      'OK',
    );
  });

  it('the phone trigger table only names valid modes and codes that SendSms or SendSmsVerifyCode can return', () => {
    for (const [pair, row] of Object.entries(PHONE_TRIGGERS)) {
      assert.match(pair, /^\d\d$/);
      const actions = ['SendSms', 'SendSmsVerifyCode'].filter(
        (action) => !row.code || codeFitsProduct(row.code, ACTIONS[action]),
      );
      assert.ok(actions.length > 0, pair);
      for (const action of actions)
        assert.doesNotThrow(
          () => normalizeFault({ match: { action }, ...row }),
          `${pair} ${action}`,
        );
    }
  });

  it('recipientFault: the first recipient with a trigger wins; plain addresses give nothing', () => {
    assert.equal(recipientFault('SingleSendMail', ['a@example.com']), undefined);
    assert.equal(
      recipientFault('SingleSendMail', ['a@example.com', 'fault-hang@x.test', 'fault-reset@x.test'])
        .mode,
      'hang',
    );
    assert.equal(
      recipientFault('SingleSendMail', ['fault-hang@x.test']).match.to,
      'fault-hang@x.test',
    );
    // "fault-" in the domain does not count.
    assert.equal(recipientFault('SingleSendMail', ['a@fault-reset.test']), undefined);
  });
});
