//! The request and response values that cross between the core and the host's transport.
//!
//! The core never touches a socket: it hands an [`HttpRequest`] to a [`Transport`] and gets a
//! [`TransportResult`] back (as quinn-proto hands out `Transmit` values).


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
