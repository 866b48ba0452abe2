#!/usr/bin/env node
// The product end to end without an Aliyun account: builds the packages if needed, starts the
// sandbox (the local Aliyun), installs both packages into a Logto-like instance through
// @logto/cli's own code, sends one email with a Chinese subject and one SMS, and prints what the
// sandbox received. Then it keeps the sandbox running (Ctrl-C stops it) so you can point a real
// Logto at it: the printed endpoint and AccessKey go into the connectors' config.
//
// Usage: npm start [-- --once] [-- --port 8787]
//   --once   exit after the two sends (what CI and a quick check want)
//   --port   fixed sandbox port (default: any free port, or $PORT)
import { randomBytes } from 'node:crypto';
import process from 'node:process';

import { ensureBuilt } from './build.mjs';

const argument = (name) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};
const once = process.argv.includes('--once');
const port = Number(argument('--port') ?? process.env.PORT ?? 0);

const say = (message) => console.log(`[start] ${message}`);

// A fresh secret per run: nothing in the repo can be mistaken for a real key.
const accessKeyId = 'LTAI5tSandboxDemoKey';
const accessKeySecret = randomBytes(15).toString('base64url');

const codeText = (action) => `您的验证码是 {{code}}，10 分钟内有效。(${action})`;

/** The same config shape as the official connectors, plus `endpoint` pointing at the sandbox. */
const dmConfig = (endpoint) => ({
  accessKeyId,
  accessKeySecret,
  accountName: 'no-reply@mail.example.com',
  fromAlias: '示例应用',
  endpoint,
  templates: ['SignIn', 'Register', 'ForgotPassword', 'Generic'].map((usageType) => ({
    usageType,
    subject: `示例应用 ${usageType} 验证码`,
    content: `<p>${codeText(usageType)}</p>`,
  })),
});

const smsConfig = (endpoint) => ({
  accessKeyId,
  accessKeySecret,
  signName: '示例应用',
  endpoint,
  templates: ['SignIn', 'Register', 'ForgotPassword', 'Generic'].map((usageType) => ({
    usageType,
    templateCode: { china: 'SMS_100000001', overseas: 'SMS_100000002' },
  })),
});

const show = (label, value) => console.log(`  ${label.padEnd(16)} ${value}`);

const printDelivery = (delivery) => {
  if (delivery.kind === 'email') {
    say(`sandbox delivered an email (#${delivery.id})`);
    show('to', delivery.to);
    show('from', `${delivery.fromAlias ?? ''} <${delivery.accountName}> (${delivery.region})`);
    show('subject', delivery.subject);
    show('body', delivery.htmlBody ?? delivery.textBody);
  } else {
    say(`sandbox delivered an SMS (#${delivery.id})`);
    show('to', delivery.to);
    show('sign name', delivery.signName);
    show('template', delivery.templateCode);
    show('params', delivery.templateParam);
  }
};

/** One email with a Chinese subject and one SMS, through the connectors Logto loaded. */
const sendDemo = async (host, endpoint) => {
  const dm = await host.connect('aliyun-dm', { config: dmConfig(endpoint) });
  const sms = await host.connect('aliyun-sms', { config: smsConfig(endpoint) });
  const mail = await dm.sendMessage({
    to: 'user@example.com',
    type: 'SignIn',
    payload: { code: '246810', locale: 'zh-CN' },
  });
  say(`email accepted: ${JSON.stringify(mail)}`);
  const text = await sms.sendMessage({
    to: '8613912345678',
    type: 'Register',
    payload: { code: '135790', locale: 'zh-CN' },
  });
  say(`SMS accepted: ${JSON.stringify(text)}`);
};

const main = async () => {
  say('building the packages if anything changed');
  await ensureBuilt();

  const { startSandbox } = await import('../sandbox/index.mjs');
  const { logtoHost } = await import('../tests/js/host.mjs');

  const sb = await startSandbox({
    host: '127.0.0.1',
    port,
    credentials: { [accessKeyId]: { secret: accessKeySecret } },
  });
  say(`sandbox listening at ${sb.url}`);

  const host = await logtoHost();
  const shutdown = async () => {
    await sb.close();
    await host.close();
  };
  say(`installed ${host.packages.map(({ name }) => name).join(', ')} into ${host.connectorsDir}`);

  let printed = 0;
  const printNew = () => {
    for (const delivery of sb.deliveries().filter(({ id }) => id > printed)) {
      printDelivery(delivery);
      printed = delivery.id;
    }
  };

  try {
    await sendDemo(host, sb.url);
  } catch (error) {
    // Leave no temp instance or open port behind when the demo fails.
    await shutdown();
    throw error;
  }
  printNew();

  if (once) {
    await shutdown();
    return;
  }
  say('the sandbox keeps running; configure a Logto connector with:');
  show('endpoint', sb.url);
  show('accessKeyId', accessKeyId);
  show('accessKeySecret', `${accessKeySecret}  (generated for this run, sandbox only)`);
  say(`inbox: ${sb.url}__sandbox ; new messages are printed here too; Ctrl-C stops`);
  // In process, the sandbox offers only the one-shot waitForDelivery; a light poll is enough
  // for a console.
  const poll = setInterval(printNew, 500);
  const stop = () => {
    clearInterval(poll);
    say('stopping');
    shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

main().catch((error) => {
  console.error(`[start] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  if (error?.data) {
    console.error(`[start] data: ${JSON.stringify(error.data)}`);
  }
  process.exit(1);
});
