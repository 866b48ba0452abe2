// Every sandbox fault mode and every Aliyun code the sandbox can answer, for both connectors:
// the send rejects with the host's ConnectorError of the right code, settles (a hang is cut
// by timeoutMs; nothing waits forever), never resolves, and a message that got a fault is never delivered twice (only `slow`
// delivers it, once). Retries happen only for answers that prove Aliyun did not take the
// message, each with a fresh nonce. Then what the transport meets on real sockets beyond the
// sandbox's modes: redirects, endless and stalled answers, a reset mid-body, an unknown host.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { allCodes, codeFitsProduct } from '../../sandbox/errors.mjs';
import { dmConfig, sandbox, smsAuthConfig, smsConfig } from '../js/fixtures.mjs';
import { logtoHost } from '../js/host.mjs';
import {
  closedPort,
  ConnectorError,
  describeRejection,
  settle,
  settleWithin,
  watchTraps,
} from './support.mjs';

const TIMEOUT_MS = 1000; // the smallest timeoutMs the config accepts
// A liveness bound, not a timing: every fault must settle, and the most any may take is one
// timeout plus the two backoffs (at most 1.2 s). The slack is wide on purpose, so a loaded CI
// machine never fails it; a send that ignored timeoutMs would still hang far past it.
const BOUND_MS = TIMEOUT_MS + 1200 + 8000;

const {
  InvalidConfig,
  InvalidResponse,
  RateLimitExceeded,
  UsageLimitExceeded,
  InvalidRequestParameters,
  General,
} = ConnectorErrorCodes;

/**
 * What each Aliyun code must become, from DESIGN.md section 5: throttling and frequency control
 * → rate_limit_exceeded; balance, caps and quota → usage_limit_exceeded; bad numbers or
 * addresses → invalid_request_parameters; credentials, permissions, unapproved
 * signature/template and the sender setup → invalid_config; anything else → general.
 * A code the sandbox learns later fails the test until it is added here.
 */
const expectedCode = {
  SignatureDoesNotMatch: InvalidConfig,
  IncompleteSignature: InvalidConfig,
  'InvalidTimeStamp.Expired': General,
  'InvalidTimeStamp.Format': General,
  SignatureNonceUsed: General,
  'InvalidAccessKeyId.NotFound': InvalidConfig,
  'InvalidAccessKeyId.Inactive': InvalidConfig,
  // An STS AccessKey configured without its securityToken: a credentials mistake.
  MissingSecurityToken: InvalidConfig,
  'InvalidSecurityToken.MismatchWithAccessKey': InvalidConfig,
  'Forbidden.RAM': InvalidConfig,
  NoPermission: InvalidConfig,
  MissingParameter: General,
  InvalidParameter: General,
  'InvalidAction.NotFound': General,
  InvalidVersion: General,
  InvalidRegionId: General,
  Throttling: RateLimitExceeded,
  'Throttling.User': RateLimitExceeded,
  'Throttling.Api': RateLimitExceeded,
  ServiceUnavailable: General,
  InternalError: General,
  RequestEntityTooLarge: General,
  'InvalidMailAddress.NotFound': InvalidConfig,
  InvalidToAddress: InvalidRequestParameters,
  'InvalidToAddress.Spam': InvalidRequestParameters,
  'InvalidSubject.Malformed': InvalidConfig,
  'InvalidFromAlias.Malformed': InvalidConfig,
  InvalidBody: General,
  'InvalidSendMail.Spam': UsageLimitExceeded,
  'InvalidReplyAddress.Malformed': General,
  'InvalidReplyAddressAlias.Malformed': General,
  'InvalidMailAddressStatus.Malformed': InvalidConfig,
  Forbidden: InvalidConfig,
  'isv.BUSINESS_LIMIT_CONTROL': RateLimitExceeded,
  'isv.DAY_LIMIT_CONTROL': UsageLimitExceeded,
  'isv.MONTH_LIMIT_CONTROL': UsageLimitExceeded,
  'isv.AMOUNT_NOT_ENOUGH': UsageLimitExceeded,
  'isv.OUT_OF_SERVICE': UsageLimitExceeded,
  'isv.MOBILE_NUMBER_ILLEGAL': InvalidRequestParameters,
  'isv.MOBILE_COUNT_OVER_LIMIT': General, // Logto sends to one number: cannot be the user's doing
  'isv.SMS_SIGNATURE_ILLEGAL': InvalidConfig,
  'isv.SMS_TEMPLATE_ILLEGAL': InvalidConfig,
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL': InvalidConfig,
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED': InvalidConfig,
  'isv.INVALID_PARAMETERS': General,
  'isv.INVALID_JSON_PARAM': General,
  'isv.TEMPLATE_MISSING_PARAMETERS': General,
  'isv.PARAM_LENGTH_LIMIT': General,
  'isv.DENY_IP_RANGE': InvalidConfig,
  'isv.PRODUCT_UN_SUBSCRIPT': InvalidConfig,
  'isv.ACCOUNT_NOT_EXISTS': InvalidConfig,
  'isv.ACCOUNT_ABNORMAL': InvalidConfig,
  'isp.RAM_PERMISSION_DENY': InvalidConfig,
  'isp.SYSTEM_ERROR': General,
  // SMS authentication (SendSmsVerifyCode): the API reference's five at HTTP 400, and the
  // frequency code public integrations see at 200.
  MOBILE_NUMBER_ILLEGAL: InvalidRequestParameters,
  BUSINESS_LIMIT_CONTROL: RateLimitExceeded,
  FREQUENCY_FAIL: RateLimitExceeded,
  'biz.FREQUENCY': RateLimitExceeded,
  INVALID_PARAMETERS: InvalidConfig,
  FUNCTION_NOT_OPENED: InvalidConfig,
};

/** Codes answered by every attempt: the core must try exactly three times, then give up. */
const notTaken = new Set(['Throttling.Api', 'ServiceUnavailable']);

let host;
let sb;
let traps;
before(async () => {
  [host, sb] = await Promise.all([logtoHost(), sandbox()]);
  traps = await watchTraps(host);
});
after(async () => {
  traps?.stop();
  await sb?.close();
  await host?.close();
});

const products = [
  {
    kind: 'aliyun-dm',
    action: 'SingleSendMail',
    product: 'dm',
    config: dmConfig,
    to: (i) => `fault-case-${i}@example.com`,
  },
  {
    kind: 'aliyun-sms',
    action: 'SendSms',
    product: 'sms',
    config: smsConfig,
    to: (i) => `1370000${String(i).padStart(4, '0')}`,
  },
  {
    kind: 'aliyun-sms-auth',
    action: 'SendSmsVerifyCode',
    product: 'pnvs',
    config: smsAuthConfig,
    // Sent as the national number; the sandbox records and matches "+86" and it.
    to: (i) => `+861360000${String(i).padStart(4, '0')}`,
  },
];

/** The recipient a request names, in the form the cases use. */
const recipientOf = ({ params }) =>
  params.ToAddress ??
  params.PhoneNumbers ??
  (params.PhoneNumber === undefined ? undefined : `+86${params.PhoneNumber}`);

const rows = [];
after(() => {
  // One table for the report: product, case, expected, got, elapsed, requests, deliveries.
  const pad = (text, width) => String(text).padEnd(width);
  console.log(
    `[faults] ${pad('connector', 16)}${pad('case', 54)}${pad('expected', 44)}${pad('got', 44)}${pad('ms', 7)}${pad('req', 5)}delivered`,
  );
  for (const row of rows) {
    console.log(
      `[faults] ${pad(row.kind, 16)}${pad(row.name, 54)}${pad(row.expected, 44)}${pad(row.got, 44)}${pad(row.elapsed, 7)}${pad(row.requests, 5)}${row.delivered}`,
    );
  }
  const slowest = rows.reduce((max, row) => Math.max(max, row.elapsed), 0);
  console.log(`[faults] ${rows.length} cases, slowest ${slowest} ms (bound ${BOUND_MS} ms)`);
});

for (const { kind, action, product, config, to } of products) {
  test(`${kind}: every fault mode and Aliyun code → the right ConnectorError settles, never a resolve, never delivered twice`, async () => {
    sb.reset();
    const connector = await host.connect(kind, {
      config: config(sb.url, { timeoutMs: TIMEOUT_MS }),
    });
    const cases = [];
    const add = (name, fault, expected, extra = {}) =>
      cases.push({ name, fault, expected, to: to(cases.length), ...extra });

    const codes = allCodes().filter(({ code }) => codeFitsProduct(code, product));
    for (const { code } of codes) {
      assert.ok(
        code in expectedCode,
        `no expected Logto code for Aliyun ${code}: add it to expectedCode`,
      );
      add(`error ${code}`, { mode: 'error', code }, expectedCode[code], {
        aliyunCode: code,
        requests: notTaken.has(code) ? 3 : 1,
      });
    }
    add('html502', { mode: 'html502' }, InvalidResponse);
    add('truncated 200', { mode: 'truncated' }, InvalidResponse);
    add('nonjson 200', { mode: 'nonjson' }, InvalidResponse);
    add('empty500', { mode: 'empty500' }, InvalidResponse);
    add('reset', { mode: 'reset' }, General, { network: 'reset' });
    add(`hang (timeoutMs ${TIMEOUT_MS})`, { mode: 'hang' }, General, {
      network: 'timeout',
      atLeast: TIMEOUT_MS - 50,
    });
    add(
      'slow 2500 ms > timeoutMs: delivered once, rejected',
      { mode: 'slow', delayMs: 2500 },
      General,
      { network: 'timeout', delivered: 1 },
    );
    add('reset after 300 ms', { mode: 'reset', delayMs: 300 }, General, { network: 'reset' });
    // Controls: what must resolve.
    add('slow 300 ms < timeoutMs (control)', { mode: 'slow', delayMs: 300 }, 'resolve', {
      delivered: 1,
    });
    add(
      'Throttling.Api once, then accepted',
      { mode: 'error', code: 'Throttling.Api', times: 1 },
      'resolve',
      { delivered: 1, requests: 2 },
    );
    add(
      'ServiceUnavailable twice, then accepted',
      { mode: 'error', code: 'ServiceUnavailable', times: 2 },
      'resolve',
      { delivered: 1, requests: 3 },
    );

    for (const c of cases) {
      sb.addFault({ match: { action, to: c.to }, ...c.fault });
    }
    const refusedConnector = await host.connect(kind, {
      config: config(`http://127.0.0.1:${await closedPort()}/`, { timeoutMs: TIMEOUT_MS }),
    });

    const send = (target, c) => {
      const started = performance.now();
      return settle(
        target.sendMessage({ to: c.to, type: 'SignIn', payload: { code: '246810' } }),
      ).then((outcome) => ({
        ...outcome,
        elapsed: Math.round(performance.now() - started),
      }));
    };
    const refusedCase = {
      name: 'connection refused (3 attempts)',
      expected: General,
      network: 'refused',
      to: to(cases.length),
      requests: 0,
    };
    const outcomes = await Promise.all([
      ...cases.map((c) => send(connector, c)),
      send(refusedConnector, refusedCase),
    ]);
    cases.push(refusedCase);

    const requests = sb.requests();
    const deliveries = sb.deliveries();
    const problems = [];
    cases.forEach((c, i) => {
      const outcome = outcomes[i];
      const own = requests.filter((r) => recipientOf(r) === c.to);
      const delivered = deliveries.filter((d) => d.to === c.to).length;
      const got = outcome.status === 'resolved' ? 'resolve' : describeRejection(outcome.error);
      rows.push({
        kind,
        name: c.name,
        expected: c.expected === 'resolve' ? 'resolve' : `ConnectorError(${c.expected})`,
        got,
        elapsed: outcome.elapsed,
        requests: own.length,
        delivered,
      });
      const fail = (message) => problems.push(`${kind} ${c.name}: ${message}`);

      if (c.expected === 'resolve') {
        if (outcome.status !== 'resolved') fail(`expected to resolve, got ${got}`);
      } else if (outcome.status === 'resolved') {
        fail('resolved although Aliyun did not answer success');
      } else if (!(outcome.error instanceof ConnectorError)) {
        fail(`rejected with ${got}, not the host's ConnectorError`);
      } else {
        const { code, data } = outcome.error;
        if (code !== c.expected)
          fail(`code ${code}, expected ${c.expected} (${data?.errorDescription})`);
        if (typeof data?.errorDescription !== 'string' || data.errorDescription.length === 0)
          fail('no errorDescription');
        if (c.aliyunCode && data?.Code !== c.aliyunCode)
          fail(`data.Code ${data?.Code}, expected ${c.aliyunCode}`);
        if (c.aliyunCode && data?.RequestId !== own.at(-1)?.requestId)
          fail(`data.RequestId ${data?.RequestId} is not the sandbox's ${own.at(-1)?.requestId}`);
        if (c.network && data?.network !== c.network)
          fail(`data.network ${data?.network}, expected ${c.network}`);
      }
      if (outcome.elapsed > BOUND_MS)
        fail(`settled after ${outcome.elapsed} ms, more than the ${BOUND_MS} ms liveness bound`);
      if (c.atLeast && outcome.elapsed < c.atLeast)
        fail(`gave up after ${outcome.elapsed} ms, before timeoutMs`);
      if (delivered !== (c.delivered ?? 0))
        fail(`delivered ${delivered} times, expected ${c.delivered ?? 0}`);
      if (own.length !== (c.requests ?? 1))
        fail(`${own.length} requests reached the sandbox, expected ${c.requests ?? 1}`);
      const nonces = new Set(own.map((r) => r.params.SignatureNonce));
      if (nonces.size !== own.length) fail('a retry reused a nonce');
    });
    assert.equal(traps.count(), 0, 'the Wasm core trapped');
    assert.deepEqual(problems, []);
  });
}

/**
 * A local server answering every request with `answer(req, res)`; counts requests and sees
 * each answer's connection close.
 */
const localServer = async (answer) => {
  const sockets = new Set();
  let requests = 0;
  let closed = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    res.on('close', () => {
      closed += 1;
    });
    req.resume();
    req.on('end', () => answer(req, res));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests: () => requests,
    closed: () => closed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

/** Writes 16 KB chunks for as long as the client reads them. */
const endless = (res) => {
  const chunk = Buffer.alloc(16 * 1024, 'x');
  const write = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', write);
  };
  write();
};

for (const { kind, config, to } of products) {
  test(`${kind}: the transport over real sockets: a redirect is reported and never followed, an endless answer is cut at the cap and its connection freed, a stalled body times out, a reset mid-body and an unknown host are told apart`, async () => {
    const target = await localServer((req, res) => res.end('{"EnvId":"1","RequestId":"followed"}'));
    const servers = [target];
    const problems = [];
    try {
      const cases = [];
      for (const status of [301, 302, 307, 308]) {
        cases.push({
          name: `redirect ${status}`,
          answer: (req, res) => res.writeHead(status, { location: target.url }).end(),
          expected: General,
          network: 'other',
          description: /redirect/,
        });
      }
      cases.push(
        {
          name: 'an endless chunked answer',
          answer: (req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            endless(res);
          },
          expected: InvalidResponse,
          description: /over 64 KB/,
          freed: true,
        },
        {
          name: 'an endless answer declaring 1 TB',
          answer: (req, res) => {
            res.writeHead(200, { 'content-length': String(2 ** 40) });
            endless(res);
          },
          expected: InvalidResponse,
          description: /over 64 KB/,
          freed: true,
        },
        {
          name: 'headers, then the body stalls',
          answer: (req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"EnvId":');
          },
          expected: General,
          network: 'timeout',
        },
        {
          name: 'a reset in the middle of the body',
          answer: (req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"EnvId":"1",');
            setTimeout(() => req.socket.destroy(), 20);
          },
          expected: General,
          network: 'reset',
        },
      );
      for (const c of cases) {
        const server = await localServer(c.answer);
        servers.push(server);
        const connector = await host.connect(kind, {
          config: config(server.url, { timeoutMs: TIMEOUT_MS }),
        });
        const started = performance.now();
        const outcome = await settle(
          connector.sendMessage({ to: to(0), type: 'SignIn', payload: { code: '1' } }),
        );
        const elapsed = Math.round(performance.now() - started);
        const got = outcome.status === 'resolved' ? 'resolve' : describeRejection(outcome.error);
        rows.push({
          kind,
          name: c.name,
          expected: `ConnectorError(${c.expected})`,
          got,
          elapsed,
          requests: server.requests(),
          delivered: '-',
        });
        const fail = (message) => problems.push(`${kind} ${c.name}: ${message}`);
        if (!(outcome.error instanceof ConnectorError)) {
          fail(`expected ConnectorError(${c.expected}), got ${got}`);
        } else {
          const { code, data } = outcome.error;
          if (code !== c.expected)
            fail(`code ${code}, expected ${c.expected} (${data?.errorDescription})`);
          if (c.network && data?.network !== c.network)
            fail(`data.network ${data?.network}, expected ${c.network}`);
          if (c.description && !c.description.test(data?.errorDescription))
            fail(`errorDescription: ${data?.errorDescription}`);
        }
        if (elapsed > BOUND_MS)
          fail(`settled after ${elapsed} ms, more than the ${BOUND_MS} ms liveness bound`);
        if (server.requests() !== 1)
          fail(`${server.requests()} requests, expected 1 (never resent)`);
        if (c.freed) {
          // Reading stopped at the cap: the connection is let go, not drained.
          const freed = await settleWithin(
            new Promise((resolve) => {
              const poll = setInterval(
                () => server.closed() > 0 && (clearInterval(poll), resolve()),
                20,
              );
            }),
            BOUND_MS,
          );
          if (freed.status !== 'resolved')
            fail('the endless answer was still being read after the send settled');
        }
      }
      if (target.requests() !== 0)
        problems.push(
          `${kind}: a redirect was followed (${target.requests()} requests at its target)`,
        );

      const started = performance.now();
      const unknown = await settle(
        (
          await host.connect(kind, {
            config: config('https://faults-robustness.invalid/', { timeoutMs: TIMEOUT_MS }),
          })
        ).sendMessage({ to: to(1), type: 'SignIn', payload: { code: '1' } }),
      );
      const elapsed = Math.round(performance.now() - started);
      rows.push({
        kind,
        name: 'a host that does not resolve (3 attempts)',
        expected: `ConnectorError(${General})`,
        got: unknown.status === 'resolved' ? 'resolve' : describeRejection(unknown.error),
        elapsed,
        requests: '-',
        delivered: '-',
      });
      if (elapsed > BOUND_MS)
        problems.push(
          `${kind} unknown host: settled after ${elapsed} ms, more than the ${BOUND_MS} ms liveness bound`,
        );
      if (
        !(unknown.error instanceof ConnectorError) ||
        unknown.error.code !== General ||
        unknown.error.data?.network !== 'dns'
      ) {
        problems.push(
          `${kind} unknown host: ${describeRejection(unknown.error)} ${JSON.stringify(unknown.error?.data)}`,
        );
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
    assert.equal(traps.count(), 0, 'the Wasm core failed');
    assert.deepEqual(problems, []);
  });
}
