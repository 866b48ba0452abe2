//! The wasm-bindgen boundary: the only module that knows `JsValue`.
//!
//! Values cross as JSON: inputs go through `JSON.stringify` (so `NaN` becomes `null`, cycles
//! and BigInts are caught, lone surrogates arrive as `\ud800` escapes that serde_json refuses
//! instead of silently replacing) and outputs through `JSON.parse` (plain objects, `null`
//! never `undefined`). Every export returns an envelope and never throws for bad input; the
//! transport is a duck type whose failures become network errors.

use crate::json::{parse, ParseError, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error::{Error, Issue, NetworkErrorKind};
use crate::metadata::metadata_json;
use crate::send::{envelope, secrets, send_message as send_core};
use crate::transport::{HttpRequest, Stamp, Transport, TransportResult};
use crate::Kind;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
export type Kind = 'aliyun-dm' | 'aliyun-sms';
export type ErrorData = { errorDescription: string; [key: string]: unknown };
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; data: ErrorData } };
export interface HttpRequest { method: 'POST'; url: string; headers: Record<string, string>; body: string; timeoutMs: number }
export type TransportResult =
  | { status: number; body: string }
  | { networkError: { kind: 'timeout' | 'refused' | 'dns' | 'reset' | 'other'; message: string; sent: boolean } };
export interface Transport {
  send(request: HttpRequest): Promise<TransportResult>;
  sleep(ms: number): Promise<void>;
  stamp(): { nowMs: number; nonce: string };
}
export interface SendInput {
  config: unknown; to: string; type: string; payload: Record<string, unknown>;
  template: Record<string, unknown> | null; nowMs: number; nonce: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The host's transport (see `docs/contracts.md`).
    #[wasm_bindgen(typescript_type = "Transport")]
    pub type JsTransport;

    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_js(this: &JsTransport, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = sleep)]
    fn sleep_js(this: &JsTransport, ms: u32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = stamp)]
    fn stamp_js(this: &JsTransport) -> Result<JsValue, JsValue>;
}

/// JS value → JSON value; `what` names it in the error.
fn from_js(value: &JsValue, what: &str) -> Result<Value, String> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| JsValue::from(s).as_string())
        .ok_or_else(|| format!("{what} is not JSON data (it has a cycle, a BigInt or a function)."))?;
    parse(&text).map_err(|error| match error {
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

fn kind_of(kind: &JsValue) -> Result<Kind, Error> {
    kind.as_string().as_deref().and_then(Kind::parse).ok_or_else(|| Error::Internal {
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
    let secrets = secrets(&value);
    to_js(&envelope(result.map(|()| value), &secrets))
}

/// The JS transport seen through the core's [`Transport`] trait.
struct Bridge(JsTransport);

impl Bridge {
    async fn settle(result: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
        // `Promise.resolve` accepts plain values and thenables alike.
        let promise = js_sys::Promise::resolve(&result?);
        JsFuture::from(promise).await
    }
}

impl Transport for Bridge {
    async fn send(&self, request: &HttpRequest) -> TransportResult {
        let answer = Self::settle(self.0.send_js(to_js(&request.to_json()))).await;
        let parsed = answer.ok().and_then(|value| from_js(&value, "The transport result").ok());
        match parsed {
            Some(value) => TransportResult::from_json(&value),
            None => TransportResult::NetworkError {
                kind: NetworkErrorKind::Other,
                message: "the transport failed without a result".into(),
                sent: true,
            },
        }
    }

    async fn sleep(&self, ms: u32) {
        // A failing sleep only shortens the backoff.
        let _ = Self::settle(self.0.sleep_js(ms)).await;
    }

    fn stamp(&self) -> Stamp {
        let value = self.0.stamp_js().ok().and_then(|v| from_js(&v, "The stamp").ok()).unwrap_or(Value::Null);
        Stamp {
            now_ms: value.get("nowMs").and_then(Value::as_f64).unwrap_or(f64::NAN),
            nonce: value.get("nonce").and_then(Value::as_str).unwrap_or_default().to_string(),
        }
    }
}

/// Sends one message through `transport`; resolves to an envelope, never rejects.
#[wasm_bindgen(js_name = sendMessage, unchecked_return_type = "Promise<Envelope<Record<string, unknown>>>")]
pub async fn send_message(
    #[wasm_bindgen(unchecked_param_type = "Kind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SendInput")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Transport")] transport: JsValue,
) -> JsValue {
    let kind = match kind_of(&kind) {
        Ok(kind) => kind,
        Err(error) => return error_envelope(error),
    };
    let input = match from_js(&input, "The send input") {
        Ok(value) => value,
        Err(message) => return error_envelope(Error::InvalidRequest { message }),
    };
    if !transport.is_object() {
        return error_envelope(Error::Internal {
            message: "the transport must be an object with send, sleep and stamp".into(),
        });
    }
    let bridge = Bridge(transport.unchecked_into());
    let result = send_core(kind, &input, &bridge).await;
    to_js(&envelope(result, &secrets(&input)))
}
