//! The wasm-bindgen boundary, and the only code that knows `JsValue`: the three exports, the
//! serde-wasm-bindgen conversions ([`convert`]) and the fetch adapter ([`fetch`]).
//!
//! `sendMessage` runs the send loop of [`crate::send::Send`] as a chain of `Promise.then`
//! continuations, never on wasm-bindgen-futures' executor: a trap inside a continuation rejects
//! the promise the shim awaits (and the shim recovers), while a trap inside the executor's
//! task would be an uncaught exception that ends the host process.
//!
//! Every export answers with an envelope (`{ ok: true, value }` or `{ ok: false, error: { code,
//! data } }`); only a trap, or a host value that throws while it is read, makes one throw.

mod convert;
mod fetch;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::config::secrets_of;
use crate::error::{Envelope, Error, Issue};
use crate::message::Message;
use crate::metadata::metadata_json;
use crate::send::{Next, Send, Validated};
use crate::transport::{Stamp, TransportResult};
use crate::Kind;

use convert::{parse, read, write, Unreadable};
use fetch::{exchange, promise_of, then2, JsTransport};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
export type Kind = 'aliyun-dm' | 'aliyun-sms' | 'aliyun-sms-auth';
export type ErrorData = { errorDescription: string; [key: string]: unknown };
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; data: ErrorData } };
/** What sendMessage reads: the message Logto describes, and the config to send it with. */
export interface SendInput {
  config: unknown;
  to: string;
  type: string;
  payload: Record<string, unknown>;
  /** aliyun-dm only: Logto's i18n email template for (type, payload.locale), or null. */
  template: Record<string, unknown> | null;
}
/** The host's side of a send. Only fetch does I/O; the core never reads a clock or a random source. */
export interface Transport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Milliseconds since the Unix epoch (Date.now()). */
  now(): number;
  /** A value never used before (crypto.randomUUID()). */
  nonce(): string;
  /** Resolves after ms milliseconds; cancel(), when there, clears its timer (it then never settles). */
  sleep(ms: number): Promise<unknown> & { cancel?(): void };
}
/** Aliyun's success answer: Direct Mail { EnvId, RequestId }; SMS and SMS authentication { Code, Message, RequestId, BizId? }. */
export type Delivered = { EnvId: string; RequestId: string } | { Code: string; Message: string; RequestId: string; BizId?: string };
"#;

fn kind_of(kind: &JsValue) -> Result<Kind, Error> {
    kind.as_string()
        .as_deref()
        .and_then(Kind::from_name)
        .ok_or_else(|| Error::Internal {
            message: "kind must be \"aliyun-dm\", \"aliyun-sms\" or \"aliyun-sms-auth\"".into(),
        })
}

fn error_envelope(error: Error, secrets: &[&str]) -> JsValue {
    write(&Envelope::<()>::of(Err(error), secrets))
}

fn config_error(unreadable: Unreadable) -> Error {
    Error::InvalidConfig {
        issues: vec![Issue {
            path: String::new(),
            message: unreadable.describe("The config"),
        }],
    }
}

/// The connector metadata for `kind`.
#[wasm_bindgen(js_name = getMetadata, unchecked_return_type = "Envelope<Record<string, unknown>>")]
pub fn get_metadata(#[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue) -> JsValue {
    // The text was read through the typed model when the crate was built (build.rs).
    let value = kind_of(&kind).and_then(|kind| {
        js_sys::JSON::parse(metadata_json(kind)).map_err(|_| Error::Internal {
            message: "the built-in metadata does not parse".into(),
        })
    });
    match value {
        Ok(value) => ok_envelope(&value),
        Err(error) => error_envelope(error, &[]),
    }
}

/// `{ ok: true, value }` around a JS value.
fn ok_envelope(value: &JsValue) -> JsValue {
    let envelope = js_sys::Object::new();
    // Plain data properties of a fresh object: setting them cannot fail.
    let _ = js_sys::Reflect::set(&envelope, &JsValue::from_str("ok"), &JsValue::TRUE);
    let _ = js_sys::Reflect::set(&envelope, &JsValue::from_str("value"), value);
    envelope.into()
}

/// Validates a config: `{ ok: true, value: config }` (the caller's own object) or an
/// `invalid_config` envelope whose data lists every issue by path.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "Envelope<unknown>")]
pub fn validate_config(
    #[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] config: JsValue,
) -> JsValue {
    let kind = match kind_of(&kind) {
        Ok(kind) => kind,
        Err(error) => return error_envelope(error, &[]),
    };
    let value = match read(&config) {
        Ok(value) => value,
        Err(unreadable) => return error_envelope(config_error(unreadable), &[]),
    };
    match Validated::new(kind, &value) {
        Ok(_) => ok_envelope(&config),
        Err(error) => error_envelope(error, &secrets_of(&value)),
    }
}

/// Sends one message: the promise of an envelope with Aliyun's success answer or the error.
/// `transport` carries the host's `fetch`, clock, nonce source and sleep.
#[wasm_bindgen(js_name = sendMessage, unchecked_return_type = "Promise<Envelope<Delivered>>")]
pub fn send_message(
    #[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SendInput")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Transport")] transport: JsValue,
) -> Promise {
    let flight = match start(&kind, &input) {
        Ok(send) => match web_sys::AbortController::new() {
            Ok(abort) => Rc::new(Flight {
                send: RefCell::new(send),
                transport: transport.unchecked_into(),
                abort,
            }),
            Err(_) => {
                let error = Error::Internal {
                    message: "AbortController is not available".into(),
                };
                return Promise::resolve(&write(&send.envelope(Err(error))));
            }
        },
        Err(envelope) => return Promise::resolve(&envelope),
    };
    promise_of(Ok(attempt(flight)))
}

/// Reads the input and validates the config; an error is already an envelope.
fn start(kind: &JsValue, input: &JsValue) -> Result<Send, JsValue> {
    let kind = kind_of(kind).map_err(|error| error_envelope(error, &[]))?;
    let config = NAMES
        .with(|names| js_sys::Reflect::get(input, names.get(Name::Config)))
        .unwrap_or(JsValue::UNDEFINED);
    let config = validated(kind, &config)?;
    let message = read_message(input).map_err(|error| error_envelope(error, &config.secrets()))?;
    #[cfg(feature = "test-trap")]
    trap_if(&message, "trap-before@trap.invalid");
    Ok(Send::with(config, message))
}

/// The property names read on every send, and the texts every request repeats.
#[derive(Clone, Copy)]
pub(crate) enum Name {
    Config,
    To,
    Type,
    Payload,
    Template,
    Then,
    ContentLength,
    Post,
    Done,
    Value,
}

impl Name {
    /// The text itself, also how an error names the input's property.
    fn text(self) -> &'static str {
        match self {
            Name::Config => "config",
            Name::To => "to",
            Name::Type => "type",
            Name::Payload => "payload",
            Name::Template => "template",
            Name::Then => "then",
            Name::ContentLength => "content-length",
            Name::Post => "POST",
            Name::Done => "done",
            Name::Value => "value",
        }
    }
}

const MESSAGE_KEYS: [Name; 4] = [Name::To, Name::Type, Name::Payload, Name::Template];

/// [`Name`]s as JS strings, made once: a string made from Rust is decoded from UTF-8 each time.
pub(crate) struct Names {
    config: JsValue,
    to: JsValue,
    type_: JsValue,
    payload: JsValue,
    template: JsValue,
    then: JsValue,
    content_length: JsValue,
    post: JsValue,
    done: JsValue,
    value: JsValue,
}

impl Names {
    pub(crate) fn get(&self, name: Name) -> &JsValue {
        match name {
            Name::Config => &self.config,
            Name::To => &self.to,
            Name::Type => &self.type_,
            Name::Payload => &self.payload,
            Name::Template => &self.template,
            Name::Then => &self.then,
            Name::ContentLength => &self.content_length,
            Name::Post => &self.post,
            Name::Done => &self.done,
            Name::Value => &self.value,
        }
    }
}

thread_local! {
    pub(crate) static NAMES: Names = Names {
        config: JsValue::from_str(Name::Config.text()),
        to: JsValue::from_str(Name::To.text()),
        type_: JsValue::from_str(Name::Type.text()),
        payload: JsValue::from_str(Name::Payload.text()),
        template: JsValue::from_str(Name::Template.text()),
        then: JsValue::from_str(Name::Then.text()),
        content_length: JsValue::from_str(Name::ContentLength.text()),
        post: JsValue::from_str(Name::Post.text()),
        done: JsValue::from_str(Name::Done.text()),
        value: JsValue::from_str(Name::Value.text()),
    };
}

thread_local! {
    /// The last valid config of each kind, by its `JSON.stringify` text, kept as a JS string.
    /// Logto reads the same stored config for every send; comparing the text with `===` in JS
    /// costs a fraction of copying it into Rust, parsing and validating it (docs/contracts.md).
    static KEPT: RefCell<Vec<(Kind, JsValue, Rc<Validated>)>> = const { RefCell::new(Vec::new()) };
}

/// The validated config for `config`: the one kept for the same text, or read and validated
/// now (and kept when valid).
fn validated(kind: Kind, config: &JsValue) -> Result<Rc<Validated>, JsValue> {
    let not_json = || error_envelope(config_error(Unreadable::NotJson), &[]);
    let js_text: JsValue = js_sys::JSON::stringify(config)
        .map_err(|_| not_json())?
        .into();
    let kept = KEPT.with(|kept| {
        kept.borrow()
            .iter()
            .find(|(k, t, _)| *k == kind && *t == js_text)
            .map(|(_, _, config)| Rc::clone(config))
    });
    if let Some(config) = kept {
        return Ok(config);
    }
    let text = js_text.as_string().ok_or_else(not_json)?;
    let value = parse(&text).map_err(|unreadable| error_envelope(config_error(unreadable), &[]))?;
    let config = Rc::new(
        Validated::new(kind, &value).map_err(|error| error_envelope(error, &secrets_of(&value)))?,
    );
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        kept.retain(|(k, _, _)| *k != kind);
        kept.push((kind, js_text, Rc::clone(&config)));
    });
    Ok(config)
}

/// The message part of the input, without reading the config a second time. A string is read
/// as it is (checked for lone surrogates); objects go through serde-wasm-bindgen.
fn read_message(input: &JsValue) -> Result<Message, Error> {
    let mut fields: [Option<Value>; 4] = Default::default();
    for (name, field) in MESSAGE_KEYS.into_iter().zip(&mut fields) {
        let value = NAMES
            .with(|names| js_sys::Reflect::get(input, names.get(name)))
            .unwrap_or(JsValue::UNDEFINED);
        let unreadable = |unreadable: Unreadable| Error::InvalidRequest {
            message: unreadable.describe(&format!("The send input's {}", name.text())),
        };
        let value = if value.is_undefined() || value.is_null() {
            continue;
        } else if let Some(text) = value.as_string() {
            if crate::text::find(&text, "\u{FFFD}").is_some()
                && value
                    .dyn_ref::<js_sys::JsString>()
                    .is_some_and(|text| !text.is_valid_utf16())
            {
                return Err(unreadable(Unreadable::LoneSurrogate));
            }
            Value::String(text)
        } else {
            read(&value).map_err(unreadable)?
        };
        *field = Some(value);
    }
    let [to, usage_type, payload, template] = fields;
    Message::from_parts(to, usage_type, payload, template)
}

/// A deliberate panic for the recipient `to`, at the point its name says: only in builds with
/// the `test-trap` feature, which the packages never enable.
#[cfg(feature = "test-trap")]
#[allow(clippy::panic)]
fn trap_if(message: &Message, to: &str) {
    if message.to == to {
        panic!("test-trap: a deliberate panic");
    }
}

/// One send in flight: the rules, and the host's transport.
struct Flight {
    send: RefCell<Send>,
    transport: JsTransport,
    /// Aborts the request in flight when its deadline passes (which ends the send).
    abort: web_sys::AbortController,
}

impl Flight {
    /// This attempt's time and nonce, from the host. What they give is checked where the
    /// request is signed; here only a call that throws.
    fn stamp(&self) -> Result<Stamp, Error> {
        let threw = |call: &str| Error::Internal {
            message: format!("the transport's {call} threw"),
        };
        let now_ms = self.transport.now().map_err(|_| threw("now()"))?;
        let nonce = self.transport.nonce().map_err(|_| threw("nonce()"))?;
        Ok(Stamp {
            now_ms: now_ms.as_f64().unwrap_or(f64::NAN),
            nonce: nonce.as_string().unwrap_or_default(),
        })
    }

    fn envelope(&self, outcome: Result<crate::send::Delivered, Error>) -> JsValue {
        write(&self.send.borrow().envelope(outcome))
    }
}

/// Plans, signs and sends one attempt; the value (or promise) of the send's envelope.
fn attempt(flight: Rc<Flight>) -> JsValue {
    let planned = flight
        .stamp()
        .and_then(|stamp| flight.send.borrow().plan(&stamp));
    let request = match planned {
        Ok(request) => request,
        Err(error) => return flight.envelope(Err(error)),
    };
    let answered = Rc::clone(&flight);
    let request = Rc::new(request);
    let sent = Rc::clone(&request);
    exchange(&flight.transport, &request, &flight.abort, move |result| {
        settle(answered, &sent, result)
    })
    .into()
}

/// What follows an answer: the envelope, or a retry after the backoff.
fn settle(
    flight: Rc<Flight>,
    request: &crate::transport::HttpRequest,
    result: TransportResult,
) -> JsValue {
    #[cfg(feature = "test-trap")]
    trap_if(flight.send.borrow().message(), "trap-after@trap.invalid");
    let next = flight.send.borrow_mut().settle(request, result);
    match next {
        Next::Done(outcome) => flight.envelope(outcome),
        Next::Retry { after_ms } => match flight.transport.sleep(after_ms) {
            Ok(pause) => {
                let again = Rc::clone(&flight);
                then2(
                    &Promise::resolve(&pause),
                    move |_| attempt(again),
                    move |_| attempt(flight),
                )
                .into()
            }
            // Aliyun provably did not take the message, so going again at once is still safe.
            Err(_) => attempt(flight),
        },
    }
}
