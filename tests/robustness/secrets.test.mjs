// The access key secret and the STS security token never appear in anything the connectors
// let out: error messages and data, what configGuard.safeParse answers, resolved values,
// metadata, log lines, anything printed. Every error path is driven with recognisable values
// (`SECRET-<random>`, `TOKEN-<random>`, and a real-looking base64 STS token, whose `+ / =`
// percent-encode, which is how Aliyun echoes it inside SignatureDoesNotMatch's string to sign),
// also with an injected fetch that quotes the signed request back in its rejection or answer,
// and everything that came out is searched for them, raw and percent-encoded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { percentEncode, startSandbox } from '../../sandbox/index.mjs';
import { requiredUsageTypes } from '../../scripts/config-facts.mjs';
import { dmConfig, smsAuthConfig, smsConfig } from '../js/fixtures.mjs';
import { kinds, logtoHost } from '../js/host.mjs';
import {
  captureOutput,
  captureShimTransport,
  closedPort,
  ConnectorError,
  coreOf,
  describeRejection,
  recognisable,
  settle,
  tally,
} from './support.mjs';

const SECRET = recognisable('SECRET');
const TOKEN = recognisable('TOKEN');
// STS tokens are base64: make sure this one has every character that percent-encodes.
const STS_TOKEN = `CAIS+${randomBytes(30).toString('base64')}/${randomBytes(7).toString('hex')}==`;
const OTHER_TOKEN = recognisable('TOKEN');
const KEY = 'LTAI5tRobustSecrets01';
const STS_KEY = 'STS.NUobustSecrets02';
const PLAIN_KEY = 'LTAI5tRobustSecrets03';
const SANDBOX_SECRET = recognisable('SANDBOX');

const needles = [SECRET, TOKEN, STS_TOKEN, OTHER_TOKEN];
/** Every form a value could leak in: raw, URL-encoded, Aliyun-encoded once and twice, base64. */
const forms = (value) => [
  ...new Set([
    value,
    encodeURIComponent(value),
    percentEncode(value),
    percentEncode(percentEncode(value)),
    Buffer.from(value).toString('base64'),
  ]),
];

let host;
let sb;
const sandboxLog = [];
before(async () => {
  host = await logtoHost();
  sb = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    credentials: {
      // The connectors sign with SECRET, so every request to KEY is accepted and to PLAIN_KEY…
      [KEY]: { secret: SECRET, securityToken: TOKEN },
      [STS_KEY]: { secret: SANDBOX_SECRET, securityToken: STS_TOKEN },
      [PLAIN_KEY]: { secret: SECRET },
    },
    log: (line) => sandboxLog.push(line),
  });
});
after(async () => {
  await sb?.close();
  await host?.close();
});

const dm = (overrides = {}) =>
  dmConfig(sb.url, {
    accessKeyId: KEY,
    accessKeySecret: SECRET,
    securityToken: TOKEN,
    timeoutMs: 1000,
    ...overrides,
  });
const sms = (overrides = {}) =>
  smsConfig(sb.url, {
    accessKeyId: KEY,
    accessKeySecret: SECRET,
    securityToken: TOKEN,
    timeoutMs: 1000,
    ...overrides,
  });
const smsAuth = (overrides = {}) =>
  smsAuthConfig(sb.url, {
    accessKeyId: KEY,
    accessKeySecret: SECRET,
    securityToken: TOKEN,
    timeoutMs: 1000,
    ...overrides,
  });
const email = { to: 'secret-paths@example.com', type: 'SignIn', payload: { code: '135790' } };
const phone = { to: '13912345670', type: 'SignIn', payload: { code: '135790' } };
// `+86…`: SMS authentication sends the national number; the sandbox's faults match either.
const mainland = { to: '+8613912345670', type: 'SignIn', payload: { code: '135790' } };

/** Each kind's config builder, the message it sends, and the label its paths carry. */
const kindsUsed = {
  'aliyun-dm': { config: dm, data: email, label: 'DM', short: 'dm' },
  'aliyun-sms': { config: sms, data: phone, label: 'SMS', short: 'sms' },
  'aliyun-sms-auth': { config: smsAuth, data: mainland, label: 'SMS auth', short: 'smsAuth' },
};

/** One error path: how to configure, what to send, which sandbox fault, what code to expect. */
const paths = [];
const path_ = (name, kind, config, expected, { data, fault, endpoint, send } = {}) =>
  paths.push({ name, kind, config, expected, data, fault, endpoint, send });
/** The same path for every kind; `overrides(short, config)` makes a kind's own config. */
const everyKind = (name, overrides, expected, options) => {
  for (const [kind, { config, label, short }] of Object.entries(kindsUsed)) {
    path_(
      `${label} ${name}`,
      kind,
      typeof overrides === 'function' ? overrides(short, config) : config(overrides),
      expected,
      options,
    );
  }
};
const {
  InvalidConfig,
  InvalidRequestParameters,
  InvalidResponse,
  RateLimitExceeded,
  UsageLimitExceeded,
  General,
} = ConnectorErrorCodes;

/** Defined once the sandbox is up (the configs point at it). */
const definePaths = () => {
  // Invalid configs of each kind, the secrets sitting in their own fields and in wrong ones.
  everyKind(
    'config: a required key missing',
    (k, config) => config({ [k === 'dm' ? 'accountName' : 'signName']: undefined }),
    InvalidConfig,
  );
  // SMS authentication has one endpoint and no regionId: its own added key instead.
  everyKind(
    'config: the secret as regionId (codeValidityMinutes for SMS authentication)',
    (k, config) => config(k === 'smsAuth' ? { codeValidityMinutes: SECRET } : { regionId: SECRET }),
    InvalidConfig,
  );
  everyKind(
    'config: the secret in a plain-http non-loopback endpoint host',
    { endpoint: `http://${SECRET}.example.com/` },
    InvalidConfig,
  );
  everyKind(
    'config: the token as endpoint credentials',
    { endpoint: `https://${TOKEN}@dm.aliyuncs.com/` },
    InvalidConfig,
  );
  everyKind(
    'config: the secret as endpoint scheme and host',
    { endpoint: `ftp://${SECRET}/` },
    InvalidConfig,
  );
  everyKind('config: the secret as timeoutMs', { timeoutMs: SECRET }, InvalidConfig);
  everyKind('config: timeoutMs out of range', { timeoutMs: 5 }, InvalidConfig);
  everyKind('config: no templates', { templates: [] }, InvalidConfig);
  everyKind(
    'config: the token as a usageType',
    (k, config) =>
      k === 'dm'
        ? dm({ templates: [{ usageType: TOKEN, subject: 's', content: 'c' }] })
        : config({ templates: [{ usageType: TOKEN, templateCode: 'X' }] }),
    InvalidConfig,
  );
  everyKind(
    'config: the secret as a template locale',
    (k, config) =>
      k === 'dm'
        ? dm({
            templates: requiredUsageTypes['aliyun-dm'].map((usageType) => ({
              usageType,
              subject: 's',
              content: 'c',
              locale: SECRET,
            })),
          })
        : config({
            templates: config().templates.map((template) => ({ ...template, locale: SECRET })),
          }),
    InvalidConfig,
  );
  path_(
    'DM config: the secret as contentType',
    'aliyun-dm',
    dm({ templates: [{ usageType: 'Generic', subject: 's', content: 'c', contentType: SECRET }] }),
    InvalidConfig,
  );
  path_('DM config: fromAlias not a string', 'aliyun-dm', dm({ fromAlias: 12 }), InvalidConfig);
  path_(
    'SMS config: the secret as strictPhoneRegionNumberCheck',
    'aliyun-sms',
    sms({ strictPhoneRegionNumberCheck: SECRET }),
    InvalidConfig,
  );
  path_(
    'SMS config: the token as a templateCode shape',
    'aliyun-sms',
    sms({ templates: [{ usageType: 'Generic', templateCode: { china: TOKEN } }] }),
    InvalidConfig,
  );
  everyKind(
    'config: the secret as accessKeyId',
    { accessKeyId: { secret: SECRET } },
    InvalidConfig,
  );
  path_(
    'DM config: an array holding the secrets',
    'aliyun-dm',
    [SECRET, TOKEN, { accessKeySecret: SECRET }],
    InvalidConfig,
  );
  path_('SMS config: the secret as the whole config', 'aliyun-sms', SECRET, InvalidConfig);
  path_(
    'SMS auth config: the token as a templateCode shape',
    'aliyun-sms-auth',
    smsAuth({ templates: [{ usageType: 'Generic', templateCode: { china: TOKEN } }] }),
    InvalidConfig,
  );
  path_(
    'SMS auth config: codeValidityMinutes out of range',
    'aliyun-sms-auth',
    smsAuth({ codeValidityMinutes: 61 }),
    InvalidConfig,
  );
  path_('SMS auth config: the token as the whole config', 'aliyun-sms-auth', TOKEN, InvalidConfig);
  path_(
    'SMS auth: a number outside mainland China',
    'aliyun-sms-auth',
    smsAuth(),
    InvalidRequestParameters,
    {
      send: { ...mainland, to: '+85291234567' },
    },
  );
  // template_not_found: no template for the type and no Generic. A config without Generic is
  // refused first (Generic is a required usage type), so this path ends in invalid_config.
  everyKind(
    'template_not_found (unreachable: no Generic is an invalid config)',
    (k, config) =>
      k === 'dm'
        ? dm({ templates: [{ usageType: 'SignIn', subject: 's', content: 'c' }] })
        : config({ templates: [{ usageType: 'SignIn', templateCode: 'X' }] }),
    InvalidConfig,
  );
  // Limits checked before sending.
  path_(
    'DM: rendered subject over 100 characters',
    'aliyun-dm',
    dm({
      templates: requiredUsageTypes['aliyun-dm'].map((usageType) => ({
        usageType,
        subject: '长'.repeat(101),
        content: 'c',
      })),
    }),
    InvalidConfig,
  );
  path_(
    'DM: fromAlias over 15 characters',
    'aliyun-dm',
    dm({ fromAlias: '别名'.repeat(8) }),
    InvalidConfig,
  );
  // Aliyun's answers, one per class.
  path_('DM Aliyun Throttling.User', 'aliyun-dm', dm(), RateLimitExceeded, {
    fault: { mode: 'error', code: 'Throttling.User' },
  });
  path_('SMS Aliyun isv.BUSINESS_LIMIT_CONTROL', 'aliyun-sms', sms(), RateLimitExceeded, {
    fault: { mode: 'error', code: 'isv.BUSINESS_LIMIT_CONTROL' },
  });
  path_('DM Aliyun InvalidSendMail.Spam', 'aliyun-dm', dm(), UsageLimitExceeded, {
    fault: { mode: 'error', code: 'InvalidSendMail.Spam' },
  });
  path_('SMS Aliyun isv.AMOUNT_NOT_ENOUGH', 'aliyun-sms', sms(), UsageLimitExceeded, {
    fault: { mode: 'error', code: 'isv.AMOUNT_NOT_ENOUGH' },
  });
  path_('DM Aliyun InvalidToAddress', 'aliyun-dm', dm(), InvalidRequestParameters, {
    fault: { mode: 'error', code: 'InvalidToAddress' },
  });
  path_('SMS Aliyun isv.MOBILE_NUMBER_ILLEGAL', 'aliyun-sms', sms(), InvalidRequestParameters, {
    fault: { mode: 'error', code: 'isv.MOBILE_NUMBER_ILLEGAL' },
  });
  for (const [code, expected] of [
    ['FREQUENCY_FAIL', RateLimitExceeded],
    ['BUSINESS_LIMIT_CONTROL', RateLimitExceeded],
    ['biz.FREQUENCY', RateLimitExceeded],
    ['isv.AMOUNT_NOT_ENOUGH', UsageLimitExceeded],
    ['MOBILE_NUMBER_ILLEGAL', InvalidRequestParameters],
    ['FUNCTION_NOT_OPENED', InvalidConfig],
    ['INVALID_PARAMETERS', InvalidConfig],
  ]) {
    path_(`SMS auth Aliyun ${code}`, 'aliyun-sms-auth', smsAuth(), expected, {
      fault: { mode: 'error', code },
    });
  }
  everyKind('Aliyun Forbidden.RAM', {}, InvalidConfig, {
    fault: { mode: 'error', code: 'Forbidden.RAM' },
  });
  everyKind('Aliyun InternalError', {}, General, {
    fault: { mode: 'error', code: 'InternalError' },
  });
  everyKind('Aliyun ServiceUnavailable (3 attempts)', {}, General, {
    fault: { mode: 'error', code: 'ServiceUnavailable' },
  });
  everyKind('Aliyun InvalidParameter', {}, General, {
    fault: { mode: 'error', code: 'InvalidParameter' },
  });
  // Real authentication failures, decided by the sandbox.
  everyKind(
    'wrong secret: SignatureDoesNotMatch echoes the string to sign (with the token)',
    { accessKeyId: STS_KEY, securityToken: STS_TOKEN },
    InvalidConfig,
    { data: { Code: 'SignatureDoesNotMatch' } },
  );
  everyKind(
    'token of another key: InvalidSecurityToken.MismatchWithAccessKey',
    { securityToken: OTHER_TOKEN },
    InvalidConfig,
    { data: { Code: 'InvalidSecurityToken.MismatchWithAccessKey' } },
  );
  everyKind('token for a permanent key', { accessKeyId: PLAIN_KEY }, InvalidConfig, {
    data: { Code: 'InvalidSecurityToken.MismatchWithAccessKey' },
  });
  everyKind('STS key without its token: MissingSecurityToken', { securityToken: undefined }, null, {
    data: { Code: 'MissingSecurityToken' },
  });
  everyKind('unknown AccessKeyId', { accessKeyId: 'LTAI5tNobodyKnowsMe' }, InvalidConfig, {
    data: { Code: 'InvalidAccessKeyId.NotFound' },
  });
  // Unreadable answers and broken connections.
  for (const mode of ['html502', 'truncated', 'nonjson', 'empty500']) {
    everyKind(`invalid_response: ${mode}`, {}, InvalidResponse, { fault: { mode } });
  }
  everyKind('network: reset', {}, General, { fault: { mode: 'reset' } });
  everyKind('network: timeout (hang, timeoutMs 1000)', {}, General, { fault: { mode: 'hang' } });
  everyKind('network: connection refused', {}, General, { endpoint: 'closed' });
};

const everything = [];
const keep = (label, value) => {
  let text;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch (error) {
    text = `(${label} could not be stringified: ${error})`;
  }
  everything.push({ label, text: String(text) });
};
const keepError = (label, error) => {
  keep(`${label} message`, String(error?.message));
  keep(`${label} stack`, String(error?.stack));
  keep(`${label} data`, error?.data ?? null);
  keep(`${label} JSON`, error);
  keep(`${label} String`, String(error));
  // What Logto makes of it: its details and the HTTP body an end user may read.
  if (error instanceof ConnectorError) {
    const { details, body } = host.requestErrorOf(error);
    keep(`${label} Logto details`, String(details));
    keep(`${label} Logto body`, body);
  }
};

test('every kind the build makes has its paths here', () => {
  assert.deepEqual(Object.keys(kindsUsed).sort(), Object.keys(kinds).sort());
});

test('every error path, with recognisable secrets: nothing that comes out contains them', async () => {
  const codes = tally();
  const problems = [];
  definePaths();
  const { text: printed } = await captureOutput(async () => {
    const port = await closedPort();
    for (const kind of Object.keys(kinds)) {
      keep(`${kind} metadata`, host.factoryOf(kind).metadata);
    }
    // The success path too: its value and log lines.
    for (const [kind, { config, data }] of Object.entries(kindsUsed)) {
      const connector = await host.connect(kind, { config: config() });
      const outcome = await settle(connector.sendMessage(data));
      if (outcome.status !== 'resolved')
        problems.push(
          `${kind} success path: ${describeRejection(outcome.error)} ${outcome.error?.data?.errorDescription}`,
        );
      keep(`${kind} resolved value`, outcome.value);
      keep(`${kind} connector metadata`, connector.metadata);
    }
    for (const p of paths) {
      sb.reset();
      const data = p.send ?? kindsUsed[p.kind].data;
      if (p.fault) sb.addFault({ match: { to: data.to }, ...p.fault });
      let config = p.config;
      if (p.endpoint === 'closed') config = { ...config, endpoint: `http://127.0.0.1:${port}/` };
      // The console's Test button passes the config; Logto's requests read it with getConfig.
      const viaInput = await settle((await host.connect(p.kind, {})).sendMessage(data, config));
      const viaGetConfig = await settle((await host.connect(p.kind, { config })).sendMessage(data));
      for (const [how, outcome] of [
        ['inputConfig', viaInput],
        ['getConfig', viaGetConfig],
      ]) {
        const label = `${p.name} (${how})`;
        if (outcome.status === 'resolved') {
          problems.push(`${label}: resolved`);
          keep(`${label} value`, outcome.value);
          continue;
        }
        const { error } = outcome;
        keepError(label, error);
        codes.add(error instanceof ConnectorError ? error.code : describeRejection(error));
        if (!(error instanceof ConnectorError))
          problems.push(`${label}: ${describeRejection(error)}`);
        else if (p.expected && error.code !== p.expected)
          problems.push(
            `${label}: ${error.code}, expected ${p.expected}: ${error.data?.errorDescription}`,
          );
        for (const [key, value] of Object.entries(p.data ?? {})) {
          if (error?.data?.[key] !== value)
            problems.push(`${label}: data.${key} is ${error?.data?.[key]}, expected ${value}`);
        }
      }
      // What the admin console shows for the same config.
      // (A config that passes comes back as data, secrets and all: that is what Logto stores.)
      const guard = host.factoryOf(p.kind).configGuard.safeParse(config);
      keep(`${p.name} safeParse`, guard.success ? { success: true } : guard);
      if (!guard.success)
        keepError(`${p.name} save`, new ConnectorError(InvalidConfig, guard.error));
    }
    // An injected fetch (a host's instrumented one, say) that quotes the signed request back,
    // decoded or not, in its rejection or its answer: the STS token rides in that request.
    const echoes = {
      'a rejection whose cause quotes the body': (init) =>
        Promise.reject(new TypeError('fetch failed', { cause: new Error(init.body) })),
      'a rejection quoting the decoded body': (init) =>
        Promise.reject(new Error(decodeURIComponent(init.body.replaceAll('+', ' ')))),
      'a synchronous throw quoting the body': (init) => {
        throw new Error(`sync ${init.body}`);
      },
      'every refused address quoting the body': (init) =>
        Promise.reject(
          new TypeError('fetch failed', {
            cause: new AggregateError([
              Object.assign(new Error(init.body), { code: 'ECONNREFUSED' }),
            ]),
          }),
        ),
      'SignatureDoesNotMatch quoting the body': async (init) =>
        Response.json(
          {
            Code: 'SignatureDoesNotMatch',
            Message: `server string to sign is:${init.body}`,
            RequestId: 'r',
          },
          { status: 400 },
        ),
      'an HTML page quoting the decoded body': async (init) =>
        new Response(`<html>${decodeURIComponent(init.body)}</html>`, { status: 502 }),
      'a 200 answer of the body itself': async (init) => new Response(init.body, { status: 200 }),
    };
    for (const [kind, { config, data }] of Object.entries(kindsUsed)) {
      const core = await coreOf(host, kind);
      const shimTransport = await captureShimTransport(host, kind, config());
      for (const [name, echo] of Object.entries(echoes)) {
        for (const [tokenName, overrides] of [
          ['token', {}],
          ['STS token', { accessKeyId: STS_KEY, securityToken: STS_TOKEN }],
        ]) {
          const label = `${kind} ${name} (${tokenName})`;
          const envelope = await core.sendMessage(
            kind,
            { config: config(overrides), ...data, template: null },
            { ...shimTransport, fetch: (url, init) => echo(init) },
          );
          keep(`${label} envelope`, envelope);
          if (envelope.ok !== false) {
            problems.push(`${label}: ${JSON.stringify(envelope)}`);
            continue;
          }
          codes.add(envelope.error.code);
          try {
            core.unwrap(envelope);
          } catch (error) {
            keepError(label, error);
          }
        }
      }
    }
    // A trap on this config: one log line and a general error, neither with a secret.
    const core = await coreOf(host, 'aliyun-dm');
    const real = core.__testing.exports();
    core.__testing.replaceExports(
      new Proxy(real, {
        get: (target, name) =>
          typeof target[name] === 'function' && name !== 'getMetadata'
            ? () => {
                throw new WebAssembly.RuntimeError('unreachable');
              }
            : target[name],
      }),
    );
    try {
      const trapped = await settle(
        (await host.connect('aliyun-dm', { config: dm() })).sendMessage(email),
      );
      keepError('trap', trapped.error);
      if (!(trapped.error instanceof ConnectorError) || trapped.error.code !== General)
        problems.push(`trap: ${describeRejection(trapped.error)}`);
    } finally {
      core.__testing.reload();
    }
  });
  keep('printed output', printed);
  keep('sandbox log', sandboxLog.join('\n'));

  const leaks = [];
  for (const needle of needles) {
    for (const form of forms(needle)) {
      for (const { label, text } of everything) {
        if (text.includes(form))
          leaks.push(
            `${label} contains ${form === needle ? 'the value' : `an encoded form (${form.slice(0, 24)}…)`} of ${needle.slice(0, 12)}…`,
          );
      }
    }
  }
  console.log(
    `[secrets] ${paths.length} error paths × 2 (inputConfig, getConfig) + safeParse + success + echoing fetches + trap; ${everything.length} texts searched (${Math.round(everything.reduce((n, { text }) => n + text.length, 0) / 1024)} KB) for ${needles.length} secrets in ${forms(STS_TOKEN).length} forms each`,
  );
  console.log(`[secrets] outcomes: ${codes}`);
  console.log(`[secrets] leaks: ${leaks.length}, wrong outcomes: ${problems.length}`);
  for (const line of [...leaks, ...problems].slice(0, 40)) console.log(`[secrets]   ${line}`);
  assert.deepEqual(leaks, [], 'a secret leaked');
  assert.deepEqual(problems, []);
});

test('plain http:// to a host that is not loopback is refused with invalid_config, saying http is only for loopback', async () => {
  const refused = [
    'http://example.com/',
    'http://10.0.0.1:8787/',
    'http://127.0.0.1.example.com/',
    'http://localhost.example.com/',
    'http://[::2]/',
    'http://0.0.0.0/',
    'HTTP://dm.aliyuncs.com',
    'http://sandbox.localhost:8787/',
  ];
  const accepted = [
    sb.url,
    sb.url.replace('127.0.0.1', 'localhost'),
    'http://[::1]:8787/',
    'https://dm-vpc.cn-hangzhou.aliyuncs.com',
    'http://127.0.0.2:1234/x',
  ];
  const problems = [];
  for (const [kind, { config, data }] of Object.entries(kindsUsed)) {
    const { configGuard } = host.factoryOf(kind);
    for (const endpoint of refused) {
      sb.reset();
      const guard = configGuard.safeParse(config({ endpoint }));
      const issue = guard.error?.issues?.find((i) => i.path.join('.') === 'endpoint');
      if (
        guard.success !== false ||
        !/http/i.test(issue?.message ?? '') ||
        !/loopback/.test(issue?.message ?? '')
      ) {
        problems.push(
          `${kind} safeParse ${endpoint}: ${JSON.stringify(guard.error ?? guard.success)}`,
        );
      }
      const outcome = await settle(
        (await host.connect(kind, { config: config({ endpoint }) })).sendMessage(data),
      );
      const description = outcome.error?.data?.errorDescription ?? '';
      if (
        !(outcome.error instanceof ConnectorError) ||
        outcome.error.code !== InvalidConfig ||
        !/http:\/\//.test(description) ||
        !/loopback/.test(description)
      ) {
        problems.push(
          `${kind} send ${endpoint}: ${outcome.status} ${describeRejection(outcome.error)} ${description}`,
        );
      }
      if (sb.requests().length !== 0) problems.push(`${kind} ${endpoint}: something was sent`);
    }
    for (const endpoint of accepted) {
      const guard = configGuard.safeParse(config({ endpoint }));
      if (guard.success !== true)
        problems.push(`${kind} safeParse ${endpoint} refused: ${JSON.stringify(guard.error)}`);
    }
  }
  console.log(
    `[secrets] http endpoints: ${refused.length * 3} refused as expected, ${accepted.length * 3} loopback/https accepted; problems: ${problems.length}`,
  );
  assert.deepEqual(problems, []);
});
