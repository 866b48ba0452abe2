// `npm start`: the product end to end without an Aliyun account. Starts the sandbox (the local
// Aliyun), makes sure dist/ is built, installs both packages into a Logto-like instance through
// @logto/cli's own code, sends one email (Chinese subject, HTML body) and one SMS, and prints
// an account of each. Then the sandbox keeps running for a real Logto until Ctrl-C.
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { startSandbox } from '../../sandbox/index.mjs';
import { configTemplate, fillPlaceholders } from '../config-facts.mjs';
import { inboxUrl, printAccount, printRefusal } from './account.mjs';
import { openLogtoHost, packageNameOf } from './logto-host.mjs';
import { CliError, exitCodes, printer, setInterruptHandler } from './output.mjs';
import { preparePackages } from './prepare.mjs';

const out = printer('start');

// A fresh secret per run: nothing in the repo can be mistaken for a real key. It is printed on
// purpose (a Logto pointed at the sandbox needs it) and is worth nothing anywhere else.
const accessKeyId = 'LTAI5tSandboxDemoKey';
const accessKeySecret = randomBytes(15).toString('base64url');

const appName = '示例应用';

/**
 * The package's example config (packaging/<kind>/docs/config-template.json) with this run's
 * AccessKey, `values` for its other placeholders, and `endpoint` pointing at the sandbox.
 */
const exampleConfig = (kind, endpoint, values) => ({
  ...fillPlaceholders(configTemplate(kind), {
    'access-key-id': accessKeyId,
    'access-key-secret': accessKeySecret,
    ...values,
  }),
  endpoint,
});

const dmConfig = (endpoint) => ({
  ...exampleConfig('aliyun-dm', endpoint, {}),
  fromAlias: appName,
});

// Made-up codes: the sandbox takes any template code.
const smsConfig = (endpoint) =>
  exampleConfig('aliyun-sms', endpoint, {
    'signature-name': appName,
    'mainland-template-code': 'SMS_100000001',
    'international-template-code': 'SMS_100000002',
    'register-template-code': 'SMS_100000003',
    'forgot-password-template-code': 'SMS_100000004',
    'generic-template-code': 'SMS_100000005',
    'mfa-template-code': 'SMS_100000006',
  });

/** SMS authentication: the system signature and templates need no approval of one's own. */
const smsAuthConfig = (endpoint) =>
  exampleConfig('aliyun-sms-auth', endpoint, { 'current-gift-signature': '速通互联验证码' });

const configs = {
  'aliyun-dm': dmConfig,
  'aliyun-sms': smsConfig,
  'aliyun-sms-auth': smsAuthConfig,
};

const sixDigits = () => String(randomInt(0, 1_000_000)).padStart(6, '0');

/** The sandbox on the asked port; a port someone else holds is an expected failure. */
const openSandbox = async ({ port, portSource }, onRequest) => {
  try {
    return await startSandbox({
      host: '127.0.0.1',
      port,
      credentials: { [accessKeyId]: { secret: accessKeySecret } },
      log: onRequest,
    });
  } catch (error) {
    const from = portSource === '$SANDBOX_PORT' ? ' (from $SANDBOX_PORT)' : '';
    const pick = 'pick another with --port N, or leave --port out to take any free port';
    const why = {
      EADDRINUSE: 'is already in use on 127.0.0.1',
      EACCES: 'needs privileges (pick one above 1023)',
    }[error?.code];
    if (why) {
      throw new CliError(`port ${port}${from} ${why}: ${pick}`, {
        exitCode: exitCodes.environment,
      });
    }
    throw error;
  }
};

/** One send through a connector, as Logto calls it; a refusal is an expected failure. */
const send = async (host, connector, what, message) => {
  try {
    return await connector.sendMessage(message);
  } catch (error) {
    if (host.isConnectorError(error)) {
      const aliyun = error.data.Code
        ? ` (Aliyun ${error.data.Code}, RequestId ${error.data.RequestId})`
        : '';
      throw new CliError(
        `the ${what} was not accepted: ${error.code}: ${error.data.errorDescription}${aliyun}`,
      );
    }
    throw error;
  }
};

/** Sends one message through each connector and prints an account of each. */
const sendAll = async (host, sb) => {
  const dm = await host.connect('aliyun-dm', async () => dmConfig(sb.url));
  const sms = await host.connect('aliyun-sms', async () => smsConfig(sb.url));
  const smsAuth = await host.connect('aliyun-sms-auth', async () => smsAuthConfig(sb.url));

  const email = {
    to: 'user@example.com',
    type: 'SignIn',
    payload: { code: sixDigits(), locale: 'zh-CN', application: { name: appName } },
  };
  const emailAnswer = await send(host, dm, 'email', email);
  printAccount(out, sb, sb.deliveries().at(-1), {
    title: `email: ${packageNameOf('aliyun-dm')} sent a ${email.type} code (${email.payload.code}) to ${email.to}`,
    answer: emailAnswer,
  });

  const text = {
    to: '8613912345678',
    type: 'Register',
    payload: { code: sixDigits(), locale: 'zh-CN' },
  };
  const smsAnswer = await send(host, sms, 'SMS', text);
  printAccount(out, sb, sb.deliveries().at(-1), {
    title: `SMS: ${packageNameOf('aliyun-sms')} sent a ${text.type} code (${text.payload.code}) to ${text.to}`,
    answer: smsAnswer,
  });

  const verify = {
    to: '8613912345678',
    type: 'SignIn',
    payload: { code: sixDigits(), locale: 'zh-CN' },
  };
  const smsAuthAnswer = await send(host, smsAuth, 'SMS authentication message', verify);
  printAccount(out, sb, sb.deliveries().at(-1), {
    title: `SMS authentication: ${packageNameOf('aliyun-sms-auth')} sent a ${verify.type} code (${verify.payload.code}) to ${verify.to}`,
    answer: smsAuthAnswer,
  });
};

/** Ready-made configs for a real Logto (or `npm start -- send`) pointed at this sandbox. */
const writeSandboxConfigs = async (dir, url) => {
  const files = {};
  for (const [kind, config] of Object.entries(configs)) {
    files[kind] = path.join(dir, `sandbox-${kind}.json`);
    await fs.writeFile(files[kind], `${JSON.stringify(config(url), null, 2)}\n`);
  }
  return files;
};

/** Keeps the sandbox up, printing what arrives, until Ctrl-C (or SIGTERM). */
const serveUntilStopped = async (sb, host, watch) => {
  const files = await writeSandboxConfigs(host.instance, sb.url);
  out.step('the sandbox keeps running; point a Logto connector at it with:');
  out.detail('endpoint', sb.url);
  out.detail('accessKeyId', accessKeyId);
  out.detail('secret', `${accessKeySecret}  (accessKeySecret: made for this run, sandbox only)`);
  out.detail('configs', Object.values(files).join(', '));
  out.detail('try', `npm start -- send --config ${files['aliyun-dm']} --to you@example.com`);
  out.step(`inbox: ${inboxUrl(sb.url)}; what arrives is printed here too; Ctrl-C stops`);
  watch.enabled = true;
  await new Promise((resolve) => setInterruptHandler(resolve));
  // A second Ctrl-C while stopping exits at once.
  setInterruptHandler(null);
  out.step('stopping');
};

export const runDemo = async ({ once, port, portSource, build }) => {
  // After the demo, every request a real Logto sends is reported as it arrives. The sandbox
  // calls `log` right after recording the request, so the newest entry is that request.
  const watch = { enabled: false };
  let sb;
  const onRequest = () => {
    if (!watch.enabled) {
      return;
    }
    const request = sb.requests().at(-1);
    if (request?.outcome === 'delivered') {
      printAccount(
        out,
        sb,
        sb.deliveries().find(({ id }) => id === request.deliveryId),
      );
    } else if (request) {
      printRefusal(out, request);
    }
  };

  // The port first: a busy one fails at once, not after a build.
  sb = await openSandbox({ port, portSource }, onRequest);
  out.step(
    `sandbox: listening at ${sb.url} (AccessKeyId ${accessKeyId}, a secret made for this run)`,
  );
  let host;
  try {
    const tarballs = await preparePackages(out.step, { build });
    host = await openLogtoHost(tarballs);
    out.step(
      `Logto: installed ${Object.keys(tarballs).map(packageNameOf).join(', ')} with logto connector add ` +
        "and loaded them with @logto/cli's loader",
    );
    await sendAll(host, sb);
    out.step(
      `every message was signed, verified by the sandbox and delivered; inbox: ${inboxUrl(sb.url)}`,
    );
    if (!once) {
      await serveUntilStopped(sb, host, watch);
    }
  } finally {
    await sb.close();
    await host?.close();
  }
  return exitCodes.ok;
};
