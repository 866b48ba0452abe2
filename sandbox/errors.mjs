// The one table of Aliyun error codes the sandbox can answer with: HTTP status, message, and
// which product may return it. Everything that answers an error goes through `errorResponse`.
//
// Body shapes (aliyun-facts.md §1.6, §3.3; sms-auth-facts.md §2.3, §2.4):
//  - gateway and DM errors: HTTP 4xx/5xx, {RequestId, HostId, Code, Message, Recommend}
//    https://alibabacloud.com/help/en/direct-mail/api-dm-2015-11-23-errorcodes
//  - SMS business errors (isv.*, isp.*): HTTP 200, {RequestId, Code, Message}
//    https://help.aliyun.com/en/sms/developer-reference/api-error-codes
//    https://help.aliyun.com/document_detail/101346.html
//  - SMS authentication (Dypnsapi SendSmsVerifyCode) errors at HTTP 4xx: the gateway shape, as
//    for DM (the reference gives the statuses, not the body; unverified); at HTTP 200: the
//    answer's own shape without Model, {RequestId, Code, Message, Success: false}.
// Where Aliyun's exact status is not documented (marked "unverified") the status follows the
// best second-hand evidence; clients must classify by Code, not by status.

/**
 * Product tags: 'pop' = gateway code any product can return; 'dm' = Direct Mail; 'sms' =
 * Dysmsapi 200-body code; 'pnvs' = Dypnsapi SendSmsVerifyCode. A row may name several
 * products (a list); the first is the one whose body shape it has by default.
 */
const TABLE = {
  // --- Gateway / POP codes -------------------------------------------------------------
  // https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism
  // https://www.alibabacloud.com/help/doc-detail/69008.htm (common codes)
  SignatureDoesNotMatch: [400, 'pop', 'Specified signature is not matched with our calculation.'],
  IncompleteSignature: [400, 'pop', 'The request signature does not conform to Aliyun standards.'], // status unverified
  'InvalidTimeStamp.Expired': [400, 'pop', 'Specified time stamp or date value is expired.'],
  'InvalidTimeStamp.Format': [
    400,
    'pop',
    'Specified time stamp or date value is not well formatted.',
  ], // status unverified
  // https://developer.aliyun.com/ask/568545
  SignatureNonceUsed: [400, 'pop', 'Specified signature nonce was used already.'],
  'InvalidAccessKeyId.NotFound': [404, 'pop', 'Specified access key is not found.'],
  'InvalidAccessKeyId.Inactive': [400, 'pop', 'Specified access key is disabled.'], // status unverified
  // STS: https://help.aliyun.com/en/document_detail/130769.html (SecurityToken is a signed common parameter)
  MissingSecurityToken: [400, 'pop', 'SecurityToken is mandatory for this access key.'],
  'InvalidSecurityToken.MismatchWithAccessKey': [
    400,
    'pop',
    'Specified SecurityToken mismatch with the AccessKey.',
  ],
  'Forbidden.RAM': [
    403,
    'pop',
    "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
  ], // status unverified
  NoPermission: [403, 'pop', 'You are not authorized to do this action.'], // status unverified
  MissingParameter: [400, 'pop', 'A mandatory parameter is not supplied.'],
  InvalidParameter: [400, 'pop', 'The specified parameter is not valid.'],
  'InvalidAction.NotFound': [
    404,
    'pop',
    'Specified api is not found, please check your url and method.',
  ],
  InvalidVersion: [400, 'pop', 'Specified parameter Version is not valid.'],
  InvalidRegionId: [400, 'pop', 'The specified region does not exist.'],
  Throttling: [400, 'pop', 'Request was denied due to request throttling.'], // status unverified
  'Throttling.User': [400, 'pop', 'Request was denied due to user flow control.'], // status unverified
  'Throttling.Api': [400, 'pop', 'Request was denied due to api flow control.'], // status unverified
  // https://help.aliyun.com/document_detail/2679047.html
  ServiceUnavailable: [
    503,
    'pop',
    'The request has failed due to a temporary failure of the server.',
  ],
  InternalError: [
    500,
    'pop',
    'The request processing has failed due to some unknown error, exception or failure.',
  ],
  RequestEntityTooLarge: [413, 'pop', 'The request body is too large.'],

  // --- Direct Mail SingleSendMail (2015-11-23) ----------------------------------------
  // https://alibabacloud.com/help/en/direct-mail/api-dm-2015-11-23-errorcodes
  // https://alibabacloud.com/help/doc-detail/29444.htm
  'InvalidMailAddress.NotFound': [404, 'dm', 'The specified mail address is not found.'],
  InvalidToAddress: [400, 'dm', 'The specified toAddress is invalid.'],
  'InvalidToAddress.Spam': [400, 'dm', 'The specified toAddress is in the invalid address store.'],
  'InvalidSubject.Malformed': [
    400,
    'dm',
    'The specified subject is malformed, its length should be at most 100.',
  ],
  'InvalidFromAlias.Malformed': [
    400,
    'dm',
    'The specified fromAlias is malformed, its length should be at most 15.',
  ],
  InvalidBody: [400, 'dm', 'The specified body is invalid, HtmlBody or TextBody is required.'],
  'InvalidSendMail.Spam': [
    400,
    'dm',
    'The mail is rejected as spam, please check the user status, frequency limit and quota.',
  ],
  'InvalidReplyAddress.Malformed': [400, 'dm', 'The specified replyAddress is malformed.'],
  'InvalidReplyAddressAlias.Malformed': [
    400,
    'dm',
    'The specified replyAddressAlias is malformed, its length should be at most 15.',
  ],
  'InvalidMailAddressStatus.Malformed': [
    400,
    'dm',
    'The specified mail address status is not valid.',
  ],
  Forbidden: [400, 'dm', 'Forbidden.'],

  // --- Dysmsapi SendSms (2017-05-25), answered as HTTP 200 ------------------------------
  // Messages are the Chinese texts Aliyun returns (they also exercise UTF-8 on error paths).
  // https://help.aliyun.com/document_detail/101346.html
  // Rows also tagged 'pnvs' are reported for SendSmsVerifyCode by public integrations or by
  // PNVS's return-code page (https://help.aliyun.com/document_detail/85198.htm), not by its
  // API reference; their status there is unverified (read from 200 bodies, as for SendSms).
  'isv.BUSINESS_LIMIT_CONTROL': [200, ['sms', 'pnvs'], '触发分钟级流控Permits:1'],
  'isv.DAY_LIMIT_CONTROL': [200, 'sms', '触发日发送限额'],
  'isv.MONTH_LIMIT_CONTROL': [200, 'sms', '触发月发送限额'],
  'isv.AMOUNT_NOT_ENOUGH': [200, ['sms', 'pnvs'], '账户余额不足'],
  'isv.OUT_OF_SERVICE': [200, ['sms', 'pnvs'], '业务停机'],
  'isv.MOBILE_NUMBER_ILLEGAL': [200, ['sms', 'pnvs'], '非法手机号'],
  'isv.MOBILE_COUNT_OVER_LIMIT': [200, 'sms', '手机号码数量超过限制'],
  'isv.SMS_SIGNATURE_ILLEGAL': [200, 'sms', '签名不合法(不存在或被拉黑)'],
  'isv.SMS_TEMPLATE_ILLEGAL': [200, 'sms', '模板不合法(不存在或被拉黑)'],
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL': [200, 'sms', '签名和模板类型不一致'],
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED': [200, 'sms', '国际/港澳台消息模板不支持发送境内号码'],
  // For SendSmsVerifyCode: a template whose variables the TemplateParam does not fill.
  'isv.INVALID_PARAMETERS': [200, ['sms', 'pnvs'], '参数异常'],
  'isv.INVALID_JSON_PARAM': [200, 'sms', 'JSON参数不合法，只接受字符串值'],
  'isv.TEMPLATE_MISSING_PARAMETERS': [200, 'sms', '模板缺少变量'],
  'isv.PARAM_LENGTH_LIMIT': [200, 'sms', '参数超出长度限制'],
  'isv.DENY_IP_RANGE': [200, 'sms', '源IP地址所在的地区被禁用'],
  'isv.PRODUCT_UN_SUBSCRIPT': [200, ['sms', 'pnvs'], '未开通云通信产品的阿里云客户'],
  'isv.ACCOUNT_NOT_EXISTS': [200, 'sms', '账户不存在'],
  'isv.ACCOUNT_ABNORMAL': [200, ['sms', 'pnvs'], '账户异常'],
  'isp.RAM_PERMISSION_DENY': [200, ['sms', 'pnvs'], 'RAM权限DENY'],
  'isp.SYSTEM_ERROR': [200, 'sms', '系统错误'],

  // --- Dypnsapi SendSmsVerifyCode (2017-05-25), SMS authentication ----------------------
  // The five codes of the API reference, all listed at HTTP 400, with its messages:
  // https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode
  MOBILE_NUMBER_ILLEGAL: [400, 'pnvs', 'The mobile number is illegal.'],
  BUSINESS_LIMIT_CONTROL: [400, 'pnvs', 'The number has exceeded the limit for the day.'],
  FREQUENCY_FAIL: [400, 'pnvs', 'Check frequency fail.'],
  INVALID_PARAMETERS: [400, 'pnvs', 'parameter is not valid.'],
  FUNCTION_NOT_OPENED: [400, 'pnvs', 'You have not opened this function.'],
  // Not in the reference: public integrations see it when a number is resent within
  // `Interval` (60 s) and read it from the answer's body, so most likely HTTP 200 (unverified).
  'biz.FREQUENCY': [200, 'pnvs', 'check frequency failed'],
};

export const PRODUCT_NAMES = { dm: 'Dm', sms: 'Dysmsapi', pnvs: 'Dypnsapi' };

/** @returns {{ code, status, product, products, message } | undefined} product = the first tag */
export function lookupCode(code) {
  const row = Object.hasOwn(TABLE, code) ? TABLE[code] : undefined;
  if (!row) return undefined;
  const products = Array.isArray(row[1]) ? row[1] : [row[1]];
  return { code, status: row[0], product: products[0], products, message: row[2] };
}

/** Case-insensitive lookup, for recipient triggers typed by a person. */
export function findCodeInsensitive(name) {
  const lower = String(name).toLowerCase();
  const code = Object.keys(TABLE).find((c) => c.toLowerCase() === lower);
  return code && lookupCode(code);
}

export function allCodes() {
  return Object.keys(TABLE).map(lookupCode);
}

/** Whether `code` may be answered for a request of `productKind` ('dm' | 'sms' | 'pnvs'). */
export function codeFitsProduct(code, productKind) {
  const row = lookupCode(code);
  return !!row && (row.product === 'pop' || row.products.includes(productKind));
}

/**
 * Build the HTTP answer for an Aliyun error code.
 * @param {string} code a key of the table
 * @param {{ requestId: string, hostId: string, productKind?: 'dm'|'sms'|'pnvs', message?: string, as?: string }} ctx
 *   `as` reports another code with this row's status and shape: Aliyun answers a missing
 *   action parameter with a per-parameter code such as MissingPhoneNumbers.
 * @returns {{ status: number, body: object, code: string }}
 */
export function errorResponse(tableCode, { requestId, hostId, productKind, message, as }) {
  const row = lookupCode(tableCode);
  if (!row) throw new Error(`sandbox bug: unknown Aliyun error code ${tableCode}`);
  const code = as ?? tableCode;
  const text = message ?? row.message;
  if (row.status === 200) {
    // A 200 error is the action's own answer, so its shape is that of the request's product.
    const kind = row.products.includes(productKind) ? productKind : row.product;
    const body = { RequestId: requestId, Code: code, Message: text };
    if (kind === 'pnvs') body.Success = false;
    return { status: 200, code, body };
  }
  const product = PRODUCT_NAMES[productKind] ?? 'Dm';
  return {
    status: row.status,
    code,
    body: {
      RequestId: requestId,
      HostId: hostId,
      Code: code,
      Message: text,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=${product}&requestId=${requestId}`,
    },
  };
}
