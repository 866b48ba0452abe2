// Test helpers: an independent, minimal Aliyun V1 signer (encodeURIComponent + the documented
// fix-ups, NOT the sandbox's byte-level encoder), so that the server's verification is checked
// against a second implementation. Both are pinned to the published vectors in signature.test.mjs.
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export const KEY_ID = 'test-key-id';
export const SECRET = 'test-key-secret';
export const STS_KEY_ID = 'STS.test-key';
export const STS_SECRET = 'sts-secret';
export const STS_TOKEN = 'sts-token-123';
export const T0 = Date.parse('2026-03-01T08:00:00Z');

export const CREDENTIALS = {
  [KEY_ID]: { secret: SECRET },
  [STS_KEY_ID]: { secret: STS_SECRET, securityToken: STS_TOKEN },
  'inactive-key': { secret: 'x', inactive: true },
};

/** A controllable clock. */
export function fakeClock(start = T0) {
  let t = start;
  const now = () => t;
  now.set = (v) => {
    t = v;
  };
  now.advance = (ms) => {
    t += ms;
  };
  return now;
}

export function pe(s) {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function sign(method, params, secret) {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${pe(k)}=${pe(params[k])}`)
    .join('&');
  const sts = `${method}&%2F&${pe(canonical)}`;
  return {
    signature: createHmac('sha1', `${secret}&`).update(sts).digest('base64'),
    stringToSign: sts,
  };
}

export function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const VERSIONS = {
  SingleSendMail: '2015-11-23',
  SendSms: '2017-05-25',
  SendSmsVerifyCode: '2017-05-25',
};

export function commonParams(action, nowMs, overrides = {}) {
  return {
    AccessKeyId: KEY_ID,
    Action: action,
    Format: 'json',
    RegionId: 'cn-hangzhou',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: isoSeconds(nowMs),
    Version: VERSIONS[action] ?? '2015-11-23',
    ...overrides,
  };
}

export function dmParams(nowMs, overrides = {}) {
  return {
    ...commonParams('SingleSendMail', nowMs),
    AccountName: 'noreply@mail.example.com',
    AddressType: '1',
    ReplyToAddress: 'false',
    ToAddress: 'alice@example.com',
    Subject: 'Your code',
    HtmlBody: '<p>Your code is <b>123456</b></p>',
    FromAlias: 'Logto',
    ...overrides,
  };
}

export function smsParams(nowMs, overrides = {}) {
  return {
    ...commonParams('SendSms', nowMs),
    PhoneNumbers: '13800000000',
    SignName: 'Logto',
    TemplateCode: 'SMS_123456',
    TemplateParam: '{"code":"123456"}',
    ...overrides,
  };
}

/** SendSmsVerifyCode with the parameters Logto's official connector sends (sms-auth-official-request.json). */
export function smsAuthParams(nowMs, overrides = {}) {
  return {
    ...commonParams('SendSmsVerifyCode', nowMs),
    CountryCode: '86',
    PhoneNumber: '13012345678',
    SignName: '速通互联验证码',
    TemplateCode: '100001',
    TemplateParam: '{"code":"123456","min":"10"}',
    ...overrides,
  };
}

/** Form body with the signature appended, every parameter encoded like Logto does. */
export function formBody(params, secret = SECRET, method = 'POST') {
  const withSig = { ...params, Signature: sign(method, params, secret).signature };
  return Object.entries(withSig)
    .map(([k, v]) => `${pe(k)}=${pe(v)}`)
    .join('&');
}

/**
 * Low-level request (node:http) so tests can set any Host header and see exactly what came back.
 * @returns {Promise<{ status, headers, text, json }>}
 */
export function request(
  url,
  { method = 'POST', headers = {}, body = '', ca, timeoutMs = 10000 } = {},
) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      { method, headers: { ...headers }, ca, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** POST a signed form to the sandbox. */
export function postSigned(sb, params, { secret = SECRET, headers = {}, path = '' } = {}) {
  return request(sb.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: formBody(params, secret),
  });
}
