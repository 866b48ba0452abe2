// Facts about connector configs that scripts, bench and tests share: Logto's usage types, the
// ones each kind needs a template for, and each package's example config. The core enforces the
// rules; tests/js/config-details.test.mjs holds these lists to the built core and to connector-kit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Logto's requiredTemplateUsageTypes, in the order the core lists the missing ones.
const basicUsageTypes = Object.freeze(['Register', 'SignIn', 'ForgotPassword', 'Generic']);

/** Every usage type Logto sends, in the order the SMS authentication core lists missing ones. */
export const usageTypes = Object.freeze([
  ...basicUsageTypes,
  'UserPermissionValidation',
  'BindNewIdentifier',
  'OrganizationInvitation',
  'MfaVerification',
  'BindMfa',
]);

/** The usage types a config of each kind must have a template for. */
export const requiredUsageTypes = Object.freeze({
  'aliyun-dm': basicUsageTypes,
  'aliyun-sms': basicUsageTypes,
  // The official SMS authentication connector needs them all: its system templates cover them.
  'aliyun-sms-auth': usageTypes,
});

/** A fresh copy of packaging/<kind>/docs/config-template.json, the package's example config. */
export const configTemplate = (kind) =>
  JSON.parse(
    readFileSync(path.join(repoRoot, 'packaging', kind, 'docs', 'config-template.json'), 'utf8'),
  );

/**
 * `value` with every string that is a whole `<placeholder>` replaced by `values[placeholder]`;
 * a placeholder with no value is an error, so a new one in a template cannot slip through.
 */
export const fillPlaceholders = (value, values) => {
  if (Array.isArray(value)) {
    return value.map((item) => fillPlaceholders(item, values));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillPlaceholders(item, values)]),
    );
  }
  const name = typeof value === 'string' ? /^<([^<>]+)>$/.exec(value)?.[1] : undefined;
  if (name === undefined) {
    return value;
  }
  if (!Object.hasOwn(values, name)) {
    throw new Error(`no value for the placeholder <${name}>`);
  }
  return values[name];
};
