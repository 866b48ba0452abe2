// Fault injection: make the sandbox misbehave the way Aliyun or the network in front of it
// can, so the connectors' error handling and retry rules can be tested.
//
// Faults fire after the request has been read and authenticated (signature, timestamp, nonce
// checked, nonce recorded), before the message is validated and delivered. Authentication
// first means a connector that retries with a reused nonce is still caught.
import { codeFitsProduct, findCodeInsensitive, lookupCode } from './errors.mjs';
import { canonicalQuery, stringToSign } from './signature.mjs';

export const MODES = [
  'error',
  'html502',
  'truncated',
  'nonjson',
  'empty500',
  'echo',
  'reset',
  'hang',
  'slow',
];

/**
 * How a fault may quote the request back (`echo`), as servers do in their error messages: the
 * raw form body, the decoded parameters, their JSON, the canonical query, or the string to
 * sign (as SignatureDoesNotMatch does). With mode 'error' the quote is appended to Aliyun's
 * message; mode 'echo' answers HTTP 500 with a plain-text body that is only the quote.
 */
export const ECHO_FORMS = ['form', 'decoded', 'json', 'canonical', 'stringToSign'];
export const ACTIONS = { SingleSendMail: 'dm', SendSms: 'sms', SendSmsVerifyCode: 'pnvs' };
const DEFAULT_SLOW_MS = 2000;

/**
 * Phone numbers that trigger a fault: a prefix, two digits NN naming a row of PHONE_TRIGGERS,
 * then any digits. Logto only accepts digit-only phone numbers, so this is how a person picks
 * a fault for SMS from Logto's console.
 *  - SendSms: "999" + NN, e.g. 99930123456 (+999 is not an assigned country code).
 *  - SendSmsVerifyCode: "1999" + NN, e.g. 19995200000 as PhoneNumber (+8619995200000 in
 *    Logto): its connector sends mainland mobiles only, and 199 is a mainland mobile range.
 * A row whose code the product cannot return is no trigger for that product.
 */
export const PHONE_TRIGGER_PREFIXES = { sms: '999', pnvs: '1999' };
const PHONE_TRIGGER_RES = { sms: /^\+?999(\d{2})\d*$/, pnvs: /^1999(\d{2})\d*$/ };

export const PHONE_TRIGGERS = {
  '01': { mode: 'reset' },
  '02': { mode: 'hang' },
  '03': { mode: 'slow' },
  '04': { mode: 'html502' },
  '05': { mode: 'truncated' },
  '06': { mode: 'nonjson' },
  '07': { mode: 'empty500' },
  '08': { mode: 'echo' },
  10: { mode: 'error', code: 'Throttling' },
  11: { mode: 'error', code: 'Throttling.User' },
  12: { mode: 'error', code: 'Throttling.Api' },
  13: { mode: 'error', code: 'ServiceUnavailable' },
  14: { mode: 'error', code: 'InternalError' },
  15: { mode: 'error', code: 'SignatureDoesNotMatch' },
  16: { mode: 'error', code: 'InvalidAccessKeyId.NotFound' },
  17: { mode: 'error', code: 'InvalidAccessKeyId.Inactive' },
  18: { mode: 'error', code: 'Forbidden.RAM' },
  19: { mode: 'error', code: 'NoPermission' },
  20: { mode: 'error', code: 'InvalidTimeStamp.Expired' },
  30: { mode: 'error', code: 'isv.BUSINESS_LIMIT_CONTROL' },
  31: { mode: 'error', code: 'isv.DAY_LIMIT_CONTROL' },
  32: { mode: 'error', code: 'isv.MONTH_LIMIT_CONTROL' },
  33: { mode: 'error', code: 'isv.AMOUNT_NOT_ENOUGH' },
  34: { mode: 'error', code: 'isv.OUT_OF_SERVICE' },
  35: { mode: 'error', code: 'isv.MOBILE_NUMBER_ILLEGAL' },
  36: { mode: 'error', code: 'isv.MOBILE_COUNT_OVER_LIMIT' },
  37: { mode: 'error', code: 'isv.SMS_SIGNATURE_ILLEGAL' },
  38: { mode: 'error', code: 'isv.SMS_TEMPLATE_ILLEGAL' },
  39: { mode: 'error', code: 'isv.SMS_SIGNATURE_SCENE_ILLEGAL' },
  40: { mode: 'error', code: 'isv.DOMESTIC_NUMBER_NOT_SUPPORTED' },
  41: { mode: 'error', code: 'isv.INVALID_PARAMETERS' },
  42: { mode: 'error', code: 'isv.INVALID_JSON_PARAM' },
  43: { mode: 'error', code: 'isv.TEMPLATE_MISSING_PARAMETERS' },
  44: { mode: 'error', code: 'isv.DENY_IP_RANGE' },
  45: { mode: 'error', code: 'isp.RAM_PERMISSION_DENY' },
  46: { mode: 'error', code: 'isp.SYSTEM_ERROR' },
  50: { mode: 'error', code: 'MOBILE_NUMBER_ILLEGAL' },
  51: { mode: 'error', code: 'BUSINESS_LIMIT_CONTROL' },
  52: { mode: 'error', code: 'FREQUENCY_FAIL' },
  53: { mode: 'error', code: 'INVALID_PARAMETERS' },
  54: { mode: 'error', code: 'FUNCTION_NOT_OPENED' },
  55: { mode: 'error', code: 'biz.FREQUENCY' },
};

/**
 * An 11-digit number that triggers `name` (a PHONE_TRIGGERS mode or code) for `action`, or
 * undefined when no row fits, e.g. phoneTrigger('SendSmsVerifyCode', 'FREQUENCY_FAIL') → '19995200000'.
 */
export function phoneTrigger(action, name) {
  const product = ACTIONS[action];
  const prefix = PHONE_TRIGGER_PREFIXES[product];
  if (!prefix) return undefined;
  const pair = Object.keys(PHONE_TRIGGERS).find((nn) => {
    const row = PHONE_TRIGGERS[nn];
    return (row.code ?? row.mode) === name && (!row.code || codeFitsProduct(row.code, product));
  });
  return pair && `${prefix}${pair}`.padEnd(11, '0');
}

/** The request quoted in the form `echo` names (see ECHO_FORMS). */
export function echoOf(echo, { method, params, rawBody }) {
  const { Signature, ...signed } = params;
  switch (echo) {
    case 'decoded':
      return Object.entries(params)
        .map(([key, value]) => `${key}: ${value}`)
        .join('; ');
    case 'json':
      return JSON.stringify(params);
    case 'canonical':
      return canonicalQuery(signed);
    case 'stringToSign':
      return stringToSign(method, signed);
    default:
      return rawBody;
  }
}

/**
 * Validate a fault description and return its normal form. Throws TypeError on a mistake
 * (unknown mode or code, a code of the other product, bad counts): a wrong fault is a bug in
 * the test that set it, and silently ignoring it would make that test pass for the wrong reason.
 */
export function normalizeFault(spec) {
  if (!spec || typeof spec !== 'object') throw new TypeError('fault must be an object');
  const match = spec.match ?? {};
  if (typeof match !== 'object') throw new TypeError('fault.match must be an object');
  const { action, to } = match;
  if (action !== undefined && action !== null && !Object.hasOwn(ACTIONS, action)) {
    throw new TypeError(`fault.match.action must be one of ${Object.keys(ACTIONS).join(', ')}`);
  }
  if (to !== undefined && to !== null && typeof to !== 'string' && !(to instanceof RegExp)) {
    throw new TypeError('fault.match.to must be a string or a RegExp');
  }
  const mode = spec.mode ?? (spec.code ? 'error' : undefined);
  if (!MODES.includes(mode)) throw new TypeError(`fault.mode must be one of ${MODES.join(', ')}`);
  let code = null;
  if (mode === 'error') {
    const row = lookupCode(spec.code);
    if (!row)
      throw new TypeError(`fault.code ${JSON.stringify(spec.code)} is not a known Aliyun code`);
    if (action && !codeFitsProduct(row.code, ACTIONS[action])) {
      throw new TypeError(`fault.code ${row.code} cannot be returned by ${action}`);
    }
    code = row.code;
  } else if (spec.code !== undefined && spec.code !== null) {
    throw new TypeError("fault.code is only meaningful with mode 'error'");
  }
  const delayMs = spec.delayMs ?? (mode === 'slow' ? DEFAULT_SLOW_MS : 0);
  if (!Number.isFinite(delayMs) || delayMs < 0)
    throw new TypeError('fault.delayMs must be a number ≥ 0');
  const echo = spec.echo ?? (mode === 'echo' ? 'form' : null);
  if (echo !== null && !ECHO_FORMS.includes(echo))
    throw new TypeError(`fault.echo must be one of ${ECHO_FORMS.join(', ')}`);
  if (echo !== null && mode !== 'error' && mode !== 'echo')
    throw new TypeError("fault.echo is only meaningful with mode 'error' or 'echo'");
  const times = spec.times ?? Infinity;
  if (times !== Infinity && (!Number.isInteger(times) || times < 1)) {
    throw new TypeError('fault.times must be a positive integer');
  }
  return { match: { action: action ?? null, to: to ?? null }, mode, code, echo, delayMs, times };
}

function toMatches(pattern, recipients) {
  if (pattern === null) return true;
  if (pattern instanceof RegExp)
    return recipients.some((r) => {
      pattern.lastIndex = 0;
      return pattern.test(r);
    });
  const want = pattern.toLowerCase();
  return recipients.some((r) => r.toLowerCase() === want);
}

/** The registered faults, checked in the order they were added. */
export class FaultSet {
  #faults = [];
  #nextId = 1;

  add(spec) {
    const fault = { id: this.#nextId++, ...normalizeFault(spec) };
    this.#faults.push(fault);
    return fault;
  }

  remove(id) {
    this.#faults = this.#faults.filter((f) => f.id !== id);
  }

  clear() {
    this.#faults = [];
  }

  /** JSON-safe view (Infinity → null, RegExp → its source). */
  list() {
    return this.#faults.map((f) => ({
      ...f,
      match: {
        action: f.match.action,
        to: f.match.to instanceof RegExp ? String(f.match.to) : f.match.to,
      },
      times: f.times === Infinity ? null : f.times,
    }));
  }

  /**
   * Find the first fault matching this request and count it down.
   * @param {{ action: string, recipients: string[] }} req
   */
  take({ action, recipients }) {
    const product = ACTIONS[action];
    for (const f of this.#faults) {
      if (f.match.action && f.match.action !== action) continue;
      // A code of the other product never fires (e.g. isv.* on a DM request).
      if (f.code && !codeFitsProduct(f.code, product)) continue;
      if (!toMatches(f.match.to, recipients)) continue;
      f.times -= 1;
      if (f.times <= 0) this.remove(f.id);
      return { ...f, source: 'registered' };
    }
    return undefined;
  }
}

function faultFromName(name, delay) {
  const lower = name.toLowerCase();
  const mode = MODES.find((m) => m !== 'error' && m === lower);
  if (mode)
    return {
      mode,
      code: null,
      echo: mode === 'echo' ? 'form' : null,
      delayMs: delay ?? (mode === 'slow' ? DEFAULT_SLOW_MS : 0),
    };
  const row = findCodeInsensitive(name);
  if (row) return { mode: 'error', code: row.code, echo: null, delayMs: delay ?? 0 };
  return undefined;
}

// Local part (or whole phone string) is "fault-<name>" or ends in "+fault-<name>", optionally
// followed by "-<milliseconds>" (a delay before the answer).
const TEXT_TRIGGER = /(?:^|\+)fault-([A-Za-z0-9._]+?)(?:-(\d{1,6}))?$/;

/**
 * The fault a recipient asks for, if any: the first recipient with a valid trigger wins.
 * A trigger naming a code of the other product is ignored.
 */
export function recipientFault(action, recipients) {
  const product = ACTIONS[action];
  for (const r of recipients) {
    const at = r.lastIndexOf('@');
    const subject = product === 'dm' && at > 0 ? r.slice(0, at) : r;
    let fault;
    const text = TEXT_TRIGGER.exec(subject);
    if (text) fault = faultFromName(text[1], text[2] === undefined ? undefined : Number(text[2]));
    const phone = PHONE_TRIGGER_RES[product];
    if (!fault && phone) {
      const digits = phone.exec(r);
      const row = digits && PHONE_TRIGGERS[digits[1]];
      if (row) {
        fault = {
          ...row,
          code: row.code ?? null,
          echo: row.mode === 'echo' ? 'form' : null,
          delayMs: row.mode === 'slow' ? DEFAULT_SLOW_MS : 0,
        };
      }
    }
    if (fault && (!fault.code || codeFitsProduct(fault.code, product))) {
      return { id: null, match: { action, to: r }, times: 1, ...fault, source: 'recipient' };
    }
  }
  return undefined;
}
