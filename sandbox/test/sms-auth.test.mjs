// Dypnsapi SendSmsVerifyCode (SMS authentication) over real HTTP: success and error bodies,
// validation, authentication, faults and triggers, records, journal and inbox.
// API reference: https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  API,
  ACTIONS,
  GIFT_TEMPLATES,
  PHONE_TRIGGERS,
  allCodes,
  codeFitsProduct,
  lookupCode,
  phoneTrigger,
  startSandbox,
} from '../index.mjs';
import { normalizeFault } from '../faults.mjs';
import { summarize } from '../inbox.mjs';
import {
  CREDENTIALS,
  KEY_ID,
  SECRET,
  STS_KEY_ID,
  STS_SECRET,
  STS_TOKEN,
  T0,
  commonParams,
  dmParams,
  fakeClock,
  formBody,
  isoSeconds,
  postSigned,
  request,
  sign,
  smsAuthParams,
  smsParams,
} from './helpers.mjs';

const UUID_UPPER = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const HOST = 'dypnsapi.aliyuncs.com';
const TEXT_100001 =
  '【速通互联验证码】您的验证码为123456。尊敬的客户，以上验证码10分钟内有效，请注意保密，切勿告知他人。';

// The body @logto/connector-aliyun-sms-mas 1.1.2 sent for +8613012345678 / SignIn / code 123456
// (encoded by got's URLSearchParams), signed with the secret "testAccessKeySecret".
const OFFICIAL = {
  keyId: 'LTAI5tTestAccessKeyId',
  secret: 'testAccessKeySecret',
  at: Date.parse('2026-12-06T04:35:35Z'),
  body:
    'Action=SendSmsVerifyCode&Format=json&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0' +
    '&Version=2017-05-25&AccessKeyId=LTAI5tTestAccessKeyId&CountryCode=86&PhoneNumber=13012345678' +
    '&SignName=%E9%80%9F%E9%80%9A%E4%BA%92%E8%81%94%E9%AA%8C%E8%AF%81%E7%A0%81&TemplateCode=100001' +
    '&TemplateParam=%7B%22code%22%3A%22123456%22%2C%22min%22%3A%2210%22%7D' +
    '&SignatureNonce=f78a3bcb-fba8-485c-b273-81629ac9cc3b&Timestamp=2026-12-06T04%3A35%3A35Z' +
    '&Signature=8EhB%2F34sKXodtiyu0LylO7RUaOk%3D',
};

// Codes a SendSmsVerifyCode request can be answered with, and those of this product only.
const FITTING = allCodes().filter((row) => codeFitsProduct(row.code, 'pnvs'));
const PNVS = allCodes().filter((row) => row.products.includes('pnvs'));

function assertGatewayError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.deepEqual(Object.keys(res.json).sort(), [
    'Code',
    'HostId',
    'Message',
    'Recommend',
    'RequestId',
  ]);
  assert.equal(res.json.Code, code);
  assert.match(res.json.RequestId, UUID_UPPER);
  assert.match(
    res.json.Recommend,
    new RegExp(
      `^https://api\\.aliyun\\.com/troubleshoot\\?q=${encodeURIComponent(code).replace(/\./g, '\\.')}&product=Dypnsapi&`,
    ),
  );
}

function assertBusiness200(res, code) {
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['RequestId', 'Code', 'Message', 'Success']);
  assert.equal(res.json.Code, code);
  assert.equal(res.json.Success, false);
  assert.ok(res.json.Message.length > 0);
}

/** The answer Aliyun gives for `code` on this action, in its status and shape. */
function assertAnswerFor(res, code) {
  if (lookupCode(code).status === 200) assertBusiness200(res, code);
  else assertGatewayError(res, lookupCode(code).status, code);
}

function post(sb, params, init = {}) {
  return fetch(sb.url, { method: 'POST', headers: FORM, body: formBody(params), ...init });
}

describe('SendSmsVerifyCode', () => {
  const now = fakeClock();
  let sb;
  before(async () => {
    sb = await startSandbox({ credentials: CREDENTIALS, now });
  });
  after(() => sb.close());
  beforeEach(() => {
    sb.reset();
    now.set(T0);
  });

  describe('success', () => {
    it('HTTP 200 {Message 成功, RequestId, Model {RequestId, BizId}, Code OK, Success true}; the delivery, UTF-8 exact', async () => {
      const params = smsAuthParams(now());
      const res = await postSigned(sb, params, { headers: { host: HOST } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
      assert.deepEqual(Object.keys(res.json), ['Message', 'RequestId', 'Model', 'Code', 'Success']);
      assert.equal(res.json.Message, '成功');
      assert.equal(res.json.Code, 'OK');
      assert.equal(res.json.Success, true);
      assert.match(res.json.RequestId, UUID_UPPER);
      assert.equal(res.headers['x-acs-request-id'], res.json.RequestId);
      assert.deepEqual(Object.keys(res.json.Model), ['RequestId', 'BizId']);
      assert.match(res.json.Model.RequestId, UUID_LOWER);
      assert.match(res.json.Model.BizId, /^\d+\^\d$/);

      const [d] = sb.deliveries();
      assert.equal(d.kind, 'sms-auth');
      assert.equal(d.action, 'SendSmsVerifyCode');
      assert.equal(d.host, HOST);
      assert.equal(d.region, 'cn-hangzhou');
      assert.equal(d.receivedAt, new Date(T0).toISOString());
      assert.equal(d.requestId, res.json.RequestId);
      assert.equal(d.to, '+8613012345678');
      assert.deepEqual(d.recipients, ['+8613012345678']);
      assert.equal(d.countryCode, '86');
      assert.equal(d.phoneNumber, '13012345678');
      assert.deepEqual(Buffer.from(d.signName, 'utf8'), Buffer.from('速通互联验证码', 'utf8'));
      assert.equal(d.templateCode, '100001');
      assert.equal(d.templateParam, '{"code":"123456","min":"10"}');
      assert.deepEqual(d.templateValues, { code: '123456', min: '10' });
      assert.deepEqual(Buffer.from(d.text, 'utf8'), Buffer.from(TEXT_100001, 'utf8'));
      assert.equal(d.verifyCode, '123456');
      assert.equal(d.outId, null);
      assert.equal(d.bizId, res.json.Model.BizId);
      assert.equal(d.params.Signature, undefined);
      assert.equal(d.params.AccessKeyId, KEY_ID);
      assert.equal(d.rawBody, formBody(params));
      assert.equal(JSON.stringify(d).includes(SECRET), false);
    });

    it("accepts the exact request Logto's official connector sent (got's form encoding)", async () => {
      const own = await startSandbox({
        credentials: { [OFFICIAL.keyId]: { secret: OFFICIAL.secret } },
        now: () => OFFICIAL.at,
      });
      try {
        const res = await request(own.url, {
          headers: { ...FORM, host: HOST },
          body: OFFICIAL.body,
        });
        assert.equal(res.json.Code, 'OK', res.text);
        const [d] = own.deliveries();
        assert.equal(d.to, '+8613012345678');
        assert.equal(d.text, TEXT_100001);
        assert.equal(d.rawBody, OFFICIAL.body);
      } finally {
        await own.close();
      }
    });

    it('OutId and ReturnVerifyCode=true: Model {VerifyCode, RequestId, OutId, BizId}', async () => {
      const res = await postSigned(
        sb,
        smsAuthParams(now(), { OutId: 'order-42', ReturnVerifyCode: 'true' }),
      );
      assert.deepEqual(Object.keys(res.json.Model), ['VerifyCode', 'RequestId', 'OutId', 'BizId']);
      assert.equal(res.json.Model.VerifyCode, '123456');
      assert.equal(res.json.Model.OutId, 'order-42');
      assert.equal(sb.deliveries()[0].outId, 'order-42');
    });

    it('"##code##" asks Aliyun for a code of CodeLength characters of CodeType', async () => {
      for (const [type, alphabet] of [
        ['1', /^\d{6}$/],
        ['2', /^[A-Z]{6}$/],
        ['3', /^[a-z]{6}$/],
        ['7', /^[A-Za-z0-9]{6}$/],
      ]) {
        sb.reset();
        const res = await postSigned(
          sb,
          smsAuthParams(now(), {
            TemplateParam: '{"code":"##code##","min":"5"}',
            CodeLength: '6',
            CodeType: type,
            ReturnVerifyCode: 'true',
          }),
        );
        const [d] = sb.deliveries();
        assert.match(d.verifyCode, alphabet, `CodeType ${type}`);
        assert.equal(res.json.Model.VerifyCode, d.verifyCode);
        assert.equal(d.templateValues.code, d.verifyCode);
        assert.ok(d.text.includes(`您的验证码为${d.verifyCode}。`), d.text);
        assert.ok(d.text.includes('以上验证码5分钟内有效'), d.text);
      }
      sb.reset();
      await postSigned(
        sb,
        smsAuthParams(now(), { TemplateParam: '{"code":"##code##","min":"5"}' }),
      );
      assert.match(sb.deliveries()[0].verifyCode, /^\d{4}$/, 'default: 4 digits');
    });

    it('each gift template 100001–100005 is rendered with the signature in 【】', async () => {
      for (const code of Object.keys(GIFT_TEMPLATES)) {
        sb.reset();
        await postSigned(
          sb,
          smsAuthParams(now(), {
            TemplateCode: code,
            SignName: '云渚科技验证平台',
            TemplateParam: '{"code":"908172","min":"15"}',
          }),
        );
        const [d] = sb.deliveries();
        assert.equal(
          d.text,
          `【云渚科技验证平台】${GIFT_TEMPLATES[code].replace('${code}', '908172').replace('${min}', '15')}`,
        );
        assert.doesNotMatch(d.text, /\$\{/);
      }
    });

    it('no CountryCode means 86; a template code the sandbox does not know is delivered without a text', async () => {
      const params = smsAuthParams(now(), {
        TemplateCode: 'SMS_300000001',
        TemplateParam: '{"code":"1234"}',
      });
      delete params.CountryCode;
      const res = await postSigned(sb, params);
      assert.equal(res.json.Code, 'OK', res.text);
      const [d] = sb.deliveries();
      assert.equal(d.to, '+8613012345678');
      assert.equal(d.countryCode, '86');
      assert.equal(d.text, null);
      assert.equal(d.verifyCode, '1234');
    });

    it('every mainland mobile range 13x–19x is accepted', async () => {
      for (const number of [
        '13012345678',
        '14512345678',
        '15912345678',
        '16612345678',
        '17012345678',
        '18812345678',
        '19912345678',
      ]) {
        const res = await postSigned(sb, smsAuthParams(now(), { PhoneNumber: number }));
        assert.equal(res.json.Code, 'OK', `${number}: ${res.text}`);
      }
    });
  });

  describe('validation', () => {
    for (const name of ['PhoneNumber', 'SignName', 'TemplateCode', 'TemplateParam']) {
      it(`missing ${name} → HTTP 400 Missing${name}`, async () => {
        const params = smsAuthParams(now());
        delete params[name];
        const res = await postSigned(sb, params);
        assertGatewayError(res, 400, `Missing${name}`);
        assert.equal(res.json.Message, `${name} is mandatory for this action.`);
        assert.equal(sb.deliveries().length, 0);
      });
    }

    const refused = [
      [
        'CountryCode 852 (Hong Kong)',
        { CountryCode: '852', PhoneNumber: '91234567' },
        'MOBILE_NUMBER_ILLEGAL',
      ],
      [
        'CountryCode 1 with a mainland-looking number',
        { CountryCode: '1' },
        'MOBILE_NUMBER_ILLEGAL',
      ],
      ['CountryCode +86', { CountryCode: '+86' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['a number with its country code', { PhoneNumber: '8613012345678' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['a number with +86', { PhoneNumber: '+8613012345678' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['10 digits', { PhoneNumber: '1301234567' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['12 digits', { PhoneNumber: '130123456789' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['a Beijing landline', { PhoneNumber: '1012345678' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['12x, not a mobile range', { PhoneNumber: '12012345678' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['a letter in the number', { PhoneNumber: '1301234567a' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['two numbers', { PhoneNumber: '13012345678,13112345678' }, 'MOBILE_NUMBER_ILLEGAL'],
      ['TemplateParam that is not JSON', { TemplateParam: '{code:123456}' }, 'INVALID_PARAMETERS'],
      [
        'TemplateParam with a number value',
        { TemplateParam: '{"code":123456,"min":"10"}' },
        'INVALID_PARAMETERS',
      ],
      [
        'TemplateParam that is an array',
        { TemplateParam: '["123456","10"]' },
        'INVALID_PARAMETERS',
      ],
      ['TemplateParam that is null', { TemplateParam: 'null' }, 'INVALID_PARAMETERS'],
      [
        'TemplateParam with a nested object',
        { TemplateParam: '{"code":{"v":"1"},"min":"10"}' },
        'INVALID_PARAMETERS',
      ],
      ['CodeLength 3', { CodeLength: '3' }, 'INVALID_PARAMETERS'],
      ['CodeLength 9', { CodeLength: '9' }, 'INVALID_PARAMETERS'],
      ['CodeType 8', { CodeType: '8' }, 'INVALID_PARAMETERS'],
      ['CodeType x', { CodeType: 'x' }, 'INVALID_PARAMETERS'],
      ['ReturnVerifyCode yes', { ReturnVerifyCode: 'yes' }, 'INVALID_PARAMETERS'],
    ];
    for (const [what, overrides, code] of refused) {
      it(`${what} → HTTP 400 ${code} with the reference's message`, async () => {
        const res = await postSigned(sb, smsAuthParams(now(), overrides));
        assertGatewayError(res, 400, code);
        assert.equal(res.json.Message, lookupCode(code).message);
        assert.equal(sb.deliveries().length, 0);
        assert.deepEqual(
          sb.requests().map((r) => [r.outcome, r.status, r.code]),
          [['rejected', 400, code]],
        );
      });
    }

    it('a gift template whose min is not given → HTTP 200 isv.INVALID_PARAMETERS 模板内容与模板参数不匹配, Success false', async () => {
      const res = await postSigned(
        sb,
        smsAuthParams(now(), { TemplateParam: '{"code":"123456"}' }),
      );
      assertBusiness200(res, 'isv.INVALID_PARAMETERS');
      assert.equal(res.json.Message, '模板内容与模板参数不匹配');
      assert.equal(sb.deliveries().length, 0);
    });

    it('extra TemplateParam keys are kept (Logto may add uiLocales)', async () => {
      const res = await postSigned(
        sb,
        smsAuthParams(now(), { TemplateParam: '{"code":"123456","uiLocales":"fr ko","min":"10"}' }),
      );
      assert.equal(res.json.Code, 'OK', res.text);
      assert.deepEqual(sb.deliveries()[0].templateValues, {
        code: '123456',
        uiLocales: 'fr ko',
        min: '10',
      });
    });
  });

  describe('approved signatures and templates', () => {
    let strict;
    before(async () => {
      strict = await startSandbox({
        credentials: CREDENTIALS,
        now,
        smsAuthSignNames: ['速通互联验证码'],
        smsAuthTemplates: ['100001', '100003'],
        smsSignNames: ['Logto'],
      });
    });
    after(() => strict.close());

    it('a signature not listed in smsAuthSignNames → HTTP 400 INVALID_PARAMETERS', async () => {
      assertGatewayError(
        await postSigned(strict, smsAuthParams(now(), { SignName: 'Logto' })),
        400,
        'INVALID_PARAMETERS',
      );
    });
    it('a template not listed in smsAuthTemplates → HTTP 400 INVALID_PARAMETERS', async () => {
      assertGatewayError(
        await postSigned(strict, smsAuthParams(now(), { TemplateCode: '100002' })),
        400,
        'INVALID_PARAMETERS',
      );
    });
    it('listed ones are delivered; the SendSms lists do not apply to SendSmsVerifyCode, nor its lists to SendSms', async () => {
      assert.equal(
        (await postSigned(strict, smsAuthParams(now(), { TemplateCode: '100003' }))).json.Code,
        'OK',
      );
      assert.equal(
        (await postSigned(strict, smsParams(now(), { TemplateCode: '100002' }))).json.Code,
        'OK',
      );
      assert.equal(
        (await postSigned(strict, smsParams(now(), { SignName: '速通互联验证码' }))).json.Code,
        'isv.SMS_SIGNATURE_ILLEGAL',
      );
    });
  });

  describe('routing', () => {
    it('SendSmsVerifyCode sent to the dysmsapi host, or SendSms to the dypnsapi host → 404 InvalidAction.NotFound', async () => {
      const wrongHost = await postSigned(sb, smsAuthParams(now()), {
        headers: { host: 'dysmsapi.aliyuncs.com' },
      });
      assert.equal(wrongHost.status, 404);
      assert.equal(wrongHost.json.Code, 'InvalidAction.NotFound');
      assertGatewayError(
        await postSigned(sb, smsParams(now()), { headers: { host: HOST } }),
        404,
        'InvalidAction.NotFound',
      );
    });

    it('no Action on the dypnsapi host → 400 MissingParameter, Recommend names Dypnsapi', async () => {
      const params = smsAuthParams(now());
      delete params.Action;
      assertGatewayError(
        await postSigned(sb, params, { headers: { host: HOST } }),
        400,
        'MissingParameter',
      );
    });

    it('Version 2015-11-23 → 400 InvalidVersion; no Version → MissingParameter', async () => {
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { Version: '2015-11-23' })),
        400,
        'InvalidVersion',
      );
      const params = smsAuthParams(now());
      delete params.Version;
      assertGatewayError(await postSigned(sb, params), 400, 'MissingParameter');
    });

    it('GET with a query string signed for GET, and any path, are accepted', async () => {
      const res = await request(
        `${sb.url}some/path?${formBody(smsAuthParams(now()), SECRET, 'GET')}`,
        { method: 'GET' },
      );
      assert.equal(res.json.Code, 'OK', res.text);
    });
  });

  describe('authentication', () => {
    it('a wrong signature → 400 SignatureDoesNotMatch ending with the server string to sign', async () => {
      const params = smsAuthParams(now());
      const res = await postSigned(sb, params, { secret: 'wrong-secret' });
      assertGatewayError(res, 400, 'SignatureDoesNotMatch');
      assert.ok(
        res.json.Message.endsWith(
          `server string to sign is:${sign('POST', params, SECRET).stringToSign}`,
        ),
        res.json.Message,
      );
      assert.equal(sb.deliveries().length, 0);
    });

    it('TemplateParam changed after signing → SignatureDoesNotMatch', async () => {
      const body = formBody(smsAuthParams(now())).replace('%22123456%22', '%22654321%22');
      assertGatewayError(
        await request(sb.url, { headers: FORM, body }),
        400,
        'SignatureDoesNotMatch',
      );
    });

    it('a timestamp more than 15 minutes away → 400 InvalidTimeStamp.Expired; exactly 15 is fine', async () => {
      for (const skew of [-(15 * 60 + 1) * 1000, (15 * 60 + 1) * 1000]) {
        assertGatewayError(
          await postSigned(sb, smsAuthParams(T0 + skew)),
          400,
          'InvalidTimeStamp.Expired',
        );
      }
      for (const skew of [-15 * 60 * 1000, 15 * 60 * 1000]) {
        assert.equal(
          (await postSigned(sb, smsAuthParams(now(), { Timestamp: isoSeconds(T0 + skew) }))).json
            .Code,
          'OK',
        );
      }
    });

    it('a malformed Timestamp → 400 InvalidTimeStamp.Format', async () => {
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { Timestamp: '2026-03-01 08:00:00' })),
        400,
        'InvalidTimeStamp.Format',
      );
    });

    it('a nonce reused within 31 minutes → 400 SignatureNonceUsed, also across actions; fine again after 31 minutes', async () => {
      const nonce = 'sms-auth-nonce';
      assert.equal(
        (await postSigned(sb, smsAuthParams(now(), { SignatureNonce: nonce }))).json.Code,
        'OK',
      );
      now.advance(30 * 60 * 1000);
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { SignatureNonce: nonce })),
        400,
        'SignatureNonceUsed',
      );
      const sms = await postSigned(sb, smsParams(now(), { SignatureNonce: nonce }));
      assert.equal(sms.json.Code, 'SignatureNonceUsed');
      now.advance(60 * 1000 + 1);
      assert.equal(
        (await postSigned(sb, smsAuthParams(now(), { SignatureNonce: nonce }))).json.Code,
        'OK',
      );
    });

    it('a badly signed request does not burn its nonce', async () => {
      const params = smsAuthParams(now(), { SignatureNonce: 'kept' });
      assertGatewayError(
        await postSigned(sb, params, { secret: 'wrong' }),
        400,
        'SignatureDoesNotMatch',
      );
      assert.equal((await postSigned(sb, params)).json.Code, 'OK');
    });

    it('STS: the right SecurityToken is accepted; missing, wrong, or sent with a permanent key is refused', async () => {
      const sts = (extra) => smsAuthParams(now(), { AccessKeyId: STS_KEY_ID, ...extra });
      assert.equal(
        (await postSigned(sb, sts({ SecurityToken: STS_TOKEN }), { secret: STS_SECRET })).json.Code,
        'OK',
      );
      assert.equal(sb.deliveries()[0].params.SecurityToken, STS_TOKEN);
      assertGatewayError(
        await postSigned(sb, sts({}), { secret: STS_SECRET }),
        400,
        'MissingSecurityToken',
      );
      assertGatewayError(
        await postSigned(sb, sts({ SecurityToken: 'other' }), { secret: STS_SECRET }),
        400,
        'InvalidSecurityToken.MismatchWithAccessKey',
      );
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { SecurityToken: STS_TOKEN })),
        400,
        'InvalidSecurityToken.MismatchWithAccessKey',
      );
    });

    it('an unknown AccessKeyId → 404 InvalidAccessKeyId.NotFound; an inactive one → 400 InvalidAccessKeyId.Inactive', async () => {
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { AccessKeyId: 'nobody' })),
        404,
        'InvalidAccessKeyId.NotFound',
      );
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { AccessKeyId: 'inactive-key' }), {
          secret: 'x',
        }),
        400,
        'InvalidAccessKeyId.Inactive',
      );
    });

    it('SignatureMethod HMAC-SHA256 → 400 IncompleteSignature; missing SignatureNonce → MissingParameter', async () => {
      assertGatewayError(
        await postSigned(sb, smsAuthParams(now(), { SignatureMethod: 'HMAC-SHA256' })),
        400,
        'IncompleteSignature',
      );
      const params = smsAuthParams(now());
      delete params.SignatureNonce;
      assertGatewayError(await postSigned(sb, params), 400, 'MissingParameter');
    });
  });
});

describe('SendSmsVerifyCode faults', () => {
  let sb;
  before(async () => {
    sb = await startSandbox({ credentials: CREDENTIALS });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  it("the table has the reference's five codes at HTTP 400, and biz.FREQUENCY", () => {
    for (const code of [
      'MOBILE_NUMBER_ILLEGAL',
      'BUSINESS_LIMIT_CONTROL',
      'FREQUENCY_FAIL',
      'INVALID_PARAMETERS',
      'FUNCTION_NOT_OPENED',
    ]) {
      assert.deepEqual([lookupCode(code).status, lookupCode(code).products], [400, ['pnvs']], code);
    }
    assert.equal(lookupCode('biz.FREQUENCY').status, 200);
    // The gateway codes apply to this product too.
    assert.ok(codeFitsProduct('SignatureDoesNotMatch', 'pnvs'));
    assert.equal(codeFitsProduct('isv.DAY_LIMIT_CONTROL', 'pnvs'), false);
    assert.equal(codeFitsProduct('InvalidSendMail.Spam', 'pnvs'), false);
  });

  for (const { code, status } of FITTING) {
    it(`registered error ${code} → HTTP ${status} in Aliyun's shape, nothing delivered`, async () => {
      sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'error', code });
      const res = await postSigned(sb, smsAuthParams(Date.now()));
      assertAnswerFor(res, code);
      assert.equal(res.json.Message, lookupCode(code).message);
      assert.equal(sb.deliveries().length, 0);
      const [r] = sb.requests();
      assert.deepEqual(
        [r.action, r.outcome, r.status, r.code, r.fault.source],
        ['SendSmsVerifyCode', 'fault', status, code, 'registered'],
      );
    });
  }

  for (const { code } of PNVS) {
    it(`text trigger 13800000000+fault-${code} → ${code}`, async () => {
      const res = await postSigned(
        sb,
        smsAuthParams(Date.now(), { PhoneNumber: `13800000000+fault-${code.toLowerCase()}` }),
      );
      assertAnswerFor(res, code);
      assert.equal(sb.requests()[0].fault.source, 'recipient');
    });
  }

  const digitRows = Object.entries(PHONE_TRIGGERS).filter(
    ([, row]) => row.code && codeFitsProduct(row.code, 'pnvs'),
  );
  for (const [pair, { code }] of digitRows) {
    it(`digit trigger 1999${pair}… → ${code}`, async () => {
      const number = phoneTrigger('SendSmsVerifyCode', code);
      assert.equal(number, `1999${pair}00000`);
      const res = await postSigned(sb, smsAuthParams(Date.now(), { PhoneNumber: number }));
      assertAnswerFor(res, code);
      assert.deepEqual(sb.requests()[0].fault, { mode: 'error', code, source: 'recipient' });
    });
  }

  it('every code only this product returns has a digit trigger', () => {
    for (const { code } of allCodes().filter((row) => row.product === 'pnvs')) {
      assert.ok(phoneTrigger('SendSmsVerifyCode', code), code);
    }
  });

  it('the digit triggers are mainland mobiles, so the connector sends them', () => {
    for (const [pair, row] of Object.entries(PHONE_TRIGGERS)) {
      const number = phoneTrigger('SendSmsVerifyCode', row.code ?? row.mode);
      if (number) assert.match(number, /^1[3-9]\d{9}$/, pair);
    }
  });

  it("a 1999NN row of another product, or an unassigned one, is an ordinary number; 999NN is none of this product's", async () => {
    assert.equal(
      (await postSigned(sb, smsAuthParams(Date.now(), { PhoneNumber: '19993100000' }))).json.Code,
      'OK',
    ); // isv.DAY_LIMIT_CONTROL
    assert.equal(
      (await postSigned(sb, smsAuthParams(Date.now(), { PhoneNumber: '19999900000' }))).json.Code,
      'OK',
    );
    // 999… is not a mainland number: refused by validation, not by a fault.
    const res = await postSigned(sb, smsAuthParams(Date.now(), { PhoneNumber: '99952000000' }));
    assert.equal(res.json.Code, 'MOBILE_NUMBER_ILLEGAL');
    assert.equal(sb.requests().at(-1).fault, null);
  });

  it("this product's codes never fire on SendSms or SingleSendMail, by trigger or by an unscoped fault", async () => {
    assert.equal(
      (await postSigned(sb, smsParams(Date.now(), { PhoneNumbers: '99952000000' }))).json.Code,
      'OK',
    );
    // Not a trigger there, so the number is simply invalid for SendSms.
    const text = await postSigned(
      sb,
      smsParams(Date.now(), { PhoneNumbers: '13800000000+fault-FREQUENCY_FAIL' }),
    );
    assert.equal(text.json.Code, 'isv.MOBILE_NUMBER_ILLEGAL');
    assert.equal(sb.requests().at(-1).fault, null);
    assert.equal(
      (
        await postSigned(
          sb,
          dmParams(Date.now(), { ToAddress: 'fault-biz.FREQUENCY@sandbox.test' }),
        )
      ).status,
      200,
    );
    sb.addFault({ code: 'FUNCTION_NOT_OPENED' });
    assert.equal((await postSigned(sb, smsParams(Date.now()))).json.Code, 'OK');
    assert.equal((await postSigned(sb, dmParams(Date.now()))).status, 200);
    assertGatewayError(await postSigned(sb, smsAuthParams(Date.now())), 400, 'FUNCTION_NOT_OPENED');
  });

  it('addFault refuses codes the action cannot return', () => {
    assert.throws(
      () =>
        normalizeFault({ match: { action: 'SendSmsVerifyCode' }, code: 'isv.DAY_LIMIT_CONTROL' }),
      /cannot be returned by SendSmsVerifyCode/,
    );
    assert.throws(
      () => normalizeFault({ match: { action: 'SendSms' }, code: 'FREQUENCY_FAIL' }),
      /cannot be returned by SendSms/,
    );
    assert.throws(
      () => normalizeFault({ match: { action: 'SingleSendMail' }, code: 'biz.FREQUENCY' }),
      /cannot be returned by SingleSendMail/,
    );
    assert.equal(
      normalizeFault({ match: { action: 'SendSmsVerifyCode' }, code: 'isv.AMOUNT_NOT_ENOUGH' })
        .code,
      'isv.AMOUNT_NOT_ENOUGH',
    );
  });

  it('match.to matches the national number and the +86 form', async () => {
    sb.addFault({ match: { to: '+8613012345678' }, code: 'FREQUENCY_FAIL', times: 1 });
    sb.addFault({
      match: { action: 'SendSmsVerifyCode', to: '13012345678' },
      code: 'BUSINESS_LIMIT_CONTROL',
      times: 1,
    });
    assert.equal((await postSigned(sb, smsAuthParams(Date.now()))).json.Code, 'FREQUENCY_FAIL');
    assert.equal(
      (await postSigned(sb, smsAuthParams(Date.now()))).json.Code,
      'BUSINESS_LIMIT_CONTROL',
    );
    assert.equal((await postSigned(sb, smsAuthParams(Date.now()))).json.Code, 'OK');
  });

  it('faults fire after authentication: a bad signature is still SignatureDoesNotMatch; a faulted nonce is used up', async () => {
    sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'reset', times: 1 });
    const bad = await postSigned(sb, smsAuthParams(Date.now()), { secret: 'wrong' });
    assert.equal(bad.json.Code, 'SignatureDoesNotMatch');
    assert.equal(sb.faults().length, 1);
    sb.clearFaults();
    sb.addFault({ match: { action: 'SendSmsVerifyCode' }, code: 'FREQUENCY_FAIL', times: 1 });
    const params = smsAuthParams(Date.now());
    assert.equal((await postSigned(sb, params)).json.Code, 'FREQUENCY_FAIL');
    assert.equal((await postSigned(sb, params)).json.Code, 'SignatureNonceUsed');
  });

  describe('modes', () => {
    it('html502 → 502 HTML', async () => {
      const res = await post(
        sb,
        smsAuthParams(Date.now(), { PhoneNumber: phoneTrigger('SendSmsVerifyCode', 'html502') }),
      );
      assert.equal(res.status, 502);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.match(await res.text(), /<h1>502 Bad Gateway<\/h1>/);
      assert.equal(sb.deliveries().length, 0);
    });

    it("truncated → 200 with the first half of this action's success body", async () => {
      sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'truncated' });
      const res = await post(sb, smsAuthParams(Date.now()));
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(text.startsWith('{"Message":"成功","RequestId":"'), text);
      assert.throws(() => JSON.parse(text), SyntaxError);
      assert.equal(sb.deliveries().length, 0);
    });

    it('nonjson → 200 text/plain that is not JSON', async () => {
      const res = await post(
        sb,
        smsAuthParams(Date.now(), { PhoneNumber: phoneTrigger('SendSmsVerifyCode', 'nonjson') }),
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/plain/);
      const text = await res.text();
      assert.throws(() => JSON.parse(text), SyntaxError);
    });

    it('empty500 → 500 with an empty body', async () => {
      const res = await post(
        sb,
        smsAuthParams(Date.now(), { PhoneNumber: phoneTrigger('SendSmsVerifyCode', 'empty500') }),
      );
      assert.equal(res.status, 500);
      assert.equal(await res.text(), '');
    });

    it('echo → 500 text/plain quoting the request (by trigger: the raw form body)', async () => {
      const params = smsAuthParams(Date.now(), {
        PhoneNumber: phoneTrigger('SendSmsVerifyCode', 'echo'),
      });
      const res = await post(sb, params);
      assert.equal(res.status, 500);
      assert.match(res.headers.get('content-type'), /^text\/plain/);
      assert.equal(await res.text(), formBody(params));
      assert.deepEqual(sb.requests()[0].fault, { mode: 'echo', code: null, source: 'recipient' });
    });

    it("echo json, and an error with echo: Aliyun's message followed by the request", async () => {
      sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'echo', echo: 'json', times: 1 });
      const params = smsAuthParams(Date.now());
      const res = await post(sb, params);
      assert.deepEqual(JSON.parse(await res.text()), {
        ...params,
        Signature: sign('POST', params, SECRET).signature,
      });
      sb.addFault({
        match: { action: 'SendSmsVerifyCode' },
        code: 'biz.FREQUENCY',
        echo: 'decoded',
        times: 1,
      });
      const err = await postSigned(sb, smsAuthParams(Date.now()));
      assertBusiness200(err, 'biz.FREQUENCY');
      assert.ok(
        err.json.Message.startsWith('check frequency failed The request was: '),
        err.json.Message,
      );
      assert.ok(
        err.json.Message.includes('TemplateParam: {"code":"123456","min":"10"}'),
        err.json.Message,
      );
    });

    it('reset → the connection is dropped, nothing delivered', async () => {
      await assert.rejects(
        post(
          sb,
          smsAuthParams(Date.now(), { PhoneNumber: phoneTrigger('SendSmsVerifyCode', 'reset') }),
        ),
        TypeError,
      );
      assert.equal(sb.deliveries().length, 0);
      assert.deepEqual(
        sb.requests().map((r) => [r.outcome, r.status, r.code]),
        [['fault', null, 'reset']],
      );
    });

    it('hang → no answer until the client gives up; nothing delivered', async () => {
      const params = smsAuthParams(Date.now(), {
        PhoneNumber: phoneTrigger('SendSmsVerifyCode', 'hang'),
      });
      await assert.rejects(
        post(sb, params, { signal: AbortSignal.timeout(200) }),
        (e) => e.name === 'TimeoutError',
      );
      assert.equal(sb.deliveries().length, 0);
      assert.deepEqual(
        sb.requests().map((r) => [r.outcome, r.status, r.code]),
        [['fault', null, 'hang']],
      );
    });

    it('slow → the message is delivered before the (normal) answer arrives', async () => {
      sb.addFault({ match: { action: 'SendSmsVerifyCode' }, mode: 'slow', delayMs: 300 });
      let answered = false;
      const resP = post(sb, smsAuthParams(Date.now())).then((res) => {
        answered = true;
        return res;
      });
      const delivered = await sb.waitForDelivery((d) => d.kind === 'sms-auth', { timeoutMs: 5000 });
      assert.equal(answered, false);
      const body = await (await resP).json();
      assert.equal(body.Code, 'OK');
      assert.equal(body.Model.BizId, delivered.bizId);
      assert.equal(sb.requests()[0].fault.mode, 'slow');
    });

    it('slow by digit trigger: 199903… delivers and answers OK', async () => {
      const own = await startSandbox({ credentials: CREDENTIALS });
      try {
        const number = phoneTrigger('SendSmsVerifyCode', 'slow');
        const resP = post(own, smsAuthParams(Date.now(), { PhoneNumber: number }));
        await own.waitForDelivery((d) => d.phoneNumber === number, { timeoutMs: 5000 });
        assert.equal((await (await resP).json()).Code, 'OK');
      } finally {
        await own.close();
      }
    });
  });
});

describe('SendSmsVerifyCode records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-sms-auth-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the journal keeps the delivery byte for byte and reloads it; ids continue', async () => {
    const journal = join(dir, 'deliveries.jsonl');
    let sb = await startSandbox({ credentials: CREDENTIALS, journal });
    await postSigned(
      sb,
      smsAuthParams(Date.now(), { SignName: '罗格托 인증 😀', TemplateCode: '100003' }),
    );
    await postSigned(sb, smsAuthParams(Date.now(), { PhoneNumber: '123' })); // refused: not journalled
    const before = sb.deliveries();
    await sb.close();

    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1);
    const saved = JSON.parse(lines[0]);
    assert.equal(saved.kind, 'sms-auth');
    assert.equal(
      saved.text,
      `【罗格托 인증 😀】${GIFT_TEMPLATES[100003].replace('${code}', '123456').replace('${min}', '10')}`,
    );
    assert.equal(readFileSync(journal, 'utf8').includes(SECRET), false);

    sb = await startSandbox({ credentials: CREDENTIALS, journal });
    try {
      assert.deepEqual(sb.deliveries(), before);
      await postSigned(sb, smsParams(Date.now()));
      assert.deepEqual(
        sb.deliveries().map((d) => [d.id, d.kind]),
        [
          [1, 'sms-auth'],
          [2, 'sms'],
        ],
      );
    } finally {
      await sb.close();
    }
  });

  it('the inbox API lists them with kind sms-auth, the text as title, filterable by kind and +86 number', async () => {
    const sb = await startSandbox({ credentials: CREDENTIALS });
    try {
      await postSigned(sb, smsParams(Date.now()));
      await postSigned(sb, smsAuthParams(Date.now(), { PhoneNumber: '13912345678' }));
      await postSigned(sb, dmParams(Date.now()));
      const all = (await request(`${sb.url}__sandbox/api/messages?summary=1`, { method: 'GET' }))
        .json;
      assert.deepEqual(
        all.map((m) => [m.id, m.kind]),
        [
          [3, 'email'],
          [2, 'sms-auth'],
          [1, 'sms'],
        ],
      );
      const auth = (
        await request(`${sb.url}__sandbox/api/messages?kind=sms-auth`, { method: 'GET' })
      ).json;
      assert.equal(auth.length, 1);
      assert.deepEqual(auth[0], sb.deliveries()[1]);
      assert.equal(summarize(auth[0]).title, auth[0].text);
      assert.match(auth[0].text, /您的验证码为123456。/);
      const byNumber = (
        await request(
          `${sb.url}__sandbox/api/messages?to=${encodeURIComponent('+8613912345678')}`,
          { method: 'GET' },
        )
      ).json;
      assert.deepEqual(
        byNumber.map((m) => m.id),
        [2],
      );
      const one = await request(`${sb.url}__sandbox/api/messages/2`, { method: 'GET' });
      assert.equal(one.json.verifyCode, '123456');
      const reqs = (await request(`${sb.url}__sandbox/api/requests`, { method: 'GET' })).json;
      assert.deepEqual(
        reqs.map((r) => r.action),
        ['SingleSendMail', 'SendSmsVerifyCode', 'SendSms'],
      );
    } finally {
      await sb.close();
    }
  });

  it('the event stream announces a delivery with kind sms-auth and its text', async () => {
    const sb = await startSandbox({ credentials: CREDENTIALS });
    let stream;
    try {
      const event = await new Promise((resolve, reject) => {
        stream = http.get(`${sb.url}__sandbox/events`, (res) => {
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (chunk) => {
            buffer += chunk;
            const m = /event: message\nid: \d+\ndata: (.*)\n\n/.exec(buffer);
            if (m) resolve(JSON.parse(m[1]));
          });
          // The stream is open once its first bytes arrive: only then send.
          res.once('data', () => postSigned(sb, smsAuthParams(Date.now())).catch(reject));
        });
        stream.on('error', reject);
      });
      assert.equal(event.kind, 'sms-auth');
      assert.equal(event.action, 'SendSmsVerifyCode');
      assert.equal(event.to, '+8613012345678');
      assert.equal(event.title, TEXT_100001);
    } finally {
      stream?.destroy();
      await sb.close();
    }
  });

  it('the inbox page lists the SMS authentication triggers; its script renders the new kind', async () => {
    const sb = await startSandbox({ credentials: CREDENTIALS });
    try {
      const page = await request(`${sb.url}__sandbox/`, { method: 'GET' });
      assert.match(page.text, /<code>199952<\/code><\/td><td>FREQUENCY_FAIL</);
      assert.match(page.text, /<code>99901<\/code> <code>199901<\/code><\/td><td>reset</);
      // A row of one product only lists that product's prefix.
      assert.match(page.text, /<td><code>99931<\/code><\/td><td>isv\.DAY_LIMIT_CONTROL</);
      const js = await request(`${sb.url}__sandbox/inbox.js`, { method: 'GET' });
      assert.match(js.text, /'sms-auth': renderSmsAuth/);
      assert.doesNotThrow(() => new Function(js.text));
    } finally {
      await sb.close();
    }
  });
});

describe('index.mjs exports for connector tests', () => {
  it('names the action, its product and version, and the trigger helpers', () => {
    assert.deepEqual(API.SendSmsVerifyCode, { product: 'pnvs', version: '2017-05-25' });
    assert.equal(ACTIONS.SendSmsVerifyCode, 'pnvs');
    assert.deepEqual(Object.keys(GIFT_TEMPLATES), [
      '100001',
      '100002',
      '100003',
      '100004',
      '100005',
    ]);
    assert.equal(phoneTrigger('SendSmsVerifyCode', 'FREQUENCY_FAIL'), '19995200000');
    assert.equal(phoneTrigger('SendSms', 'reset'), '99901000000');
    assert.equal(phoneTrigger('SendSms', 'FREQUENCY_FAIL'), undefined);
    assert.equal(commonParams('SendSmsVerifyCode', T0).Version, '2017-05-25');
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('its digit-trigger table is PHONE_TRIGGERS, with the prefixes each row works under', () => {
    const rows = {};
    for (const line of readme
      .split('\n')
      .filter((l) => /^ {2}\| \d\d \|/.test(l) || /^ {2}\| \| \| \| \d\d \|/.test(l))) {
      const cells = line
        .trim()
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
      for (let i = 0; i < cells.length; i += 3) {
        if (cells[i])
          rows[cells[i]] = { name: cells[i + 1].replace(/ \(.*\)$/, ''), for: cells[i + 2] };
      }
    }
    const expected = {};
    for (const [pair, row] of Object.entries(PHONE_TRIGGERS)) {
      const sms = !row.code || codeFitsProduct(row.code, 'sms');
      const pnvs = !row.code || codeFitsProduct(row.code, 'pnvs');
      expected[pair] = {
        name: row.code ?? row.mode,
        for: sms && pnvs ? 'both' : sms ? '999' : '1999',
      };
    }
    assert.deepEqual(rows, expected);
  });

  it('its SendSmsVerifyCode code table has every pnvs code with its status', () => {
    for (const row of allCodes().filter((r) => r.products.includes('pnvs'))) {
      // A row of that table names its codes in the first cell.
      const line = readme
        .split('\n')
        .find((l) => l.startsWith('| `') && l.split('|')[1].includes(`\`${row.code}\``));
      assert.ok(line, row.code);
      assert.match(line, new RegExp(`\\| ${row.status}( \\(unverified\\))? \\|`), row.code);
    }
  });
});
