// The command line of scripts/start.mjs: parsing, checking, and the --help text.
import { parseArgs } from 'node:util';

import { kindNames } from '../logto-host.mjs';
import { CliError, exitCodes } from './output.mjs';

export const usage = `usage: npm start [-- --once] [-- --port N]
       npm start -- send --config FILE --to RECIPIENT [--type TYPE] [--locale TAG]
                         [--code CODE] [--kind aliyun-dm|aliyun-sms|aliyun-sms-auth]
       (npm start -- ARGS is node scripts/start.mjs ARGS)

Without a command: the demo. Builds dist/ if anything is missing or changed, starts the local
Aliyun sandbox on a free loopback port, loads the three packages through @logto/cli's loader as
Logto does, sends one email, one SMS and one SMS authentication code through them, and prints
what was signed, what the sandbox verified and where its inbox is. Then the sandbox keeps
running for a real Logto until Ctrl-C.
  --once             exit after the sends (for scripts and CI)
  --port N           the sandbox's port on 127.0.0.1 (default: $SANDBOX_PORT, else any free one)

send: one message through a built package with your own config, like the Test button in Logto's
console. With real credentials it is a real message (Aliyun bills it).
  --config FILE      the connector config, JSON, as pasted into the console
  --to RECIPIENT     an email address (Direct Mail) or a phone number with country code (SMS)
  --type TYPE        the Logto usage type: Generic (default, as the Test button), SignIn,
                     Register, ForgotPassword, ...
  --locale TAG       the user's language, e.g. zh-CN, for templates with a locale
  --code CODE        the code to send: 000000 (default, as the Test button), digits of your
                     own, or "random" for six random digits
  --kind KIND        aliyun-dm, aliyun-sms or aliyun-sms-auth; by default from the config
                     (accountName: Direct Mail; signName: SMS, or SMS authentication when
                     every templateCode is a system code 100001 to 100005)

Both:
  --no-build         use dist/ as it is: no source check, no build
  -h, --help         this text

Exit status:
  0  done
  1  the send failed (the connector's error and Aliyun's Code and RequestId are printed)
  2  bad command line or config file (unreadable, not JSON, or refused by the connector)
  3  the machine is not ready: port in use, tools or build failed, a package did not load

accessKeySecret and securityToken are never printed.`;

const options = {
  once: { type: 'boolean' },
  port: { type: 'string' },
  config: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string' },
  locale: { type: 'string' },
  code: { type: 'string' },
  kind: { type: 'string' },
  'no-build': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const demoOnly = ['once', 'port'];
const sendOnly = ['config', 'to', 'type', 'locale', 'code', 'kind'];
/** The kinds the build makes (scripts/build.mjs `packages`). */
export const kinds = kindNames;

const usageError = (message) =>
  new CliError(`${message} (see npm start -- --help)`, { exitCode: exitCodes.usage });

/** node:util's parse errors are long and suggest `--` tricks; say what is wrong in a few words. */
const parseError = (error) => {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return usageError(`unknown option ${option ?? ''}`.trim());
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return usageError(
        /argument missing/.test(error.message)
          ? `option ${option} needs a value`
          : `option ${option} takes no value`,
      );
    default:
      return usageError(error.message);
  }
};

/** A port number, from --port or $SANDBOX_PORT (named in the error). */
const parsePort = (text, source) => {
  const port = Number(text);
  if (!/^\d+$/.test(String(text).trim()) || port > 65_535) {
    throw usageError(
      `${source} must be a port number from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  }
  return port;
};

const parseCode = (text) => {
  if (text === undefined) {
    return { code: '000000', random: false };
  }
  if (text === 'random') {
    return { code: null, random: true };
  }
  // What Aliyun accepts in a verification-code template: letters and digits.
  if (!/^[0-9A-Za-z]{1,20}$/.test(text)) {
    throw usageError(
      `--code must be letters and digits (or "random"), got ${JSON.stringify(text)}`,
    );
  }
  return { code: text, random: false };
};

/**
 * The command to run: `{ command: 'help' }`, `{ command: 'demo', once, port, portSource, build }`
 * or `{ command: 'send', configFile, to, type, locale, code, randomCode, kind, build }`.
 * Throws a CliError (exit 2) for anything it cannot make sense of.
 */
export const parseCommandLine = (argv, env = process.env) => {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw parseError(error);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    return { command: 'help' };
  }
  const [command = 'demo', ...extra] = positionals;
  if (command !== 'demo' && command !== 'send') {
    throw usageError(`unknown command ${JSON.stringify(command)}: the only command is send`);
  }
  if (extra.length > 0) {
    throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  }
  const given = (names) => names.filter((name) => values[name] !== undefined);
  const build = !values['no-build'];

  if (command === 'demo') {
    const [misplaced] = given(sendOnly);
    if (misplaced) {
      throw usageError(
        `--${misplaced} belongs to the send command: npm start -- send --${misplaced} …`,
      );
    }
    const fromEnv =
      values.port === undefined && env.SANDBOX_PORT !== undefined && env.SANDBOX_PORT !== '';
    const portSource = values.port !== undefined ? '--port' : fromEnv ? '$SANDBOX_PORT' : null;
    const port = portSource ? parsePort(values.port ?? env.SANDBOX_PORT, portSource) : 0;
    return { command, once: Boolean(values.once), port, portSource, build };
  }

  const [misplaced] = given(demoOnly);
  if (misplaced) {
    throw usageError(`--${misplaced} is for the demo (npm start without send)`);
  }
  for (const required of ['config', 'to']) {
    if (!values[required]) {
      throw usageError(`send needs --${required}`);
    }
  }
  if (values.kind !== undefined && !kinds.includes(values.kind)) {
    throw usageError(`--kind must be ${kinds.join(', ')}, got ${JSON.stringify(values.kind)}`);
  }
  const { code, random } = parseCode(values.code);
  return {
    command,
    configFile: values.config,
    to: values.to,
    type: values.type ?? 'Generic',
    locale: values.locale,
    code,
    randomCode: random,
    kind: values.kind,
    build,
  };
};
