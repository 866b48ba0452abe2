// What every contender is given: the kinds and their hosts, the AccessKey, the configs stored in
// Logto and the messages Logto sends. Plain data, cheap to import (tools import it too).
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { configTemplate, requiredUsageTypes } from '../../scripts/config-facts.mjs';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(benchDir, '..');

/**
 * The three kinds: our package, the official package it stands in for, and the host both post
 * to (the official packages have no endpoint setting, so everyone goes to the default host).
 */
export const kinds = Object.freeze({
  'aliyun-dm': {
    short: 'DM',
    packageName: 'connector-aliyun-dm',
    official: '@logto/connector-aliyun-dm',
    host: 'dm.aliyuncs.com',
  },
  'aliyun-sms': {
    short: 'SMS',
    packageName: 'connector-aliyun-sms',
    official: '@logto/connector-aliyun-sms',
    host: 'dysmsapi.aliyuncs.com',
  },
  'aliyun-sms-auth': {
    short: 'SMS auth',
    packageName: 'connector-aliyun-sms-auth',
    official: '@logto/connector-aliyun-sms-mas',
    host: 'dypnsapi.aliyuncs.com',
  },
});
export const kindNames = Object.keys(kinds);
export const hosts = kindNames.map((kind) => kinds[kind].host);
export const urlOf = (kind) => `https://${kinds[kind].host}/`;

/** `name@version` of an installed package (the official contenders, the tools). */
export const installedVersion = (name) =>
  JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'))
    .version;

// ---- credentials and inputs (the same for every contender) -----------------------------
export const accessKeyId = 'LTAI5tBenchKeyId0001';
export const accessKeySecret = `bench-${randomBytes(18).toString('hex')}`;

// The nine usage types with Aliyun's system template codes, from the package's config template.
const smsAuthTemplates = configTemplate('aliyun-sms-auth').templates.map(
  ({ usageType, templateCode }) => ({ usageType, templateCode }),
);

/**
 * The config JSON stored in Logto, shaped as the official connectors want it: no `endpoint`,
 * no `regionId`, none of our extra keys, so ours and the official ones address the same host.
 */
export const configs = (secret = accessKeySecret) => ({
  'aliyun-dm': {
    accessKeyId,
    accessKeySecret: secret,
    accountName: 'no-reply@mail.example.com',
    fromAlias: 'Example',
    templates: requiredUsageTypes['aliyun-dm'].map((usageType) => ({
      usageType,
      subject: `Your ${usageType} code`,
      content: `<p>Your Logto verification code is <b>{{code}}</b>. It will remain active for 10 minutes.</p>`,
    })),
  },
  'aliyun-sms': {
    accessKeyId,
    accessKeySecret: secret,
    signName: 'Logto',
    templates: requiredUsageTypes['aliyun-sms'].map((usageType) => ({
      usageType,
      templateCode: { china: `SMS_CN_${usageType}`, overseas: `SMS_INT_${usageType}` },
    })),
  },
  'aliyun-sms-auth': {
    accessKeyId,
    accessKeySecret: secret,
    signName: '速通互联验证码',
    templates: smsAuthTemplates,
  },
});

/** What Logto passes to sendMessage (a phone number as Logto stores it: digits, country code first). */
export const sendData = {
  'aliyun-dm': { to: 'user@example.com', type: 'SignIn', payload: { code: '123456' } },
  'aliyun-sms': { to: '13800000000', type: 'SignIn', payload: { code: '123456' } },
  'aliyun-sms-auth': { to: '8613800000000', type: 'SignIn', payload: { code: '123456' } },
};

/** Aliyun's success answer for each kind, as the sandbox writes it (for the tools' instant fetch). */
export const answers = {
  'aliyun-dm': () => ({ EnvId: '600000000001', RequestId: randomRequestId() }),
  'aliyun-sms': () => ({
    Code: 'OK',
    Message: 'OK',
    BizId: '900000000001^0',
    RequestId: randomRequestId(),
  }),
  'aliyun-sms-auth': () => ({
    Message: '成功',
    RequestId: randomRequestId(),
    Model: { RequestId: randomUUID(), BizId: '900000000001000000000^0' },
    Code: 'OK',
    Success: true,
  }),
};

function randomRequestId() {
  return randomUUID().toUpperCase();
}

/**
 * The form parameters the official connector sends for `sendData[kind]` (its template rendered,
 * its fixed values), without SignatureNonce and Timestamp: the floor posts these.
 */
export const officialParams = (kind, config = configs()[kind]) => {
  const common = { Format: 'json', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0' };
  const { to, type, payload } = sendData[kind];
  const template = config.templates.find(({ usageType }) => usageType === type);
  const render = (text) => text.replaceAll('{{code}}', payload.code);
  switch (kind) {
    case 'aliyun-dm':
      return {
        Action: 'SingleSendMail',
        ...common,
        Version: '2015-11-23',
        AccessKeyId: config.accessKeyId,
        RegionId: 'cn-hangzhou',
        AccountName: config.accountName,
        ReplyToAddress: 'false',
        AddressType: '1',
        ToAddress: to,
        FromAlias: config.fromAlias,
        Subject: render(template.subject),
        HtmlBody: render(template.content),
      };
    case 'aliyun-sms':
      return {
        Action: 'SendSms',
        ...common,
        Version: '2017-05-25',
        AccessKeyId: config.accessKeyId,
        PhoneNumbers: to,
        SignName: config.signName,
        TemplateCode: template.templateCode.china,
        TemplateParam: JSON.stringify(payload),
      };
    case 'aliyun-sms-auth':
      return {
        Action: 'SendSmsVerifyCode',
        ...common,
        RegionId: 'cn-hangzhou',
        Version: '2017-05-25',
        AccessKeyId: config.accessKeyId,
        CountryCode: '86',
        PhoneNumber: to.replace(/^\+?86/, ''),
        SignName: config.signName,
        TemplateCode: template.templateCode,
        TemplateParam: JSON.stringify({ code: payload.code, min: '10' }),
      };
    default:
      throw new Error(`unknown kind ${kind}`);
  }
};

/**
 * What a Logto process has imported before it loads any connector: connector-kit, zod and got
 * (every official Aliyun connector imports them), and @silverhand/essentials and @logto/shared
 * (imported by the official packages too, and by Logto core's own start-up: main.ts).
 */
export const logtoPreloaded = Object.freeze([
  '@logto/connector-kit',
  'zod',
  'got',
  '@silverhand/essentials',
  '@logto/shared',
]);
