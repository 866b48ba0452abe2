//! The request and answer values that cross between the core and the host's `fetch`, and the
//! rule that tells from a failed fetch whether the request can have reached Aliyun.
//!
//! The core never touches a socket: it hands out an [`HttpRequest`] and gets a
//! [`TransportResult`] back (as quinn-proto hands out `Transmit` values).

use crate::error::NetworkErrorKind;
use crate::pop::response::Answer;

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
    /// Abort the request (answer included) after this many milliseconds.
    pub timeout_ms: u32,
    /// Read at most this many bytes of the answer, plus one to see that it is larger.
    pub max_response_bytes: usize,
}

/// An answer's body, read as JSON (serde_json) when it is a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A JSON object: the fields the connectors read.
    Json(Answer),
    /// Anything else (HTML, truncated JSON, an array), as text: quoted, redacted, in the error.
    Text(String),
    /// More than `max_response_bytes`: not read.
    TooLarge,
}

impl Body {
    /// The body of `text`: a JSON object into an [`Answer`], anything else as text; one larger
    /// than `max_bytes` is not parsed at all.
    pub fn read(text: String, max_bytes: usize) -> Body {
        if text.len() > max_bytes {
            return Body::TooLarge;
        }
        match serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .as_ref()
            .and_then(Answer::from_value)
        {
            Some(answer) => Body::Json(answer),
            None => Body::Text(text),
        }
    }
}

/// What the transport reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportResult {
    /// Aliyun (or something in between) answered.
    Response {
        /// HTTP status.
        status: u16,
        /// The body.
        body: Body,
    },
    /// No answer.
    NetworkError {
        /// How it failed.
        kind: NetworkErrorKind,
        /// What happened, for the operator (never contains request parameters).
        message: String,
        /// `false` only when the request provably never reached the server.
        sent: bool,
    },
}

/// A time and nonce for one attempt: each attempt is signed anew.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// Milliseconds since the Unix epoch.
    pub now_ms: f64,
    /// A value never used before (a UUID).
    pub nonce: String,
}

/// What a rejected fetch said, read off the thrown value and its `cause` chain (undici throws
/// `TypeError('fetch failed')` whose cause, or the errors of an AggregateError under it, carry
/// Node's error codes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejection {
    /// `name` of the thrown value (`TypeError`, `AbortError`, …).
    pub name: String,
    /// Every `code` on the chain (`ECONNREFUSED`, `UND_ERR_SOCKET`, …).
    pub codes: Vec<String>,
    /// Every `message` on the chain, outermost first.
    pub messages: Vec<String>,
    /// The request's own deadline fired first.
    pub timed_out: bool,
}

/// Node error codes proving the request never reached a server: it may be sent again.
const UNSENT: [(&str, NetworkErrorKind); 3] = [
    ("ECONNREFUSED", NetworkErrorKind::Refused),
    ("ENOTFOUND", NetworkErrorKind::Dns),
    ("EAI_AGAIN", NetworkErrorKind::Dns),
];

/// Codes meaning the connection broke after it was made: the request may have arrived.
const RESET: [&str; 4] = ["ECONNRESET", "UND_ERR_SOCKET", "EPIPE", "UND_ERR_CLOSED"];

/// What a redirect is reported as: the signed body is valid for its own URL only.
pub const REDIRECT_MESSAGE: &str =
    "the server answered with a redirect, which is not followed: a signed request is valid for its own URL only; check the endpoint";

/// Classifies a rejected fetch. `sent: false` only when the request provably never left:
/// refused, unresolvable, or an unusable URL or port. A timeout or a reset may come after the
/// server got the request, so it must not be resent.
pub fn classify(rejection: &Rejection, timeout_ms: u32) -> TransportResult {
    let failure = |kind, message: String, sent| TransportResult::NetworkError {
        kind,
        message,
        sent,
    };
    let message = describe(&rejection.messages);
    if rejection.timed_out || matches!(rejection.name.as_str(), "TimeoutError" | "AbortError") {
        return failure(
            NetworkErrorKind::Timeout,
            format!("no answer within {timeout_ms} ms"),
            true,
        );
    }
    let has = |code: &str| rejection.codes.iter().any(|known| known == code);
    if let Some((_, kind)) = UNSENT.iter().find(|(code, _)| has(code)) {
        return failure(*kind, message, false);
    }
    if RESET.iter().any(|code| has(code)) {
        return failure(NetworkErrorKind::Reset, message, true);
    }
    let said = |text: &str| rejection.messages.iter().any(|m| m == text);
    // Refused before any socket opened: an unparsable URL, or a port fetch blocks.
    if has("ERR_INVALID_URL") || said("bad port") {
        return failure(NetworkErrorKind::Other, message, false);
    }
    // `redirect: 'error'`: the server took the request and answered with a redirect.
    if said("unexpected redirect") {
        return failure(NetworkErrorKind::Other, REDIRECT_MESSAGE.into(), true);
    }
    failure(NetworkErrorKind::Other, message, true)
}

/// One line: the outer message, and the first cause's when it says more.
fn describe(messages: &[String]) -> String {
    match messages {
        [] => "network error".into(),
        [outer] => outer.clone(),
        [outer, cause, ..] if cause != outer && !cause.is_empty() => format!("{outer}: {cause}"),
        [outer, ..] => outer.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(name: &str, codes: &[&str], messages: &[&str]) -> Rejection {
        Rejection {
            name: name.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            messages: messages.iter().map(|m| m.to_string()).collect(),
            timed_out: false,
        }
    }

    fn kind_and_sent(result: TransportResult) -> (NetworkErrorKind, bool) {
        match result {
            TransportResult::NetworkError { kind, sent, .. } => (kind, sent),
            TransportResult::Response { .. } => panic!("not a network error"),
        }
    }

    #[test]
    fn only_refused_dns_and_unusable_urls_are_unsent() {
        use NetworkErrorKind::*;
        let cases = [
            (
                rejection(
                    "TypeError",
                    &["ECONNREFUSED"],
                    &["fetch failed", "connect ECONNREFUSED"],
                ),
                (Refused, false),
            ),
            (
                rejection("TypeError", &["ENOTFOUND"], &["fetch failed"]),
                (Dns, false),
            ),
            (
                rejection("TypeError", &["EAI_AGAIN"], &["fetch failed"]),
                (Dns, false),
            ),
            (
                rejection("TypeError", &["ERR_INVALID_URL"], &["Invalid URL"]),
                (Other, false),
            ),
            (
                rejection("TypeError", &[], &["fetch failed", "bad port"]),
                (Other, false),
            ),
            (
                rejection(
                    "TypeError",
                    &["UND_ERR_SOCKET"],
                    &["fetch failed", "other side closed"],
                ),
                (Reset, true),
            ),
            (
                rejection("TypeError", &["ECONNRESET"], &["fetch failed"]),
                (Reset, true),
            ),
            (
                rejection("AbortError", &[], &["This operation was aborted"]),
                (Timeout, true),
            ),
            (
                rejection("TimeoutError", &[], &["timed out"]),
                (Timeout, true),
            ),
            (
                rejection("TypeError", &[], &["fetch failed", "unexpected redirect"]),
                (Other, true),
            ),
            (
                rejection(
                    "TypeError",
                    &["ECONNRESET", "ECONNREFUSED"],
                    &["fetch failed"],
                ),
                (Refused, false),
            ),
            (rejection("", &[], &[]), (Other, true)),
        ];
        for (rejection, expected) in cases {
            assert_eq!(
                kind_and_sent(classify(&rejection, 1000)),
                expected,
                "{rejection:?}"
            );
        }
        let mut late = rejection("TypeError", &["ECONNREFUSED"], &["fetch failed"]);
        late.timed_out = true;
        assert_eq!(kind_and_sent(classify(&late, 1000)), (Timeout, true));
    }

    #[test]
    fn messages_say_what_happened() {
        let reset = classify(
            &rejection(
                "TypeError",
                &["UND_ERR_SOCKET"],
                &["fetch failed", "other side closed"],
            ),
            1000,
        );
        assert!(
            matches!(reset, TransportResult::NetworkError { ref message, .. } if message == "fetch failed: other side closed")
        );
        let redirect = classify(
            &rejection("TypeError", &[], &["fetch failed", "unexpected redirect"]),
            1000,
        );
        assert!(
            matches!(redirect, TransportResult::NetworkError { ref message, .. } if message == REDIRECT_MESSAGE)
        );
        let timeout = classify(&rejection("AbortError", &[], &["aborted"]), 2500);
        assert!(
            matches!(timeout, TransportResult::NetworkError { ref message, .. } if message == "no answer within 2500 ms")
        );
    }
}
