// Text arrives byte-exact: Chinese, Korean, French with accents, emoji and astral-plane
// characters in subjects, bodies, sender aliases and SMS template parameters reach the sandbox
// exactly (the sandbox decodes the form as UTF-8 bytes) and the signature over them verifies
// (the sandbox refuses a bad one with SignatureDoesNotMatch, so a delivery proves it). Length
// limits count characters (code points), as Aliyun does. A lone surrogate is refused with a
// clear error wherever it sits (message strings, payload keys and nested values, config, i18n
// template), never silently replaced with U+FFFD, and a real U+FFFD is never taken for one.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConnectorErrorCodes } from '@logto/connector-kit';

import { requiredUsageTypes } from '../../scripts/config-facts.mjs';
import { dmConfig, smsAuthConfig, smsConfig } from '../js/fixtures.mjs';
import { withHostAndSandbox } from '../js/host.mjs';
import { ConnectorError, coreOf, describeRejection, settle } from './support.mjs';

let host;
let sb;
withHostAndSandbox((started) => ({ host, sb } = started));

const SUBJECT =
  '验证码 인증 코드 Code de vérification à é è ê ë î ï ô œ ù û ü ÿ ç 😀👩‍💻 𠮷野家 𝔘𝔫𝔦 {{code}}';
const BODY =
  '<p>您的验证码是 <b>{{code}}</b>。인증 코드는 {{code}}입니다. Voilà votre code : « {{code}} » — Ça marche ! 🎉🇨🇳🇰🇷🇫🇷 𠀀𪚥𰻞 \u{1F9D1}\u{200D}\u{1F680} e\u0301 \u00A0\u2028</p>';
const ALIAS = '𠮷野家 Équipe 한국 😀'; // 15 characters, 19 UTF-16 units
const CODE = '𠮷é한中😀9';

const render = (template, code) => template.replaceAll('{{code}}', code);
const utf8 = (text) => Buffer.from(text, 'utf8');

/** The raw form value of `name` in a delivery's request body, decoded as UTF-8 bytes. */
const rawParam = (delivery, name) => {
  const pair = delivery.rawBody.split('&').find((p) => p.startsWith(`${name}=`));
  assert.ok(pair, `${name} is in the request body`);
  return Buffer.from(
    pair
      .slice(name.length + 1)
      .replaceAll(/%([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
};

test('DM: multilingual subject, HTML body and sender alias arrive byte-exact and correctly signed', async () => {
  assert.equal([...ALIAS].length, 15);
  const templates = requiredUsageTypes['aliyun-dm'].map((usageType) => ({
    usageType,
    subject: SUBJECT,
    content: BODY,
  }));
  const connector = await host.connect('aliyun-dm', {
    config: dmConfig(sb.url, { fromAlias: ALIAS, templates }),
  });
  await connector.sendMessage({
    to: 'ünïcödé@example.com',
    type: 'SignIn',
    payload: { code: CODE, locale: 'zh-CN' },
  });

  const [request] = sb.requests();
  assert.equal(
    request.outcome,
    'delivered',
    `the sandbox verified the signature (${request.code})`,
  );
  const delivery = sb.deliveries().at(-1);
  for (const [field, param, expected] of [
    ['subject', 'Subject', render(SUBJECT, CODE)],
    ['htmlBody', 'HtmlBody', render(BODY, CODE)],
    ['fromAlias', 'FromAlias', ALIAS],
    ['to', 'ToAddress', 'ünïcödé@example.com'],
  ]) {
    assert.equal(delivery[field], expected, field);
    assert.deepEqual(rawParam(delivery, param), utf8(expected), `${param} bytes on the wire`);
  }
  console.log(
    `[text] DM delivered byte-exact: subject ${utf8(delivery.subject).length} B, body ${utf8(delivery.htmlBody).length} B, alias ${[...delivery.fromAlias].length} chars`,
  );
});

test('DM: an i18n email template (plain text, sendFrom alias, replyTo) in many scripts arrives byte-exact', async () => {
  const template = {
    subject: 'Código {{code}} · 코드 · 代码 · 🔐',
    content: 'Bonjour 👋\n{{code}}\n안녕하세요 𠮷',
    contentType: 'text/plain',
    sendFrom: '🦊 Renard ÉÈ 狐',
    replyTo: 'réponse@example.com',
  };
  const connector = await host.connect('aliyun-dm', {
    config: dmConfig(sb.url),
    getI18nEmailTemplate: async () => template,
  });
  await connector.sendMessage({
    to: 'user@example.com',
    type: 'Register',
    payload: { code: CODE, locale: 'fr' },
  });
  assert.equal(sb.requests()[0].outcome, 'delivered');
  const delivery = sb.deliveries().at(-1);
  assert.equal(delivery.subject, render(template.subject, CODE));
  assert.equal(delivery.textBody, render(template.content, CODE));
  assert.equal(delivery.htmlBody, null);
  assert.equal(delivery.fromAlias, template.sendFrom);
  assert.equal(delivery.replyAddress, template.replyTo);
  assert.deepEqual(rawParam(delivery, 'TextBody'), utf8(render(template.content, CODE)));
});

test('SMS: a template parameter with astral and accented characters arrives byte-exact and correctly signed', async () => {
  // A notification template (type 0): verification templates (type 2) take letters and digits
  // only, which the core checks before sending.
  const templates = requiredUsageTypes['aliyun-sms'].map((usageType) => ({
    usageType,
    templateCode: `SMS_${usageType}`,
    type: 0,
  }));
  const connector = await host.connect('aliyun-sms', {
    config: smsConfig(sb.url, { signName: '阿里云短信 😀', templates }),
  });
  await connector.sendMessage({
    to: '13912345678',
    type: 'SignIn',
    payload: { code: CODE, link: 'https://例子.中国/é?q=𠮷', locale: 'ko-KR' },
  });
  const [request] = sb.requests();
  assert.equal(
    request.outcome,
    'delivered',
    `the sandbox verified the signature (${request.code})`,
  );
  const delivery = sb.deliveries().at(-1);
  const expected = JSON.stringify({ code: CODE, link: 'https://例子.中国/é?q=𠮷' });
  assert.equal(delivery.templateParam, expected);
  assert.deepEqual(rawParam(delivery, 'TemplateParam'), utf8(expected));
  assert.equal(delivery.signName, '阿里云短信 😀');
  console.log(`[text] SMS delivered byte-exact: TemplateParam ${delivery.templateParam}`);
});

test('SMS authentication: Chinese, astral and emoji in the sign name and the code arrive byte-exact and correctly signed', async () => {
  const signName = '速通互联验证码 𠮷 😀';
  const connector = await host.connect('aliyun-sms-auth', {
    config: smsAuthConfig(sb.url, { signName, codeValidityMinutes: 15 }),
  });
  await connector.sendMessage({
    to: '8613912345678',
    type: 'ForgotPassword',
    payload: { code: CODE, locale: 'zh-CN' },
  });
  const [request] = sb.requests();
  assert.equal(
    request.outcome,
    'delivered',
    `the sandbox verified the signature (${request.code})`,
  );
  const delivery = sb.deliveries().at(-1);
  const expected = JSON.stringify({ code: CODE, min: '15' });
  assert.equal(delivery.templateParam, expected);
  assert.deepEqual(rawParam(delivery, 'TemplateParam'), utf8(expected));
  assert.deepEqual(rawParam(delivery, 'SignName'), utf8(signName));
  assert.ok(delivery.text.startsWith(`【${signName}】`), delivery.text);
  assert.ok(delivery.text.includes(CODE), delivery.text);
  console.log(`[text] SMS authentication delivered byte-exact: ${delivery.text}`);
});

test('limits count characters, not UTF-16 units or bytes: 100 astral characters of subject and 15 of alias go out, one more does not', async () => {
  const config = (subject, fromAlias) =>
    dmConfig(sb.url, {
      fromAlias,
      templates: requiredUsageTypes['aliyun-dm'].map((usageType) => ({
        usageType,
        subject,
        content: 'x',
      })),
    });
  const send = async (subject, alias) =>
    settle(
      (await host.connect('aliyun-dm', { config: config(subject, alias) })).sendMessage({
        to: 'u@example.com',
        type: 'SignIn',
        payload: { code: '1' },
      }),
    );

  const ok = await send('𠮷'.repeat(100), '😀'.repeat(15));
  assert.equal(ok.status, 'resolved', describeRejection(ok.error));
  assert.equal(sb.deliveries().at(-1).subject, '𠮷'.repeat(100));
  for (const [subject, alias, what] of [
    ['𠮷'.repeat(101), 'a', 'subject'],
    ['a', '😀'.repeat(16), 'alias'],
  ]) {
    sb.reset();
    const refused = await send(subject, alias);
    assert.ok(refused.error instanceof ConnectorError, describeRejection(refused.error));
    assert.equal(
      refused.error.code,
      ConnectorErrorCodes.InvalidConfig,
      `${what}: ${refused.error.data?.errorDescription}`,
    );
    assert.equal(sb.requests().length, 0, 'refused before sending');
  }
});

test('a lone surrogate anywhere in the input is refused with a clear error, never replaced', async () => {
  const lone = {
    'high surrogate then text': 'a\uD800b',
    'high surrogate at the end (a cut emoji)': 'code 😀'.slice(0, -1),
    'low surrogate alone': '\uDC00x',
    'two high surrogates': '\uD83D\uD83D',
    'a real U+FFFD, then a lone surrogate': '\uFFFD\uDFFF',
  };
  const core = await coreOf(host, 'aliyun-dm');
  const problems = [];
  let places = 0;
  const check = (label, outcome, { code } = {}) => {
    places += 1;
    const { error } = outcome;
    if (outcome.status !== 'rejected' || !(error instanceof ConnectorError)) {
      problems.push(`${label}: ${outcome.status} ${describeRejection(error)}`);
      return;
    }
    if (code && error.code !== code)
      problems.push(`${label}: code ${error.code}, expected ${code}`);
    if (!/surrogate/i.test(error.data?.errorDescription ?? ''))
      problems.push(
        `${label}: the message does not say what is wrong: ${error.data?.errorDescription}`,
      );
  };
  const { InvalidConfig, InvalidRequestParameters } = ConnectorErrorCodes;
  const dmSend = { to: 'u@example.com', type: 'SignIn', payload: { code: '1' } };
  const smsSend = { to: '13912345678', type: 'SignIn', payload: { code: '1' } };
  const authSend = { to: '8613912345678', type: 'SignIn', payload: { code: '1' } };
  const dmTemplates = (subject, content = 'c') =>
    requiredUsageTypes['aliyun-dm'].map((usageType) => ({
      usageType,
      subject,
      content,
    }));
  for (const [name, text] of Object.entries(lone)) {
    sb.reset();
    const dm = await host.connect('aliyun-dm', { config: dmConfig(sb.url) });
    const sms = await host.connect('aliyun-sms', { config: smsConfig(sb.url) });
    const auth = await host.connect('aliyun-sms-auth', { config: smsAuthConfig(sb.url) });
    // The message: strings read as they are, objects through JSON.stringify and serde_json.
    check(
      `DM payload.code ${name}`,
      await settle(dm.sendMessage({ ...dmSend, payload: { code: text } })),
      { code: InvalidRequestParameters },
    );
    check(
      `SMS payload.code ${name}`,
      await settle(sms.sendMessage({ ...smsSend, payload: { code: text } })),
      { code: InvalidRequestParameters },
    );
    check(
      `SMS payload extra field ${name}`,
      await settle(sms.sendMessage({ ...smsSend, payload: { code: '1', link: text } })),
      { code: InvalidRequestParameters },
    );
    check(
      `DM payload key ${name}`,
      await settle(dm.sendMessage({ ...dmSend, payload: { code: '1', [text]: 'v' } })),
      { code: InvalidRequestParameters },
    );
    check(
      `DM payload nested ${name}`,
      await settle(
        dm.sendMessage({ ...dmSend, payload: { code: '1', application: { name: text } } }),
      ),
      { code: InvalidRequestParameters },
    );
    check(
      `DM recipient ${name}`,
      await settle(dm.sendMessage({ ...dmSend, to: `${text}@example.com` })),
      { code: InvalidRequestParameters },
    );
    check(
      `SMS recipient ${name}`,
      await settle(sms.sendMessage({ ...smsSend, to: `139${text}` })),
      { code: InvalidRequestParameters },
    );
    check(`DM type ${name}`, await settle(dm.sendMessage({ ...dmSend, type: `SignIn${text}` })), {
      code: InvalidRequestParameters,
    });
    // The config, from the Test button and from getConfig.
    const subjectConfig = dmConfig(sb.url, { templates: dmTemplates(`S ${text}`) });
    check(`DM config subject ${name}`, await settle(dm.sendMessage(dmSend, subjectConfig)), {
      code: InvalidConfig,
    });
    check(
      `DM config content via getConfig ${name}`,
      await settle(
        (
          await host.connect('aliyun-dm', {
            config: dmConfig(sb.url, { templates: dmTemplates('s {{code}}', `<p>${text}</p>`) }),
          })
        ).sendMessage(dmSend),
      ),
      { code: InvalidConfig },
    );
    check(
      `DM fromAlias ${name}`,
      await settle(dm.sendMessage(dmSend, dmConfig(sb.url, { fromAlias: text }))),
      { code: InvalidConfig },
    );
    check(
      `SMS signName ${name}`,
      await settle(sms.sendMessage(smsSend, smsConfig(sb.url, { signName: text }))),
      { code: InvalidConfig },
    );
    check(
      `SMS config key ${name}`,
      await settle(sms.sendMessage(smsSend, { ...smsConfig(sb.url), [text]: 1 })),
      { code: InvalidConfig },
    );
    check(
      `SMS authentication payload.code ${name}`,
      await settle(auth.sendMessage({ ...authSend, payload: { code: text } })),
      { code: InvalidRequestParameters },
    );
    check(
      `SMS authentication recipient ${name}`,
      await settle(auth.sendMessage({ ...authSend, to: `86139${text}` })),
      { code: InvalidRequestParameters },
    );
    check(
      `SMS authentication signName ${name}`,
      await settle(auth.sendMessage(authSend, smsAuthConfig(sb.url, { signName: text }))),
      { code: InvalidConfig },
    );
    check(
      `SMS authentication templateCode via getConfig ${name}`,
      await settle(
        (
          await host.connect('aliyun-sms-auth', {
            config: smsAuthConfig(sb.url, {
              templates: smsAuthConfig(sb.url).templates.map((template) => ({
                ...template,
                templateCode: text,
              })),
            }),
          })
        ).sendMessage(authSend),
      ),
      { code: InvalidConfig },
    );
    // Logto's i18n email template.
    const i18n = (template) =>
      host.connect('aliyun-dm', {
        config: dmConfig(sb.url),
        getI18nEmailTemplate: async () => template,
      });
    check(
      `DM i18n subject ${name}`,
      await settle((await i18n({ subject: text, content: 'c' })).sendMessage(dmSend)),
      { code: InvalidRequestParameters },
    );
    check(
      `DM i18n content ${name}`,
      await settle((await i18n({ subject: 's', content: `x${text}` })).sendMessage(dmSend)),
      { code: InvalidRequestParameters },
    );
    check(
      `DM i18n sendFrom ${name}`,
      await settle(
        (await i18n({ subject: 's', content: 'c', sendFrom: text })).sendMessage(dmSend),
      ),
      { code: InvalidRequestParameters },
    );
    // What the console's save runs, and the core's own answer to it.
    const guard = host.factoryOf('aliyun-dm').configGuard.safeParse(subjectConfig);
    places += 1;
    if (guard.success !== false || !/surrogate/i.test(JSON.stringify(guard.error)))
      problems.push(`safeParse subject ${name}: ${JSON.stringify(guard)}`);
    const envelope = core.validateConfig('aliyun-dm', subjectConfig);
    places += 1;
    if (
      envelope.ok !== false ||
      envelope.error.code !== InvalidConfig ||
      !/surrogate/i.test(JSON.stringify(envelope.error.data))
    )
      problems.push(`validateConfig subject ${name}: ${JSON.stringify(envelope)}`);
    if (sb.requests().length !== 0)
      problems.push(`${name}: something was sent (${sb.requests().length} requests)`);
  }
  console.log(
    `[text] lone surrogates: ${Object.keys(lone).length} shapes × ${places / Object.keys(lone).length} places; problems: ${problems.length}`,
  );
  for (const line of problems) console.log(`[text]   ${line}`);
  assert.deepEqual(problems, []);
});

test('a real U+FFFD is text like any other: it goes out byte-exact (EF BF BD), never mistaken for a lone surrogate', async () => {
  const replacement = 'a\uFFFDb';
  const dm = await host.connect('aliyun-dm', {
    config: dmConfig(sb.url, {
      fromAlias: `Alias ${replacement}`,
      templates: requiredUsageTypes['aliyun-dm'].map((usageType) => ({
        usageType,
        subject: `S ${replacement} {{code}}`,
        content: '<p>{{code}}</p>',
      })),
    }),
  });
  await dm.sendMessage({ to: 'u@example.com', type: 'SignIn', payload: { code: replacement } });
  const delivery = sb.deliveries().at(-1);
  assert.equal(delivery.subject, `S ${replacement} ${replacement}`);
  assert.deepEqual(rawParam(delivery, 'Subject'), utf8(`S ${replacement} ${replacement}`));
  assert.ok(rawParam(delivery, 'FromAlias').includes(Buffer.from([0xef, 0xbf, 0xbd])));
  // A notification template (type 0): verification templates take letters and digits only.
  const templates = requiredUsageTypes['aliyun-sms'].map((usageType) => ({
    usageType,
    templateCode: `SMS_${usageType}`,
    type: 0,
  }));
  const sms = await host.connect('aliyun-sms', { config: smsConfig(sb.url, { templates }) });
  await sms.sendMessage({ to: '13912345678', type: 'SignIn', payload: { code: replacement } });
  assert.deepEqual(
    rawParam(sb.deliveries().at(-1), 'TemplateParam'),
    utf8(JSON.stringify({ code: replacement })),
  );
  const auth = await host.connect('aliyun-sms-auth', {
    config: smsAuthConfig(sb.url, { signName: `签名 ${replacement}` }),
  });
  await auth.sendMessage({ to: '8613912345678', type: 'SignIn', payload: { code: replacement } });
  const authDelivery = sb.deliveries().at(-1);
  assert.deepEqual(
    rawParam(authDelivery, 'TemplateParam'),
    utf8(JSON.stringify({ code: replacement, min: '10' })),
  );
  assert.deepEqual(rawParam(authDelivery, 'SignName'), utf8(`签名 ${replacement}`));
});
