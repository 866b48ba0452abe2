//! The request and response values that cross between the core and the host's transport.
//!
//! The core never touches a socket: it hands an [`HttpRequest`] to a [`Transport`] and gets a
//! [`TransportResult`] back (as quinn-proto hands out `Transmit` values).

use crate::json::{Map, Value};

use crate::error::NetworkErrorKind;

/// A fully signed request, ready to send as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Always `POST`: Aliyun's RPC APIs take the signed parameters as a form body.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Header name/value pairs.
    pub headers: Vec<(&'static str, &'static str)>,
    /// `application/x-www-form-urlencoded` body with `Signature` last.
    pub body: String,
    /// Abort the request after this many milliseconds.
    pub timeout_ms: u32,
}

impl HttpRequest {
    /// The request as the JSON value the JS transport receives.
    pub fn to_json(&self) -> Value {
        let headers: Map = self.headers.iter().map(|(name, value)| (*name, Value::from(*value))).collect();
        Value::object([
            ("method", Value::from(self.method)),
            ("url", Value::from(self.url.as_str())),
            ("headers", Value::Object(headers)),
            ("body", Value::from(self.body.as_str())),
            ("timeoutMs", Value::from(u64::from(self.timeout_ms))),
        ])
    }
}

/// What the transport reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportResult {
    /// Aliyun (or something in between) answered.
    Response {
        /// HTTP status.
        status: u16,
        /// Body as text.
        body: String,
    },
    /// No answer.
    NetworkError {
        /// How it failed.
        kind: NetworkErrorKind,
        /// The transport's own description (never contains request parameters).
        message: String,
        /// `false` only when the request provably never reached the server.
        sent: bool,
    },
}

impl TransportResult {
    /// Reads the JS transport's answer; anything unrecognisable becomes a network error that
    /// counts as sent, because we cannot prove otherwise.
    pub fn from_json(value: &Value) -> TransportResult {
        if let Some(status) = value.get("status").and_then(Value::as_u64) {
            let body = value.get("body").and_then(Value::as_str).unwrap_or_default();
            return TransportResult::Response {
                status: u16::try_from(status).unwrap_or(0),
                body: body.to_string(),
            };
        }
        let failure = value.get("networkError");
        let kind = match failure.and_then(|f| f.get("kind")).and_then(Value::as_str) {
            Some("timeout") => NetworkErrorKind::Timeout,
            Some("refused") => NetworkErrorKind::Refused,
            Some("dns") => NetworkErrorKind::Dns,
            Some("reset") => NetworkErrorKind::Reset,
            _ => NetworkErrorKind::Other,
        };
        let message = failure
            .and_then(|f| f.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("the transport returned no usable result")
            .to_string();
        // Only an explicit `sent: false` proves the request never left.
        let sent = failure.and_then(|f| f.get("sent")).and_then(Value::as_bool) != Some(false);
        TransportResult::NetworkError {
            kind,
            message,
            sent,
        }
    }
}

/// A fresh time and nonce for a retry: each attempt is signed anew.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// Milliseconds since the Unix epoch.
    pub now_ms: f64,
    /// A value never used before (a UUID).
    pub nonce: String,
}

/// The host's side of a send: the only I/O the core ever asks for.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends the request; never fails, network trouble is a [`TransportResult::NetworkError`].
    async fn send(&self, request: &HttpRequest) -> TransportResult;
    /// Waits `ms` milliseconds (retry backoff).
    async fn sleep(&self, ms: u32);
    /// A fresh time and nonce.
    fn stamp(&self) -> Stamp;
}
