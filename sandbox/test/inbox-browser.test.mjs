// The inbox page in a real browser (headless Chromium), driven over the DevTools protocol.
// The protocol runs over --remote-debugging-pipe (NUL-separated JSON on fds 3 and 4), so no
// WebSocket client is needed and the test runs the same on Node 20 and 22.
// Skipped when Chromium is not installed (Debian: apt-get install chromium).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { startSandbox } from '../index.mjs';
import { CREDENTIALS, dmParams, postSigned, smsAuthParams, smsParams } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found (install Debian's chromium package to run the browser test)`;

/** Launch Chromium with a DevTools pipe; returns { send(method, params, sessionId), close() }. */
function launch(userDataDir) {
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      `--user-data-dir=${userDataDir}`,
      '--remote-debugging-pipe',
      '--window-size=1280,900',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  child.stderr.resume(); // Chromium is chatty (dbus); nobody needs it
  const toBrowser = child.stdio[3];
  const fromBrowser = child.stdio[4];
  let nextId = 1;
  const waiting = new Map();
  let buffer = Buffer.alloc(0);
  fromBrowser.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    let end;
    while ((end = buffer.indexOf(0)) !== -1) {
      const msg = JSON.parse(buffer.subarray(0, end).toString('utf8'));
      buffer = buffer.subarray(end + 1);
      const w = msg.id !== undefined && waiting.get(msg.id);
      if (w) {
        waiting.delete(msg.id);
        if (msg.error) w.reject(new Error(`${w.method}: ${msg.error.message}`));
        else w.resolve(msg.result);
      }
    }
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('chromium exited'));
    waiting.clear();
  });
  return {
    send(method, params = {}, sessionId = undefined) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject, method });
        toBrowser.write(
          `${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`,
        );
      });
    },
    // Ask Chromium to quit so it takes its helper processes down with it; kill it only if
    // it does not exit in time.
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const id = nextId++;
        toBrowser.write(`${JSON.stringify({ id, method: 'Browser.close', params: {} })}\0`);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Evaluate an expression in the page until it returns a truthy value. */
async function waitFor(browser, sessionId, expression, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { result } = await browser.send(
      'Runtime.evaluate',
      { expression, returnByValue: true },
      sessionId,
    );
    if (result.value) return result.value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Decodes an 8-bit RGB or RGBA PNG (what Chromium's captureScreenshot produces) into
 * `{ width, height, pixel(x, y) → [r, g, b] }`, so a test can look at what was rendered.
 */
const decodePng = (png) => {
  let at = 8;
  let header;
  const idat = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR')
      header = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        depth: data[8],
        colour: data[9],
      };
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  assert.equal(header.depth, 8, 'an 8-bit PNG');
  const channels = { 2: 3, 6: 4 }[header.colour];
  assert.ok(channels, `PNG colour type ${header.colour}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = header.width * channels;
  const out = Buffer.alloc(stride * header.height);
  for (let y = 0; y < header.height; y += 1) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i += 1) {
      const x = raw[y * (stride + 1) + 1 + i];
      const left = i >= channels ? out[y * stride + i - channels] : 0;
      const up = y > 0 ? out[(y - 1) * stride + i] : 0;
      const upLeft = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels] : 0;
      const paeth = () => {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      };
      const predictor = [0, left, up, (left + up) >> 1, paeth()][filter];
      out[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return {
    width: header.width,
    height: header.height,
    pixel: (x, y) => [...out.subarray(y * stride + x * channels, y * stride + x * channels + 3)],
  };
};

describe('inbox page in headless Chromium', { skip: SKIP }, () => {
  it(
    'shows a Chinese subject, renders the HTML body without scripts or remote loads, updates live, screenshots',
    { timeout: 60000 },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'sandbox-browser-'));
      const sb = await startSandbox({ credentials: CREDENTIALS });
      const browser = launch(join(dir, 'profile'));
      try {
        const origin = sb.url.slice(0, -1);
        const subject = '验证码：您的登录代码 🔐';
        // The email tries to load a remote image and run a script: both would show up as
        // requests to the sandbox if the page's protections failed.
        // A solid block of a colour found nowhere else on the page: the screenshot must show it
        // (the HTML was rendered, not printed as text).
        const html = `<h1 style="color:#c00">你好，世界</h1><p>인증 코드 <b>123456</b></p>
        <div style="width:160px;height:48px;background:#00c853"></div>
        <img src="${origin}/tracking-pixel.png" alt="">
        <script>fetch('${origin}/script-ran')</script>`;
        await postSigned(sb, dmParams(Date.now(), { Subject: subject, HtmlBody: html }));
        const [mail] = sb.deliveries();

        const { targetInfos } = await browser.send('Target.getTargets');
        const page = targetInfos.find((x) => x.type === 'page');
        const { sessionId } = await browser.send('Target.attachToTarget', {
          targetId: page.targetId,
          flatten: true,
        });
        await browser.send('Page.enable', {}, sessionId);
        await browser.send('Runtime.enable', {}, sessionId);
        await browser.send('Page.navigate', { url: `${sb.url}__sandbox/#${mail.id}` }, sessionId);

        const title = await waitFor(
          browser,
          sessionId,
          "document.querySelector('#detail h2.subject')?.textContent",
          'the detail view',
        );
        assert.equal(title, subject);
        const listTitle = await waitFor(
          browser,
          sessionId,
          "document.querySelector('#messages .title')?.textContent",
          'the list',
        );
        assert.equal(listTitle, subject);
        await waitFor(
          browser,
          sessionId,
          "document.getElementById('status').textContent === 'live'",
          'the event stream',
        );
        const frame = await waitFor(
          browser,
          sessionId,
          `(() => {
        const f = document.querySelector('iframe.body');
        return f && { sandbox: f.getAttribute('sandbox'), hasBody: f.srcdoc.includes('你好，世界') };
      })()`,
          'the iframe',
        );
        assert.deepEqual(frame, { sandbox: '', hasBody: true });
        const raw = await waitFor(
          browser,
          sessionId,
          "document.querySelector('pre.raw')?.textContent",
          'the raw body',
        );
        assert.equal(raw, mail.rawBody);

        // Live update: a new SMS appears at the top of the list without reloading.
        await postSigned(
          sb,
          smsParams(Date.now(), {
            TemplateCode: 'SMS_LIVE_1',
            TemplateParam: '{"code":"654321","product":"罗格托"}',
          }),
        );
        const top = await waitFor(
          browser,
          sessionId,
          "document.querySelector('#messages li .title')?.textContent === 'SMS_LIVE_1' && document.querySelectorAll('#messages li').length",
          'the live SMS',
        );
        assert.equal(top, 2);

        // Opening the SMS shows its TemplateParam pretty-printed.
        await browser.send(
          'Runtime.evaluate',
          { expression: "document.querySelector('#messages li').click()" },
          sessionId,
        );
        const param = await waitFor(
          browser,
          sessionId,
          "document.querySelector('pre.template-param')?.textContent",
          'the SMS detail',
        );
        assert.equal(param, '{\n  "code": "654321",\n  "product": "罗格托"\n}');

        await new Promise((r) => setTimeout(r, 300)); // give a would-be leak time to happen
        const leaks = sb
          .requests()
          .filter((r) => r.path === '/tracking-pixel.png' || r.path === '/script-ran');
        assert.deepEqual(leaks, [], 'the email body loaded something or ran a script');

        await browser.send(
          'Runtime.evaluate',
          { expression: "document.querySelectorAll('#messages li')[1].click()" },
          sessionId,
        );
        await waitFor(
          browser,
          sessionId,
          "document.querySelector('iframe.body') !== null",
          'the email again',
        );
        // The sandboxed iframe paints its srcdoc a moment after it is inserted, and the parent
        // cannot see into it (no allow-same-origin): screenshot until the block shows, for up
        // to 10 s (a liveness wait, not a timing).
        const blockSamples = (image) => {
          let count = 0;
          for (let y = 0; y < image.height; y += 2) {
            for (let x = 0; x < image.width; x += 2) {
              const [r, g, b] = image.pixel(x, y);
              if (Math.abs(r - 0x00) <= 2 && Math.abs(g - 0xc8) <= 2 && Math.abs(b - 0x53) <= 2)
                count += 1;
            }
          }
          return count;
        };
        let png;
        let image;
        let block = 0;
        for (let attempt = 0; attempt < 50 && block <= 1000; attempt += 1) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, 200));
          const { data } = await browser.send(
            'Page.captureScreenshot',
            { format: 'png' },
            sessionId,
          );
          png = Buffer.from(data, 'base64');
          assert.deepEqual(
            [...png.subarray(0, 8)],
            [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
          );
          image = decodePng(png);
          block = blockSamples(image);
        }
        // 160 × 48 CSS px sampled every other pixel is about 1 900 samples at scale 1.
        t.diagnostic(
          `screenshot ${image.width}×${image.height}: ${block} sampled pixels of the sent #00c853 block`,
        );
        assert.ok(
          block > 1000,
          `the email's #00c853 block is visible in the screenshot (${block} samples)`,
        );
        const shotDir = mkdtempSync(join(tmpdir(), 'sandbox-inbox-screenshot-'));
        const shot = join(shotDir, 'inbox.png');
        writeFileSync(shot, png);
        t.diagnostic(`screenshot: ${shot}`);
      } finally {
        await browser.close();
        await sb.close();
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      }
    },
  );

  it(
    'shows an SMS authentication message with its own label and the rendered gift template',
    { timeout: 60000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sandbox-browser-'));
      const sb = await startSandbox({ credentials: CREDENTIALS });
      const browser = launch(join(dir, 'profile'));
      try {
        await postSigned(
          sb,
          smsAuthParams(Date.now(), {
            SignName: '速通互联验证码',
            TemplateParam: '{"code":"246810","min":"10"}',
          }),
        );
        const [message] = sb.deliveries();
        const { targetInfos } = await browser.send('Target.getTargets');
        const page = targetInfos.find((x) => x.type === 'page');
        const { sessionId } = await browser.send('Target.attachToTarget', {
          targetId: page.targetId,
          flatten: true,
        });
        await browser.send('Runtime.enable', {}, sessionId);
        await browser.send(
          'Page.navigate',
          { url: `${sb.url}__sandbox/#${message.id}` },
          sessionId,
        );

        const text = await waitFor(
          browser,
          sessionId,
          "document.querySelector('pre.sms-text')?.textContent",
          'the detail view',
        );
        assert.equal(text, message.text);
        assert.match(text, /^【速通互联验证码】您的验证码为246810。/);
        const item = await waitFor(
          browser,
          sessionId,
          `(() => {
        const kind = document.querySelector('#messages .kind');
        return kind && { label: kind.textContent, className: kind.className, title: document.querySelector('#messages .title').textContent };
      })()`,
          'the list',
        );
        assert.deepEqual(item, {
          label: 'sms auth',
          className: 'kind kind-sms-auth',
          title: message.text,
        });
        const fieldsShown = await waitFor(
          browser,
          sessionId,
          "[...document.querySelectorAll('#detail dt')].map((n) => n.textContent).join(',')",
          'the fields',
        );
        assert.match(
          fieldsShown,
          /^To,SignName,TemplateCode,VerifyCode,Region,Host,Received,BizId,RequestId$/,
        );
        const param = await waitFor(
          browser,
          sessionId,
          "document.querySelector('pre.template-param')?.textContent",
          'the TemplateParam',
        );
        assert.equal(param, '{\n  "code": "246810",\n  "min": "10"\n}');
      } finally {
        await browser.close();
        await sb.close();
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      }
    },
  );
});
