//! The send flow: input → plan → sign → transport → interpret, retrying only when Aliyun
//! provably did not take the message. The only `async fn` of the core.

use crate::json::{Map, Value};

use crate::codes::proves_not_taken;
use crate::config::{validate_dm, validate_sms};
use crate::dm::{self, I18nTemplate};
use crate::error::Error;
use crate::pop::request::{Credentials, Planned};
use crate::sms;
use crate::transport::{Stamp, Transport, TransportResult};
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

/// What a send needs after planning: the request to sign and who signs it.
struct Plan {
    planned: Planned,
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
}

fn plan(kind: Kind, input: &Value) -> Result<Plan, Error> {
    let config = input.get("config").unwrap_or(&Value::Null);
    let message = message(input)?;
    match kind {
        Kind::Dm => {
            let config = validate_dm(config)?;
            let i18n = input.get("template").and_then(I18nTemplate::from_json);
            Ok(Plan {
                planned: dm::plan(&config, &message, i18n.as_ref())?,
                access_key_id: config.access_key_id,
                access_key_secret: config.access_key_secret.0,
                security_token: config.common.security_token.map(|s| s.0),
            })
        }
        Kind::Sms => {
            let config = validate_sms(config)?;
            Ok(Plan {
                planned: sms::plan(&config, &message)?,
                access_key_id: config.access_key_id,
                access_key_secret: config.access_key_secret.0,
                security_token: config.common.security_token.map(|s| s.0),
            })
        }
    }
}

fn interpret(kind: Kind, status: u16, body: &str) -> Result<Value, Error> {
    match kind {
        Kind::Dm => dm::interpret(status, body),
        Kind::Sms => sms::interpret(status, body),
    }
}

/// Backoff before retry `attempt` (0-based): exponential, with jitter taken from the nonce
/// so the core stays deterministic (FNV-1a over its bytes).
pub fn backoff_ms(attempt: u32, nonce: &str) -> u32 {
    let base = BACKOFF_BASE_MS.saturating_mul(1 << attempt.min(8));
    let hash = nonce
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    base + hash % base.max(1)
}

/// Sends one message and returns Aliyun's success body, or the classified error.
///
/// A retry happens only when Aliyun provably did not take the message: the connection was
/// refused or the name did not resolve (`sent: false`), or Aliyun answered `Throttling.Api`
/// or `ServiceUnavailable`. A timeout, a reset or `InternalError` is reported, never retried,
/// so a code is never delivered twice. Each retry is signed with a fresh time and nonce.
pub async fn send_message<T: Transport>(kind: Kind, input: &Value, transport: &T) -> Result<Value, Error> {
    let plan = plan(kind, input)?;
    let credentials = Credentials {
        access_key_id: &plan.access_key_id,
        access_key_secret: &plan.access_key_secret,
        security_token: plan.security_token.as_deref(),
    };
    let mut stamp = first_stamp(input)?;
    let mut attempt = 0;
    loop {
        let request = plan.planned.sign(&credentials, stamp.now_ms, &stamp.nonce)?;
        let (outcome, retry) = match transport.send(&request).await {
            TransportResult::Response { status, body } => {
                let outcome = interpret(kind, status, &body);
                let retry = matches!(&outcome, Err(Error::Provider(p)) if proves_not_taken(&p.code));
                (outcome, retry)
            }
            TransportResult::NetworkError { kind: failure, message, sent } => {
                let error = Error::Network {
                    kind: failure,
                    message,
                    host: plan.planned.host.clone(),
                    timeout_ms: plan.planned.timeout_ms,
                };
                (Err(error), !sent)
            }
        };
        if !retry || attempt + 1 >= MAX_ATTEMPTS {
            return outcome;
        }
        transport.sleep(backoff_ms(attempt, &stamp.nonce)).await;
        stamp = transport.stamp();
        attempt += 1;
    }
}

/// Every secret in the input's config, for scrubbing from error text.
pub fn secrets(input: &Value) -> Vec<String> {
    let config = input.get("config").unwrap_or(input);
    ["accessKeySecret", "securityToken"]
        .iter()
        .filter_map(|key| config.get(key).and_then(Value::as_str))
        .filter(|secret| secret.len() >= MIN_SCRUB_LEN)
        .map(str::to_string)
        .collect()
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
            scrub(&mut data, secrets);
            let error = Value::object([("code", Value::from(error.code())), ("data", data)]);
            Value::object([("ok", Value::Bool(false)), ("error", error)])
        }
    }
}
