// A short, readable account of one message the sandbox received: what the connector signed,
// what the sandbox checked, what it delivered, and where to see it. Everything comes from the
// sandbox's own records (the request log and the delivery), not from what we meant to send.

// The common parameters of Aliyun's signature V1 that say who signed what, and when.
const signedLines = [
  ['Action', 'Version', 'AccessKeyId'],
  ['SignatureMethod', 'SignatureVersion', 'Timestamp'],
  ['SignatureNonce'],
];

const clip = (text, max = 110) => {
  const flat = String(text).replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Seconds between the request's Timestamp and the sandbox clock when it arrived. */
const skewSeconds = (request) => {
  const signedAt = Date.parse(request.params.Timestamp);
  const receivedAt = Date.parse(request.at);
  return Number.isFinite(signedAt) && Number.isFinite(receivedAt)
    ? Math.round(Math.abs(receivedAt - signedAt) / 1000)
    : null;
};

/** The request log entry that produced a delivery (the log keeps the Signature, deliveries do not). */
export const requestOf = (sb, delivery) =>
  sb.requests().find((entry) => entry.deliveryId === delivery.id);

export const inboxUrl = (sandboxUrl, id) =>
  `${sandboxUrl}__sandbox/${id === undefined ? '' : `#${id}`}`;

const printSigned = (out, request) => {
  const { Signature: signature, ...signed } = request.params;
  signedLines.forEach((names, index) => {
    const text = names.map((name) => `${name}=${signed[name] ?? '(absent)'}`).join('  ');
    if (index === 0) {
      out.detail('signed', text);
    } else {
      out.more(text);
    }
  });
  out.detail(
    'signature',
    `${signature}  (HMAC-SHA1 over all ${Object.keys(signed).length} other parameters, sorted)`,
  );
};

/**
 * The sandbox answers only after its checks pass, in order: signature, then the 15-minute
 * timestamp window, then the nonce (each AccessKeyId's nonces are remembered for 31 minutes).
 * A `delivered` outcome therefore means all three held.
 */
const printVerified = (out, request) => {
  if (request.outcome !== 'delivered') {
    out.detail(
      'refused',
      `${request.code ?? request.fault?.mode ?? 'unknown'} (HTTP ${request.status ?? 'none'})`,
    );
    return;
  }
  const skew = skewSeconds(request);
  out.detail(
    'verified',
    `signature matches · timestamp within 15 min (${skew ?? '?'} s off) · nonce not used before`,
  );
};

const printEmail = (out, delivery) => {
  out.detail('to', delivery.to);
  out.detail(
    'from',
    `${delivery.fromAlias ? `${delivery.fromAlias} ` : ''}<${delivery.accountName}>`,
  );
  out.detail('subject', delivery.subject);
  const [kind, body] =
    delivery.htmlBody === null ? ['text', delivery.textBody] : ['HTML', delivery.htmlBody];
  out.detail('body', `${kind}: ${clip(body ?? '')}`);
};

const printSms = (out, delivery) => {
  out.detail('to', delivery.to);
  out.detail('sign name', delivery.signName);
  out.detail(
    'template',
    `${delivery.templateCode}, TemplateParam ${delivery.templateParam ?? '(none)'}`,
  );
};

/**
 * Prints the account of one delivery. `answer` is what the connector returned (Aliyun's success
 * body); without it (a message from some other client) the sandbox's record is shown.
 */
export const printAccount = (out, sb, delivery, { title, answer } = {}) => {
  const request = requestOf(sb, delivery);
  const what = delivery.kind === 'email' ? 'email' : 'SMS';
  out.step(title ?? `the sandbox received an ${what} (#${delivery.id})`);
  out.detail(
    'request',
    `POST ${delivery.action} to ${delivery.host} (the sandbox), RegionId ${delivery.region}`,
  );
  if (request) {
    printSigned(out, request);
    printVerified(out, request);
  } else {
    out.detail('signed', '(the request log no longer has this request)');
  }
  if (delivery.kind === 'email') {
    printEmail(out, delivery);
  } else {
    printSms(out, delivery);
  }
  const result = answer ?? {
    RequestId: delivery.requestId,
    ...(delivery.kind === 'email'
      ? { EnvId: delivery.envId }
      : { Code: 'OK', BizId: delivery.bizId }),
  };
  // RequestId first: it is what Aliyun's support asks for.
  const fields = [
    'RequestId',
    ...Object.keys(result).filter((key) => key !== 'RequestId' && key !== 'Message'),
  ];
  out.detail('answer', fields.map((key) => `${key} ${result[key]}`).join(', '));
  out.detail('inbox', inboxUrl(sb.url, delivery.id));
};

// What to check when the sandbox refuses a request from a connector someone configured by hand.
const hints = Object.freeze({
  SignatureDoesNotMatch: 'accessKeySecret does not belong to this accessKeyId',
  'InvalidAccessKeyId.NotFound': 'use the accessKeyId printed above',
  'InvalidTimeStamp.Expired': "the sender's clock is more than 15 minutes off",
  SignatureNonceUsed: 'the same signed request was sent twice',
});

/** One line for a request the sandbox refused (or answered with a fault). */
export const printRefusal = (out, request) => {
  const code = request.code ?? request.fault?.mode ?? 'unknown';
  const hint = hints[code] ? `: ${hints[code]}` : '';
  out.step(
    `the sandbox refused ${request.action ?? 'a request'} with ${code} (HTTP ${request.status ?? 'none'})${hint}`,
  );
};
