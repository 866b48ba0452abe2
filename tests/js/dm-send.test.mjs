// connector-aliyun-dm end to end: Logto's loader → our package → real HTTP → the sandbox, which
// verifies the signature with its own code and records what it accepted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  accessKeyId,
  dmConfig,
  dmTemplate,
  lastDelivery,
  rejectsWith,
  requiredTypes,
  templateTypes,
  timestampPattern,
  uuidPattern,
} from './fixtures.mjs';
import { internalsOf, withHostAndSandbox } from './host.mjs';

let host;
let sb;
withHostAndSandbox((started) => ({ host, sb } = started));

const connect = (config, getI18nEmailTemplate) =>
  host.connect('aliyun-dm', { config, getI18nEmailTemplate });

describe('SingleSendMail from the config templates', () => {
  test('a Chinese subject and an HTML body arrive byte for byte, with the official parameters', async () => {
    const config = dmConfig(sb.url, {
      regionId: 'ap-southeast-1',
      fromAlias: '示例团队',
      templates: [
        ...requiredTypes.filter((type) => type !== 'SignIn').map(dmTemplate),
        {
          usageType: 'SignIn',
          subject: '登录验证码：{{code}}（10 分钟内有效）',
          content:
            '<p>您好，您的验证码是 <strong>{{code}}</strong>。</p><p>“引号” & <a href="https://example.com/?a=1&b=2">链接</a> 😀</p>',
        },
      ],
    });
    const connector = await connect(config);
    const before = Date.now();
    const result = await connector.sendMessage({
      to: 'user@example.com',
      type: 'SignIn',
      payload: { code: '123456', locale: 'zh-CN' },
    });

    const delivery = lastDelivery(sb);
    const expectedSubject = '登录验证码：123456（10 分钟内有效）';
    const expectedBody =
      '<p>您好，您的验证码是 <strong>123456</strong>。</p><p>“引号” & <a href="https://example.com/?a=1&b=2">链接</a> 😀</p>';
    assert.ok(
      Buffer.from(delivery.subject).equals(Buffer.from(expectedSubject)),
      `subject: ${delivery.subject}`,
    );
    assert.ok(
      Buffer.from(delivery.htmlBody).equals(Buffer.from(expectedBody)),
      `body: ${delivery.htmlBody}`,
    );
    assert.equal(delivery.textBody, null);
    assert.equal(delivery.to, 'user@example.com');

    const { params } = delivery;
    assert.equal(params.Action, 'SingleSendMail');
    assert.equal(params.Version, '2015-11-23');
    assert.equal(params.AccountName, 'no-reply@mail.example.com');
    assert.equal(params.AddressType, '1');
    assert.equal(params.ReplyToAddress, 'false');
    assert.equal(params.FromAlias, '示例团队');
    assert.equal(params.RegionId, 'ap-southeast-1');
    assert.equal(params.AccessKeyId, accessKeyId);
    assert.match(params.Format, /^json$/i);
    assert.equal(params.SignatureMethod, 'HMAC-SHA1');
    assert.equal(params.SignatureVersion, '1.0');
    assert.match(params.Timestamp, timestampPattern, 'no milliseconds');
    assert.ok(Math.abs(Date.parse(params.Timestamp) - before) < 5000, 'Timestamp is now');
    assert.match(params.SignatureNonce, uuidPattern);
    assert.equal(params.ReplyAddress, undefined);
    assert.equal(params.HtmlBody, expectedBody);

    assert.deepEqual(result, { EnvId: delivery.envId, RequestId: delivery.requestId });
  });

  test('each send carries a fresh nonce', async () => {
    const connector = await connect(dmConfig(sb.url));
    for (let index = 0; index < 3; index += 1) {
      await connector.sendMessage({
        to: 'user@example.com',
        type: 'SignIn',
        payload: { code: '1' },
      });
    }
    const nonces = new Set(sb.deliveries().map(({ params }) => params.SignatureNonce));
    assert.equal(nonces.size, 3);
  });

  test('32 sends in flight share one instance and one transport, each delivered once', async () => {
    const connector = await connect(dmConfig(sb.url));
    const codes = Array.from({ length: 32 }, (_, index) => String(100000 + index));
    await Promise.all(
      codes.map((code) =>
        connector.sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code } }),
      ),
    );
    const subjects = sb
      .deliveries()
      .map(({ subject }) => subject)
      .sort();
    assert.deepEqual(subjects, codes.map((code) => `[SignIn] 验证码 ${code}`).sort());
    assert.equal(new Set(sb.deliveries().map(({ params }) => params.SignatureNonce)).size, 32);
  });

  test('every Logto template type, and an unknown one, falls back to Generic when it has no template', async () => {
    const connector = await connect(dmConfig(sb.url));
    for (const type of [...templateTypes, 'SomeFutureType']) {
      await connector.sendMessage({ to: 'user@example.com', type, payload: { code: '654321' } });
      const expected = requiredTypes.includes(type) ? type : 'Generic';
      assert.equal(lastDelivery(sb).subject, `[${expected}] 验证码 654321`, `type ${type}`);
    }
    assert.equal(sb.deliveries().length, templateTypes.length + 1);
  });

  test('a config without Generic is refused before anything is sent (no template for the type)', async () => {
    const config = dmConfig(sb.url, {
      templates: requiredTypes.filter((type) => type !== 'Generic').map(dmTemplate),
    });
    const connector = await connect(config);
    const error = await rejectsWith(
      connector.sendMessage({
        to: 'user@example.com',
        type: 'MfaVerification',
        payload: { code: '1' },
      }),
      'invalid_config',
    );
    assert.match(JSON.stringify(error.data), /Generic/);
    assert.equal(sb.requests().length, 0, 'nothing reached the network');
  });

  test('inputConfig (the console Test button) wins over getConfig', async () => {
    let calls = 0;
    const connector = await host.connect('aliyun-dm', {
      getConfig: async () => {
        calls += 1;
        return dmConfig(sb.url, { fromAlias: 'Stored' });
      },
    });
    await connector.sendMessage(
      { to: 'user@example.com', type: 'Generic', payload: { code: '000000' } },
      dmConfig(sb.url, { fromAlias: 'Tested' }),
    );
    assert.equal(calls, 0);
    assert.equal(lastDelivery(sb).fromAlias, 'Tested');
    await connector.sendMessage({
      to: 'user@example.com',
      type: 'Generic',
      payload: { code: '000000' },
    });
    assert.equal(calls, 1);
    assert.equal(lastDelivery(sb).fromAlias, 'Stored');
  });
});

describe('Logto i18n email templates (getI18nEmailTemplate)', () => {
  test('are asked for with (type, payload.locale) and win over the config templates; sendFrom renders into FromAlias', async () => {
    const asked = [];
    const connector = await connect(dmConfig(sb.url), async (type, locale) => {
      asked.push([type, locale]);
      return {
        subject: 'Votre code {{code}}',
        content: '<p>Code : {{code}} pour {{application.name}}</p>',
        sendFrom: '{{application.name}} 团队',
      };
    });
    await connector.sendMessage({
      to: 'user@example.com',
      type: 'Register',
      payload: { code: '112233', locale: 'fr', application: { name: 'Acme' } },
    });
    assert.deepEqual(asked, [['Register', 'fr']]);
    const delivery = lastDelivery(sb);
    assert.equal(delivery.subject, 'Votre code 112233');
    assert.equal(delivery.htmlBody, '<p>Code : 112233 pour Acme</p>');
    assert.equal(delivery.params.FromAlias, 'Acme 团队');
  });

  test('without sendFrom, the config fromAlias stays', async () => {
    const connector = await connect(dmConfig(sb.url, { fromAlias: 'Config Alias' }), async () => ({
      subject: 'S {{code}}',
      content: 'C {{code}}',
    }));
    await connector.sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '1' } });
    assert.equal(lastDelivery(sb).params.FromAlias, 'Config Alias');
  });

  test('undefined (no template in Logto) falls back to the config templates', async () => {
    const connector = await connect(dmConfig(sb.url), async () => undefined);
    await connector.sendMessage({
      to: 'user@example.com',
      type: 'ForgotPassword',
      payload: { code: '9' },
    });
    assert.equal(lastDelivery(sb).subject, '[ForgotPassword] 验证码 9');
  });

  test('a failing lookup falls back to the config templates instead of failing the send', async () => {
    const connector = await connect(dmConfig(sb.url), async () => {
      throw new Error('database is down');
    });
    await connector.sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '8' } });
    assert.equal(lastDelivery(sb).subject, '[SignIn] 验证码 8');
  });

  test('(beyond the official connector) contentType text/plain sends TextBody, replyTo sends ReplyAddress', async () => {
    const connector = await connect(dmConfig(sb.url), async () => ({
      subject: 'Plain {{code}}',
      content: 'Your code is {{code}} <not html>',
      contentType: 'text/plain',
      replyTo: 'support@example.com',
    }));
    await connector.sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '5' } });
    const delivery = lastDelivery(sb);
    assert.equal(delivery.textBody, 'Your code is 5 <not html>');
    assert.equal(delivery.htmlBody, null);
    assert.equal(delivery.params.ReplyAddress, 'support@example.com');
  });
});

describe('the config the core keeps between sends', () => {
  // The shim passes the config text only when it differs from the one of its last successful
  // plan (docs/contracts.md, planSend): each send must still go out with its own config, also
  // when a host alternates configs (tenants), after a refused one and after a module reload.
  test('every send uses its own config, whatever came before', async () => {
    const alias = (name) => dmConfig(sb.url, { accountName: `${name}@mail.example.com` });
    const sendWith = async (config) => {
      await (
        await connect(config)
      ).sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '1' } });
      return lastDelivery(sb).params.AccountName;
    };
    assert.equal(await sendWith(alias('a')), 'a@mail.example.com');
    assert.equal(await sendWith(alias('a')), 'a@mail.example.com');
    assert.equal(await sendWith(alias('b')), 'b@mail.example.com');
    assert.equal(await sendWith(alias('a')), 'a@mail.example.com');
    await rejectsWith(sendWith({ ...alias('a'), templates: [] }), 'invalid_config');
    assert.equal(
      await sendWith(alias('a')),
      'a@mail.example.com',
      'the same text again after a refused one',
    );
    const { core } = await internalsOf(host.dirOf('aliyun-dm'));
    core.__testing.reload();
    assert.equal(
      await sendWith(alias('a')),
      'a@mail.example.com',
      'a fresh instance is given the text again',
    );
    // The inputConfig of the console's Test button goes the same way.
    await (
      await connect(alias('a'))
    ).sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '1' } }, alias('c'));
    assert.equal(lastDelivery(sb).params.AccountName, 'c@mail.example.com');
  });

  test('a retry signs with its own config, even after another send changed the kept one', async () => {
    // A is throttled once; while it waits to retry, B plans with another config, which the core
    // then keeps instead of A's. A's retry must still carry A's config.
    sb.addFault({
      match: { action: 'SingleSendMail', to: 'retry-a@example.com' },
      mode: 'error',
      code: 'Throttling.Api',
      times: 1,
    });
    const a = await connect(dmConfig(sb.url, { accountName: 'a@mail.example.com' }));
    const b = await connect(dmConfig(sb.url, { accountName: 'b@mail.example.com' }));
    const data = (to) => ({ to, type: 'SignIn', payload: { code: '1' } });
    // First A alone, so that A's config is the kept one when its throttled send starts.
    await a.sendMessage(data('a@example.com'));
    await Promise.all([
      a.sendMessage(data('retry-a@example.com')),
      b.sendMessage(data('b@example.com')),
    ]);
    const accountOf = (to) =>
      sb
        .deliveries()
        .filter((d) => d.to === to)
        .map((d) => d.params.AccountName);
    assert.deepEqual(accountOf('retry-a@example.com'), ['a@mail.example.com']);
    assert.deepEqual(accountOf('b@example.com'), ['b@mail.example.com']);
  });

  test('a config edited in place, or whose JSON is not its plain data, is read afresh', async () => {
    // One object handed out again and again, as an in-memory cache would: the shim compares
    // contents with the config it last sent, so every edit below must reach Aliyun.
    const config = dmConfig(sb.url, { accountName: 'x@mail.example.com', fromAlias: 'X' });
    const connector = await connect(config);
    const send = async () => {
      await connector.sendMessage({
        to: 'user@example.com',
        type: 'SignIn',
        payload: { code: '1' },
      });
      return lastDelivery(sb).params;
    };
    assert.equal((await send()).AccountName, 'x@mail.example.com');
    config.accountName = 'y@mail.example.com';
    assert.equal((await send()).AccountName, 'y@mail.example.com', 'a top-level edit');
    config.templates.find(({ usageType }) => usageType === 'SignIn').subject = 'Edited {{code}}';
    assert.equal((await send()).Subject, 'Edited 1', 'an edit two levels down');
    config.fromAlias = { toJSON: () => 'Via toJSON' };
    assert.equal(
      (await send()).FromAlias,
      'Via toJSON',
      'a toJSON is honoured as JSON.stringify does',
    );
    config.fromAlias = 'Y';
    assert.equal((await send()).FromAlias, 'Y', 'back to plain data');
    const { templates, ...rest } = config;
    await (
      await connect({ templates, ...rest, fromAlias: 'Reordered' })
    ).sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '1' } });
    assert.equal(lastDelivery(sb).params.FromAlias, 'Reordered', 'the same keys in another order');
    assert.equal((await send()).FromAlias, 'Y');
    config.accountName = undefined;
    await rejectsWith(send(), 'invalid_config');
    config.accountName = 'z@mail.example.com';
    assert.equal((await send()).AccountName, 'z@mail.example.com', 'after a refused config');
  });
});
