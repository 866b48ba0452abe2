// connector-aliyun-sms-auth end to end: Logto's loader → our package → real HTTP → the sandbox's
// SendSmsVerifyCode (SMS authentication, Dypnsapi). The request is the one
// @logto/connector-aliyun-sms-mas 1.1.2 sends (tests/flows.rs pins it parameter for parameter,
// signature included); its guard is run here beside ours.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ConnectorErrorCodes } from '@logto/connector-kit';
import createOfficial from '@logto/connector-aliyun-sms-mas';

import { GIFT_TEMPLATES, lookupCode, phoneTrigger } from '../../sandbox/index.mjs';
import {
  accessKeyId,
  accessKeySecret,
  lastDelivery,
  rejectsWith,
  sandbox,
  smsAuthConfig,
  smsAuthTemplateCodes,
  templateTypes,
  timestampPattern,
  uuidPattern,
} from './fixtures.mjs';
import { repoRoot, withHostAndSandbox } from './host.mjs';

let host;
let sb;
withHostAndSandbox((started) => ({ host, sb } = started));

const kind = 'aliyun-sms-auth';
const connect = (config) => host.connect(kind, { config });
const signIn = (to = '8613912345678', payload = { code: '123456', locale: 'zh-CN' }) => ({
  to,
  type: 'SignIn',
  payload,
});

/** The raw bytes of form parameter `name` as they crossed the wire (percent-decoded only). */
const wireBytes = (delivery, name) => {
  const pair = delivery.rawBody.split('&').find((p) => p.startsWith(`${name}=`));
  assert.ok(pair, `${name} is in the request body`);
  const bytes = [];
  const value = pair.slice(name.length + 1);
  for (let i = 0; i < value.length; i += 1) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
};

// What the official 1.1.2 sends (sms-auth-facts.md §1.5), Signature aside: the sandbox keeps
// every parameter but that one.
const officialParameters = [
  'AccessKeyId',
  'Action',
  'CountryCode',
  'Format',
  'PhoneNumber',
  'RegionId',
  'SignName',
  'SignatureMethod',
  'SignatureNonce',
  'SignatureVersion',
  'TemplateCode',
  'TemplateParam',
  'Timestamp',
  'Version',
];

describe('SendSmsVerifyCode', () => {
  test('sends the official parameters, every one and nothing else; the result is the receipt', async () => {
    const connector = await connect(smsAuthConfig(sb.url));
    const before = Date.now();
    const result = await connector.sendMessage(signIn());
    const delivery = lastDelivery(sb);
    const { params } = delivery;
    assert.deepEqual(Object.keys(params).sort(), officialParameters);
    assert.equal(params.Action, 'SendSmsVerifyCode');
    assert.equal(params.Version, '2017-05-25');
    assert.equal(params.Format, 'json');
    assert.equal(params.RegionId, 'cn-hangzhou');
    assert.equal(params.AccessKeyId, accessKeyId);
    assert.equal(params.CountryCode, '86');
    assert.equal(params.PhoneNumber, '13912345678');
    assert.equal(params.SignName, '速通互联验证码');
    assert.equal(params.TemplateCode, '100001');
    assert.equal(params.TemplateParam, '{"code":"123456","min":"10"}');
    assert.equal(params.SignatureMethod, 'HMAC-SHA1');
    assert.equal(params.SignatureVersion, '1.0');
    assert.match(params.Timestamp, timestampPattern);
    assert.ok(Math.abs(Date.parse(params.Timestamp) - before) < 5000);
    assert.match(params.SignatureNonce, uuidPattern);
    // The sandbox verified the signature (it delivers nothing else) and filled the gift template.
    assert.equal(sb.requests()[0].outcome, 'delivered');
    assert.equal(delivery.kind, 'sms-auth');
    assert.equal(delivery.to, '+8613912345678');
    assert.equal(
      delivery.text,
      `【速通互联验证码】${GIFT_TEMPLATES[100001].replace('${code}', '123456').replace('${min}', '10')}`,
    );
    assert.deepEqual(result, {
      Code: 'OK',
      Message: '成功',
      RequestId: delivery.requestId,
      BizId: delivery.bizId,
    });
  });

  test('Chinese sign names arrive byte for byte, and the signature over them verifies', async () => {
    for (const signName of [
      '速通互联验证码',
      '云渚科技验证平台',
      '【速通互联验证码】',
      '恒创联众 短信',
    ]) {
      sb.reset();
      const connector = await connect(smsAuthConfig(sb.url, { signName }));
      await connector.sendMessage(signIn());
      const delivery = lastDelivery(sb);
      assert.equal(delivery.signName, signName);
      assert.deepEqual(wireBytes(delivery, 'SignName'), Buffer.from(signName, 'utf8'), signName);
    }
  });

  test('the number as Logto stores it, with + or 00: PhoneNumber is the national number, CountryCode 86', async () => {
    const connector = await connect(smsAuthConfig(sb.url));
    for (const [to, national] of [
      ['8613912345678', '13912345678'],
      ['+8613912345678', '13912345678'],
      ['008613912345678', '13912345678'],
      ['8619987654321', '19987654321'],
      ['8613000000000', '13000000000'],
    ]) {
      await connector.sendMessage(signIn(to));
      const { params } = lastDelivery(sb);
      assert.equal(params.PhoneNumber, national, to);
      assert.equal(params.CountryCode, '86', to);
    }
  });

  test('TemplateParam is the code and codeValidityMinutes as min (default 10, as Logto codes live)', async () => {
    for (const [minutes, min] of [
      [undefined, '10'],
      [1, '1'],
      [5, '5'],
      [60, '60'],
    ]) {
      sb.reset();
      const connector = await connect(smsAuthConfig(sb.url, { codeValidityMinutes: minutes }));
      await connector.sendMessage(signIn());
      const delivery = lastDelivery(sb);
      assert.equal(delivery.params.TemplateParam, JSON.stringify({ code: '123456', min }));
      assert.ok(delivery.text.includes(`${min}分钟内有效`), delivery.text);
    }
  });

  test('(beyond the official connector) locale, uiLocales and every other payload field stay out of TemplateParam', async () => {
    const connector = await connect(smsAuthConfig(sb.url));
    await connector.sendMessage(
      signIn('8613912345678', {
        locale: 'fr',
        link: 'https://example.com/x',
        code: '111111',
        uiLocales: 'fr-CA fr',
        min: '99',
        attempt: 2,
        user: { id: 'u1' },
      }),
    );
    assert.equal(lastDelivery(sb).params.TemplateParam, '{"code":"111111","min":"10"}');
  });

  test("every one of Logto's nine usage types sends its own template; an unknown one falls back to Generic", async () => {
    const templates = templateTypes.map((usageType) => ({
      usageType,
      templateCode: `SMS_AUTH_${usageType}`,
    }));
    const connector = await connect(smsAuthConfig(sb.url, { templates }));
    for (const type of [...templateTypes, 'SomeFutureType']) {
      await connector.sendMessage({ to: '8613912345678', type, payload: { code: '2468' } });
      const expected = templateTypes.includes(type) ? type : 'Generic';
      assert.equal(lastDelivery(sb).templateCode, `SMS_AUTH_${expected}`, `type ${type}`);
    }
  });

  test("the official README's mapping to the system templates: each type gets its gift template's text", async () => {
    const connector = await connect(smsAuthConfig(sb.url));
    for (const type of templateTypes) {
      await connector.sendMessage({ to: '8613912345678', type, payload: { code: '97531' } });
      const delivery = lastDelivery(sb);
      const templateCode = smsAuthTemplateCodes[type];
      assert.equal(delivery.templateCode, templateCode, type);
      assert.equal(
        delivery.text,
        `【速通互联验证码】${GIFT_TEMPLATES[templateCode].replace('${code}', '97531').replace('${min}', '10')}`,
        type,
      );
    }
  });

  test("the console's Test button: the form's config as the second argument, Generic with 000000", async () => {
    const connector = await host.connect(kind, {
      getConfig: async () => {
        throw new Error('getConfig must not be called when the config is given');
      },
    });
    await connector.sendMessage(
      { to: '8613912345678', type: 'Generic', payload: { code: '000000' } },
      smsAuthConfig(sb.url),
    );
    const delivery = lastDelivery(sb);
    assert.equal(delivery.templateCode, '100001');
    assert.equal(delivery.params.TemplateParam, '{"code":"000000","min":"10"}');
  });

  test('without endpoint the request goes to https://dypnsapi.aliyuncs.com/', async () => {
    const realFetch = globalThis.fetch;
    const urls = [];
    // The shim looks the host's fetch up per request: send the Aliyun request to the sandbox.
    globalThis.fetch = (url, init) => {
      urls.push(String(url));
      return realFetch(sb.url, init);
    };
    try {
      const connector = await connect(smsAuthConfig(undefined));
      await connector.sendMessage(signIn());
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(urls, ['https://dypnsapi.aliyuncs.com/']);
    assert.equal(lastDelivery(sb).params.PhoneNumber, '13912345678');
  });

  test('timeoutMs: no answer within it → general (a timeout), sent once, never resent', async () => {
    sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'hang' });
    const connector = await connect(smsAuthConfig(sb.url, { timeoutMs: 1000 }));
    const error = await rejectsWith(connector.sendMessage(signIn()), ConnectorErrorCodes.General);
    assert.equal(error.data.network, 'timeout');
    assert.equal(sb.requests().length, 1);
  });
});

describe('numbers the service cannot send to', () => {
  // The service sends to mainland China mobiles only (1, then 3 to 9, then nine digits), given
  // with their country code as Logto stores them. The official 1.1.2 sends some of these
  // (landlines, short numbers: sms-auth-facts.md §1.7); Aliyun would refuse them.
  const refused = [
    ['13912345678', 'no country code'],
    ['+85291234567', 'Hong Kong'],
    ['+85366123456', 'Macao'],
    ['+886912345678', 'Taiwan'],
    ['+13012345678', 'NANP'],
    ['16502530000', 'NANP, digits only'],
    ['447911123456', 'United Kingdom'],
    ['8612912345678', 'not a mobile range'],
    ['861012345678', 'a Beijing landline'],
    ['861391234567', 'too short'],
    ['86139123456789', 'too long'],
    ['86 139 1234 5678', 'spaces'],
    ['+86-139-1234-5678', 'dashes'],
    ['８６13912345678', 'full-width digits'],
    ['8613912345678,8613912345679', 'two numbers'],
    ['', 'empty'],
  ];
  for (const [to, what] of refused) {
    test(`${JSON.stringify(to)} (${what}) → invalid_request_parameters (400 in Logto), nothing sent`, async () => {
      const connector = await connect(smsAuthConfig(sb.url));
      const error = await rejectsWith(
        connector.sendMessage(signIn(to)),
        ConnectorErrorCodes.InvalidRequestParameters,
      );
      assert.match(error.data.errorDescription, /mainland China mobile numbers/);
      const answered = host.requestErrorOf(error);
      assert.equal(answered.status, 400);
      assert.equal(answered.code, 'connector.invalid_request_parameters');
      assert.equal(sb.requests().length, 0, 'nothing reached the sandbox');
    });
  }

  test('(beyond the official connector) a payload without a code is refused before sending', async () => {
    const connector = await connect(smsAuthConfig(sb.url));
    for (const payload of [{ locale: 'en' }, { code: '' }, { code: 123456 }]) {
      await rejectsWith(
        connector.sendMessage(signIn('8613912345678', payload)),
        ConnectorErrorCodes.InvalidRequestParameters,
      );
    }
    assert.equal(sb.requests().length, 0);
  });
});

describe("Aliyun's answers as Logto answers them", () => {
  // [Aliyun Code, our ConnectorError code, Logto's HTTP status]. The official 1.1.2 classifies
  // only BUSINESS_LIMIT_CONTROL, FREQUENCY_FAIL and MOBILE_NUMBER_ILLEGAL, and only on HTTP 200;
  // Aliyun documents them at 400, where the official says `general`.
  const table = [
    ['FUNCTION_NOT_OPENED', 'invalid_config', 400],
    ['INVALID_PARAMETERS', 'invalid_config', 400],
    ['MOBILE_NUMBER_ILLEGAL', 'invalid_request_parameters', 400],
    ['BUSINESS_LIMIT_CONTROL', 'rate_limit_exceeded', 429],
    ['FREQUENCY_FAIL', 'rate_limit_exceeded', 429],
    ['biz.FREQUENCY', 'rate_limit_exceeded', 429],
    ['isv.BUSINESS_LIMIT_CONTROL', 'rate_limit_exceeded', 429],
    ['isv.AMOUNT_NOT_ENOUGH', 'usage_limit_exceeded', 429],
    ['isv.OUT_OF_SERVICE', 'usage_limit_exceeded', 429],
    ['isv.MOBILE_NUMBER_ILLEGAL', 'invalid_request_parameters', 400],
    ['isv.PRODUCT_UN_SUBSCRIPT', 'invalid_config', 400],
    ['isv.ACCOUNT_ABNORMAL', 'invalid_config', 400],
    ['isp.RAM_PERMISSION_DENY', 'invalid_config', 400],
    ['isv.INVALID_PARAMETERS', 'general', 400],
    ['SignatureDoesNotMatch', 'invalid_config', 400],
    ['InvalidAccessKeyId.NotFound', 'invalid_config', 400],
    ['Forbidden.RAM', 'invalid_config', 400],
    ['Throttling.User', 'rate_limit_exceeded', 429],
    ['InvalidTimeStamp.Expired', 'general', 400],
    ['InternalError', 'general', 400],
  ];
  for (const [code, expected, status] of table) {
    const { status: aliyunStatus, message } = lookupCode(code);
    test(`${code} (HTTP ${aliyunStatus}) → ${expected}, Logto answers ${status}`, async () => {
      sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'error', code });
      const connector = await connect(smsAuthConfig(sb.url));
      const error = await rejectsWith(connector.sendMessage(signIn()), expected);
      const [request] = sb.requests();
      assert.equal(request.status, aliyunStatus);
      assert.equal(error.data.Code, code);
      assert.equal(error.data.Message, message);
      assert.ok(error.data.errorDescription.includes(message), error.data.errorDescription);
      assert.equal(error.data.RequestId, request.requestId);
      const answered = host.requestErrorOf(error);
      assert.equal(answered.status, status);
      assert.equal(answered.code, `connector.${expected}`);
      assert.equal(answered.body.data.Code, code);
      assert.equal(sb.requests().length, 1, 'not retried');
      assert.equal(sb.deliveries().length, 0);
    });
  }

  test("the sandbox's digit triggers (as from Logto's console) reach Logto as the same answers", async () => {
    const connector = await connect(smsAuthConfig(sb.url));
    for (const [code, expected] of table.slice(0, 6)) {
      const national = phoneTrigger('SendSmsVerifyCode', code);
      assert.ok(national, `a trigger for ${code}`);
      const error = await rejectsWith(connector.sendMessage(signIn(`86${national}`)), expected);
      assert.equal(error.data.Code, code);
    }
  });

  test('a real wrong secret: SignatureDoesNotMatch → invalid_config, neither secret in the error', async () => {
    const wrongSecret = `wrong-${accessKeySecret}`;
    const connector = await connect(smsAuthConfig(sb.url, { accessKeySecret: wrongSecret }));
    const error = await rejectsWith(
      connector.sendMessage(signIn()),
      ConnectorErrorCodes.InvalidConfig,
    );
    assert.equal(error.data.Code, 'SignatureDoesNotMatch');
    assert.ok(!JSON.stringify(error.data).includes(wrongSecret));
    assert.ok(!JSON.stringify(host.requestErrorOf(error).body).includes(wrongSecret));
  });

  test('Throttling.Api is retried with a fresh nonce, then delivered once', async () => {
    sb.addFault({
      match: { action: 'SendSmsVerifyCode' },
      mode: 'error',
      code: 'Throttling.Api',
      times: 1,
    });
    const connector = await connect(smsAuthConfig(sb.url));
    await connector.sendMessage(signIn());
    const requests = sb.requests();
    assert.equal(requests.length, 2);
    assert.notEqual(requests[0].params.SignatureNonce, requests[1].params.SignatureNonce);
    assert.equal(sb.deliveries().length, 1);
  });
});

describe('STS credentials and an account with its own gift signatures and templates', () => {
  const stsKey = 'STS.NSmsAuthTestKey01';
  const stsToken = `CAIS+sms/auth=${accessKeySecret.slice(-12)}`;
  let account;
  before(async () => {
    account = await sandbox({
      credentials: {
        [accessKeyId]: { secret: accessKeySecret },
        [stsKey]: { secret: accessKeySecret, securityToken: stsToken },
      },
      smsAuthSignNames: ['速通互联验证码'],
      smsAuthTemplates: Object.keys(GIFT_TEMPLATES),
    });
  });
  after(() => account?.close());

  test('securityToken goes out as SecurityToken, signed with the rest', async () => {
    account.reset();
    const config = smsAuthConfig(account.url, { accessKeyId: stsKey, securityToken: stsToken });
    await connect(config).then((connector) => connector.sendMessage(signIn()));
    const { params } = lastDelivery(account);
    assert.equal(params.SecurityToken, stsToken);
    assert.equal(params.AccessKeyId, stsKey);
  });

  test('an STS key without its token: MissingSecurityToken → invalid_config, the secret nowhere', async () => {
    account.reset();
    const connector = await connect(smsAuthConfig(account.url, { accessKeyId: stsKey }));
    const error = await rejectsWith(
      connector.sendMessage(signIn()),
      ConnectorErrorCodes.InvalidConfig,
    );
    assert.equal(error.data.Code, 'MissingSecurityToken');
  });

  test('a sign name that is not one of the account gift signatures: INVALID_PARAMETERS → invalid_config', async () => {
    account.reset();
    const connector = await connect(smsAuthConfig(account.url, { signName: 'My Company' }));
    const error = await rejectsWith(
      connector.sendMessage(signIn()),
      ConnectorErrorCodes.InvalidConfig,
    );
    assert.equal(error.data.Code, 'INVALID_PARAMETERS');
    assert.equal(account.requests()[0].status, 400);
    assert.match(error.data.errorDescription, /signName/);
  });
});

describe('the same configs as the official connector', () => {
  test('ours accepts exactly the configs the official 1.1.2 guard accepts (both guards run here)', async () => {
    const vectors = JSON.parse(
      await fs.readFile(
        path.join(repoRoot, 'tests', 'vectors', 'sms-auth-official-guard.json'),
        'utf8',
      ),
    );
    const official = await createOfficial({ getConfig: async () => ({}) });
    const ours = host.factoryOf(kind).configGuard;
    const disagreements = [];
    for (const { name, config } of vectors.cases) {
      const theirs = official.configGuard.safeParse(config).success;
      const mine = ours.safeParse(config).success;
      if (theirs !== mine) disagreements.push(`${name}: official ${theirs}, ours ${mine}`);
    }
    assert.ok(vectors.cases.length >= 40);
    assert.deepEqual(disagreements, []);
  });

  test('the sandbox config, our keys included, is one the official guard accepts', async () => {
    const official = await createOfficial({ getConfig: async () => ({}) });
    const config = smsAuthConfig(sb.url, { timeoutMs: 5000, codeValidityMinutes: 5 });
    assert.equal(official.configGuard.safeParse(config).success, true);
    assert.equal(host.factoryOf(kind).configGuard.safeParse(config).success, true);
  });
});
