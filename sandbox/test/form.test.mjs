import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseForm } from '../form.mjs';

describe('parseForm (application/x-www-form-urlencoded as UTF-8 bytes)', () => {
  it('decodes %XX byte sequences as UTF-8 and + as space', () => {
    const p = parseForm(
      'Subject=%E9%AA%8C%E8%AF%81%E7%A0%81+%ED%95%9C%EA%B5%AD%EC%96%B4+%F0%9F%98%80&Plus=%2B',
    );
    assert.equal(p.Subject, '验证码 한국어 😀');
    assert.equal(p.Plus, '+');
  });

  it('accepts lowercase hex and raw (unencoded) UTF-8 bytes', () => {
    const p = parseForm(Buffer.concat([Buffer.from('a=%e4%b8%ad&b='), Buffer.from('中', 'utf8')]));
    assert.deepEqual(p, { a: '中', b: '中' });
  });

  it('keeps malformed escapes literally, like the WHATWG parser', () => {
    assert.deepEqual(parseForm('a=%zz&b=%4&c=100%'), { a: '%zz', b: '%4', c: '100%' });
  });

  it('handles empty pairs, names without =, = inside values, the last duplicate wins', () => {
    assert.deepEqual(parseForm('&&a&b=&c=x=y&d=1&d=2&'), { a: '', b: '', c: 'x=y', d: '2' });
  });

  it('does not let "__proto__" reach the prototype', () => {
    const p = parseForm('__proto__=x&constructor=y');
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.equal(p.__proto__, 'x'); // an own property
    assert.equal(p.constructor, 'y');
  });

  it('returns an empty object for an empty body', () => {
    assert.deepEqual(parseForm(''), {});
    assert.deepEqual(parseForm(Buffer.alloc(0)), {});
  });
});
