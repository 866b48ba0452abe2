// Logto returns a connector error's data to whoever asked, an anonymous end user on the
// sign-in page included. So no error a send produces may carry what the message carried: the
// verification code, any other payload value, the rendered subject and body, TemplateParam.
// Every error path the sandbox can produce is driven with distinctive values, the sandbox
// quoting the request back wherever it can (SignatureDoesNotMatch's string to sign, as Aliyun
// does; an `echo` of the request in every other Aliyun error and in an unreadable answer; an
// injected fetch quoting the request in its rejection or its answer), and everything the
// host's ConnectorError carries is searched for them in every encoding.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { allCodes, codeFitsProduct } from '../../sandbox/errors.mjs';
import { ECHO_FORMS } from '../../sandbox/faults.mjs';
import { percentEncode, signedForm } from '../../sandbox/index.mjs';
import {
  accessKeyId,
  accessKeySecret,
  dmConfig,
  requiredTypes,
  sandbox,
  smsAuthConfig,
  smsConfig,
} from '../js/fixtures.mjs';
import { kinds, logtoHost } from '../js/host.mjs';
import {
  captureShimTransport,
  closedPort,
  ConnectorError,
  coreOf,
  describeRejection,
  settle,
} from './support.mjs';

const CODE = 'Q123456X';
const DM_MARKERS = {
  body: 'MARKERWORD',
  subject: 'SUBJECTMARK',
  context: 'CTXVALUE7',
  i18n: 'I18NMARK',
};
const SMS_EXTRA = 'EXTRAVAL9';

/** The config's SignIn template carries marker words around the code and a context value. */
const dmTemplates = requiredTypes.map((usageType) =>
  usageType === 'SignIn'
    ? {
        usageType,
        subject: `${DM_MARKERS.subject} {{code}} 验证码`,
        content: `<p>${DM_MARKERS.body} «{{code}}» for {{application.name}} — 您的验证码 & "quotes"</p>`,
      }
    : { usageType, subject: `${usageType} {{code}}`, content: `<p>${usageType} {{code}}</p>` },
);
const dmSend = {
  to: 'leaks@example.com',
  type: 'SignIn',
  payload: { code: CODE, locale: 'zh-CN', application: { name: DM_MARKERS.context } },
};
const smsSend = {
  to: '13912345670',
  type: 'SignIn',
  payload: { code: CODE, extraField: SMS_EXTRA, locale: 'zh-CN' },
};
// `+86…`: the form the sandbox's faults match besides the national number it is sent as.
const smsAuthSend = {
  to: '+8613912345670',
  type: 'SignIn',
  payload: { code: CODE, extraField: SMS_EXTRA, locale: 'zh-CN' },
};
const i18nTemplate = {
  subject: `I18N {{code}}`,
  content: `<div>${DM_MARKERS.i18n} {{code}}</div>`,
  contentType: 'text/html',
};

/** The rendered texts as the request carries them, for the encodings of whole values. */
const renderedDm = [
  `${DM_MARKERS.subject} ${CODE} 验证码`,
  `<p>${DM_MARKERS.body} «${CODE}» for ${DM_MARKERS.context} — 您的验证码 & "quotes"</p>`,
];
const renderedSms = [JSON.stringify({ code: CODE, extraField: SMS_EXTRA })];
// SMS authentication's TemplateParam: the code and its minutes.
const renderedSmsAuth = [JSON.stringify({ code: CODE, min: '10' })];
const needles = [
  CODE,
  ...Object.values(DM_MARKERS),
  SMS_EXTRA,
  ...renderedDm,
  ...renderedSms,
  ...renderedSmsAuth,
];

/** Every form a value could be quoted in. */
const forms = (value) => [
  ...new Set([
    value,
    encodeURIComponent(value),
    percentEncode(value),
    percentEncode(percentEncode(value)),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(JSON.stringify(value)).slice(1, -1),
  ]),
];

/** What Logto lets out of a ConnectorError: its message, data, and the message it maps to. */
const shown = (error) => {
  const data = error?.data;
  const description =
    typeof data?.errorDescription === 'string' ? data.errorDescription : JSON.stringify(data);
  // koaConnectorErrorHandler: `general` (and unknown codes) answer "Error occurred in
  // connector: {{errorDescription}}"; the other codes answer fixed phrases.
  const mapped =
    error?.code === ConnectorErrorCodes.General
      ? `Error occurred in connector: ${description}`
      : '';
  return [
    String(error?.message),
    JSON.stringify(data ?? null),
    description,
    mapped,
    String(error),
    JSON.stringify(error),
  ].join('\n');
};

let host;
let sb;
before(async () => {
  [host, sb] = await Promise.all([logtoHost(), sandbox()]);
});
after(async () => {
  await sb?.close();
  await host?.close();
});

const configs = () => ({
  'aliyun-dm': dmConfig(sb.url, { templates: dmTemplates, timeoutMs: 1000 }),
  'aliyun-sms': smsConfig(sb.url, { timeoutMs: 1000 }),
  'aliyun-sms-auth': smsAuthConfig(sb.url, { timeoutMs: 1000 }),
});
const sends = { 'aliyun-dm': dmSend, 'aliyun-sms': smsSend, 'aliyun-sms-auth': smsAuthSend };
const products = { 'aliyun-dm': 'dm', 'aliyun-sms': 'sms', 'aliyun-sms-auth': 'pnvs' };

/** Every error path the sandbox can produce, for one connector. */
const pathsFor = (kind, port) => {
  const paths = [];
  const add = (name, options) => paths.push({ name: `${kind} ${name}`, kind, ...options });
  allCodes()
    .filter((row) => codeFitsProduct(row.code, products[kind]))
    .forEach((row, index) => {
      add(`Aliyun ${row.code}, echoing the request as ${ECHO_FORMS[index % ECHO_FORMS.length]}`, {
        fault: { mode: 'error', code: row.code, echo: ECHO_FORMS[index % ECHO_FORMS.length] },
      });
    });
  for (const echo of ECHO_FORMS)
    add(`an unreadable answer quoting the request as ${echo}`, { fault: { mode: 'echo', echo } });
  for (const mode of ['html502', 'truncated', 'nonjson', 'empty500', 'reset', 'hang', 'slow'])
    add(`fault ${mode}`, { fault: { mode } });
  add('a wrong secret: the real SignatureDoesNotMatch, string to sign included', {
    config: { accessKeySecret: 'not-the-secret-0123456789' },
    expected: ConnectorErrorCodes.InvalidConfig,
  });
  add('an unknown AccessKeyId', {
    config: { accessKeyId: 'LTAI5tNobodyKnowsMe' },
    expected: ConnectorErrorCodes.InvalidConfig,
  });
  add('connection refused', { config: { endpoint: `http://127.0.0.1:${port}/` } });
  add('a host name that does not resolve', {
    config: { endpoint: 'https://message-leaks.invalid/' },
  });
  if (kind === 'aliyun-dm') {
    add('a wrong secret with an i18n email template', {
      config: { accessKeySecret: 'not-the-secret-0123456789' },
      template: i18nTemplate,
      expected: ConnectorErrorCodes.InvalidConfig,
    });
  }
  return paths;
};

test('the sandbox answers a wrong signature as Aliyun does, quoting its string to sign with the code in it', async () => {
  const params = {
    AccessKeyId: accessKeyId,
    Action: 'SendSms',
    Format: 'JSON',
    PhoneNumbers: smsSend.to,
    RegionId: 'cn-hangzhou',
    SignName: '示例签名',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: `nonce-${Date.now()}`,
    SignatureVersion: '1.0',
    TemplateCode: 'SMS_1',
    TemplateParam: JSON.stringify({ code: CODE }),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: '2017-05-25',
  };
  const response = await fetch(sb.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: signedForm('POST', params, `${accessKeySecret}-wrong`),
  });
  const answer = await response.json();
  assert.equal(answer.Code, 'SignatureDoesNotMatch');
  assert.match(
    answer.Message,
    /^Specified signature is not matched with our calculation\. server string to sign is:POST&%2F&/,
  );
  assert.ok(
    answer.Message.includes(percentEncode(percentEncode(params.TemplateParam))),
    answer.Message,
  );
});

test('no error a send produces carries the code, a payload value or the rendered message, in any encoding', async () => {
  const port = await closedPort();
  const problems = [];
  const leaks = [];
  let count = 0;
  for (const kind of Object.keys(kinds)) {
    for (const p of pathsFor(kind, port)) {
      sb.reset();
      const data = sends[kind];
      if (p.fault) sb.addFault({ match: { to: data.to }, ...p.fault });
      const config = { ...configs()[kind], ...p.config };
      const connector = await host.connect(kind, {
        config,
        getI18nEmailTemplate: async () => p.template ?? null,
      });
      const outcome = await settle(connector.sendMessage(data));
      count += 1;
      if (outcome.status === 'resolved') {
        problems.push(`${p.name}: resolved`);
        continue;
      }
      const { error } = outcome;
      if (!(error instanceof ConnectorError)) {
        problems.push(`${p.name}: ${describeRejection(error)}`);
        continue;
      }
      if (p.expected && error.code !== p.expected)
        problems.push(`${p.name}: ${error.code}, expected ${p.expected}`);
      const text = shown(error);
      for (const needle of needles) {
        for (const form of forms(needle)) {
          if (text.includes(form))
            leaks.push(`${p.name}: ${form.slice(0, 40)} in ${text.slice(0, 300)}`);
        }
      }
      // What an operator needs is still there: Aliyun's Code and RequestId, and a hint.
      if (
        p.fault?.mode === 'error' &&
        (error.data.Code !== p.fault.code || typeof error.data.RequestId !== 'string')
      ) {
        problems.push(`${p.name}: Code ${error.data.Code}, RequestId ${error.data.RequestId}`);
      }
    }
  }
  // An injected fetch (a host's instrumented one, say) quoting the signed request, decoded or
  // not, in its rejection or its answer: the rendered message rides in that request.
  const echoes = {
    'a rejection whose cause quotes the body': (init) =>
      Promise.reject(new TypeError('fetch failed', { cause: new Error(init.body) })),
    'a rejection quoting the decoded body': (init) =>
      Promise.reject(new Error(decodeURIComponent(init.body.replaceAll('+', ' ')))),
    'every refused address quoting the decoded body': (init) =>
      Promise.reject(
        new TypeError('fetch failed', {
          cause: new AggregateError([
            Object.assign(new Error(decodeURIComponent(init.body)), { code: 'ECONNREFUSED' }),
          ]),
        }),
      ),
    'an Aliyun error quoting the decoded body': async (init) =>
      Response.json(
        { Code: 'InvalidParameter', Message: decodeURIComponent(init.body), RequestId: 'r' },
        { status: 400 },
      ),
    'an HTML page quoting the decoded body': async (init) =>
      new Response(`<html>${decodeURIComponent(init.body)}</html>`, { status: 502 }),
    'a 200 answer of the body itself': async (init) => new Response(init.body, { status: 200 }),
  };
  for (const kind of Object.keys(kinds)) {
    const core = await coreOf(host, kind);
    const shimTransport = await captureShimTransport(host, kind, configs()[kind]);
    for (const [name, echo] of Object.entries(echoes)) {
      const label = `${kind} an injected fetch: ${name}`;
      const envelope = await core.sendMessage(
        kind,
        { config: configs()[kind], ...sends[kind], template: null },
        { ...shimTransport, fetch: (url, init) => echo(init) },
      );
      count += 1;
      if (envelope.ok !== false) {
        problems.push(`${label}: ${JSON.stringify(envelope)}`);
        continue;
      }
      let error;
      try {
        core.unwrap(envelope);
      } catch (thrown) {
        error = thrown;
      }
      const text = `${shown(error)}\n${JSON.stringify(envelope)}`;
      for (const needle of needles) {
        for (const form of forms(needle)) {
          if (text.includes(form))
            leaks.push(`${label}: ${form.slice(0, 40)} in ${text.slice(0, 300)}`);
        }
      }
    }
  }
  console.log(
    `[leaks] ${count} error paths; ${needles.length} values in up to 7 encodings each; leaks: ${leaks.length}, wrong outcomes: ${problems.length}`,
  );
  for (const line of [...leaks, ...problems].slice(0, 30)) console.log(`[leaks]   ${line}`);
  assert.deepEqual(leaks, []);
  assert.deepEqual(problems, []);
});

test("a wrong signature keeps Aliyun's own message up to the string to sign", async () => {
  const connector = await host.connect('aliyun-sms', {
    config: { ...configs()['aliyun-sms'], accessKeySecret: 'not-the-secret-0123456789' },
  });
  const { error } = await settle(connector.sendMessage(smsSend));
  assert.ok(error instanceof ConnectorError);
  assert.equal(error.data.Code, 'SignatureDoesNotMatch');
  assert.equal(error.data.Message, 'Specified signature is not matched with our calculation.');
  assert.match(error.data.errorDescription, /accessKeySecret is wrong/);
  assert.equal(typeof error.data.RequestId, 'string');
});
