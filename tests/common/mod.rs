//! The product's send loop, run natively over a scripted transport: the same `Send` rules the
//! Wasm boundary drives (plan → transport → settle → maybe again), with time and nonce from
//! the script, so tests can assert exact form bodies, signature included.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::collections::VecDeque;

use aliyun_connectors::config::secrets_of;
use aliyun_connectors::error::{Envelope, NetworkErrorKind};
use aliyun_connectors::pop::response::MAX_ANSWER_BYTES;
use aliyun_connectors::send::{Delivered, Next, Send};
use aliyun_connectors::transport::{Body, HttpRequest, Stamp, TransportResult};
use aliyun_connectors::{Error, Kind};
use serde_json::Value;

/// The first attempt's time and nonce.
pub const NOW_MS: f64 = 1_476_944_876_000.0; // 2016-10-20T06:27:56Z
pub const NONCE: &str = "c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c";

/// Records every request and answers from a script; a retry's stamp is `NOW_MS + n s` and
/// `retry-nonce-n`.
pub struct Fake {
    pub requests: RefCell<Vec<HttpRequest>>,
    answers: RefCell<VecDeque<TransportResult>>,
    pub sleeps: RefCell<Vec<u32>>,
    stamps: RefCell<u32>,
}

impl Fake {
    pub fn new(answers: Vec<TransportResult>) -> Fake {
        Fake {
            requests: RefCell::new(Vec::new()),
            answers: RefCell::new(answers.into()),
            sleeps: RefCell::new(Vec::new()),
            stamps: RefCell::new(0),
        }
    }
    pub fn ok(status: u16, body: &str) -> TransportResult {
        TransportResult::Response {
            status,
            body: body_of(body),
        }
    }
    pub fn net(kind: NetworkErrorKind, sent: bool) -> TransportResult {
        TransportResult::NetworkError {
            kind,
            message: "boom".into(),
            sent,
        }
    }
    pub fn bodies(&self) -> Vec<String> {
        self.requests
            .borrow()
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }
    fn stamp(&self) -> Stamp {
        let mut n = self.stamps.borrow_mut();
        let stamp = match *n {
            0 => Stamp {
                now_ms: NOW_MS,
                nonce: NONCE.into(),
            },
            n => Stamp {
                now_ms: NOW_MS + f64::from(n) * 1000.0,
                nonce: format!("retry-nonce-{n}"),
            },
        };
        *n += 1;
        stamp
    }
    fn answer(&self, request: &HttpRequest) -> TransportResult {
        self.requests.borrow_mut().push(request.clone());
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Fake::net(NetworkErrorKind::Other, true))
    }
}

/// An answer's body as the boundary reads it: a JSON object into its fields, anything else as
/// text, over the cap not at all.
pub fn body_of(text: &str) -> Body {
    Body::read(text.to_string(), MAX_ANSWER_BYTES)
}

/// Runs one send of `input` (`{ config, to, type, payload, template }`) to its outcome.
pub fn send_outcome(
    kind: Kind,
    input: &Value,
    fake: &Fake,
) -> (Option<Send>, Result<Delivered, Error>) {
    let config = input.get("config").cloned().unwrap_or(Value::Null);
    let mut send = match Send::new(kind, &config, input) {
        Ok(send) => send,
        Err(error) => return (None, Err(error)),
    };
    loop {
        let request = match send.plan(&fake.stamp()) {
            Ok(request) => request,
            Err(error) => return (Some(send), Err(error)),
        };
        let result = fake.answer(&request);
        match send.settle(&request, result) {
            Next::Done(outcome) => return (Some(send), outcome),
            Next::Retry { after_ms } => fake.sleeps.borrow_mut().push(after_ms),
        }
    }
}

/// The outcome of one send.
pub fn send(kind: Kind, input: &Value, fake: &Fake) -> Result<Delivered, Error> {
    send_outcome(kind, input, fake).1
}

/// What the boundary answers for one send: the envelope as JSON text, credentials redacted.
pub fn send_envelope(kind: Kind, input: &Value, fake: &Fake) -> String {
    let envelope = match send_outcome(kind, input, fake) {
        (Some(send), outcome) => send.envelope(outcome),
        (None, outcome) => {
            let config = input.get("config").cloned().unwrap_or(Value::Null);
            Envelope::of(outcome, &secrets_of(&config))
        }
    };
    serde_json::to_string(&envelope).unwrap()
}
