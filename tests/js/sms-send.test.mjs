// connector-aliyun-sms end to end: Logto's loader → our package → real HTTP → the sandbox.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  accessKeyId,
  lastDelivery,
  requiredTypes,
  smsConfig,
  smsTemplate,
  templateTypes,
  timestampPattern,
  uuidPattern,
} from './fixtures.mjs';
import { withHostAndSandbox } from './host.mjs';

let host;
let sb;
withHostAndSandbox((started) => ({ host, sb } = started));

const connect = (config) => host.connect('aliyun-sms', { config });

describe('SendSms', () => {
  test('sends the official parameters; the Chinese SignName arrives byte for byte', async () => {
    const connector = await connect(smsConfig(sb.url));
    const before = Date.now();
    const result = await connector.sendMessage({
      to: '8613912345678',
      type: 'SignIn',
      payload: { code: '123456', locale: 'zh-CN' },
    });
    const delivery = lastDelivery(sb);
    const { params } = delivery;
    assert.equal(params.Action, 'SendSms');
    assert.equal(params.Version, '2017-05-25');
    assert.equal(params.AccessKeyId, accessKeyId);
    assert.equal(params.PhoneNumbers, '8613912345678');
    assert.ok(
      Buffer.from(params.SignName).equals(Buffer.from('示例签名')),
      `SignName: ${params.SignName}`,
    );
    assert.equal(params.TemplateCode, 'SMS_CN_SignIn');
    assert.equal(params.RegionId, 'cn-hangzhou');
    assert.match(params.Format, /^json$/i);
    assert.equal(params.SignatureMethod, 'HMAC-SHA1');
    assert.equal(params.SignatureVersion, '1.0');
    assert.match(params.Timestamp, timestampPattern);
    assert.ok(Math.abs(Date.parse(params.Timestamp) - before) < 5000);
    assert.match(params.SignatureNonce, uuidPattern);
    assert.deepEqual(result, {
      Code: 'OK',
      Message: 'OK',
      BizId: delivery.bizId,
      RequestId: delivery.requestId,
    });
  });

  test("TemplateParam is the payload without locale (Logto #7121), in the caller's key order", async () => {
    const connector = await connect(smsConfig(sb.url));
    await connector.sendMessage({
      to: '13912345678',
      type: 'Register',
      payload: { locale: 'zh-CN', code: '654321', link: 'abc' },
    });
    assert.equal(lastDelivery(sb).params.TemplateParam, '{"code":"654321","link":"abc"}');
  });

  test('(beyond the official connector) uiLocales and non-string values stay out of TemplateParam', async () => {
    const connector = await connect(smsConfig(sb.url));
    await connector.sendMessage({
      to: '13912345678',
      type: 'SignIn',
      payload: {
        code: '111111',
        uiLocales: 'fr-CA fr',
        locale: 'fr',
        attempt: 2,
        user: { id: 'u1' },
      },
    });
    assert.equal(lastDelivery(sb).params.TemplateParam, '{"code":"111111"}');
  });

  test('every Logto template type, and an unknown one, falls back to Generic when it has no template', async () => {
    const connector = await connect(smsConfig(sb.url));
    for (const type of [...templateTypes, 'SomeFutureType']) {
      await connector.sendMessage({ to: '13912345678', type, payload: { code: '1' } });
      const expected = requiredTypes.includes(type) ? type : 'Generic';
      assert.equal(lastDelivery(sb).templateCode, `SMS_CN_${expected}`, `type ${type}`);
    }
  });

  test('a string templateCode is used for every number', async () => {
    const templates = requiredTypes.map((usageType) =>
      smsTemplate(usageType, `SMS_ONE_${usageType}`),
    );
    const connector = await connect(smsConfig(sb.url, { templates }));
    for (const to of ['13912345678', '85268326366', '14155550123']) {
      await connector.sendMessage({ to, type: 'SignIn', payload: { code: '1' } });
      assert.equal(lastDelivery(sb).templateCode, 'SMS_ONE_SignIn', to);
    }
  });
});

// The official connector's isChinaNumber (connector-aliyun-sms/src/utils.ts):
//   non-strict ^(?:\+86|0086|86)?1\d{10}$    strict ^(?:\+86|0086|86)1\d{10}$
// [number, china when non-strict, china when strict]
const chinaNumberTable = [
  ['13912345678', true, false],
  ['8613912345678', true, true],
  ['+8613912345678', true, true],
  ['008613912345678', true, true],
  ['85268326366', false, false], // Hong Kong: overseas since Logto PR #9111
  // A NANP number (+1 862 …) matches the non-strict pattern, so it gets the china template, as
  // in the official connector (Logto issue #7050); kept for parity, strict mode fixes it.
  ['18624017194', true, false],
  ['14155550123', true, false], // +1 415 …: the same NANP quirk
  ['447911123456', false, false], // United Kingdom
  ['1391234567', false, false], // ten digits: too short for a mainland mobile
  ['861391234567', false, false], // prefixed, but then too short
  ['23912345678', false, false], // mainland mobiles start with 1
];

describe('china / overseas template code selection', () => {
  for (const strict of [false, true]) {
    for (const [to, chinaLoose, chinaStrict] of chinaNumberTable) {
      const china = strict ? chinaStrict : chinaLoose;
      test(`${to} → ${china ? 'china' : 'overseas'}${strict ? ' (strictPhoneRegionNumberCheck)' : ''}`, async () => {
        const connector = await connect(
          smsConfig(sb.url, { strictPhoneRegionNumberCheck: strict }),
        );
        await connector.sendMessage({ to, type: 'SignIn', payload: { code: '1' } });
        const delivery = lastDelivery(sb);
        assert.equal(delivery.to, to);
        assert.equal(delivery.templateCode, china ? 'SMS_CN_SignIn' : 'SMS_INT_SignIn');
      });
    }
  }
});
