// Error paths end to end: every failure reaches Logto as its own ConnectorError class (the one
// in the host's node_modules), with the right code, Aliyun's message and ids in data, and never
// the access key secret.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, test } from 'node:test';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

import {
  accessKeySecret,
  dmConfig,
  rejectsWith,
  smsAuthConfig,
  smsAuthRequiredTypes,
  smsConfig,
} from './fixtures.mjs';
import { withHostAndSandbox } from './host.mjs';

let host;
let sb;
withHostAndSandbox((started) => ({ host, sb } = started));

const email = (connector, extra = {}) =>
  connector.sendMessage({
    to: 'user@example.com',
    type: 'SignIn',
    payload: { code: '123456' },
    ...extra,
  });
const sms = (connector, extra = {}) =>
  connector.sendMessage({
    to: '13912345678',
    type: 'SignIn',
    payload: { code: '123456' },
    ...extra,
  });

const smsAuth = (connector, extra = {}) =>
  connector.sendMessage({
    to: '8613912345678',
    type: 'SignIn',
    payload: { code: '123456' },
    ...extra,
  });

const dm = (overrides) => host.connect('aliyun-dm', { config: dmConfig(sb.url, overrides) });
const smsConnector = (overrides) =>
  host.connect('aliyun-sms', { config: smsConfig(sb.url, overrides) });

const smsAuthConnector = (overrides) =>
  host.connect('aliyun-sms-auth', { config: smsAuthConfig(sb.url, overrides) });

/** A port nothing listens on: bound, then released. */
const closedPort = async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
};

describe('invalid config', () => {
  test('DM: invalid_config with every issue by path, nothing sent, no secret', async () => {
    const connector = await dm({ templates: [], regionId: 'mars-1', accountName: undefined });
    const error = await rejectsWith(email(connector), ConnectorErrorCodes.InvalidConfig);
    const paths = error.data.issues.map(({ path }) => path);
    assert.ok(
      paths.some((path) => path.join('.') === 'accountName'),
      JSON.stringify(paths),
    );
    assert.ok(
      paths.some(([key]) => key === 'regionId'),
      JSON.stringify(paths),
    );
    assert.ok(
      paths.some(([key]) => key === 'templates'),
      JSON.stringify(paths),
    );
    assert.ok(
      error.data.issues.every(({ code, message }) => code === 'custom' && message.length > 0),
    );
    assert.equal(sb.requests().length, 0);
  });

  test('SMS: invalid_config for a templateCode of the wrong shape', async () => {
    const connector = await smsConnector({
      templates: [{ usageType: 'Generic', templateCode: 42 }],
    });
    await rejectsWith(sms(connector), ConnectorErrorCodes.InvalidConfig);
  });

  test('a secret put in the wrong field is not echoed back', async () => {
    const connector = await dm({ regionId: accessKeySecret, fromAlias: 12 });
    await rejectsWith(email(connector), ConnectorErrorCodes.InvalidConfig);
    const guard = host
      .factoryOf('aliyun-dm')
      .configGuard.safeParse(dmConfig(sb.url, { regionId: accessKeySecret }));
    assert.equal(guard.success, false);
    assert.ok(!JSON.stringify(guard.error).includes(accessKeySecret));
  });

  test('a non-object config (null from an empty row) is invalid_config, not a crash', async () => {
    const connector = await host.connect('aliyun-dm', { getConfig: async () => null });
    await rejectsWith(email(connector), ConnectorErrorCodes.InvalidConfig);
  });
});

describe('getConfig failures', () => {
  test('a ConnectorError from the host passes through unchanged', async () => {
    const hostError = new ConnectorError(ConnectorErrorCodes.NotImplemented);
    const connector = await host.connect('aliyun-sms', {
      getConfig: async () => {
        throw hostError;
      },
    });
    await assert.rejects(sms(connector), (error) => error === hostError);
  });

  test('any other error becomes a general ConnectorError that says so', async () => {
    const connector = await host.connect('aliyun-dm', {
      getConfig: async () => {
        throw new TypeError('connection to the database lost');
      },
    });
    const error = await rejectsWith(email(connector), ConnectorErrorCodes.General);
    assert.equal(
      error.data.errorDescription,
      'Could not read the connector config: connection to the database lost',
    );
  });
});

describe('Aliyun error answers', () => {
  // The official connector puts Aliyun's Message alone in errorDescription; the core prefixes a
  // one-line hint (DESIGN.md section 5) and keeps Message as its own field.
  test('DM 400 error body → general, with Aliyun Message in errorDescription and Code, Message, RequestId', async () => {
    sb.addFault({ match: { action: 'SingleSendMail' }, mode: 'error', code: 'InvalidBody' });
    const connector = await dm();
    const error = await rejectsWith(email(connector), ConnectorErrorCodes.General);
    const [request] = sb.requests();
    assert.equal(request.status, 400);
    assert.equal(error.data.Code, 'InvalidBody');
    const message = 'The specified body is invalid, HtmlBody or TextBody is required.';
    assert.equal(error.data.Message, message);
    assert.ok(error.data.errorDescription.includes(message), error.data.errorDescription);
    assert.equal(error.data.RequestId, request.requestId);
    assert.equal(sb.requests().length, 1, 'not retried');
  });

  test('SMS 200 isv.BUSINESS_LIMIT_CONTROL → rate_limit_exceeded (429 in Logto)', async () => {
    sb.addFault({
      match: { action: 'SendSms' },
      mode: 'error',
      code: 'isv.BUSINESS_LIMIT_CONTROL',
    });
    const connector = await smsConnector();
    const error = await rejectsWith(sms(connector), ConnectorErrorCodes.RateLimitExceeded);
    assert.equal(error.data.Code, 'isv.BUSINESS_LIMIT_CONTROL');
    assert.equal(error.data.Message, '触发分钟级流控Permits:1');
    assert.ok(
      error.data.errorDescription.includes('触发分钟级流控Permits:1'),
      error.data.errorDescription,
    );
    assert.equal(error.data.RequestId, sb.requests()[0].requestId);
  });

  test('(beyond the official connector) SMS isv.DAY_LIMIT_CONTROL → usage_limit_exceeded', async () => {
    sb.addFault({ match: { action: 'SendSms' }, mode: 'error', code: 'isv.DAY_LIMIT_CONTROL' });
    await rejectsWith(sms(await smsConnector()), ConnectorErrorCodes.UsageLimitExceeded);
  });

  test('a wrong secret (SignatureDoesNotMatch) → invalid_config, and neither secret leaks', async () => {
    const wrongSecret = `wrong-${accessKeySecret}`;
    const connector = await dm({ accessKeySecret: wrongSecret });
    const error = await rejectsWith(email(connector), ConnectorErrorCodes.InvalidConfig);
    assert.equal(error.data.Code, 'SignatureDoesNotMatch');
    assert.ok(!JSON.stringify(error.data).includes(wrongSecret));
    assert.ok(!error.message.includes(wrongSecret));
  });

  test('(beyond the official connector) Throttling.Api is retried with a fresh nonce and then delivered', async () => {
    sb.addFault({
      match: { action: 'SingleSendMail' },
      mode: 'error',
      code: 'Throttling.Api',
      times: 1,
    });
    const connector = await dm();
    await email(connector);
    const requests = sb.requests();
    assert.equal(requests.length, 2);
    assert.equal(requests[0].code, 'Throttling.Api');
    assert.equal(requests[1].outcome, 'delivered');
    assert.notEqual(requests[0].params.SignatureNonce, requests[1].params.SignatureNonce);
    assert.equal(sb.deliveries().length, 1);
  });
});

describe('broken answers and broken connections', () => {
  test('a non-JSON 200 → invalid_response', async () => {
    sb.addFault({ match: { action: 'SendSms' }, mode: 'nonjson' });
    await rejectsWith(sms(await smsConnector()), ConnectorErrorCodes.InvalidResponse);
  });

  test('a truncated JSON 200 → invalid_response', async () => {
    sb.addFault({ match: { action: 'SingleSendMail' }, mode: 'truncated' });
    await rejectsWith(email(await dm()), ConnectorErrorCodes.InvalidResponse);
  });

  for (const mode of ['html502', 'empty500']) {
    test(`${mode} → invalid_response, sent once`, async () => {
      sb.addFault({ match: { action: 'SingleSendMail' }, mode });
      // Neither is an Aliyun error body, so the answer is unreadable rather than a provider error.
      await rejectsWith(email(await dm()), ConnectorErrorCodes.InvalidResponse);
      assert.equal(sb.requests().length, 1);
    });
  }

  test('a connection reset → ConnectorError general (never a raw TypeError), not resent', async () => {
    sb.addFault({ match: { action: 'SingleSendMail' }, mode: 'reset' });
    const error = await rejectsWith(email(await dm()), ConnectorErrorCodes.General);
    assert.ok(!(error instanceof TypeError));
    assert.equal(sb.requests().length, 1, 'a reset request may have arrived: never resent');
  });

  test('no answer within timeoutMs → general, not resent', async () => {
    sb.addFault({ match: { action: 'SendSms' }, mode: 'hang' });
    const started = Date.now();
    // 1000 ms is the smallest timeoutMs the config accepts.
    const error = await rejectsWith(
      sms(await smsConnector({ timeoutMs: 1000 })),
      ConnectorErrorCodes.General,
    );
    const elapsed = Date.now() - started;
    // Which timeout applied, not how fast: not before timeoutMs, and well before the 10 s
    // default (the slack is for a loaded machine).
    assert.ok(
      elapsed >= 900 && elapsed < 9000,
      `gave up at the configured timeout, not the default (${elapsed} ms)`,
    );
    assert.match(JSON.stringify(error.data), /time/i);
    assert.equal(sb.requests().length, 1);
  });

  test('a slow answer past the timeout is not resent even though the message was delivered', async () => {
    sb.addFault({ match: { action: 'SendSms' }, mode: 'slow', delayMs: 1500 });
    await rejectsWith(sms(await smsConnector({ timeoutMs: 1000 })), ConnectorErrorCodes.General);
    await new Promise((resolve) => {
      setTimeout(resolve, 800);
    });
    assert.equal(sb.requests().length, 1, 'sent once');
    assert.equal(sb.deliveries().length, 1, 'delivered exactly once');
  });

  test('a redirect → general that names it; not followed (even to a server that would accept), not resent', async () => {
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits += 1;
      req.resume();
      res.writeHead(307, { location: sb.url }).end();
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const connector = await host.connect('aliyun-dm', {
        config: dmConfig(`http://127.0.0.1:${server.address().port}/`),
      });
      const error = await rejectsWith(email(connector), ConnectorErrorCodes.General);
      assert.match(error.data.errorDescription, /redirect, which is not followed/);
      assert.equal(hits, 1, 'sent once');
      assert.equal(sb.requests().length, 0, 'the redirect target got nothing');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('connection refused → general after bounded retries', async () => {
    const port = await closedPort();
    const connector = await host.connect('aliyun-dm', {
      config: dmConfig(`http://127.0.0.1:${port}/`),
    });
    const error = await rejectsWith(email(connector), ConnectorErrorCodes.General);
    assert.match(JSON.stringify(error.data), /refused|ECONNREFUSED/i);
  });
});

describe('hostile send input never escapes as anything but a ConnectorError', () => {
  const cyclic = { code: '1' };
  cyclic.self = cyclic;
  const inputs = [
    ['no data at all', undefined],
    ['null data', null],
    ['a number as recipient', { to: 123, type: 'SignIn', payload: {} }],
    ['a number as type', { to: 'user@example.com', type: 5, payload: {} }],
    ['a string as payload', { to: 'user@example.com', type: 'SignIn', payload: 'code' }],
    ['a BigInt in the payload', { to: 'user@example.com', type: 'SignIn', payload: { code: 1n } }],
    ['a cyclic payload', { to: 'user@example.com', type: 'SignIn', payload: cyclic }],
    ['two recipients', { to: 'a@example.com,b@example.com', type: 'SignIn', payload: {} }],
    ['a lone surrogate', { to: 'user@example.com', type: 'SignIn', payload: { code: 'a\uD800b' } }],
  ];
  test('data whose getter throws → general: the last line of defence in the shim', async () => {
    const data = {
      get to() {
        throw new RangeError('hostile getter');
      },
    };
    const error = await rejectsWith(
      dm().then((connector) => connector.sendMessage(data)),
      ConnectorErrorCodes.General,
    );
    assert.equal(error.data.errorDescription, 'Internal connector error: hostile getter');
  });

  for (const [name, data] of inputs) {
    test(`${name} → invalid_request_parameters, nothing sent`, async () => {
      await rejectsWith(
        dm().then((connector) => connector.sendMessage(data)),
        ConnectorErrorCodes.InvalidRequestParameters,
      );
      assert.equal(sb.requests().length, 0);
    });
  }
});

describe('SMS authentication (SendSmsVerifyCode): the same error paths', () => {
  test('invalid_config naming every missing usage type of the nine, and a templateCode not a string', async () => {
    const connector = await smsAuthConnector({
      templates: [
        { usageType: 'SignIn', templateCode: 100001 },
        { usageType: 'Generic', templateCode: '100001' },
      ],
    });
    const error = await rejectsWith(smsAuth(connector), ConnectorErrorCodes.InvalidConfig);
    const byPath = Object.fromEntries(
      error.data.issues.map(({ path, message }) => [path.join('.'), message]),
    );
    assert.deepEqual(Object.keys(byPath).sort(), ['templates', 'templates.0.templateCode']);
    const missing = smsAuthRequiredTypes.filter((type) => !['SignIn', 'Generic'].includes(type));
    assert.ok(byPath.templates.endsWith(`missing: ${missing.join(', ')}`), byPath.templates);
    assert.equal(sb.requests().length, 0);
  });

  test('a secret put in the wrong field is not echoed back', async () => {
    const config = smsAuthConfig(sb.url, { codeValidityMinutes: accessKeySecret, signName: 7 });
    await rejectsWith(
      host.connect('aliyun-sms-auth', { config }).then(smsAuth),
      ConnectorErrorCodes.InvalidConfig,
    );
    const guard = host.factoryOf('aliyun-sms-auth').configGuard.safeParse(config);
    assert.equal(guard.success, false);
    assert.ok(!JSON.stringify(guard.error).includes(accessKeySecret));
  });

  test('a 400 FREQUENCY_FAIL → rate_limit_exceeded with Aliyun Code, Message and RequestId', async () => {
    sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'error', code: 'FREQUENCY_FAIL' });
    const error = await rejectsWith(
      smsAuth(await smsAuthConnector()),
      ConnectorErrorCodes.RateLimitExceeded,
    );
    const [request] = sb.requests();
    assert.equal(request.status, 400);
    assert.equal(error.data.Code, 'FREQUENCY_FAIL');
    assert.equal(error.data.Message, 'Check frequency fail.');
    assert.equal(error.data.RequestId, request.requestId);
  });

  for (const mode of ['nonjson', 'truncated', 'html502', 'empty500']) {
    test(`${mode} → invalid_response, sent once`, async () => {
      sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode });
      await rejectsWith(smsAuth(await smsAuthConnector()), ConnectorErrorCodes.InvalidResponse);
      assert.equal(sb.requests().length, 1);
    });
  }

  test('a connection reset → general, not resent', async () => {
    sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'reset' });
    const error = await rejectsWith(smsAuth(await smsAuthConnector()), ConnectorErrorCodes.General);
    assert.equal(error.data.network, 'reset');
    assert.equal(sb.requests().length, 1);
  });

  test('a slow answer past timeoutMs is not resent even though the code was delivered', async () => {
    sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'slow', delayMs: 1500 });
    await rejectsWith(
      smsAuth(await smsAuthConnector({ timeoutMs: 1000 })),
      ConnectorErrorCodes.General,
    );
    await new Promise((resolve) => {
      setTimeout(resolve, 800);
    });
    assert.equal(sb.requests().length, 1, 'sent once');
    assert.equal(sb.deliveries().length, 1, 'delivered exactly once');
  });

  test('connection refused → general after bounded retries', async () => {
    const port = await closedPort();
    const connector = await host.connect('aliyun-sms-auth', {
      config: smsAuthConfig(`http://127.0.0.1:${port}/`),
    });
    const error = await rejectsWith(smsAuth(connector), ConnectorErrorCodes.General);
    assert.equal(error.data.network, 'refused');
  });

  test('a redirect → general that names it, not followed', async () => {
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits += 1;
      req.resume();
      res.writeHead(302, { location: sb.url }).end();
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const connector = await host.connect('aliyun-sms-auth', {
        config: smsAuthConfig(`http://127.0.0.1:${server.address().port}/`),
      });
      const error = await rejectsWith(smsAuth(connector), ConnectorErrorCodes.General);
      assert.match(error.data.errorDescription, /redirect, which is not followed/);
      assert.equal(hits, 1);
      assert.equal(sb.requests().length, 0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const cyclic = { code: '1' };
  cyclic.self = cyclic;
  const inputs = [
    ['no data at all', undefined],
    ['a number as recipient', { to: 8613912345678, type: 'SignIn', payload: { code: '1' } }],
    ['a number as type', { to: '8613912345678', type: 5, payload: { code: '1' } }],
    ['a string as payload', { to: '8613912345678', type: 'SignIn', payload: 'code' }],
    ['a BigInt in the payload', { to: '8613912345678', type: 'SignIn', payload: { code: 1n } }],
    ['a cyclic payload', { to: '8613912345678', type: 'SignIn', payload: cyclic }],
    [
      'a lone surrogate in the code',
      { to: '8613912345678', type: 'SignIn', payload: { code: 'a\uD800b' } },
    ],
  ];
  for (const [name, data] of inputs) {
    test(`hostile input, ${name} → invalid_request_parameters, nothing sent`, async () => {
      await rejectsWith(
        smsAuthConnector().then((connector) => connector.sendMessage(data)),
        ConnectorErrorCodes.InvalidRequestParameters,
      );
      assert.equal(sb.requests().length, 0);
    });
  }
});
