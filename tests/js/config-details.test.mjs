// What Logto's console shows for a config the connector refuses. Logto answers the
// invalid_config ConnectorError with a RequestError whose `details`, the lines under "The
// connector's config is invalid.", exist only for a ZodError of core's own zod or a SyntaxError.
// Each bad config goes through the save path (connector-kit's validateConfig over configGuard,
// as POST /api/connectors does) and the send path (the stored config through getConfig, and the
// Test button's config), and the thrown error through Logto's own mapping (host.requestErrorOf).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  ConnectorError,
  ConnectorErrorCodes,
  TemplateType,
  validateConfig,
} from '@logto/connector-kit';

import {
  accessKeySecret,
  dmConfig,
  dmTemplate,
  smsAuthConfig,
  smsAuthTemplate,
  smsConfig,
  smsTemplate,
} from './fixtures.mjs';
import { requiredUsageTypes, usageTypes } from '../../scripts/config-facts.mjs';
import { internalsOf, kinds, withHostAndSandbox } from './host.mjs';

let host;
let sb;
withHostAndSandbox((started) => ({ host, sb } = started));

const send = {
  'aliyun-dm': { to: 'user@example.com', type: 'SignIn', payload: { code: '123456' } },
  'aliyun-sms': { to: '13912345678', type: 'SignIn', payload: { code: '123456' } },
  'aliyun-sms-auth': { to: '8613912345678', type: 'SignIn', payload: { code: '123456' } },
};
const configOf = {
  'aliyun-dm': (overrides) => dmConfig(sb.url, overrides),
  'aliyun-sms': (overrides) => smsConfig(sb.url, overrides),
  'aliyun-sms-auth': (overrides) => smsAuthConfig(sb.url, overrides),
};
const templateOf = {
  'aliyun-dm': dmTemplate,
  'aliyun-sms': (usageType) => smsTemplate(usageType),
  // One system template for all: a misspelt usage type has none of its own.
  'aliyun-sms-auth': (usageType) => smsAuthTemplate(usageType, '100001'),
};
/** The usage types each config must have, in the order the core lists the missing ones. */
const requiredOf = requiredUsageTypes;

/** The thrown error, which must be the host's ConnectorError; fails if nothing was thrown. */
const caught = async (action) => {
  try {
    await action();
  } catch (error) {
    assert.ok(
      error instanceof ConnectorError,
      `the host's ConnectorError, not ${error?.constructor?.name}`,
    );
    return error;
  }
  assert.fail('the config was accepted');
};

/** Fails if the access key secret is in anything Logto logs or answers for this error. */
const assertNoSecret = (error, seen) => {
  for (const [what, text] of [
    ['ConnectorError message', error.message],
    ['details', seen.details],
    ['message', seen.message],
    ['JSON.stringify(data)', JSON.stringify(seen.data)],
    ['the HTTP body', JSON.stringify(seen.body)],
  ]) {
    assert.ok(!String(text).includes(accessKeySecret), `the secret is in ${what}`);
  }
};

/**
 * What Logto makes of `config` on the save path and on both send paths: the same invalid_config
 * RequestError each time, with a ZodError of core's zod as data and non-empty details, nothing
 * sent, no secret. Returns the details.
 */
const detailsOf = async (
  kind,
  config,
  { viaInput = config !== null && config !== undefined } = {},
) => {
  const { configGuard } = host.factoryOf(kind);
  const paths = {
    save: () => validateConfig(config, configGuard),
    getConfig: async () =>
      (await host.connect(kind, { getConfig: async () => config })).sendMessage(send[kind]),
  };
  if (viaInput) {
    // The Test button: Logto hands the form's config to sendMessage.
    paths.inputConfig = async () => (await host.connect(kind, {})).sendMessage(send[kind], config);
  }
  const seen = {};
  for (const [how, action] of Object.entries(paths)) {
    const error = await caught(action);
    assert.equal(error.code, ConnectorErrorCodes.InvalidConfig, `${how}: ${error.message}`);
    const mapped = host.requestErrorOf(error);
    assert.equal(mapped.status, 400, how);
    assert.equal(mapped.code, 'connector.invalid_config', how);
    assert.equal(mapped.message, "The connector's config is invalid.", how);
    assert.ok(mapped.data instanceof host.ZodError, `${how}: data is a ZodError of core's zod`);
    assert.ok(
      typeof mapped.details === 'string' && mapped.details.length > 0,
      `${how}: details are shown`,
    );
    assert.equal(mapped.body.details, mapped.details, `${how}: the HTTP body carries the details`);
    assert.match(mapped.data.errorDescription, /^Invalid connector config\. /, how);
    assert.deepEqual(
      mapped.body.data.issues,
      mapped.data.issues,
      `${how}: the HTTP body carries the issues`,
    );
    assertNoSecret(error, mapped);
    seen[how] = mapped.details;
  }
  assert.equal(sb.requests().length, 0, 'nothing was sent');
  assert.equal(
    new Set(Object.values(seen)).size,
    1,
    `the same details on every path: ${JSON.stringify(seen)}`,
  );
  return seen.save;
};

test('every kind the build makes is covered here', () => {
  for (const table of [send, configOf, templateOf, requiredOf]) {
    assert.deepEqual(Object.keys(table).sort(), Object.keys(kinds).sort());
  }
});

test("the shared list of Logto's usage types is connector-kit's TemplateType", () => {
  assert.deepEqual([...usageTypes].sort(), Object.values(TemplateType).sort());
});

for (const kind of Object.keys(kinds)) {
  const config = configOf[kind];
  const templates = (types) => types.map(templateOf[kind]);
  const required = requiredOf[kind];
  const usageTypesRule = `needs a template for each of the usage types ${required.join(', ')}`;
  const without = (...types) => required.filter((type) => !types.includes(type));

  // scripts/config-facts.mjs spells out what the core requires; the demo, bench and tests build
  // their configs from it, so it must be exactly the core's list.
  describe(`${kind}: the shared required usage types are the core's`, () => {
    test('templates for exactly those types make a config that is saved and sends', async () => {
      const exact = config({ templates: templates(required) });
      validateConfig(exact, host.factoryOf(kind).configGuard);
      const connector = await host.connect(kind, { getConfig: async () => exact });
      const before = sb.deliveries().length;
      await connector.sendMessage(send[kind]);
      assert.equal(sb.deliveries().length, before + 1, 'the message was delivered');
    });

    test('dropping any one of them is refused as invalid_config', async () => {
      for (const type of required) {
        assert.equal(
          await detailsOf(kind, config({ templates: templates(without(type)) })),
          `Error in key path "templates": (custom) ${usageTypesRule}; missing: ${type}`,
        );
      }
    });
  });

  describe(`${kind}: Logto's details for a refused config`, () => {
    test('a missing required key', async () => {
      const key = kind === 'aliyun-dm' ? 'accountName' : 'signName';
      assert.equal(
        await detailsOf(kind, config({ [key]: undefined })),
        `Error in key path "${key}": (custom) is required (a string)`,
      );
    });

    test('a value of the wrong type', async () => {
      assert.equal(
        await detailsOf(kind, config({ accessKeyId: 42 })),
        'Error in key path "accessKeyId": (custom) must be a string, not a number',
      );
    });

    test('templates missing a usage type', async () => {
      assert.equal(
        await detailsOf(kind, config({ templates: templates(without('Generic')) })),
        `Error in key path "templates": (custom) ${usageTypesRule}; missing: Generic`,
      );
    });

    test('templates missing several usage types: every one is listed', async () => {
      assert.equal(
        await detailsOf(kind, config({ templates: [] })),
        `Error in key path "templates": (custom) ${usageTypesRule}; missing: ${required.join(', ')}`,
      );
      assert.equal(
        await detailsOf(kind, config({ templates: templates(['SignIn', 'Generic']) })),
        `Error in key path "templates": (custom) ${usageTypesRule}; missing: ${without('SignIn', 'Generic').join(', ')}`,
      );
    });

    test('a near-miss usage type: the suggestion is shown', async () => {
      const types = required.map((type) => (type === 'ForgotPassword' ? 'forgot_password' : type));
      const index = types.indexOf('forgot_password');
      assert.equal(
        await detailsOf(kind, config({ templates: templates(types) })),
        `Error in key path "templates": (custom) ${usageTypesRule}; missing: ForgotPassword; ` +
          `templates[${index}].usageType is "forgot_password", did you mean "ForgotPassword"?`,
      );
    });

    test('a nested path becomes zod path segments, array indexes as numbers', async () => {
      const [first, second, ...rest] = templates(required);
      const { broken, field, problem } = {
        'aliyun-dm': {
          broken: { ...second, subject: 7 },
          field: ['subject'],
          problem: 'must be a string, not a number',
        },
        'aliyun-sms': {
          broken: { ...second, templateCode: { overseas: 'SMS_INT_1' } },
          field: ['templateCode', 'china'],
          problem: 'is required (a string)',
        },
        // The official guard: templateCode is a string, the system template's code.
        'aliyun-sms-auth': {
          broken: { ...second, templateCode: 100001 },
          field: ['templateCode'],
          problem: 'must be a string, not a number',
        },
      }[kind];
      assert.equal(
        await detailsOf(kind, config({ templates: [first, broken, ...rest] })),
        `Error in key path "${['templates', 1, ...field].join('.')}": (custom) ${problem}`,
      );
      const error = await caught(() =>
        validateConfig(
          config({ templates: [first, broken, ...rest] }),
          host.factoryOf(kind).configGuard,
        ),
      );
      assert.deepEqual(error.data.issues, [
        { code: 'custom', path: ['templates', 1, ...field], message: problem },
      ]);
    });

    test('a config that is not an object: one line for the root path', async () => {
      assert.equal(
        await detailsOf(kind, null),
        'Error in key path "": (custom) The config must be a JSON object, not null.',
      );
      for (const [value, name] of [
        [[], 'an array'],
        ['{}', 'a string'],
        [42, 'a number'],
        [false, 'a boolean'],
      ]) {
        assert.equal(
          await detailsOf(kind, value),
          `Error in key path "": (custom) The config must be a JSON object, not ${name}.`,
        );
      }
    });

    test('several problems: one line per issue, in order, each naming its path', async () => {
      const bad = config({
        accessKeyId: 42,
        accessKeySecret: undefined,
        templates: 'none',
        timeoutMs: 5,
      });
      const details = await detailsOf(kind, bad);
      const error = await caught(() => validateConfig(bad, host.factoryOf(kind).configGuard));
      const lines = details.split('\n');
      assert.equal(lines.length, error.data.issues.length);
      assert.deepEqual(
        lines.map((line) => line.match(/^Error in key path "([^"]*)": \(custom\) /)?.[1]),
        ['accessKeyId', 'accessKeySecret', 'templates', 'timeoutMs'],
      );
      assert.deepEqual(
        lines,
        error.data.issues.map(
          ({ path: at, message }) => `Error in key path "${at.join('.')}": (custom) ${message}`,
        ),
      );
    });

    test('the secret in the wrong fields is in no details, message or data', async () => {
      // SMS authentication has no regionId (one endpoint): its own added key instead.
      const ownKey = kind === 'aliyun-sms-auth' ? 'codeValidityMinutes' : 'regionId';
      const details = await detailsOf(
        kind,
        config({
          [ownKey]: accessKeySecret,
          endpoint: `http://${accessKeySecret}.example.com/`,
          timeoutMs: accessKeySecret,
          securityToken: 7,
          templates: [{ usageType: accessKeySecret }],
        }),
      );
      for (const key of [ownKey, 'endpoint', 'timeoutMs', 'securityToken', 'templates']) {
        assert.ok(details.includes(`Error in key path "${key}`), `${key} is named:\n${details}`);
      }
    });
  });
}

describe('zod for config errors, never resolved from the package', () => {
  let dir;
  let copy;
  let core;
  let toHostConfigError;
  let pathOf;
  before(async () => {
    // The installed package, copied where only the kit resolves: the kit (a link to the real
    // one) still finds its own zod, an `import('zod')` from the package does not.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'no-zod-'));
    copy = path.join(dir, 'connector-aliyun-dm');
    await fs.cp(host.dirOf('aliyun-dm'), copy, { recursive: true });
    await fs.mkdir(path.join(dir, 'node_modules', '@logto'), { recursive: true });
    await fs.symlink(
      path.dirname(fileURLToPath(import.meta.resolve('@logto/connector-kit/package.json'))),
      path.join(dir, 'node_modules', '@logto', 'connector-kit'),
    );
    ({
      core,
      configError: { toHostConfigError, pathOf },
    } = await internalsOf(copy));
  });
  after(() => dir && fs.rm(dir, { recursive: true, force: true }));

  /** The core's own invalid_config data for a DM config. */
  const coreData = (config) => {
    const result = core.validateConfig('aliyun-dm', config);
    assert.equal(result.ok, false);
    return result.error.data;
  };

  test("the package resolves no zod of its own: its config errors are ZodErrors of the kit's zod, the host's", async () => {
    // The premise: from the package's lib/ `import('zod')` fails.
    await fs.writeFile(
      path.join(copy, 'lib', 'probe.mjs'),
      "export default () => import('zod');\n",
    );
    const { default: probe } = await import(
      pathToFileURL(path.join(copy, 'lib', 'probe.mjs')).href
    );
    await assert.rejects(probe(), { code: 'ERR_MODULE_NOT_FOUND' });

    const data = toHostConfigError(
      coreData(dmConfig('https://dm.aliyuncs.com', { accessKeyId: 42, accountName: undefined })),
    );
    assert.ok(data instanceof host.ZodError, "a ZodError of the host's zod");
    const mapped = host.requestErrorOf(new ConnectorError(ConnectorErrorCodes.InvalidConfig, data));
    assert.match(mapped.details, /Error in key path "accessKeyId": \(custom\) must be a string/);
    assert.match(mapped.details, /Error in key path "accountName": \(custom\) is required/);
  });

  test('without a zod from the kit: a SyntaxError that shows every issue', () => {
    const raw = coreData(
      dmConfig('https://dm.aliyuncs.com', { accessKeyId: 42, accountName: undefined }),
    );
    const data = toHostConfigError(raw, null);
    assert.ok(data instanceof SyntaxError);
    assert.ok(!(data instanceof host.ZodError));
    const mapped = host.requestErrorOf(new ConnectorError(ConnectorErrorCodes.InvalidConfig, data));
    assert.equal(
      mapped.details,
      'accessKeyId: must be a string, not a number\naccountName: is required (a string)',
    );
    assert.equal(mapped.body.details, mapped.details);
    assert.equal(data.errorDescription, raw.errorDescription);
    assert.deepEqual(data.issues, [
      { code: 'custom', path: ['accessKeyId'], message: 'must be a string, not a number' },
      { code: 'custom', path: ['accountName'], message: 'is required (a string)' },
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(data)), {
      errorDescription: raw.errorDescription,
      issues: data.issues,
    });
    assertNoSecret(new ConnectorError(ConnectorErrorCodes.InvalidConfig, data), mapped);

    const root = toHostConfigError(coreData(null), null);
    assert.equal(
      host.requestErrorOf(new ConnectorError(ConnectorErrorCodes.InvalidConfig, root)).details,
      'The config must be a JSON object, not null.',
    );
  });

  test('a ZodError that cannot be constructed also falls back to the SyntaxError', () => {
    const refusing = class {
      constructor() {
        throw new TypeError('not this zod');
      }
    };
    const data = toHostConfigError(coreData({}), refusing);
    assert.ok(data instanceof SyntaxError);
    assert.match(
      data.message,
      /^accessKeyId: is required \(a string\)\naccessKeySecret: is required/,
    );
  });

  test('pathOf, and data that holds no issues passes through untouched', () => {
    assert.deepEqual(pathOf('templates[12].templateCode.china'), [
      'templates',
      12,
      'templateCode',
      'china',
    ]);
    assert.deepEqual(pathOf('accessKeyId'), ['accessKeyId']);
    assert.deepEqual(pathOf(''), []);
    const provider = { errorDescription: 'Wrong AccessKey secret', Code: 'SignatureDoesNotMatch' };
    assert.equal(toHostConfigError(provider), provider);
  });
});
