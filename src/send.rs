//! The send flow: input → plan → sign → transport → interpret, retrying only when Aliyun
//! provably did not take the message. The only `async fn` of the core.

use crate::json::{Map, Value};
use crate::pop::encode::{form_pairs, percent_encode};
use crate::redact::Redactor;

use crate::codes::proves_not_taken;
use crate::config::{validate_dm, validate_sms};
use crate::dm::{self, I18nTemplate};
use crate::error::Error;
use crate::pop::request::{Credentials, Planned};
use crate::sms;
use crate::transport::{HttpRequest, Stamp, Transport, TransportResult};
use crate::Kind;

/// At most this many attempts per message: the first and two retries.
pub const MAX_ATTEMPTS: u32 = 3;
/// Backoff before retry `n` (from 0) is `BACKOFF_BASE_MS << n` plus up to that much jitter.
pub const BACKOFF_BASE_MS: u32 = 200;

/// Secrets shorter than this are not scrubbed from error text: they would mangle it, and no
/// real AccessKey secret or STS token is that short.
const MIN_SCRUB_LEN: usize = 6;

/// One message to send, as Logto describes it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// Recipient email address or phone number.
    pub to: &'a str,
    /// Logto `TemplateType`.
    pub usage_type: &'a str,
    /// Logto payload (`code`, `locale`, context objects, …).
    pub payload: &'a Map,
    /// `payload.locale`, when it is a string.
    pub locale: Option<&'a str>,
}

impl Message<'_> {
    /// One recipient, as Logto always sends: a comma would make Aliyun send to several.
    pub fn check_single_recipient(&self, what: &str) -> Result<(), Error> {
        let to = self.to;
        if to.is_empty() || to.len() > 320 || to.contains(',') || to.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidRequest {
                message: format!("The recipient must be a single {what} without spaces or commas."),
            });
        }
        Ok(())
    }
}

fn invalid(message: &str) -> Error {
    Error::InvalidRequest {
        message: message.to_string(),
    }
}

static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();

/// Reads the send input (see `docs/contracts.md`).
fn message(input: &Value) -> Result<Message<'_>, Error> {
    let to = input
        .get("to")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("The recipient (to) must be a string."))?;
    let usage_type = match input.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        None | Some(Value::Null) => crate::config::GENERIC,
        Some(_) => return Err(invalid("The message type must be a string such as \"SignIn\".")),
    };
    let payload = match input.get("payload") {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => EMPTY.get_or_init(Map::new),
        Some(_) => return Err(invalid("The payload must be an object.")),
    };
    let locale = payload.get("locale").and_then(Value::as_str);
    Ok(Message {
        to,
        usage_type,
        payload,
        locale,
    })
}

fn first_stamp(input: &Value) -> Result<Stamp, Error> {
    let now_ms = input
        .get("nowMs")
        .and_then(Value::as_f64)
        .ok_or_else(|| invalid("nowMs must be a number (Date.now())."))?;
    let nonce = input
        .get("nonce")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("nonce must be a string (crypto.randomUUID())."))?;
    Ok(Stamp {
        now_ms,
        nonce: nonce.to_string(),
    })
}

/// A config that passed validation, for either connector.
#[derive(Debug)]
pub enum Validated {
    /// Direct Mail.
    Dm(crate::config::DmConfig),
    /// Short Message Service.
    Sms(crate::config::SmsConfig),
}

impl Validated {
    /// Validates `config` for `kind`.
    pub fn new(kind: Kind, config: &Value) -> Result<Validated, Error> {
        match kind {
            Kind::Dm => validate_dm(config).map(Validated::Dm),
            Kind::Sms => validate_sms(config).map(Validated::Sms),
        }
    }

    /// The credentials both configs carry.
    fn credentials(&self) -> Credentials<'_> {
        let (id, secret, common) = match self {
            Validated::Dm(config) => (&config.access_key_id, &config.access_key_secret.0, &config.common),
            Validated::Sms(config) => (&config.access_key_id, &config.access_key_secret.0, &config.common),
        };
        Credentials {
            access_key_id: id,
            access_key_secret: secret,
            security_token: common.security_token.as_ref().map(|token| token.0.as_str()),
        }
    }

    /// The secrets to scrub from error text.
    pub fn secrets(&self) -> Vec<String> {
        let credentials = self.credentials();
        std::iter::once(credentials.access_key_secret).chain(credentials.security_token).map(str::to_string).collect()
    }
}

fn plan<'a>(config: &'a Validated, input: &'a Value) -> Result<Planned<'a>, Error> {
    let message = message(input)?;
    match config {
        Validated::Dm(config) => {
            let i18n = input.get("template").and_then(I18nTemplate::from_json);
            dm::plan(config, &message, i18n.as_ref())
        }
        Validated::Sms(config) => sms::plan(config, &message),
    }
}

fn interpret(kind: Kind, status: u16, body: &str) -> Result<Value, Error> {
    match kind {
        Kind::Dm => dm::interpret(status, body),
        Kind::Sms => sms::interpret(status, body),
    }
}

/// Backoff before retry `attempt` (0-based): exponential, with jitter taken from `seed` (the
/// signed body, which holds the attempt's nonce) so the core stays deterministic.
pub fn backoff_ms(attempt: u32, seed: &str) -> u32 {
    let base = BACKOFF_BASE_MS.saturating_mul(1 << attempt.min(8));
    let hash = seed
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    base + hash % base.max(1)
}

/// Plans and signs one attempt of a send. The first attempt uses the input's `nowMs` and
/// `nonce`; a retry passes the fresh `stamp` the host drew for it.
pub fn plan_attempt(kind: Kind, input: &Value, stamp: Option<&Stamp>) -> Result<HttpRequest, Error> {
    let config = Validated::new(kind, input.get("config").unwrap_or(&Value::Null))?;
    plan_attempt_with(&config, input, stamp)
}

/// [`plan_attempt`] with a config validated beforehand (the boundary keeps the last one, so a
/// Logto instance that sends with one config validates it once); `input.config` is ignored.
pub fn plan_attempt_with(config: &Validated, input: &Value, stamp: Option<&Stamp>) -> Result<HttpRequest, Error> {
    let planned = plan(config, input)?;
    let first;
    let stamp = match stamp {
        Some(stamp) => stamp,
        None => {
            first = first_stamp(input)?;
            &first
        }
    };
    planned.sign(&config.credentials(), stamp.now_ms, &stamp.nonce)
}

/// What follows an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The send is over: Aliyun's success body, or the error to report.
    Done(Result<Value, Error>),
    /// Aliyun provably did not take the message: wait, then plan the next attempt.
    Retry {
        /// Milliseconds to wait first.
        after_ms: u32,
    },
}

/// The host (and port) of an absolute URL, for error messages.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// Decides what follows attempt `attempt` (0-based) of `request`, given what the transport
/// reported.
///
/// A retry happens only when Aliyun provably did not take the message: the connection was
/// refused or the name did not resolve (`sent: false`), or Aliyun answered `Throttling.Api`
/// or `ServiceUnavailable`; and at most [`MAX_ATTEMPTS`] attempts are made. A timeout, a reset
/// or `InternalError` is reported, never retried, so a code is never delivered twice.
pub fn next_step(kind: Kind, attempt: u32, request: &HttpRequest, result: TransportResult) -> Next {
    let (outcome, retry) = settle(kind, attempt, &request.url, request.timeout_ms, result);
    if retry {
        Next::Retry {
            after_ms: backoff_ms(attempt, &request.body),
        }
    } else {
        Next::Done(outcome)
    }
}

/// The core of [`next_step`], without the backoff: the outcome of attempt `attempt` to `url`,
/// and whether to retry. The boundary uses it directly so that a success never needs the
/// signed body back across it (the body only seeds the jitter).
pub fn settle(kind: Kind, attempt: u32, url: &str, timeout_ms: u32, result: TransportResult) -> (Result<Value, Error>, bool) {
    let (outcome, retry) = match result {
        TransportResult::Response { status, body } => {
            let outcome = interpret(kind, status, &body);
            let retry = matches!(&outcome, Err(Error::Provider(p)) if proves_not_taken(&p.code));
            (outcome, retry)
        }
        TransportResult::NetworkError { kind: failure, message, sent } => {
            let error = Error::Network {
                kind: failure,
                message,
                host: host_of(url).to_string(),
                timeout_ms,
            };
            (Err(error), !sent)
        }
    };
    let retry = retry && attempt + 1 < MAX_ATTEMPTS;
    (outcome, retry)
}

/// Deepest payload nesting and most payload strings read for redaction: Logto's payloads are
/// a few flat fields and small context objects.
const MAX_PAYLOAD_DEPTH: usize = 32;
const MAX_PAYLOAD_STRINGS: usize = 256;

/// A redactor for the errors of one attempt: it knows the values of `signed_body` that carry
/// the message (rendered subject and body, `TemplateParam` and each of its values, the alias),
/// the STS token, and every string in the payload (the verification code among them), so that
/// an answer echoing any of them lets nothing out.
pub fn redactor_for(kind: Kind, signed_body: &str, payload: Option<&Value>) -> Redactor {
    let content: &[&str] = match kind {
        Kind::Dm => &dm::CONTENT_PARAMS,
        Kind::Sms => &sms::CONTENT_PARAMS,
    };
    let mut redactor = Redactor::new();
    for (name, value) in form_pairs(signed_body) {
        if name == "SecurityToken" {
            redactor.add_secret(&value);
        } else if content.contains(&name) {
            redactor.add(&value);
            if name == "TemplateParam" {
                if let Ok(params) = crate::json::parse(&value) {
                    add_strings(&mut redactor, &params, 0, &mut 0);
                }
            }
        }
    }
    if let Some(payload) = payload {
        add_strings(&mut redactor, payload, 0, &mut 0);
    }
    redactor
}

fn add_strings(redactor: &mut Redactor, value: &Value, depth: usize, count: &mut usize) {
    if depth > MAX_PAYLOAD_DEPTH || *count >= MAX_PAYLOAD_STRINGS {
        return;
    }
    match value {
        Value::String(text) => {
            *count += 1;
            redactor.add(text);
        }
        Value::Array(items) => items.iter().for_each(|item| add_strings(redactor, item, depth + 1, count)),
        Value::Object(map) => map.iter().for_each(|(_, item)| add_strings(redactor, item, depth + 1, count)),
        _ => {}
    }
}

/// Sends one message and returns Aliyun's success body, or the classified error: the
/// [`plan_attempt`] → send → [`next_step`] loop, which the JS shim runs the same way over the
/// synchronous Wasm exports (a trap in a synchronous export is catchable; one inside an
/// async export is not).
pub async fn send_message<T: Transport>(kind: Kind, input: &Value, transport: &T) -> Result<Value, Error> {
    let mut stamp = None;
    let mut attempt = 0;
    loop {
        let request = plan_attempt(kind, input, stamp.as_ref())?;
        let result = transport.send(&request).await;
        match next_step(kind, attempt, &request, result) {
            Next::Done(outcome) => {
                return outcome.map_err(|mut error| {
                    error.redact(&redactor_for(kind, &request.body, input.get("payload")));
                    error
                })
            }
            Next::Retry { after_ms } => {
                transport.sleep(after_ms).await;
                stamp = Some(transport.stamp());
                attempt += 1;
            }
        }
    }
}

/// Every secret in the input's config, for scrubbing from error text.
pub fn secrets(input: &Value) -> Vec<String> {
    let config = input.get("config").unwrap_or(input);
    ["accessKeySecret", "securityToken"]
        .iter()
        .filter_map(|key| config.get(key).and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Each secret with its percent-encoded forms: Aliyun's `SignatureDoesNotMatch` message quotes
/// the server's string to sign, where a token in the query appears encoded once (canonical
/// query) and twice (string to sign).
fn with_encoded_forms(secrets: &[String]) -> Vec<String> {
    let mut all = Vec::with_capacity(secrets.len() * 3);
    for secret in secrets.iter().filter(|secret| secret.len() >= MIN_SCRUB_LEN) {
        let once = percent_encode(secret);
        let twice = percent_encode(&once);
        // Longest first, so a shorter form never cuts a longer one in half.
        for form in [twice, once, secret.clone()] {
            if !all.contains(&form) {
                all.push(form);
            }
        }
    }
    all
}

fn scrub(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(text) => {
            for secret in secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), "***");
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| scrub(item, secrets)),
        Value::Object(map) => map.values_mut().for_each(|item| scrub(item, secrets)),
        _ => {}
    }
}

/// The result as the envelope the boundary returns: `{ok: true, value}` or
/// `{ok: false, error: {code, data}}`, with every given secret scrubbed from the error data
/// (a second guard: no error is built from a secret in the first place).
pub fn envelope(result: Result<Value, Error>, secrets: &[String]) -> Value {
    match result {
        Ok(value) => Value::object([("ok", Value::Bool(true)), ("value", value)]),
        Err(error) => {
            let mut data = error.data();
            scrub(&mut data, &with_encoded_forms(secrets));
            let error = Value::object([("code", Value::from(error.code())), ("data", data)]);
            Value::object([("ok", Value::Bool(false)), ("error", error)])
        }
    }
}
