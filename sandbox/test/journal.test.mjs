// The JSON-lines journal: deliveries survive a restart.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSandbox } from '../index.mjs';
import { CREDENTIALS, SECRET, dmParams, postSigned, smsParams } from './helpers.mjs';

describe('journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-journal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('appends each delivery and reloads them after a restart; ids continue', async () => {
    const journal = join(dir, 'nested', 'deliveries.jsonl');
    const subject = '验证码 인증 😀';
    let sb = await startSandbox({ credentials: CREDENTIALS, journal });
    await postSigned(sb, dmParams(Date.now(), { Subject: subject }));
    await postSigned(sb, smsParams(Date.now()));
    await postSigned(sb, smsParams(Date.now()), { secret: 'wrong' }); // rejected: not journalled
    const before = sb.deliveries();
    await sb.close();

    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal(JSON.parse(lines[0]).subject, subject);
    assert.equal(readFileSync(journal, 'utf8').includes(SECRET), false);

    sb = await startSandbox({ credentials: CREDENTIALS, journal });
    try {
      assert.deepEqual(sb.deliveries(), before);
      await postSigned(sb, smsParams(Date.now()));
      assert.deepEqual(
        sb.deliveries().map((d) => d.id),
        [1, 2, 3],
      );
      // Restart does not reload requests, only deliveries.
      assert.equal(sb.requests().length, 1);
    } finally {
      await sb.close();
    }
  });

  it('skips a half-written last line and counts it', async () => {
    const journal = join(dir, 'torn.jsonl');
    let sb = await startSandbox({ credentials: CREDENTIALS, journal });
    await postSigned(sb, smsParams(Date.now()));
    await sb.close();
    appendFileSync(journal, '{"id":2,"kind":"sms","to":"1380');
    sb = await startSandbox({ credentials: CREDENTIALS, journal });
    try {
      assert.equal(sb.deliveries().length, 1);
      assert.equal(sb.journalSkipped, 1);
    } finally {
      await sb.close();
    }
  });

  it('clearing the messages empties the journal too', async () => {
    const journal = join(dir, 'cleared.jsonl');
    let sb = await startSandbox({ credentials: CREDENTIALS, journal });
    await postSigned(sb, smsParams(Date.now()));
    sb.reset();
    await sb.close();
    assert.equal(readFileSync(journal, 'utf8'), '');
    sb = await startSandbox({ credentials: CREDENTIALS, journal });
    try {
      assert.equal(sb.deliveries().length, 0);
    } finally {
      await sb.close();
    }
  });
});
