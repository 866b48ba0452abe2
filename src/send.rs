//! The rules of a send, as a state machine the boundary drives: validate, then for each
//! attempt plan and sign a request, hand it to the transport, and settle what came back,
//! retrying only when Aliyun provably did not take the message.
//!
//! ```text
//! Send::new(kind, config, input)      validate the config, read the message
//!   loop: request = send.plan(stamp)  a fresh Timestamp, SignatureNonce and signature
//!         result  = transport(request)
//!         match send.settle(&request, result):
//!           Done(outcome) → envelope(outcome)
//!           Retry { after_ms } → sleep, new stamp
//! ```
//!
//! No I/O here: the time and nonce arrive in a [`Stamp`], the answer as a [`TransportResult`].

use std::rc::Rc;

use serde::Serialize;
use serde_json::Value;

use crate::codes::proves_not_taken;
use crate::config::{
    validate_dm, validate_sms, validate_sms_auth, DmConfig, SmsAuthConfig, SmsConfig,
};
use crate::error::redact::Redactor;
use crate::error::{Envelope, Error};
use crate::message::Message;
use crate::pop::encode::form_pairs;
use crate::pop::request::{Credentials, SigningParams};
use crate::transport::{Body, HttpRequest, Stamp, TransportResult};
use crate::{dm, sms, sms_auth, Kind};

/// At most this many attempts per message: the first and two retries.
pub const MAX_ATTEMPTS: u32 = 3;
/// Backoff before retry `n` (from 0) is `BACKOFF_BASE_MS << n` plus up to that much jitter.
pub const BACKOFF_BASE_MS: u32 = 200;

/// Deepest payload nesting and most payload strings read for redaction: Logto's payloads are
/// a few flat fields and small context objects.
const MAX_PAYLOAD_DEPTH: usize = 32;
const MAX_PAYLOAD_STRINGS: usize = 256;

/// A config that passed validation, for either connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validated {
    /// Direct Mail.
    Dm(DmConfig),
    /// Short Message Service.
    Sms(SmsConfig),
    /// SMS authentication service.
    SmsAuth(SmsAuthConfig),
}

impl Validated {
    /// Validates `config` for `kind`.
    pub fn new(kind: Kind, config: &Value) -> Result<Validated, Error> {
        match kind {
            Kind::Dm => validate_dm(config).map(Validated::Dm),
            Kind::Sms => validate_sms(config).map(Validated::Sms),
            Kind::SmsAuth => validate_sms_auth(config).map(Validated::SmsAuth),
        }
    }

    /// Which connector the config is for.
    pub fn kind(&self) -> Kind {
        match self {
            Validated::Dm(_) => Kind::Dm,
            Validated::Sms(_) => Kind::Sms,
            Validated::SmsAuth(_) => Kind::SmsAuth,
        }
    }

    /// The credentials both configs carry.
    pub fn credentials(&self) -> Credentials<'_> {
        let (id, secret, common) = match self {
            Validated::Dm(config) => (
                &config.access_key_id,
                &config.access_key_secret.0,
                &config.common,
            ),
            Validated::Sms(config) => (
                &config.access_key_id,
                &config.access_key_secret.0,
                &config.common,
            ),
            Validated::SmsAuth(config) => (
                &config.access_key_id,
                &config.access_key_secret.0,
                &config.common,
            ),
        };
        Credentials {
            access_key_id: id,
            access_key_secret: secret,
            security_token: common.security_token.as_ref().map(|token| token.0.as_str()),
        }
    }

    /// The credentials to redact from every error: the secret and the STS token.
    pub fn secrets(&self) -> Vec<&str> {
        let credentials = self.credentials();
        std::iter::once(credentials.access_key_secret)
            .chain(credentials.security_token)
            .collect()
    }
}

/// What a send resolves to: the fields of Aliyun's success answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Delivered {
    /// Direct Mail's `{ EnvId, RequestId }`.
    Dm(dm::Sent),
    /// SMS's `{ Code, Message, RequestId, BizId? }`.
    Sms(sms::Sent),
    /// SMS authentication's `{ Code, Message, RequestId, BizId? }`.
    SmsAuth(sms_auth::Sent),
}

/// What follows an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// The send is over: Aliyun's success answer, or the error to report.
    Done(Result<Delivered, Error>),
    /// Aliyun provably did not take the message: wait, then plan the next attempt.
    Retry {
        /// Milliseconds to wait first.
        after_ms: u32,
    },
}

/// One send in progress: a validated config, the message, and the attempts made so far.
#[derive(Debug, Clone)]
pub struct Send {
    config: Rc<Validated>,
    message: Message,
    attempt: u32,
}

impl Send {
    /// Validates the config and reads the message.
    pub fn new(kind: Kind, config: &Value, input: &Value) -> Result<Send, Error> {
        Ok(Send::with(
            Rc::new(Validated::new(kind, config)?),
            Message::from_input(input)?,
        ))
    }

    /// A send with a config validated beforehand (one the boundary kept from an earlier send).
    pub fn with(config: Rc<Validated>, message: Message) -> Send {
        Send {
            config,
            message,
            attempt: 0,
        }
    }

    /// The connector this send is for.
    pub fn kind(&self) -> Kind {
        self.config.kind()
    }

    /// The message being sent.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The 0-based number of the attempt [`Send::plan`] plans next.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Plans and signs the next attempt with this attempt's time and nonce.
    pub fn plan(&self, stamp: &Stamp) -> Result<HttpRequest, Error> {
        let planned = match self.config.as_ref() {
            Validated::Dm(config) => dm::plan(config, &self.message)?,
            Validated::Sms(config) => sms::plan(config, &self.message)?,
            Validated::SmsAuth(config) => sms_auth::plan(config, &self.message)?,
        };
        planned.sign(&SigningParams {
            credentials: self.config.credentials(),
            now_ms: stamp.now_ms,
            nonce: &stamp.nonce,
        })
    }

    /// Decides what follows the attempt that sent `request` and got `result`.
    ///
    /// A retry happens only when Aliyun provably did not take the message: the connection was
    /// refused or the name did not resolve (`sent: false`), or Aliyun answered `Throttling.Api`
    /// or `ServiceUnavailable`; and at most [`MAX_ATTEMPTS`] attempts are made. A timeout, a
    /// reset or `InternalError` is reported, never retried, so a code is never delivered twice.
    /// An error has what the request carried redacted from it.
    pub fn settle(&mut self, request: &HttpRequest, result: TransportResult) -> Next {
        let (outcome, provably_not_taken) = match result {
            TransportResult::Response { status, body } => {
                let outcome = self.interpret(status, body);
                let retry =
                    matches!(&outcome, Err(Error::Provider(p)) if proves_not_taken(&p.code));
                (outcome, retry)
            }
            TransportResult::NetworkError {
                kind,
                message,
                sent,
            } => {
                let error = Error::Network {
                    kind,
                    message,
                    host: host_of(&request.url).to_string(),
                    timeout_ms: request.timeout_ms,
                    sent,
                };
                (Err(error), !sent)
            }
        };
        let attempt = self.attempt;
        self.attempt += 1;
        if provably_not_taken && self.attempt < MAX_ATTEMPTS {
            return Next::Retry {
                after_ms: backoff_ms(attempt, &request.body),
            };
        }
        Next::Done(outcome.map_err(|mut error| {
            error.redact(&redactor_for(
                self.kind(),
                &request.body,
                &self.message.payload,
            ));
            error
        }))
    }

    fn interpret(&self, status: u16, body: Body) -> Result<Delivered, Error> {
        match self.kind() {
            Kind::Dm => dm::interpret(status, body).map(Delivered::Dm),
            Kind::Sms => sms::interpret(status, body).map(Delivered::Sms),
            Kind::SmsAuth => sms_auth::interpret(status, body).map(Delivered::SmsAuth),
        }
    }

    /// The envelope of a finished send, with the config's credentials redacted from an error.
    pub fn envelope(&self, outcome: Result<Delivered, Error>) -> Envelope<Delivered> {
        Envelope::of(outcome, &self.config.secrets())
    }
}

/// Backoff before retry `attempt` (0-based): exponential, with jitter taken from `seed` (the
/// signed body, which holds the attempt's nonce) so the core stays deterministic.
pub fn backoff_ms(attempt: u32, seed: &str) -> u32 {
    let base = BACKOFF_BASE_MS.saturating_mul(1 << attempt.min(8));
    let hash = seed.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    base + hash % base.max(1)
}

/// The host (and port) of an absolute URL, for error messages.
fn host_of(url: &str) -> &str {
    let rest = crate::text::split_once(url, "://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// A redactor for the errors of one attempt: it knows the values of `signed_body` that carry
/// the message (rendered subject and body, `TemplateParam`, the alias), the STS token, and
/// every string in the payload (the verification code and `TemplateParam`'s values among
/// them), so that an answer echoing any of them lets nothing out.
pub fn redactor_for(
    kind: Kind,
    signed_body: &str,
    payload: &serde_json::Map<String, Value>,
) -> Redactor {
    let content: &[&str] = match kind {
        Kind::Dm => &dm::CONTENT_PARAMS,
        Kind::Sms => &sms::CONTENT_PARAMS,
        Kind::SmsAuth => &sms_auth::CONTENT_PARAMS,
    };
    let mut redactor = Redactor::new();
    let mut count = 0;
    for (name, value) in form_pairs(signed_body) {
        if name == "SecurityToken" {
            redactor.add_secret(&value);
        } else if content.contains(&name) {
            redactor.add(&value);
        }
    }
    for value in payload.values() {
        add_strings(&mut redactor, value, 1, &mut count);
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
        Value::Array(items) => items
            .iter()
            .for_each(|item| add_strings(redactor, item, depth + 1, count)),
        Value::Object(map) => map
            .values()
            .for_each(|item| add_strings(redactor, item, depth + 1, count)),
        _ => {}
    }
}
