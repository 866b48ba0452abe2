// `npm start` as a person (or CI) runs it: scripts/start.mjs in a child process, on the Node
// running this file. Uses the built dist/ (`node scripts/build.mjs` ran before) and passes
// --no-build, so a test never rebuilds dist/ under the other suites' feet.
//
// The `send` tests start the sandbox here, so the child must be spawned asynchronously: a
// synchronous spawn would block the event loop the sandbox answers on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  accessKeySecret,
  dmConfig,
  sandbox,
  smsAuthConfig,
  smsConfig,
  templateTypes,
} from './fixtures.mjs';
import { repoRoot } from './host.mjs';

const startScript = path.join(repoRoot, 'scripts', 'start.mjs');
// Generous: a 2-core machine running the other suites in parallel can be slow.
const childTimeoutMs = 120_000;
const testTimeout = { timeout: childTimeoutMs + 30_000 };

/** Runs `node scripts/start.mjs ...args`; resolves with the exit code and both outputs. */
const runStart = (args) =>
  new Promise((resolve, reject) => {
    // No $SANDBOX_PORT from the environment: the tests choose their ports.
    const env = { ...process.env };
    delete env.SANDBOX_PORT;
    const child = spawn(process.execPath, [startScript, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start.mjs ${args.join(' ')} did not finish within ${childTimeoutMs} ms`));
    }, childTimeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });

const describeRun = ({ code, stdout, stderr }) =>
  `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;

/** An expected failure: no stack frames anywhere, exactly one `error:` line. */
const assertCleanFailure = (run) => {
  const all = `${run.stdout}\n${run.stderr}`;
  assert.ok(!/^\s{4}at /m.test(all), `a stack trace was printed:\n${describeRun(run)}`);
  const errorLines = run.stderr.split('\n').filter((line) => line.startsWith('error: '));
  assert.equal(errorLines.length, 1, `one error line expected:\n${describeRun(run)}`);
  return errorLines[0];
};

const assertNoSecret = (run, secret = accessKeySecret) => {
  assert.ok(!run.stdout.includes(secret), 'the secret appeared on stdout');
  assert.ok(!run.stderr.includes(secret), 'the secret appeared on stderr');
};

let workDir;
before(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'start-cli-test-'));
});
after(() => fs.rm(workDir, { recursive: true, force: true }));

const writeConfig = async (name, content) => {
  const file = path.join(workDir, name);
  await fs.writeFile(
    file,
    typeof content === 'string' ? content : JSON.stringify(content, null, 2),
  );
  return file;
};

describe('the demo', () => {
  test(
    '--once sends an email, an SMS and an SMS authentication code, prints the account and the inbox URL, exits 0',
    testTimeout,
    async () => {
      const run = await runStart(['--once', '--no-build']);
      assert.equal(run.code, 0, describeRun(run));
      const { stdout } = run;
      const inbox = /http:\/\/127\.0\.0\.1:\d+\/__sandbox\//.exec(stdout);
      assert.ok(inbox, `no inbox URL:\n${stdout}`);
      assert.ok(stdout.includes('user@example.com'), 'the email recipient');
      assert.ok(stdout.includes('8613912345678'), 'the SMS recipient');
      // Every message was verified by the sandbox, and the account shows what was signed.
      assert.equal(stdout.match(/^\s+verified\s/gm)?.length, 3, stdout);
      const signed = [
        'Action=SingleSendMail',
        'Action=SendSms ',
        'Action=SendSmsVerifyCode',
        'SignatureMethod=HMAC-SHA1',
        'SignatureNonce=',
        'Timestamp=',
      ];
      for (const name of signed) {
        assert.ok(stdout.includes(name), `${name} in the account`);
      }
      assert.match(stdout, /^\s+signature\s+[A-Za-z0-9+/]{27}=/m, 'the Signature itself');
      assert.equal(stdout.match(/RequestId [0-9A-F-]{36}/g)?.length, 3, stdout);
      assert.match(
        stdout,
        /TemplateParam \{"code":"\d{6}","min":"10"\}/,
        'the SMS authentication template',
      );
      // Chinese text as it is, in UTF-8.
      assert.ok(stdout.includes('示例应用 登录验证码'), 'the Chinese subject');
      assert.equal(run.stderr, '', 'nothing on stderr');
    },
  );

  test(
    '--port with a port in use: one clear line naming the port, non-zero exit',
    testTimeout,
    async () => {
      const blocker = net.createServer();
      await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address();
      try {
        const run = await runStart(['--once', '--no-build', '--port', String(port)]);
        assert.notEqual(run.code, 0, describeRun(run));
        const line = assertCleanFailure(run);
        assert.ok(line.includes(String(port)), line);
        assert.match(line, /in use/);
        assert.match(line, /--port/, 'says how to pick another');
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    },
  );
});

describe('send', () => {
  let sb;
  before(async () => {
    sb = await sandbox();
  });
  after(() => sb?.close());
  beforeEach(() => sb.reset());

  test(
    'a Direct Mail config pointed at the sandbox: delivered, RequestId printed, secret never',
    testTimeout,
    async () => {
      const file = await writeConfig('dm.json', dmConfig(sb.url));
      const run = await runStart([
        ...['send', '--no-build', '--config', file],
        ...['--to', 'someone@example.com', '--type', 'SignIn', '--locale', 'zh-CN'],
      ]);
      assert.equal(run.code, 0, describeRun(run));
      const [delivery] = sb.deliveries();
      assert.ok(delivery, 'the sandbox delivered nothing');
      assert.equal(delivery.kind, 'email');
      assert.equal(delivery.to, 'someone@example.com');
      assert.equal(delivery.subject, '[SignIn] 验证码 000000');
      assert.ok(run.stdout.includes(`RequestId ${delivery.requestId}`), describeRun(run));
      assert.ok(run.stdout.includes(`EnvId ${delivery.envId}`), describeRun(run));
      assert.ok(run.stdout.includes('accessKeySecret ****'), 'the secret is shown masked');
      assertNoSecret(run);
    },
  );

  test(
    'an SMS config: Generic by default with code 000000, BizId printed',
    testTimeout,
    async () => {
      const file = await writeConfig('sms.json', smsConfig(sb.url));
      const run = await runStart(['send', '--no-build', '--config', file, '--to', '8613800138000']);
      assert.equal(run.code, 0, describeRun(run));
      const [delivery] = sb.deliveries();
      assert.ok(delivery, 'the sandbox delivered nothing');
      assert.equal(delivery.kind, 'sms');
      assert.equal(delivery.to, '8613800138000');
      assert.equal(delivery.templateCode, 'SMS_CN_Generic');
      assert.deepEqual(JSON.parse(delivery.templateParam), { code: '000000' });
      assert.ok(run.stdout.includes(`RequestId ${delivery.requestId}`), describeRun(run));
      assert.ok(run.stdout.includes(`BizId ${delivery.bizId}`), describeRun(run));
      assertNoSecret(run);
    },
  );

  test(
    'an SMS authentication config (system template codes) is detected: SendSmsVerifyCode, Generic 000000, BizId printed',
    testTimeout,
    async () => {
      const file = await writeConfig('sms-auth.json', smsAuthConfig(sb.url));
      const run = await runStart(['send', '--no-build', '--config', file, '--to', '8613800138000']);
      assert.equal(run.code, 0, describeRun(run));
      const [delivery] = sb.deliveries();
      assert.ok(delivery, 'the sandbox delivered nothing');
      assert.equal(delivery.kind, 'sms-auth');
      assert.equal(delivery.to, '+8613800138000');
      assert.equal(delivery.templateCode, '100001');
      assert.equal(delivery.templateParam, '{"code":"000000","min":"10"}');
      assert.ok(run.stdout.includes('connector-aliyun-sms-auth'), describeRun(run));
      assert.ok(run.stdout.includes(`RequestId ${delivery.requestId}`), describeRun(run));
      assert.ok(run.stdout.includes(`BizId ${delivery.bizId}`), describeRun(run));
      assert.ok(run.stdout.includes('accessKeySecret ****'), 'the secret is shown masked');
      assertNoSecret(run);
    },
  );

  test(
    'SMS authentication with templates of its own: --kind aliyun-sms-auth, or codeValidityMinutes, says which',
    testTimeout,
    async () => {
      const templates = templateTypes.map((usageType) => ({
        usageType,
        templateCode: `SMS_AUTH_${usageType}`,
      }));
      const named = await writeConfig('sms-auth-own.json', smsAuthConfig(sb.url, { templates }));
      const run = await runStart([
        ...['send', '--no-build', '--config', named, '--to', '8613800138000'],
        ...['--type', 'BindMfa', '--kind', 'aliyun-sms-auth'],
      ]);
      assert.equal(run.code, 0, describeRun(run));
      assert.equal(sb.deliveries().at(-1)?.kind, 'sms-auth', describeRun(run));
      assert.equal(sb.deliveries().at(-1).templateCode, 'SMS_AUTH_BindMfa');

      const minutes = await writeConfig(
        'sms-auth-minutes.json',
        smsAuthConfig(sb.url, { templates, codeValidityMinutes: 5 }),
      );
      const detected = await runStart([
        ...['send', '--no-build', '--config', minutes, '--to', '+8613800138000'],
      ]);
      assert.equal(detected.code, 0, describeRun(detected));
      const delivery = sb.deliveries().at(-1);
      assert.equal(delivery.kind, 'sms-auth');
      assert.equal(delivery.templateParam, '{"code":"000000","min":"5"}');
      assert.equal(sb.deliveries().length, 2);
    },
  );

  test(
    'SMS authentication to a number outside mainland China: invalid_request_parameters, exit 1, nothing sent',
    testTimeout,
    async () => {
      const file = await writeConfig('sms-auth-hk.json', smsAuthConfig(sb.url));
      const run = await runStart(['send', '--no-build', '--config', file, '--to', '85291234567']);
      assert.equal(run.code, 1, describeRun(run));
      assert.match(assertCleanFailure(run), /^error: invalid_request_parameters: .*mainland China/);
      assertNoSecret(run);
      assert.equal(sb.requests().length, 0, 'nothing reached the sandbox');
    },
  );

  test('--code random sends six random digits and says which', testTimeout, async () => {
    const file = await writeConfig('sms-random.json', smsConfig(sb.url));
    const run = await runStart([
      'send',
      '--no-build',
      '--config',
      file,
      '--to',
      '8613800138000',
      '--code',
      'random',
    ]);
    assert.equal(run.code, 0, describeRun(run));
    const { code } = JSON.parse(sb.deliveries()[0].templateParam);
    assert.match(code, /^\d{6}$/);
    assert.ok(run.stdout.includes(`code ${code}`), describeRun(run));
  });

  test(
    'Aliyun refuses (wrong secret): error line with the code, Aliyun Code and RequestId, exit 1',
    testTimeout,
    async () => {
      const wrongSecret = `wrong-${accessKeySecret}`;
      const file = await writeConfig(
        'dm-wrong.json',
        dmConfig(sb.url, { accessKeySecret: wrongSecret }),
      );
      const run = await runStart([
        'send',
        '--no-build',
        '--config',
        file,
        '--to',
        'someone@example.com',
      ]);
      assert.equal(run.code, 1, describeRun(run));
      const line = assertCleanFailure(run);
      assert.match(line, /^error: invalid_config: /);
      assert.match(run.stderr, /Aliyun Code: SignatureDoesNotMatch, RequestId: [0-9A-F-]{36}/);
      assertNoSecret(run, wrongSecret);
      assert.equal(sb.deliveries().length, 0);
    },
  );

  test(
    'a config the connector refuses: every issue with its path, exit 2, nothing sent',
    testTimeout,
    async () => {
      const config = dmConfig(sb.url, {
        accountName: undefined,
        timeoutMs: 5,
        templates: [{ usageType: 'SignIn' }],
      });
      const file = await writeConfig('dm-bad.json', config);
      const run = await runStart([
        'send',
        '--no-build',
        '--config',
        file,
        '--to',
        'someone@example.com',
        '--kind',
        'aliyun-dm',
      ]);
      assert.equal(run.code, 2, describeRun(run));
      const line = assertCleanFailure(run);
      assert.match(line, /is not a valid aliyun-dm config/);
      for (const issue of [
        'accountName: ',
        'templates[0].subject: ',
        'templates: ',
        'timeoutMs: ',
      ]) {
        assert.ok(run.stderr.includes(`  ${issue}`), `issue ${issue} listed:\n${run.stderr}`);
      }
      assertNoSecret(run);
      assert.equal(sb.requests().length, 0, 'nothing reached the sandbox');
    },
  );

  test(
    'a file that is not JSON: one line with the position, no quote of the file',
    testTimeout,
    async () => {
      // The comma after the secret is missing: V8's own message would quote the text around it.
      const text = [
        '{',
        '  "accessKeyId": "LTAI5tTestKeyId0001",',
        `  "accessKeySecret": "${accessKeySecret}"`,
        '  "accountName": "a@b.c"',
        '}',
      ].join('\n');
      const file = await writeConfig('broken.json', text);
      const run = await runStart([
        'send',
        '--no-build',
        '--config',
        file,
        '--to',
        'someone@example.com',
      ]);
      assert.notEqual(run.code, 0, describeRun(run));
      const line = assertCleanFailure(run);
      assert.ok(line.includes('broken.json'), line);
      assert.match(line, /not valid JSON/);
      assert.match(line, /line 4/);
      assertNoSecret(run);
    },
  );

  test('a missing config file: one line, exit 2', testTimeout, async () => {
    const run = await runStart([
      'send',
      '--no-build',
      '--config',
      path.join(workDir, 'nope.json'),
      '--to',
      'a@b.c',
    ]);
    assert.equal(run.code, 2, describeRun(run));
    assert.match(assertCleanFailure(run), /cannot read the config file .*nope\.json: no such file/);
  });
});

describe('the command line', () => {
  test('--help prints the usage and the exit codes, exit 0', testTimeout, async () => {
    const run = await runStart(['--help']);
    assert.equal(run.code, 0, describeRun(run));
    assert.match(run.stdout, /^usage: npm start/);
    for (const text of [
      '--once',
      '--port',
      'send',
      '--config',
      '--to',
      '--type',
      '--locale',
      '--kind',
      'Exit status',
    ]) {
      assert.ok(run.stdout.includes(text), `${text} in --help`);
    }
  });

  test('an unknown option: one line, exit 2', testTimeout, async () => {
    const run = await runStart(['--frobnicate']);
    assert.equal(run.code, 2, describeRun(run));
    assert.match(assertCleanFailure(run), /unknown option --frobnicate/);
  });

  test('send without --to: one line, exit 2', testTimeout, async () => {
    const run = await runStart(['send', '--config', 'x.json']);
    assert.equal(run.code, 2, describeRun(run));
    assert.match(assertCleanFailure(run), /send needs --to/);
  });
});
