// Serving: HTTPS with the `tls` option, and the standalone CLI.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../index.mjs';
import { CREDENTIALS, formBody, request, smsAuthParams, smsParams } from './helpers.mjs';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.mjs');

function hasOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe(
  'tls option',
  { skip: hasOpenssl() ? false : 'openssl is not installed (needed to make a test certificate)' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-tls-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('serves HTTPS on loopback', async () => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const key = readFileSync(join(dir, 'key.pem'));
      const cert = readFileSync(join(dir, 'cert.pem'));
      const sb = await startSandbox({ credentials: CREDENTIALS, tls: { key, cert } });
      try {
        assert.match(sb.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
        const res = await request(sb.url, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: formBody(smsParams(Date.now())),
          ca: cert,
        });
        assert.equal(res.json.Code, 'OK', res.text);
      } finally {
        await sb.close();
      }
    });
  },
);

describe('cli.mjs', () => {
  it('prints its URL, serves, logs requests without the secret, and stops on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--port', '0', '--key', 'cli-key:cli-very-secret'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 5000);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const params = smsParams(Date.now(), { AccessKeyId: 'cli-key' });
    const res = await request(url, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody(params, 'cli-very-secret'),
    });
    assert.equal(res.json.Code, 'OK', res.text);
    const auth = await request(url, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody(smsAuthParams(Date.now(), { AccessKeyId: 'cli-key' }), 'cli-very-secret'),
    });
    assert.equal(auth.json.Success, true, auth.text);
    const exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise((r) => setTimeout(r, 50)); // let the log line arrive
    child.kill('SIGINT');
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(out, /SendSms delivered 200 OK/);
    assert.match(out, /SendSmsVerifyCode delivered 200 OK/);
    assert.match(
      out,
      /actions: SingleSendMail \(2015-11-23\), SendSms \(2017-05-25\), SendSmsVerifyCode \(2017-05-25\)/,
    );
    assert.match(out, /access key ids: cli-key/);
    assert.equal(out.includes('cli-very-secret'), false);
  });

  it('rejects a bad --key', () => {
    assert.throws(
      () => execFileSync(process.execPath, [CLI, '--key', 'only-id'], { stdio: 'pipe' }),
      /--key must be ID:SECRET/,
    );
  });
});
