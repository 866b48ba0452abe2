//! The wasm-bindgen boundary: the only module that knows `JsValue`.
//!
//! Values cross as JSON: inputs go through `JSON.stringify` (so `NaN` becomes `null`, cycles
//! and BigInts are caught, lone surrogates arrive as `\ud800` escapes that serde_json refuses
//! instead of silently replacing) and outputs through `JSON.parse` (plain objects, `null`
//! never `undefined`). Every export returns an envelope and never throws for bad input.
//!
//! Every export is synchronous. A send is driven by the shim as a loop over `planSend` and
//! `interpretSend` (the same loop as [`crate::send::send_message`]): a trap inside a
//! synchronous export is a catchable `WebAssembly.RuntimeError`, while one inside an async
//! export's future is an uncaught exception that leaves the send pending forever.

use std::cell::RefCell;

use crate::json::{parse, ParseError, Value};
use wasm_bindgen::prelude::*;

use crate::error::{Error, Issue, NetworkErrorKind};
use crate::metadata::metadata_json;
use crate::pop::request::FORM_CONTENT_TYPE;
use crate::send::{backoff_ms, envelope, plan_attempt, plan_attempt_with, redactor_for, secrets, settle, Validated};
use crate::transport::{HttpRequest, Stamp, TransportResult};
use crate::Kind;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
export type Kind = 'aliyun-dm' | 'aliyun-sms';
export type ErrorData = { errorDescription: string; [key: string]: unknown };
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; data: ErrorData } };
export interface HttpRequest { method: 'POST'; url: string; headers: Record<string, string>; body: string; timeoutMs: number; maxResponseBytes: number }
/** What planSend returns on success: `[url, body, timeoutMs, maxResponseBytes, contentType]`. */
export type PlannedRequest = [string, string, number, number, string];
export type TransportResult =
  | { status: number; body: string }
  | { networkError: { kind: 'timeout' | 'refused' | 'dns' | 'reset' | 'other'; message: string; sent: boolean } };
export type Stamp = { nowMs: number; nonce: string };
export type Step<T> = Envelope<T> | { retry: true; afterMs: number };
export interface SendInput {
  config: unknown; to: string; type: string; payload: Record<string, unknown>;
  template: Record<string, unknown> | null; nowMs: number; nonce: string;
}
"#;

/// JS value → JSON value; `what` names it in the error.
fn from_js(value: &JsValue, what: &str) -> Result<Value, String> {
    // Only the kind of failure is reported: a thrown message may quote the input.
    let text = match js_sys::JSON::stringify(value) {
        Ok(text) => JsValue::from(text).as_string(),
        Err(thrown) if thrown.is_instance_of::<js_sys::RangeError>() => {
            return Err(format!("{what} is nested too deeply to be read as JSON data."));
        }
        Err(thrown) if thrown.is_instance_of::<js_sys::TypeError>() => {
            return Err(format!("{what} is not JSON data (it has a cycle or a BigInt)."));
        }
        Err(_) => return Err(format!("{what} could not be read: one of its getters or toJSON methods threw.")),
    };
    let text = text.ok_or_else(|| format!("{what} is not JSON data (it is undefined, a function or a symbol)."))?;
    parse_text(&text, what)
}

/// Parses JSON text that JS produced; `what` names it in the error.
fn parse_text(text: &str, what: &str) -> Result<Value, String> {
    parse(text).map_err(|error| match error {
        ParseError::LoneSurrogate(_) => format!("{what} contains text with a lone UTF-16 surrogate, which is not valid Unicode; fix the text instead of letting it be replaced silently."),
        ParseError::TooDeep => format!("{what} is {error}."),
        ParseError::Syntax(_) => format!("{what} is not valid JSON data."),
    })
}

/// JSON value → plain JS object.
fn to_js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

fn error_envelope(error: Error) -> JsValue {
    to_js(&envelope(Err(error), &[]))
}

/// The JS strings every send uses (property names, the kinds, the content type), made once
/// per instance. `JsValue::from_str` decodes from linear memory on each use, and a key or kind
/// compared by copying it in was a string copy per call; these are compared with `===`.
#[derive(Debug, Clone, Copy)]
enum Name {
    Status,
    Body,
    Url,
    TimeoutMs,
    NetworkError,
    Kind,
    Message,
    Sent,
    NowMs,
    Nonce,
    Retry,
    AfterMs,
    Ok,
    Value,
    Dm,
    Sms,
    FormContentType,
    Payload,
}

const NAMES: [&str; 18] = [
    "status",
    "body",
    "url",
    "timeoutMs",
    "networkError",
    "kind",
    "message",
    "sent",
    "nowMs",
    "nonce",
    "retry",
    "afterMs",
    "ok",
    "value",
    Kind::Dm.name(),
    Kind::Sms.name(),
    FORM_CONTENT_TYPE,
    "payload",
];

thread_local! {
    static JS_NAMES: Vec<JsValue> = NAMES.iter().map(|name| JsValue::from_str(name)).collect();
}

/// The JS string for `name` (a new reference to the one made at start, not a new string).
fn js_name(name: Name) -> JsValue {
    JS_NAMES.with(|names| match names.get(name as usize) {
        Some(value) => value.clone(),
        // Unreachable (one string per variant); made afresh rather than panic.
        None => JsValue::from_str(NAMES.get(name as usize).copied().unwrap_or_default()),
    })
}

fn kind_of(kind: &JsValue) -> Result<Kind, Error> {
    if *kind == js_name(Name::Dm) {
        return Ok(Kind::Dm);
    }
    if *kind == js_name(Name::Sms) {
        return Ok(Kind::Sms);
    }
    Err(Error::Internal {
        message: "kind must be \"aliyun-dm\" or \"aliyun-sms\"".into(),
    })
}

/// The connector metadata for `kind`.
#[wasm_bindgen(js_name = getMetadata, unchecked_return_type = "Envelope<Record<string, unknown>>")]
pub fn get_metadata(#[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue) -> JsValue {
    match kind_of(&kind) {
        Ok(kind) => {
            let text = format!("{{\"ok\":true,\"value\":{}}}", metadata_json(kind));
            js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
        }
        Err(error) => error_envelope(error),
    }
}

/// Validates a config: `{ok: true, value: config}` or an `invalid_config` envelope whose data
/// lists every issue by path.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "Envelope<unknown>")]
pub fn validate_config(
    #[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] config: JsValue,
) -> JsValue {
    let kind = match kind_of(&kind) {
        Ok(kind) => kind,
        Err(error) => return error_envelope(error),
    };
    let value = match from_js(&config, "The config") {
        Ok(value) => value,
        Err(message) => {
            return error_envelope(Error::InvalidConfig {
                issues: vec![Issue { path: String::new(), message }],
            })
        }
    };
    let result = match kind {
        Kind::Dm => crate::config::validate_dm(&value).map(|_| ()),
        Kind::Sms => crate::config::validate_sms(&value).map(|_| ()),
    };
    match result {
        // The value is the caller's own object: nothing to copy back across the boundary.
        Ok(()) => ok_envelope(&config),
        Err(error) => to_js(&envelope(Err(error), &secrets(&value))),
    }
}

fn set(target: &JsValue, key: Name, value: &JsValue) {
    // Setting a plain data property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(target, &js_name(key), value);
}

fn field(source: &JsValue, key: Name) -> JsValue {
    js_sys::Reflect::get(source, &js_name(key)).unwrap_or(JsValue::UNDEFINED)
}

fn ok_envelope(value: &JsValue) -> JsValue {
    let envelope: JsValue = js_sys::Object::new().into();
    set(&envelope, Name::Ok, &JsValue::TRUE);
    set(&envelope, Name::Value, value);
    envelope
}

/// A planned request as `[url, body, timeoutMs, maxResponseBytes, contentType]`: one array
/// made in one call, which the shim turns into the `HttpRequest` object. Building the object
/// here took one `Reflect.set` call across the boundary per field, about a tenth of a send's
/// core time (bench/core-loop.mjs).
fn planned_to_js(request: &HttpRequest) -> JsValue {
    let content_type = match request.headers.first() {
        Some((_, value)) if *value != FORM_CONTENT_TYPE => JsValue::from_str(value),
        _ => js_name(Name::FormContentType),
    };
    js_sys::Array::of5(
        &JsValue::from_str(&request.url),
        &JsValue::from_str(&request.body),
        &JsValue::from_f64(f64::from(request.timeout_ms)),
        // The transport reads no more than this (plus one byte) of the answer.
        &JsValue::from_f64(crate::pop::response::MAX_ANSWER_BYTES as f64),
        &content_type,
    )
    .into()
}

/// Reads the transport's answer field by field; anything else is a network error that
/// counts as sent, because nothing proves otherwise.
fn transport_result(value: &JsValue) -> TransportResult {
    let status = field(value, Name::Status).as_f64();
    let body = field(value, Name::Body).as_string();
    if let (Some(status), Some(body)) = (status, body) {
        if status.fract() == 0.0 && (0.0..=999.0).contains(&status) {
            return TransportResult::Response { status: status as u16, body };
        }
    }
    let failure = field(value, Name::NetworkError);
    if !failure.is_object() {
        return TransportResult::NetworkError {
            kind: NetworkErrorKind::Other,
            message: "the transport returned no usable result".into(),
            sent: true,
        };
    }
    let kind = match field(&failure, Name::Kind).as_string().as_deref() {
        Some("timeout") => NetworkErrorKind::Timeout,
        Some("refused") => NetworkErrorKind::Refused,
        Some("dns") => NetworkErrorKind::Dns,
        Some("reset") => NetworkErrorKind::Reset,
        _ => NetworkErrorKind::Other,
    };
    let message = field(&failure, Name::Message).as_string().unwrap_or_else(|| "network error".into());
    // Only an explicit `sent: false` proves the request never left.
    let sent = field(&failure, Name::Sent) != JsValue::FALSE;
    TransportResult::NetworkError { kind, message, sent }
}

/// Bytes of linear memory the module holds: lets tests and the benchmark check that memory
/// stays flat over many sends.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) as f64) * 65_536.0
}

fn stamp_of(value: &JsValue) -> Option<Stamp> {
    if value.is_null() || value.is_undefined() {
        return None;
    }
    Some(Stamp {
        now_ms: field(value, Name::NowMs).as_f64().unwrap_or(f64::NAN),
        nonce: field(value, Name::Nonce).as_string().unwrap_or_default(),
    })
}

thread_local! {
    /// The last valid config per kind, with the JSON text it was read from. Logto sends with
    /// the same stored config again and again; comparing the text is far cheaper than parsing
    /// and validating it each time (bench/core-loop.mjs). One entry per kind: a multi-tenant
    /// host that alternates configs only pays the comparison on top.
    static LAST_CONFIG: RefCell<[Option<(String, Validated)>; 2]> = const { RefCell::new([None, None]) };
}

fn slot_of(kind: Kind) -> usize {
    match kind {
        Kind::Dm => 0,
        Kind::Sms => 1,
    }
}

/// Plans with the validated config for `text` (a JSON text): the cached one when the text is
/// the same, else freshly validated (and cached when valid). Returns the result and, for an
/// error, the secrets to scrub from it.
fn plan_with_config_text(kind: Kind, text: String, input: &Value, stamp: Option<&Stamp>) -> (Result<HttpRequest, Error>, Vec<String>) {
    LAST_CONFIG.with(|cache| {
        let mut cache = cache.borrow_mut();
        let Some(slot) = cache.get_mut(slot_of(kind)) else {
            return (Err(Error::Internal { message: "no config slot".into() }), Vec::new());
        };
        if !matches!(slot, Some((known, _)) if *known == text) {
            *slot = None;
            let value = match parse_text(&text, "The config") {
                Ok(value) => value,
                Err(message) => return (Err(Error::InvalidConfig { issues: vec![Issue { path: String::new(), message }] }), Vec::new()),
            };
            match Validated::new(kind, &value) {
                Ok(config) => *slot = Some((text, config)),
                Err(error) => return (Err(error), secrets(&value)),
            }
        }
        match slot {
            Some((_, config)) => plan_with(config, input, stamp),
            None => (Err(Error::Internal { message: "no config".into() }), Vec::new()),
        }
    })
}

/// Plans with an already validated config; an error comes with the config's secrets to scrub.
fn plan_with(config: &Validated, input: &Value, stamp: Option<&Stamp>) -> (Result<HttpRequest, Error>, Vec<String>) {
    let result = plan_attempt_with(config, input, stamp);
    let secrets = if result.is_err() { config.secrets() } else { Vec::new() };
    (result, secrets)
}

/// Plans with the config held for `kind` (the last one [`plan_with_config_text`] accepted).
/// The shim passes `null` instead of the text only after a plan with that very text
/// succeeded, and forgets it whenever it re-instantiates the module, so an empty slot here
/// means the two sides disagree: an internal error, never a silent use of another config.
fn plan_with_held_config(kind: Kind, input: &Value, stamp: Option<&Stamp>) -> (Result<HttpRequest, Error>, Vec<String>) {
    LAST_CONFIG.with(|cache| {
        let cache = cache.borrow();
        match cache.get(slot_of(kind)) {
            Some(Some((_, config))) => plan_with(config, input, stamp),
            _ => (Err(Error::Internal { message: "no config is held for this connector; pass the config text".into() }), Vec::new()),
        }
    })
}

/// Plans and signs one attempt of a send: a `PlannedRequest` array, or an error envelope. `stamp` is `null` for the
/// first attempt (the input's `nowMs` and `nonce` apply) and a fresh `{nowMs, nonce}` for a
/// retry. `configJson`, when a string, is the config as JSON text and replaces `input.config`
/// (the shim stringifies the config on its own so the core can recognise one it validated
/// before); `null` means the config of the last successful plan for this kind, so the shim
/// need not copy the same text into the module for every send.
#[wasm_bindgen(js_name = planSend, unchecked_return_type = "PlannedRequest | Envelope<never>")]
pub fn plan_send(
    #[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SendInput")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Stamp | null")] stamp: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] config_json: JsValue,
) -> JsValue {
    let kind = match kind_of(&kind) {
        Ok(kind) => kind,
        Err(error) => return error_envelope(error),
    };
    let input = match from_js(&input, "The send input") {
        Ok(value) => value,
        Err(message) => return error_envelope(Error::InvalidRequest { message }),
    };
    #[cfg(feature = "test-trap")]
    #[allow(clippy::panic)]
    if input.get("to").and_then(Value::as_str) == Some("trap@trap.invalid") {
        panic!("test-trap: a deliberate panic");
    }
    let stamp = stamp_of(&stamp);
    let (result, secrets) = if config_json.is_null() {
        plan_with_held_config(kind, &input, stamp.as_ref())
    } else {
        match config_json.as_string() {
            Some(text) => plan_with_config_text(kind, text, &input, stamp.as_ref()),
            None => (plan_attempt(kind, &input, stamp.as_ref()), secrets(&input)),
        }
    };
    match result {
        Ok(request) => planned_to_js(&request),
        Err(error) => to_js(&envelope(Err(error), &secrets)),
    }
}

/// Decides what follows attempt `attempt` (0-based) of `request` given the transport's
/// `response`: the final envelope, or `{retry: true, afterMs}`. `input` is the send's input,
/// read only for an error: the payload's values are redacted from it.
#[wasm_bindgen(js_name = interpretSend, unchecked_return_type = "Step<Record<string, unknown>>")]
pub fn interpret_send(
    #[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "HttpRequest")] request: JsValue,
    attempt: u32,
    #[wasm_bindgen(unchecked_param_type = "TransportResult")] response: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SendInput")] input: JsValue,
) -> JsValue {
    let kind = match kind_of(&kind) {
        Ok(kind) => kind,
        Err(error) => return error_envelope(error),
    };
    let result = transport_result(&response);
    // The URL and timeout only appear in network errors' messages, and the signed body is read
    // back only for a retry's jitter or scrubbing an error: a success reads none of them.
    let (url, timeout_ms) = match result {
        TransportResult::NetworkError { .. } => (
            field(&request, Name::Url).as_string().unwrap_or_default(),
            field(&request, Name::TimeoutMs).as_f64().map_or(0, |ms| ms.clamp(0.0, f64::from(u32::MAX)) as u32),
        ),
        TransportResult::Response { .. } => (String::new(), 0),
    };
    let body = || field(&request, Name::Body).as_string().unwrap_or_default();
    match settle(kind, attempt, &url, timeout_ms, result) {
        (_, true) => {
            let step: JsValue = js_sys::Object::new().into();
            set(&step, Name::Retry, &JsValue::TRUE);
            set(&step, Name::AfterMs, &JsValue::from_f64(f64::from(backoff_ms(attempt, &body()))));
            step
        }
        (Ok(value), false) => to_js(&envelope(Ok(value), &[])),
        (Err(mut error), false) => {
            // Whatever the request carried (the rendered message, the payload's values, the STS
            // token) may come back in Aliyun's answer; the secret itself never leaves the core.
            let payload = field(&input, Name::Payload);
            let payload = if payload.is_object() { from_js(&payload, "The payload").ok() } else { None };
            error.redact(&redactor_for(kind, &body(), payload.as_ref()));
            to_js(&envelope(Err(error), &[]))
        }
    }
}

// dlmalloc was 7.7 KB of a module whose budget is 120 KB. The module is single-threaded
// (wasm32-unknown-unknown without atomics), and lol_alloc's free list is kept address-sorted
// and coalesces neighbours, so the allocate-all/free-all pattern of each call does not
// fragment the heap; the benchmark checks Wasm memory stays flat over 20 000 sends.
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
