// Shared test data and assertions for the node --test suites: configs shaped like the official
// connectors' (plus `endpoint` → the sandbox), a sandbox with one registered AccessKey, and the
// checks every error test makes (host ConnectorError class, code, no secret anywhere).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { ConnectorError } from '@logto/connector-kit';

import { startSandbox } from '../../sandbox/index.mjs';
import { configTemplate, requiredUsageTypes, usageTypes } from '../../scripts/config-facts.mjs';

// Random per run and long enough to be unmistakable when searched for in error output.
export const accessKeyId = 'LTAI5tTestKeyId0001';
export const accessKeySecret = `secret-${randomBytes(18).toString('hex')}`;

/** Every usage type Logto sends. */
export const templateTypes = usageTypes;

/** The usage types a Direct Mail or SMS config must have (Logto's requiredTemplateUsageTypes). */
export const requiredTypes = requiredUsageTypes['aliyun-dm'];

/** A sandbox that knows our AccessKey; closed by the caller (`after(() => sb.close())`). */
export const sandbox = (options = {}) =>
  startSandbox({
    host: '127.0.0.1',
    port: 0,
    credentials: { [accessKeyId]: { secret: accessKeySecret } },
    ...options,
  });

/** A DM template per usage type; each subject names its type so the choice is visible. */
export const dmTemplate = (usageType) => ({
  usageType,
  subject: `[${usageType}] 验证码 {{code}}`,
  content: `<p>[${usageType}] 您的验证码是 <b>{{code}}</b>。</p>`,
});

export const dmConfig = (endpoint, overrides = {}) => ({
  accessKeyId,
  accessKeySecret,
  accountName: 'no-reply@mail.example.com',
  fromAlias: 'Example',
  endpoint,
  templates: requiredTypes.map(dmTemplate),
  ...overrides,
});

export const smsTemplate = (
  usageType,
  templateCode = { china: `SMS_CN_${usageType}`, overseas: `SMS_INT_${usageType}` },
) => ({
  usageType,
  templateCode,
});

export const smsConfig = (endpoint, overrides = {}) => ({
  accessKeyId,
  accessKeySecret,
  signName: '示例签名',
  endpoint,
  templates: requiredUsageTypes['aliyun-sms'].map((usageType) => smsTemplate(usageType)),
  ...overrides,
});

/**
 * The usage types an SMS authentication config must have a template for: all nine, in the
 * order the official guard (and ours) lists the missing ones.
 */
export const smsAuthRequiredTypes = requiredUsageTypes['aliyun-sms-auth'];

/** The official README's system template for each usage type, as the package's example has it. */
export const smsAuthTemplateCodes = Object.freeze(
  Object.fromEntries(
    configTemplate('aliyun-sms-auth').templates.map(({ usageType, templateCode }) => [
      usageType,
      templateCode,
    ]),
  ),
);

export const smsAuthTemplate = (usageType, templateCode = smsAuthTemplateCodes[usageType]) => ({
  usageType,
  templateCode,
});

/** SMS authentication: a gift signature and the system templates, as the official README has. */
export const smsAuthConfig = (endpoint, overrides = {}) => ({
  accessKeyId,
  accessKeySecret,
  signName: '速通互联验证码',
  endpoint,
  templates: templateTypes.map((usageType) => smsAuthTemplate(usageType)),
  ...overrides,
});

/** The newest delivery and the request log entry that produced it. */
export const lastDelivery = (sb) => {
  const delivery = sb.deliveries().at(-1);
  assert.ok(delivery, 'the sandbox recorded no delivery');
  return delivery;
};

// Everything about an error that could reach a log or an HTTP answer.
const errorText = (error) =>
  [
    String(error?.message),
    String(error?.stack),
    JSON.stringify(error?.data ?? null),
    JSON.stringify(error),
  ].join('\n');

/** Fails if the secret appears anywhere in the error. */
export const assertNoSecret = (error, secret = accessKeySecret) => {
  assert.ok(!errorText(error).includes(secret), 'the access key secret leaked into an error');
};

/**
 * Awaits `promise`, expects it to reject with the host's ConnectorError of `code`, checks that
 * the secret is nowhere in it, and returns the error for further checks.
 */
export const rejectsWith = async (promise, code) => {
  let caught;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a ConnectorError(${code}), but the call succeeded`);
  assert.ok(
    caught instanceof ConnectorError,
    `expected the host's ConnectorError, got ${caught?.constructor?.name}: ${caught?.message}`,
  );
  assert.equal(caught.code, code, `code (data: ${JSON.stringify(caught.data)})`);
  assert.equal(typeof caught.data?.errorDescription, 'string', 'data.errorDescription is a string');
  assertNoSecret(caught);
  return caught;
};

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
