// The signature module against the published vectors (/work/shared CONVENTIONS.md §5,
// aliyun-facts.md §1.4) and the RFC 3986 encoding rules of
// https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalQuery,
  computeSignature,
  percentEncode,
  signedForm,
  stringToSign,
  verifySignature,
} from '../signature.mjs';
import { parseForm } from '../form.mjs';
import { sign } from './helpers.mjs';

// Alibaba Cloud's documented DescribeRegions example.
const DESCRIBE_REGIONS = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26',
};

// Logto's connector-aliyun-dm unit-test parameters (mock.ts + utils.test.ts).
const LOGTO_DM = {
  AccessKeyId: 'testid',
  AccountName: "<a%b'>",
  Action: 'SingleSendMail',
  AddressType: '1',
  Format: 'XML',
  HtmlBody: '4',
  RegionId: 'cn-hangzhou',
  ReplyToAddress: 'true',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: 'c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c',
  SignatureVersion: '1.0',
  Subject: '3',
  TagName: '2',
  Timestamp: '2016-10-20T06:27:56Z',
  ToAddress: '1@test.com',
  Version: '2015-11-23',
};

// What @logto/connector-aliyun-sms-mas 1.1.2 sent for one SendSmsVerifyCode, with the secret
// "testAccessKeySecret"; its signature was also recomputed by a third, independent signer.
const OFFICIAL_SMS_AUTH = {
  Action: 'SendSmsVerifyCode',
  Format: 'json',
  RegionId: 'cn-hangzhou',
  SignatureMethod: 'HMAC-SHA1',
  SignatureVersion: '1.0',
  Version: '2017-05-25',
  AccessKeyId: 'LTAI5tTestAccessKeyId',
  CountryCode: '86',
  PhoneNumber: '13012345678',
  SignName: '速通互联验证码',
  TemplateCode: '100001',
  TemplateParam: '{"code":"123456","min":"10"}',
  SignatureNonce: 'f78a3bcb-fba8-485c-b273-81629ac9cc3b',
  Timestamp: '2026-12-06T04:35:35Z',
};

describe('signature vectors', () => {
  it("SendSmsVerifyCode POST as Logto's official connector signed it → 8EhB/34sKXodtiyu0LylO7RUaOk=", () => {
    assert.equal(
      canonicalQuery(OFFICIAL_SMS_AUTH),
      'AccessKeyId=LTAI5tTestAccessKeyId&Action=SendSmsVerifyCode&CountryCode=86&Format=json&PhoneNumber=13012345678' +
        '&RegionId=cn-hangzhou&SignName=%E9%80%9F%E9%80%9A%E4%BA%92%E8%81%94%E9%AA%8C%E8%AF%81%E7%A0%81' +
        '&SignatureMethod=HMAC-SHA1&SignatureNonce=f78a3bcb-fba8-485c-b273-81629ac9cc3b&SignatureVersion=1.0' +
        '&TemplateCode=100001&TemplateParam=%7B%22code%22%3A%22123456%22%2C%22min%22%3A%2210%22%7D' +
        '&Timestamp=2026-12-06T04%3A35%3A35Z&Version=2017-05-25',
    );
    assert.ok(
      stringToSign('POST', OFFICIAL_SMS_AUTH).startsWith(
        'POST&%2F&AccessKeyId%3DLTAI5tTestAccessKeyId%26Action%3DSendSmsVerifyCode%26',
      ),
    );
    assert.equal(
      computeSignature('POST', OFFICIAL_SMS_AUTH, 'testAccessKeySecret'),
      '8EhB/34sKXodtiyu0LylO7RUaOk=',
    );
    assert.equal(
      sign('POST', OFFICIAL_SMS_AUTH, 'testAccessKeySecret').signature,
      '8EhB/34sKXodtiyu0LylO7RUaOk=',
    );
  });

  it('DescribeRegions GET, testsecret → OLeaidS1JvxuMvnyHOwuJ+uX5qY=', () => {
    assert.equal(
      canonicalQuery(DESCRIBE_REGIONS),
      'AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1' +
        '&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0' +
        '&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26',
    );
    assert.equal(
      stringToSign('GET', DESCRIBE_REGIONS),
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    assert.equal(
      computeSignature('GET', DESCRIBE_REGIONS, 'testsecret'),
      'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    );
  });

  it('Logto SingleSendMail POST → llJfXJjBW3OacrVgxxsITgYaYm0=, GET → xviVKkGNJBEG2sDODpEU9KpUfhE=', () => {
    assert.match(canonicalQuery(LOGTO_DM), /AccountName=%3Ca%25b%27%3E&/);
    assert.match(stringToSign('POST', LOGTO_DM), /AccountName%3D%253Ca%2525b%2527%253E%26/);
    assert.equal(computeSignature('POST', LOGTO_DM, 'testsecret'), 'llJfXJjBW3OacrVgxxsITgYaYm0=');
    assert.equal(computeSignature('GET', LOGTO_DM, 'testsecret'), 'xviVKkGNJBEG2sDODpEU9KpUfhE=');
  });

  it('the test helper signer agrees with both vectors (it is an independent implementation)', () => {
    assert.equal(
      sign('GET', DESCRIBE_REGIONS, 'testsecret').signature,
      'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    );
    assert.equal(sign('POST', LOGTO_DM, 'testsecret').signature, 'llJfXJjBW3OacrVgxxsITgYaYm0=');
  });

  it('Signature itself is never part of what is signed', () => {
    const withSig = { ...LOGTO_DM, Signature: 'whatever' };
    assert.equal(computeSignature('POST', withSig, 'testsecret'), 'llJfXJjBW3OacrVgxxsITgYaYm0=');
  });
});

describe('percentEncode (RFC 3986, UTF-8, uppercase hex)', () => {
  const cases = [
    ['AZaz09-_.~', 'AZaz09-_.~'],
    [' ', '%20'],
    ['+', '%2B'],
    ['*', '%2A'],
    ["!'()", '%21%27%28%29'],
    ['/=&%', '%2F%3D%26%25'],
    ['中', '%E4%B8%AD'],
    ['한', '%ED%95%9C'],
    ['😀', '%F0%9F%98%80'],
    ['é', '%C3%A9'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () =>
      assert.equal(percentEncode(input), expected));
  }
});

describe('canonical order', () => {
  it('sorts names by byte order: uppercase before lowercase', () => {
    assert.equal(canonicalQuery({ b: '1', B: '2', a: '3', A: '4' }), 'A=4&B=2&a=3&b=1');
  });
});

describe('verifySignature', () => {
  it('accepts the right signature and reports the string to sign', () => {
    const params = { ...LOGTO_DM, Signature: 'llJfXJjBW3OacrVgxxsITgYaYm0=' };
    const r = verifySignature('POST', params, 'testsecret');
    assert.equal(r.ok, true);
    assert.equal(r.stringToSign, stringToSign('POST', LOGTO_DM));
  });

  it('rejects a wrong secret, a wrong method, a tampered value, a missing or short signature', () => {
    const good = { ...LOGTO_DM, Signature: 'llJfXJjBW3OacrVgxxsITgYaYm0=' };
    assert.equal(verifySignature('POST', good, 'other').ok, false);
    assert.equal(verifySignature('GET', good, 'testsecret').ok, false);
    assert.equal(verifySignature('POST', { ...good, Subject: '4' }, 'testsecret').ok, false);
    assert.equal(verifySignature('POST', { ...LOGTO_DM }, 'testsecret').ok, false);
    assert.equal(verifySignature('POST', { ...good, Signature: 'llJf' }, 'testsecret').ok, false);
  });

  it('signedForm round-trips through the form parser', () => {
    const params = { ...LOGTO_DM, Subject: '验证码 / 인증 코드 😀 a+b c*d~' };
    const parsed = parseForm(signedForm('POST', params, 'testsecret'));
    assert.equal(parsed.Subject, params.Subject);
    assert.equal(verifySignature('POST', parsed, 'testsecret').ok, true);
  });
});
