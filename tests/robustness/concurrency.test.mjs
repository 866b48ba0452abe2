// Nothing lost, nothing duplicated, under load: 1 000 concurrent sends through ONE connector
// instance (as a long-lived Logto process serving many tenants holds it) to the sandbox over
// real HTTP. Every message is delivered exactly once with its own code, every answer reaches
// the send it belongs to, and a send resolves if and only if its message was accepted. Along
// the way, the core's Wasm memory (read off the instance the glue makes) stops growing once the
// first 1 000 sends at once have grown it.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';

import { dmConfig, sandbox, smsAuthConfig, smsConfig } from '../js/fixtures.mjs';
import { kinds, logtoHost } from '../js/host.mjs';
import { probeWasmMemory } from '../../scripts/wasm-probe.mjs';
import { ConnectorError, describeRejection, settle, tally, watchTraps } from './support.mjs';

const N = 1000;

let host;
let sb;
let traps;
let memory;
before(async () => {
  memory = probeWasmMemory();
  [host, sb] = await Promise.all([logtoHost(), sandbox({ maxRecords: 50_000 })]);
  traps = await watchTraps(host);
});
after(async () => {
  traps?.stop();
  await sb?.close();
  await host?.close();
});

/** N distinct six-digit codes. */
const distinctCodes = (n) => {
  const codes = new Set();
  while (codes.size < n) {
    codes.add(String(randomInt(100_000, 1_000_000)));
  }
  return [...codes];
};

const report = (line) => console.log(`[concurrency] ${line}`);

/** Sends all jobs at once through one connector; returns their outcomes in job order. */
const sendAll = async (connector, jobs) => {
  const started = Date.now();
  const outcomes = await Promise.all(
    jobs.map((job) =>
      settle(
        connector.sendMessage({
          to: job.to,
          type: 'SignIn',
          payload: { code: job.code, locale: 'zh-CN' },
        }),
      ),
    ),
  );
  return { outcomes, elapsed: Date.now() - started };
};

/** Wasm memory of each kind after its 1 000 clean concurrent sends: the high-water mark. */
const afterClean = {};

/** Bytes of linear memory of each kind's newest core instance. */
const wasmMemory = () =>
  Object.fromEntries(Object.keys(kinds).map((kind) => [kind, memory.memoryOf(host.dirOf(kind))]));

const summarize = (outcomes) => {
  const counts = tally();
  for (const outcome of outcomes) {
    counts.add(outcome.status === 'resolved' ? 'resolved' : describeRejection(outcome.error));
  }
  return counts;
};

/**
 * N concurrent sends through one connector instance, distinct recipients and codes: every send
 * resolves, each message is delivered once, carries only its own code (`carriesItsCode`), and
 * each answer went back to the send that made the request (`answeredItsSend`).
 */
const concurrentSends = async ({
  label,
  kind,
  config,
  recipient,
  deliveryKind,
  carriesItsCode,
  answeredItsSend,
}) => {
  sb.reset();
  const connector = await host.connect(kind, { config });
  const codes = distinctCodes(N);
  const jobs = codes.map((code, i) => ({ to: recipient(i, code), code }));
  const { outcomes, elapsed } = await sendAll(connector, jobs);
  const counts = summarize(outcomes);
  report(
    `${label}: ${N} sends in ${elapsed} ms: ${counts}; wasm memory ${JSON.stringify(wasmMemory())}`,
  );

  assert.equal(counts.get('resolved'), N, `every send resolves (${counts})`);
  const deliveries = sb.deliveries().filter((d) => d.kind === deliveryKind);
  assert.equal(deliveries.length, N, 'one delivery per send');
  const byRecipient = new Map(deliveries.map((d) => [d.to, d]));
  assert.equal(byRecipient.size, N, 'no recipient delivered twice');
  let crossTalk = 0;
  jobs.forEach((job, i) => {
    const delivery = byRecipient.get(job.to);
    assert.ok(delivery, `${job.to} was delivered`);
    if (!carriesItsCode(delivery, job.code)) crossTalk += 1;
    if (!answeredItsSend(outcomes[i].value, delivery)) crossTalk += 1;
  });
  afterClean[kind] = wasmMemory()[kind];
  report(
    `${label}: delivered ${deliveries.length}, distinct recipients ${byRecipient.size}, cross-talk ${crossTalk}, traps ${traps.count()}`,
  );
  assert.equal(crossTalk, 0, 'cross-talk between concurrent sends');
  assert.equal(traps.count(), 0, 'the Wasm core trapped');
};

test(`DM: ${N} concurrent sends through one connector instance, each delivered once with its own code`, () =>
  concurrentSends({
    label: 'DM',
    kind: 'aliyun-dm',
    config: dmConfig(sb.url, { timeoutMs: 60_000 }),
    recipient: (i, code) => `user-${i}-${code}@example.com`,
    deliveryKind: 'email',
    // Its own code, and no other code anywhere in the message.
    carriesItsCode: (delivery, code) =>
      delivery.subject === `[SignIn] 验证码 ${code}` &&
      delivery.htmlBody === `<p>[SignIn] 您的验证码是 <b>${code}</b>。</p>`,
    answeredItsSend: (value, delivery) =>
      value?.RequestId === delivery.requestId && value?.EnvId === delivery.envId,
  }));

test(`SMS: ${N} concurrent sends through one connector instance, each delivered once with its own code`, () =>
  concurrentSends({
    label: 'SMS',
    kind: 'aliyun-sms',
    config: smsConfig(sb.url, { timeoutMs: 60_000 }),
    recipient: (i) => `139${String(i).padStart(8, '0')}`,
    deliveryKind: 'sms',
    // locale and uiLocales never reach TemplateParam; the code is the only field.
    carriesItsCode: (delivery, code) =>
      delivery.templateParam === JSON.stringify({ code }) &&
      delivery.templateCode === 'SMS_CN_SignIn',
    answeredItsSend: (value, delivery) =>
      value?.RequestId === delivery.requestId &&
      value?.BizId === delivery.bizId &&
      value?.Code === 'OK',
  }));

test(`SMS authentication: ${N} concurrent sends through one connector instance, each delivered once with its own code`, () =>
  concurrentSends({
    label: 'SMS authentication',
    kind: 'aliyun-sms-auth',
    config: smsAuthConfig(sb.url, { timeoutMs: 60_000 }),
    // As the sandbox records it: "+86" and the national number the connector sends.
    recipient: (i) => `+86139${String(i).padStart(8, '0')}`,
    deliveryKind: 'sms-auth',
    // The code and its minutes, nothing else: locale never reaches TemplateParam.
    carriesItsCode: (delivery, code) =>
      delivery.templateParam === JSON.stringify({ code, min: '10' }) &&
      delivery.templateCode === '100001',
    answeredItsSend: (value, delivery) =>
      value?.RequestId === delivery.requestId &&
      value?.BizId === delivery.bizId &&
      value?.Code === 'OK',
  }));

// Faults mixed into the same load: the sandbox answers a share of the recipients with errors,
// broken bodies, resets and retryable codes. A send resolves exactly when its message was
// delivered; every other send rejects with a ConnectorError and its message is not delivered.
const mixedFaults = {
  SingleSendMail: [
    { mode: 'error', code: 'Throttling.User' },
    { mode: 'error', code: 'InvalidSendMail.Spam' },
    { mode: 'error', code: 'InvalidToAddress' },
    { mode: 'error', code: 'InternalError' },
    { mode: 'error', code: 'Throttling.Api' }, // retried 3 times, never accepted
    { mode: 'error', code: 'ServiceUnavailable', times: 1 }, // retried, then accepted
    { mode: 'html502' },
    { mode: 'truncated' },
    { mode: 'nonjson' },
    { mode: 'empty500' },
    { mode: 'reset' },
  ],
  SendSms: [
    { mode: 'error', code: 'isv.BUSINESS_LIMIT_CONTROL' },
    { mode: 'error', code: 'isv.DAY_LIMIT_CONTROL' },
    { mode: 'error', code: 'isv.MOBILE_NUMBER_ILLEGAL' },
    { mode: 'error', code: 'isp.SYSTEM_ERROR' },
    { mode: 'error', code: 'Throttling.Api', times: 1 }, // retried, then accepted
    { mode: 'error', code: 'ServiceUnavailable' }, // retried 3 times, never accepted
    { mode: 'html502' },
    { mode: 'truncated' },
    { mode: 'nonjson' },
    { mode: 'empty500' },
    { mode: 'reset' },
  ],
  SendSmsVerifyCode: [
    { mode: 'error', code: 'FREQUENCY_FAIL' },
    { mode: 'error', code: 'biz.FREQUENCY' },
    { mode: 'error', code: 'BUSINESS_LIMIT_CONTROL' },
    { mode: 'error', code: 'MOBILE_NUMBER_ILLEGAL' },
    { mode: 'error', code: 'FUNCTION_NOT_OPENED' },
    { mode: 'error', code: 'isv.AMOUNT_NOT_ENOUGH' },
    { mode: 'error', code: 'InternalError' },
    { mode: 'error', code: 'Throttling.Api', times: 1 }, // retried, then accepted
    { mode: 'error', code: 'ServiceUnavailable' }, // retried 3 times, never accepted
    { mode: 'html502' },
    { mode: 'truncated' },
    { mode: 'nonjson' },
    { mode: 'empty500' },
    { mode: 'reset' },
  ],
};

for (const [kind, action, recipient, config] of [
  ['aliyun-dm', 'SingleSendMail', (i) => `mixed-${i}@example.com`, dmConfig],
  ['aliyun-sms', 'SendSms', (i) => `138${String(i).padStart(8, '0')}`, smsConfig],
  [
    'aliyun-sms-auth',
    'SendSmsVerifyCode',
    (i) => `+86137${String(i).padStart(8, '0')}`,
    smsAuthConfig,
  ],
]) {
  test(`${kind}: ${N} concurrent sends with faults mixed in: resolved ⇔ delivered once, every rejection a ConnectorError, Wasm memory flat`, async (t) => {
    sb.reset();
    const connector = await host.connect(kind, { config: config(sb.url, { timeoutMs: 60_000 }) });
    const codes = distinctCodes(N);
    const jobs = codes.map((code, i) => ({ to: recipient(i), code }));
    // Two sends in three get a fault; the rest go through.
    const faults = mixedFaults[action];
    jobs.forEach((job, i) => {
      if (i % 3 !== 0) {
        const fault = faults[i % faults.length];
        sb.addFault({ match: { action, to: job.to }, ...fault });
        job.fault = fault;
      }
    });
    const { outcomes, elapsed } = await sendAll(connector, jobs);
    const counts = summarize(outcomes);
    report(
      `${kind} mixed: ${N} sends in ${elapsed} ms: ${counts}; wasm memory ${JSON.stringify(wasmMemory())}`,
    );

    const deliveriesTo = new Map();
    for (const delivery of sb.deliveries()) {
      deliveriesTo.set(delivery.to, (deliveriesTo.get(delivery.to) ?? 0) + 1);
    }
    let violations = 0;
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      const delivered = deliveriesTo.get(job.to) ?? 0;
      const problems = [];
      if (delivered > 1) problems.push(`delivered ${delivered} times`);
      if (outcome.status === 'resolved' && delivered !== 1)
        problems.push('resolved but not delivered');
      if (outcome.status === 'rejected' && delivered !== 0) problems.push('rejected but delivered');
      if (outcome.status === 'rejected' && !(outcome.error instanceof ConnectorError))
        problems.push(describeRejection(outcome.error));
      const recovers = job.fault?.times === 1;
      if (!job.fault || recovers ? outcome.status !== 'resolved' : outcome.status !== 'rejected') {
        problems.push(`${outcome.status} for fault ${JSON.stringify(job.fault ?? null)}`);
      }
      if (problems.length > 0) {
        violations += 1;
        if (violations <= 10) console.log(`[concurrency] ${job.to}: ${problems.join(', ')}`);
      }
    });
    const nonConnector = outcomes.filter(
      (o) => o.status === 'rejected' && !(o.error instanceof ConnectorError),
    ).length;
    report(
      `${kind} mixed: violations ${violations}, non-ConnectorError rejections ${nonConnector}, traps ${traps.count()}`,
    );
    assert.equal(violations, 0);
    assert.equal(nonConnector, 0);
    assert.equal(traps.count(), 0, 'the Wasm core trapped');
    // Wasm memory never shrinks: once 1 000 clean sends at once have grown it, as many again with
    // errors, retries and refusals fit in it, give or take a quarter (what the collector has not
    // yet freed: a continuation that never ran is released with its JS function). A send that
    // kept its state, a kilobyte and more each, would not.
    if (afterClean[kind] === undefined) {
      t.diagnostic('the clean sends did not run first: Wasm memory not compared');
    } else {
      const now = wasmMemory()[kind];
      assert.ok(
        now <= afterClean[kind] * 1.25,
        `Wasm memory grew from ${afterClean[kind]} to ${now} bytes`,
      );
    }
  });
}
