// `npm start -- send`: the console's Test button from a terminal. Loads the built package the
// way Logto does, validates the config with the package's own configGuard (the Rust core), and
// sends one message with it, as Logto's test route does: `sendMessage(data, config)`.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { kinds } from './args.mjs';
import { openLogtoHost, packageNameOf } from './logto-host.mjs';
import { CliError, addSecret, exitCodes, printer } from './output.mjs';
import { preparePackages } from './prepare.mjs';

const out = printer('send');

// Config keys whose values must never reach the terminal.
const secretKeys = ['accessKeySecret', 'securityToken'];

const usage = (message, details) => new CliError(message, { exitCode: exitCodes.usage, details });

/** Line and column of a character offset, for a JSON syntax error. */
const lineAndColumn = (text, offset) => {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1).length + 1}`;
};

/**
 * Parses the config file. V8's JSON errors quote the text around the mistake, which may be
 * the secret itself, so the message is rebuilt from the position alone.
 */
const parseJson = (text, file) => {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(error.message)?.[1];
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`;
    // V8's words without its quote of the text: "Expected ',' or '}' after property value".
    const what =
      /^(.*?) in JSON at position/.exec(error.message)?.[1] ??
      /^(Unexpected (?:end of JSON input|token '.'))/.exec(error.message)?.[1] ??
      'syntax error';
    throw usage(`${file} is not valid JSON${where}: ${what}`);
  }
};

const readConfig = (file) => {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const why = {
      ENOENT: 'no such file',
      EACCES: 'permission denied',
      EISDIR: 'it is a directory',
    }[error.code];
    throw usage(`cannot read the config file ${file}: ${why ?? error.message}`);
  }
  // Editors on Windows like to start JSON with a byte-order mark; JSON.parse does not.
  const config = parseJson(text.replace(/^\uFEFF/, ''), file);
  if (config && typeof config === 'object') {
    for (const key of secretKeys) {
      addSecret(config[key]);
    }
  }
  return config;
};

/**
 * The connector a config is for: --kind, else what its keys say (accountName: Direct Mail;
 * signName: SMS, or SMS authentication when its templates use the system template codes
 * 100001 to 100005, or it has codeValidityMinutes).
 */
const kindOf = (config, given, file) => {
  if (given) {
    return given;
  }
  const isObject = config && typeof config === 'object' && !Array.isArray(config);
  const dm = isObject && 'accountName' in config;
  const sms = isObject && 'signName' in config;
  if (dm !== sms) {
    if (dm) {
      return 'aliyun-dm';
    }
    const systemCodes =
      Array.isArray(config.templates) &&
      config.templates.length > 0 &&
      config.templates.every((template) => /^10000[1-5]$/.test(String(template?.templateCode)));
    return systemCodes || 'codeValidityMinutes' in config ? 'aliyun-sms-auth' : 'aliyun-sms';
  }
  const why = dm
    ? 'has both accountName and signName'
    : 'has neither accountName (Direct Mail) nor signName (SMS)';
  throw usage(`${file} ${why}: say which connector with --kind ${kinds.join(', ')}`);
};

/** The config as it is safe to show: the secrets are replaced, whatever their length. */
const describeConfig = (config) => {
  const shown = ['accessKeyId', ...secretKeys, 'accountName', 'signName', 'regionId', 'endpoint'];
  return shown
    .filter((key) => config[key] !== undefined)
    .map((key) => `${key} ${secretKeys.includes(key) ? '****' : JSON.stringify(config[key])}`)
    .join(', ');
};

/** What Logto's Test button sends, with the CLI's choices of type, code and locale. */
const messageFor = ({ to, type, locale, code }) => {
  // An invitation carries a link, not a code, as Logto sends it.
  const payload =
    type === 'OrganizationInvitation' ? { link: 'https://example.com/invitation/test' } : { code };
  return { to, type, payload: locale === undefined ? payload : { ...payload, locale } };
};

/** `error: <code>: <description>` and Aliyun's own Code and RequestId when it answered. */
const connectorFailure = (error) => {
  const { errorDescription, Code, Message, RequestId } = error.data ?? {};
  const details = [];
  if (Code || RequestId) {
    details.push(`Aliyun Code: ${Code ?? '(none)'}, RequestId: ${RequestId ?? '(none)'}`);
  }
  if (Message && !String(errorDescription).includes(Message)) {
    details.push(`Aliyun Message: ${Message}`);
  }
  return new CliError(`${error.code}: ${errorDescription ?? error.message}`, {
    exitCode: exitCodes.failed,
    details,
  });
};

/** An issue's path as the connector's messages write it: `templates[0].subject`. */
const pathText = (parts) =>
  parts
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`,
    )
    .join('');

const validate = (factory, config, file, kind) => {
  const verdict = factory.configGuard.safeParse(config);
  if (verdict.success) {
    return;
  }
  const issues = verdict.error?.issues ?? [];
  throw usage(
    `${file} is not a valid ${kind} config (${issues.length} issue${issues.length === 1 ? '' : 's'}):`,
    issues.map(
      ({ path: where, message }) => `${pathText(where) || '(the whole config)'}: ${message}`,
    ),
  );
};

export const runSend = async (options) => {
  const file = options.configFile;
  const config = readConfig(file);
  const kind = kindOf(config, options.kind, file);
  out.step(`config: ${file} for ${packageNameOf(kind)}`);

  const tarballs = await preparePackages(out.step, { build: options.build });
  // Logto's list of usage types, from the kit it ships (so a new type is known here too).
  const { TemplateType } = await import('@logto/connector-kit');
  if (!Object.values(TemplateType).includes(options.type)) {
    throw usage(
      `--type must be one of ${Object.values(TemplateType).join(', ')}; got ${JSON.stringify(options.type)}`,
    );
  }
  const host = await openLogtoHost({ [kind]: tarballs[kind] });
  try {
    const factory = host.factoryOf(kind);
    out.step(
      `Logto: installed ${path.basename(tarballs[kind])}, loaded as factory ${factory.metadata.id}`,
    );

    validate(factory, config, file, kind);
    out.step(`config: valid (${describeConfig(config)})`);

    const code = options.randomCode
      ? String(randomInt(0, 1_000_000)).padStart(6, '0')
      : options.code;
    const message = messageFor({ ...options, code });
    const target = config.endpoint ?? `Aliyun, region ${config.regionId ?? 'cn-hangzhou'}`;
    const extras = [
      message.payload.code && `code ${message.payload.code}`,
      options.locale && `locale ${options.locale}`,
    ].filter(Boolean);
    out.step(`sending: ${message.type} to ${message.to} via ${[target, ...extras].join(', ')}`);

    // The Test button's call: no stored config, the form's config as the second argument.
    const connector = await host.connect(kind);
    let answer;
    try {
      answer = await connector.sendMessage(message, config);
    } catch (error) {
      if (host.isConnectorError(error)) {
        throw connectorFailure(error);
      }
      throw error;
    }
    const ids = ['RequestId', 'EnvId', 'BizId']
      .filter((key) => answer?.[key])
      .map((key) => `${key} ${answer[key]}`);
    out.step(`accepted: ${ids.join(', ')}`);
    return exitCodes.ok;
  } finally {
    await host.close();
  }
};
