// The Aliyun API semantics: authentication of a POP RPC request (signature, timestamp, nonce,
// AccessKey, STS token) and the three actions: Direct Mail SingleSendMail, Dysmsapi SendSms and
// Dypnsapi SendSmsVerifyCode (SMS authentication).
// Pure with respect to HTTP: takes decoded parameters, returns what to answer and what to
// deliver. The server (index.mjs) does the I/O, the fault injection and the recording.
import { randomInt, randomUUID } from 'node:crypto';
import { errorResponse } from './errors.mjs';
import { parseAliyunHost } from './hosts.mjs';
import { verifySignature } from './signature.mjs';

// Routing: Action → product, Version. https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism
export const API = {
  // https://alibabacloud.com/help/doc-detail/29444.htm
  SingleSendMail: { product: 'dm', version: '2015-11-23' },
  // https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
  SendSms: { product: 'sms', version: '2017-05-25' },
  // https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode
  SendSmsVerifyCode: { product: 'pnvs', version: '2017-05-25' },
};

// Aliyun's gift templates for SMS authentication, as public integrations quote them
// (sms-auth-facts.md §2.5). The console's 赠送模板配置 page is the authority.
export const GIFT_TEMPLATES = {
  100001: '您的验证码为${code}。尊敬的客户，以上验证码${min}分钟内有效，请注意保密，切勿告知他人。',
  100002:
    '尊敬的客户，您正在进行修改手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。',
  100003:
    '尊敬的客户，您正在进行重置密码操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。',
  100004:
    '尊敬的客户，您正在进行绑定手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。',
  100005:
    '尊敬的客户，您正在验证绑定手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。',
};

const TEMPLATE_VARIABLE = /\$\{([A-Za-z0-9_]+)\}/g;

/** The variables a template text names, in order, without repeats. */
export function templateVariables(text) {
  return [...new Set([...text.matchAll(TEMPLATE_VARIABLE)].map((m) => m[1]))];
}

/** Fill ${name} from values; an unfilled variable stays as it is. */
export function renderTemplate(text, values) {
  return text.replace(TEMPLATE_VARIABLE, (whole, name) =>
    Object.hasOwn(values, name) ? values[name] : whole,
  );
}

// DM regions and their endpoints: https://alibabacloud.com/help/en/direct-mail/api-endpoints
export const DM_REGIONS = [
  'cn-hangzhou',
  'ap-southeast-1',
  'ap-southeast-2',
  'eu-central-1',
  'us-east-1',
];

// Clock skew and nonce window (aliyun-facts.md §1.5):
// https://help.aliyun.com/zh/model-studio/user-guide/roa-style-request-body-signature-mechanism (15 min)
// https://developer.aliyun.com/ask/561619 (a nonce must not repeat within 31 minutes)
export const TIMESTAMP_WINDOW_MS = 15 * 60 * 1000;
export const NONCE_WINDOW_MS = 31 * 60 * 1000;

// Common parameters: https://help.aliyun.com/en/actiontrail/developer-reference/common-parameters
// Timestamp is ISO 8601 UTC "YYYY-MM-DDThh:mm:ssZ"; milliseconds are accepted too
// (a server-side string-to-sign echoing ".973Z" was observed, aliyun-facts.md open question 6).
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/** @returns {number|null} epoch ms, or null when malformed (including impossible dates). */
export function parseTimestamp(text) {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 2024-02-30 over to March; a round trip catches it.
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  )
    return null;
  return t;
}

/**
 * Nonces seen per AccessKeyId in the last 31 minutes. A Map keeps insertion order, which is
 * time order, so expiry pops from the front: the work per request is bounded by what expired.
 */
export class NonceStore {
  #seen = new Map(); // `${accessKeyId}\n${nonce}` → seen at (ms)

  constructor(now) {
    this.now = now;
  }

  /** Record the nonce; false when it was already used within the window. */
  use(accessKeyId, nonce) {
    const t = this.now();
    for (const [key, at] of this.#seen) {
      if (t - at < NONCE_WINDOW_MS) break;
      this.#seen.delete(key);
    }
    const key = `${accessKeyId}\n${nonce}`;
    const at = this.#seen.get(key);
    if (at !== undefined && Math.abs(t - at) < NONCE_WINDOW_MS) return false;
    this.#seen.delete(key); // re-insert at the end to keep time order
    this.#seen.set(key, t);
    return true;
  }

  clear() {
    this.#seen.clear();
  }

  get size() {
    return this.#seen.size;
  }
}

export function newRequestId() {
  return randomUUID().toUpperCase();
}

function randomDigits(n) {
  let out = String(randomInt(1, 10));
  while (out.length < n) out += String(randomInt(0, 10));
  return out;
}

/** Code points, not UTF-16 units: "≤100 chars" should not penalise emoji. */
export function charLength(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

// A deliberately plain address check: one @, a local part without spaces or separators, a
// dotted domain of letters/digits/hyphens (or non-ASCII, for IDN). Aliyun's exact rule is not
// published; this rejects what would obviously bounce. https://alibabacloud.com/help/doc-detail/29444.htm
const LABEL =
  '(?:[A-Za-z0-9\\u0080-\\uFFFF](?:[A-Za-z0-9\\u0080-\\uFFFF-]*[A-Za-z0-9\\u0080-\\uFFFF])?)';
const EMAIL_RE = new RegExp(`^[^\\s@,;<>()\\[\\]"\\\\]{1,64}@${LABEL}(?:\\.${LABEL})+$`, 'u');
export function isEmailAddress(text) {
  return text.length <= 254 && EMAIL_RE.test(text);
}

// SendSms PhoneNumbers: digits, optionally with a leading "+" (mainland numbers may carry
// +86/0086/86). https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
const PHONE_RE = /^\+?\d{1,20}$/;

// SendSmsVerifyCode sends to mainland China only ("目前也仅支持国内号码发送"), PhoneNumber being
// the national number: an 11-digit mobile, 13x–19x. Aliyun's SDK example "86130****0000"
// hints that a prefixed number may pass too; the sandbox holds connectors to the national form.
const MAINLAND_MOBILE_RE = /^1[3-9]\d{9}$/;

export function splitList(value) {
  return String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The recipients a request names, as faults match them. SendSmsVerifyCode takes one national
 * number; it is offered both as sent and with its country code (+86…).
 */
export function recipientsOf(action, params) {
  if (action === 'SingleSendMail') return splitList(params.ToAddress);
  if (action === 'SendSms') return splitList(params.PhoneNumbers);
  if (action === 'SendSmsVerifyCode') {
    const number = typeof params.PhoneNumber === 'string' ? params.PhoneNumber.trim() : '';
    return number === '' ? [] : [number, `+${params.CountryCode || '86'}${number}`];
  }
  return [];
}

// CodeType → the characters of a code Aliyun generates for "##code##" (sms-auth-facts.md §2.2).
const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const CODE_ALPHABETS = {
  1: DIGITS,
  2: UPPER,
  3: LOWER,
  4: UPPER + LOWER,
  5: DIGITS + UPPER,
  6: DIGITS + LOWER,
  7: DIGITS + UPPER + LOWER,
};

function generatedCode(length, type) {
  const alphabet = CODE_ALPHABETS[type];
  let out = '';
  while (out.length < length) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** An integer parameter within [min, max], absent allowed: the number, undefined, or NaN when bad. */
function intParam(value, min, max, fallback) {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) return Number.NaN;
  const n = Number(value);
  return n >= min && n <= max ? n : Number.NaN;
}

/**
 * @param {object} options
 * @param {Record<string,{secret:string, securityToken?:string, inactive?:boolean}>} options.credentials
 * @param {() => number} options.now
 * @param {Record<string,string[]>} [options.senders] DM sender addresses per region (default: any sender anywhere)
 * @param {string[]} [options.smsSignNames] approved SMS signatures (default: any)
 * @param {string[]} [options.smsTemplates] approved SMS template codes (default: any)
 * @param {string[]|'*'} [options.verificationTemplates] templates whose TemplateParam values must be [a-zA-Z0-9]
 * @param {string[]} [options.smsAuthSignNames] SendSmsVerifyCode signatures (default: any)
 * @param {string[]} [options.smsAuthTemplates] SendSmsVerifyCode template codes (default: any)
 */
export function createAliyun(options) {
  const {
    credentials = {},
    now,
    senders,
    smsSignNames,
    smsTemplates,
    verificationTemplates = [],
    smsAuthSignNames,
    smsAuthTemplates,
  } = options;
  const nonces = new NonceStore(now);

  /**
   * Gateway checks, in the order a POP gateway applies them: format, routing, AccessKey,
   * STS token, signature parameters, timestamp, signature, nonce.
   * @param {{ method: string, host: string, params: Record<string,string> }} req
   * @returns {{ ok: true, action, product, requestId, hostId, aliyunHost }
   *         | { ok: false, status, body, code, requestId, action, product }}
   */
  function authenticate({ method, host, params }) {
    const requestId = newRequestId();
    const hostId = host || '127.0.0.1';
    const aliyunHost = parseAliyunHost(host);
    const action = params.Action;
    const api = Object.hasOwn(API, action ?? '') ? API[action] : undefined;
    // An Aliyun host answers as its own product, even for an action it does not have.
    const product = aliyunHost?.product ?? api?.product ?? 'dm';
    const fail = (code, extra = {}) => ({
      ok: false,
      action: action ?? null,
      product,
      requestId,
      ...errorResponse(code, { requestId, hostId, productKind: product, ...extra }),
    });
    const missing = (name) =>
      fail('MissingParameter', {
        message: `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
      });
    const has = (name) => typeof params[name] === 'string' && params[name] !== '';

    if (method !== 'POST' && method !== 'GET') return fail('InvalidAction.NotFound');
    // Format: JSON or XML, any case (Logto sends "json"). The sandbox always answers JSON.
    if (has('Format') && !/^(json|xml)$/i.test(params.Format)) {
      return fail('InvalidParameter', {
        message: 'The specified parameter "Format" is not valid.',
      });
    }
    if (!has('Action')) return missing('Action');
    // An action of the other product on a real Aliyun host name does not exist there.
    if (!api || (aliyunHost && aliyunHost.product !== api.product))
      return fail('InvalidAction.NotFound');
    if (!has('Version')) return missing('Version');
    if (params.Version !== api.version) return fail('InvalidVersion');

    if (!has('AccessKeyId')) return missing('AccessKeyId');
    const cred = Object.hasOwn(credentials, params.AccessKeyId)
      ? credentials[params.AccessKeyId]
      : undefined;
    if (!cred) return fail('InvalidAccessKeyId.NotFound');
    if (cred.inactive) return fail('InvalidAccessKeyId.Inactive');
    // STS: SecurityToken is an ordinary, signed parameter (aliyun-facts.md §1.1).
    if (cred.securityToken !== undefined && cred.securityToken !== null) {
      if (!has('SecurityToken')) return fail('MissingSecurityToken');
      if (params.SecurityToken !== cred.securityToken)
        return fail('InvalidSecurityToken.MismatchWithAccessKey');
    } else if (params.SecurityToken !== undefined) {
      return fail('InvalidSecurityToken.MismatchWithAccessKey');
    }

    // https://help.aliyun.com/en/document_detail/130769.html
    if (!has('SignatureMethod')) return missing('SignatureMethod');
    if (params.SignatureMethod !== 'HMAC-SHA1') {
      return fail('IncompleteSignature', {
        message: `Specified SignatureMethod "${params.SignatureMethod}" is not supported, use HMAC-SHA1.`,
      });
    }
    if (!has('SignatureVersion')) return missing('SignatureVersion');
    if (params.SignatureVersion !== '1.0') {
      return fail('IncompleteSignature', {
        message: `Specified SignatureVersion "${params.SignatureVersion}" is not supported, use 1.0.`,
      });
    }
    if (!has('SignatureNonce')) return missing('SignatureNonce');
    if (!has('Timestamp')) return missing('Timestamp');
    const ts = parseTimestamp(params.Timestamp);
    if (ts === null) return fail('InvalidTimeStamp.Format');
    if (Math.abs(now() - ts) > TIMESTAMP_WINDOW_MS) return fail('InvalidTimeStamp.Expired');
    if (!has('Signature')) return missing('Signature');

    const { ok, stringToSign } = verifySignature(method, params, cred.secret);
    // Like Aliyun, show the server's string to sign so a client can diff it with its own.
    if (!ok) {
      return fail('SignatureDoesNotMatch', {
        message: `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
      });
    }
    // The nonce is checked after the signature so that an unsigned request cannot burn one.
    if (!nonces.use(params.AccessKeyId, params.SignatureNonce)) return fail('SignatureNonceUsed');

    return { ok: true, action, product: api.product, requestId, hostId, aliyunHost };
  }

  /**
   * Validate the action's parameters and produce the answer plus the delivery to record.
   * @param {{ params, auth }} req auth = the ok result of authenticate
   * @returns {{ status, body, code, delivery?: object }}
   */
  function execute({ params, auth }) {
    const ctx = { requestId: auth.requestId, hostId: auth.hostId, productKind: auth.product };
    const fail = (code, extra = {}) => errorResponse(code, { ...ctx, ...extra });
    // Aliyun names the missing action parameter in the code: MissingPhoneNumbers, ...
    const missingAction = (name) =>
      fail('MissingParameter', {
        as: `Missing${name}`,
        message: `${name} is mandatory for this action.`,
      });
    const invalid = (name) =>
      fail('InvalidParameter', { message: `The specified parameter "${name}" is not valid.` });
    const present = (name) => typeof params[name] === 'string' && params[name] !== '';
    if (auth.action === 'SingleSendMail')
      return singleSendMail(params, auth, { fail, missingAction, invalid, present });
    if (auth.action === 'SendSmsVerifyCode')
      return sendSmsVerifyCode(params, auth, { fail, missingAction, present });
    return sendSms(params, auth, { fail, missingAction, present });
  }

  // https://alibabacloud.com/help/doc-detail/29444.htm
  // Errors: https://alibabacloud.com/help/en/direct-mail/api-dm-2015-11-23-errorcodes
  function singleSendMail(params, auth, { fail, missingAction, invalid, present }) {
    for (const name of ['AccountName', 'AddressType', 'ReplyToAddress', 'ToAddress', 'Subject']) {
      if (!present(name)) return missingAction(name);
    }
    // Region: RegionId must be a DM region and, when the request was addressed to a real DM
    // host, agree with it (a sender exists in one region only: aliyun-facts.md §0.2).
    const hostRegion = auth.aliyunHost?.product === 'dm' ? auth.aliyunHost.region : null;
    const region = present('RegionId') ? params.RegionId : (hostRegion ?? 'cn-hangzhou');
    if (!DM_REGIONS.includes(region)) return fail('InvalidRegionId');
    if (hostRegion && hostRegion !== region) {
      return fail('InvalidRegionId', {
        message: `The specified RegionId "${region}" does not match the endpoint region "${hostRegion}".`,
      });
    }
    const accountName = params.AccountName;
    const regionSenders = senders ? (senders[region] ?? []).map((s) => s.toLowerCase()) : null;
    if (
      !isEmailAddress(accountName) ||
      (regionSenders && !regionSenders.includes(accountName.toLowerCase()))
    ) {
      return fail('InvalidMailAddress.NotFound');
    }
    if (params.AddressType !== '0' && params.AddressType !== '1') return invalid('AddressType');
    if (params.ReplyToAddress !== 'true' && params.ReplyToAddress !== 'false')
      return invalid('ReplyToAddress');

    const recipients = splitList(params.ToAddress);
    if (recipients.length === 0 || recipients.length > 100) {
      return fail('InvalidToAddress', {
        message: 'The specified toAddress is invalid, 1 to 100 addresses are allowed.',
      });
    }
    const bad = recipients.find((r) => !isEmailAddress(r));
    if (bad !== undefined)
      return fail('InvalidToAddress', { message: `The specified toAddress "${bad}" is invalid.` });

    if (charLength(params.Subject) > 100) return fail('InvalidSubject.Malformed');
    if (params.FromAlias !== undefined && charLength(params.FromAlias) > 15)
      return fail('InvalidFromAlias.Malformed');
    if (!present('HtmlBody') && !present('TextBody')) return fail('InvalidBody');
    // About 8 MB as a body parameter (aliyun-facts.md §2.1).
    if (
      Buffer.byteLength(params.HtmlBody ?? '') + Buffer.byteLength(params.TextBody ?? '') >
      8 * 1024 * 1024
    ) {
      return fail('InvalidBody', { message: 'The specified body is too large, at most 8 MB.' });
    }
    if (present('ReplyAddress') && !isEmailAddress(params.ReplyAddress))
      return fail('InvalidReplyAddress.Malformed');
    if (params.ReplyAddressAlias !== undefined && charLength(params.ReplyAddressAlias) > 15) {
      return fail('InvalidReplyAddressAlias.Malformed');
    }
    if (params.TagName !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(params.TagName))
      return invalid('TagName');
    if (params.ClickTrace !== undefined && params.ClickTrace !== '0' && params.ClickTrace !== '1')
      return invalid('ClickTrace');

    const envId = randomDigits(13);
    return {
      status: 200,
      code: 'OK',
      body: { EnvId: envId, RequestId: auth.requestId },
      delivery: {
        kind: 'email',
        region,
        to: params.ToAddress,
        recipients,
        accountName,
        fromAlias: params.FromAlias ?? null,
        subject: params.Subject,
        htmlBody: params.HtmlBody ?? null,
        textBody: params.TextBody ?? null,
        replyAddress: params.ReplyAddress ?? null,
        envId,
      },
    };
  }

  // https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
  // Business errors are HTTP 200 with Code != "OK": https://help.aliyun.com/document_detail/101346.html
  function sendSms(params, auth, { fail, missingAction, present }) {
    for (const name of ['PhoneNumbers', 'SignName', 'TemplateCode']) {
      if (!present(name)) return missingAction(name);
    }
    const numbers = splitList(params.PhoneNumbers);
    if (numbers.length > 1000) return fail('isv.MOBILE_COUNT_OVER_LIMIT');
    const bad = numbers.find((n) => !PHONE_RE.test(n));
    if (bad !== undefined || numbers.length === 0) {
      return fail('isv.MOBILE_NUMBER_ILLEGAL', {
        message: `${bad ?? params.PhoneNumbers}invalid mobile number`,
      });
    }
    if (smsSignNames && !smsSignNames.includes(params.SignName))
      return fail('isv.SMS_SIGNATURE_ILLEGAL');
    if (smsTemplates && !smsTemplates.includes(params.TemplateCode))
      return fail('isv.SMS_TEMPLATE_ILLEGAL');

    if (params.TemplateParam !== undefined) {
      let parsed;
      try {
        parsed = JSON.parse(params.TemplateParam);
      } catch {
        parsed = undefined;
      }
      const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
      if (!isObject || !Object.values(parsed).every((v) => typeof v === 'string')) {
        return fail('isv.INVALID_JSON_PARAM');
      }
      // Verification-code templates only take [a-zA-Z0-9] values, extra keys included
      // (Logto issue #7121: an extra locale "zh-CN" broke sends).
      const isVerification =
        verificationTemplates === '*' || verificationTemplates.includes(params.TemplateCode);
      if (isVerification && !Object.values(parsed).every((v) => /^[a-zA-Z0-9]+$/.test(v))) {
        return fail('isv.INVALID_PARAMETERS', {
          message: 'params must be [a-zA-Z0-9] for verification sms',
        });
      }
    }

    const bizId = `${randomDigits(18)}^0`;
    const region = present('RegionId')
      ? params.RegionId
      : (auth.aliyunHost?.region ?? 'cn-hangzhou');
    return {
      status: 200,
      code: 'OK',
      body: { Code: 'OK', Message: 'OK', BizId: bizId, RequestId: auth.requestId },
      delivery: {
        kind: 'sms',
        region,
        to: params.PhoneNumbers,
        recipients: numbers,
        signName: params.SignName,
        templateCode: params.TemplateCode,
        templateParam: params.TemplateParam ?? null,
        bizId,
      },
    };
  }

  // https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode
  // Its documented errors (MOBILE_NUMBER_ILLEGAL, INVALID_PARAMETERS, ...) are HTTP 400.
  function sendSmsVerifyCode(params, auth, { fail, missingAction, present }) {
    // The reference marks TemplateParam required as well: every gift template has variables.
    for (const name of ['PhoneNumber', 'SignName', 'TemplateCode', 'TemplateParam']) {
      if (!present(name)) return missingAction(name);
    }
    // Mainland only; the code for another country is not documented, the number one is.
    const countryCode = present('CountryCode') ? params.CountryCode : '86';
    if (countryCode !== '86' || !MAINLAND_MOBILE_RE.test(params.PhoneNumber))
      return fail('MOBILE_NUMBER_ILLEGAL');
    // Which code a signature or template other than the account's gift ones gets is not
    // documented (sms-auth-facts.md §2.6); INVALID_PARAMETERS is the reference's 非法参数.
    if (smsAuthSignNames && !smsAuthSignNames.includes(params.SignName))
      return fail('INVALID_PARAMETERS');
    if (smsAuthTemplates && !smsAuthTemplates.includes(params.TemplateCode))
      return fail('INVALID_PARAMETERS');

    let values;
    try {
      values = JSON.parse(params.TemplateParam);
    } catch {
      values = undefined;
    }
    const isObject = values !== null && typeof values === 'object' && !Array.isArray(values);
    if (!isObject || !Object.values(values).every((v) => typeof v === 'string'))
      return fail('INVALID_PARAMETERS');
    // Only used when TemplateParam asks Aliyun for the code ("##code##"); checked either way.
    const codeLength = intParam(params.CodeLength, 4, 8, 4);
    const codeType = intParam(params.CodeType, 1, 7, 1);
    if (Number.isNaN(codeLength) || Number.isNaN(codeType)) return fail('INVALID_PARAMETERS');
    if (
      params.ReturnVerifyCode !== undefined &&
      params.ReturnVerifyCode !== 'true' &&
      params.ReturnVerifyCode !== 'false'
    ) {
      return fail('INVALID_PARAMETERS');
    }

    const filled = { ...values };
    if (filled.code === '##code##') filled.code = generatedCode(codeLength, codeType);
    const template = Object.hasOwn(GIFT_TEMPLATES, params.TemplateCode)
      ? GIFT_TEMPLATES[params.TemplateCode]
      : null;
    // A gift template with a variable left unfilled (typically `min`) is refused, as public
    // integrations report: isv.INVALID_PARAMETERS "模板内容与模板参数不匹配" (unverified status).
    if (template && templateVariables(template).some((name) => !Object.hasOwn(filled, name))) {
      return fail('isv.INVALID_PARAMETERS', { message: '模板内容与模板参数不匹配' });
    }

    const bizId = `${randomDigits(21)}^0`;
    const verifyCode = typeof filled.code === 'string' ? filled.code : null;
    const model = {
      ...(params.ReturnVerifyCode === 'true' && verifyCode !== null
        ? { VerifyCode: verifyCode }
        : {}),
      RequestId: randomUUID(),
      ...(params.OutId !== undefined ? { OutId: params.OutId } : {}),
      BizId: bizId,
    };
    const to = `+${countryCode}${params.PhoneNumber}`;
    const region = present('RegionId') ? params.RegionId : 'cn-hangzhou';
    return {
      status: 200,
      code: 'OK',
      // Field order of the reference's example; its "成功 " carries a stray trailing space.
      body: { Message: '成功', RequestId: auth.requestId, Model: model, Code: 'OK', Success: true },
      delivery: {
        kind: 'sms-auth',
        region,
        to,
        recipients: [to],
        countryCode,
        phoneNumber: params.PhoneNumber,
        signName: params.SignName,
        templateCode: params.TemplateCode,
        templateParam: params.TemplateParam,
        templateValues: filled,
        // What the phone shows: the signature in 【】 before the gift template's text.
        text: template ? `【${params.SignName}】${renderTemplate(template, filled)}` : null,
        verifyCode,
        outId: params.OutId ?? null,
        bizId,
      },
    };
  }

  return { authenticate, execute, nonces };
}
