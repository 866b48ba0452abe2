//! Whole sends through a scripted transport: at most three requests, retries only when proven safe.

use std::collections::{BTreeSet, VecDeque};

use aliyun_connectors::config::validate_dm;
use aliyun_connectors::error::NetworkErrorKind;
use aliyun_connectors::message::Message;
use aliyun_connectors::send::{Next, Send, MAX_ATTEMPTS};
use aliyun_connectors::transport::{HttpRequest, Stamp};
use aliyun_connectors::{dm, Error, Kind};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

use super::config::string_leaves_containing;
use super::interpret::{
    arb_body, arb_status, expected_not_taken, expected_success, Scripted, DM_OK, ERROR_CODES,
    SMS_OK,
};
use super::render::{arb_payload, arb_template};
use super::signing::decoded_pairs;

use super::generators::*;
use super::harness::*;

/// What a scripted send did: its requests, its backoffs and its outcome.
pub struct Run {
    requests: Vec<HttpRequest>,
    sleeps: Vec<u32>,
    result: Result<Value, Error>,
    envelope: String,
}

/// What the script answers once it is used up: a network failure that may have been sent.
pub fn exhausted() -> Scripted {
    Scripted::NetworkError {
        kind: NetworkErrorKind::Other,
        message: "script exhausted".into(),
        sent: true,
    }
}

/// Runs the product's loop over `Send` with scripted answers. The first attempt's time and
/// nonce come from the case (as the host's clock and nonce source give them, hostile ones
/// included); each retry gets a fresh pair.
pub fn run(case: &SendCase) -> Run {
    let config = case.input.get("config").cloned().unwrap_or(Value::Null);
    let mut answers: VecDeque<Scripted> = case.answers.clone().into();
    let mut run = Run {
        requests: Vec::new(),
        sleeps: Vec::new(),
        result: Ok(Value::Null),
        envelope: String::new(),
    };
    let mut send = match Send::new(case.kind, &config, &case.input) {
        Ok(send) => send,
        Err(error) => {
            run.envelope = boundary_error(error.clone(), &case.input);
            run.result = Err(error);
            return run;
        }
    };
    let mut stamp = case.stamp.clone();
    let outcome = loop {
        let request = match send.plan(&stamp) {
            Ok(request) => request,
            Err(error) => break Err(error),
        };
        run.requests.push(request.clone());
        let answer = answers.pop_front().unwrap_or_else(exhausted);
        match send.settle(&request, answer.result()) {
            Next::Done(outcome) => break outcome,
            Next::Retry { after_ms } => {
                run.sleeps.push(after_ms);
                let n = run.sleeps.len();
                stamp = Stamp {
                    now_ms: 1_700_000_000_000.0 + n as f64 * 1000.0,
                    nonce: format!("retry-nonce-{n}"),
                };
            }
        }
    };
    run.result = outcome
        .clone()
        .map(|delivered| serde_json::to_value(delivered).unwrap());
    run.envelope = serde_json::to_string(&send.envelope(outcome)).unwrap();
    run
}

pub fn arb_transport_result() -> impl Strategy<Value = Scripted> {
    let kinds = prop::sample::select(
        &[
            NetworkErrorKind::Timeout,
            NetworkErrorKind::Refused,
            NetworkErrorKind::Dns,
            NetworkErrorKind::Reset,
            NetworkErrorKind::Other,
        ][..],
    );
    let echo = prop::sample::select(&["", SECRET, TOKEN][..]);
    prop_oneof![
        2 => (prop::sample::select(&[200u16][..]), prop::sample::select(&[DM_OK, SMS_OK][..]))
            .prop_map(|(status, body)| Scripted::Response { status, body: body.to_string() }),
        3 => (prop::sample::select(&[200u16, 400, 403, 404, 500, 503][..]), prop::sample::select(ERROR_CODES), echo.clone()).prop_map(|(status, code, echo)| {
            // Aliyun may echo what it got (SignatureDoesNotMatch quotes the string to sign, which holds the token).
            Scripted::Response { status, body: json!({ "RequestId": "R-1", "Code": code, "Message": format!("message {echo}") }).to_string() }
        }),
        2 => (arb_status(), arb_body()).prop_map(|(status, body)| Scripted::Response { status, body }),
        2 => (kinds, any::<bool>(), echo).prop_map(|(kind, sent, echo)| Scripted::NetworkError { kind, message: format!("fetch failed {echo}"), sent }),
    ]
}

#[derive(Debug, Clone)]
pub struct SendCase {
    kind: Kind,
    input: Value,
    stamp: Stamp,
    answers: Vec<Scripted>,
}

pub fn arb_send_case() -> impl Strategy<Value = SendCase> {
    let to = prop_oneof![
        4 => prop::sample::select(&["user@example.com", "13912345678", "+8613912345678", "85268326366", "用户@例子.广告"][..]).prop_map(|s| Value::String(s.to_string())),
        1 => prop::sample::select(&["", "a@b.co,c@d.co", "a b@c.d", "x\u{0}y"][..]).prop_map(|s| Value::String(s.to_string())),
        1 => arb_text().prop_map(Value::String),
        1 => arb_leaf(),
    ];
    let usage = prop_oneof![
        4 => prop::sample::select(&["SignIn", "Register", "ForgotPassword", "Generic", "BindMfa", "MfaVerification", "SomethingNew"][..]).prop_map(|s| Value::String(s.to_string())),
        1 => arb_leaf(),
    ];
    let payload = prop_oneof![
        4 => (arb_text(), arb_payload()).prop_map(|(code, mut payload)| {
            payload.insert("code".into(), Value::String(code));
            Value::Object(payload)
        }),
        1 => arb_json(),
    ];
    let template = prop_oneof![
        3 => Just(Value::Null),
        2 => (arb_template(), arb_template(), prop::option::of(arb_text()), prop::option::of(arb_text()), prop::option::of(prop::sample::select(&["text/plain", "text/html", "x"][..])))
            .prop_map(|(subject, content, send_from, reply_to, content_type)| json!({ "subject": subject, "content": content, "sendFrom": send_from, "replyTo": reply_to, "contentType": content_type })),
        1 => arb_json(),
    ];
    let now = prop_oneof![
        6 => (1_600_000_000_000u64..1_900_000_000_000u64).prop_map(|ms| ms as f64),
        1 => any::<f64>(),
        1 => Just(253_402_300_800_000.0_f64),
    ];
    let nonce = prop_oneof![
        6 => Just("c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c".to_string()),
        1 => arb_text(),
    ];
    let shape = (
        any::<bool>(),
        0..3usize,
        prop::collection::vec(arb_mutation(), 0..2),
    );
    (shape, to, usage, payload, template, now, nonce, prop::collection::vec(arb_transport_result(), 0..5)).prop_map(
        |((sms, variant, mutations), to, usage, payload, template, now, nonce, answers)| {
            let kind = if sms { Kind::Sms } else { Kind::Dm };
            let config = mutate(if sms { sms_base(variant) } else { dm_base(variant) }, &mutations);
            let input = json!({ "config": config, "to": to, "type": usage, "payload": payload, "template": template });
            SendCase { kind, input, stamp: Stamp { now_ms: now, nonce }, answers }
        },
    )
}

/// A transport answer written as the JS transport would give it (corpus files).
pub fn answer_from_json(value: &Value) -> Scripted {
    if let (Some(status), Some(body)) = (
        value.get("status").and_then(Value::as_u64),
        value.get("body").and_then(Value::as_str),
    ) {
        return Scripted::Response {
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
        .unwrap_or("network error")
        .to_string();
    let sent = failure.and_then(|f| f.get("sent")).and_then(Value::as_bool) != Some(false);
    Scripted::NetworkError {
        kind,
        message,
        sent,
    }
}

pub fn param<'b>(body: &'b str, name: &str) -> Option<&'b str> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

pub fn check_send(case: &SendCase) -> Result<(), TestCaseError> {
    let run = run(case);
    let requests = &run.requests;
    let result = &run.result;
    let n = requests.len();
    prop_assert!(
        n <= MAX_ATTEMPTS as usize && MAX_ATTEMPTS == 3,
        "{n} requests for one message"
    );
    let answered: Vec<Scripted> = (0..n)
        .map(|i| case.answers.get(i).cloned().unwrap_or_else(exhausted))
        .collect();

    // The secret is only ever the HMAC key: it never goes on the wire (unless the input also
    // carries it somewhere that is sent, say in the payload, or the host's nonce source gives it).
    let secret_only_in_its_field = case.input["config"]["accessKeySecret"] == SECRET
        && string_leaves_containing(&case.input, SECRET) == 1
        && !case.stamp.nonce.contains(SECRET);
    let mut nonces = BTreeSet::new();
    for (i, request) in requests.iter().enumerate() {
        prop_assert_eq!(request.method, "POST");
        if secret_only_in_its_field {
            prop_assert!(
                !request.body.contains(SECRET) && !request.url.contains(SECRET),
                "the access key secret went on the wire"
            );
        }
        let nonce = param(&request.body, "SignatureNonce").unwrap_or_default();
        prop_assert!(
            nonces.insert(nonce.to_string()),
            "nonce {nonce} reused across attempts"
        );
        // The body is the canonical query of its own parameters, signed last.
        let (unsigned, signature_param) = request
            .body
            .rsplit_once("&Signature=")
            .ok_or_else(|| fail("no Signature".into()))?;
        prop_assert!(decoded_pairs(unsigned).is_some() && !signature_param.is_empty());
        if i > 0 {
            prop_assert!(
                expected_not_taken(case.kind, &answered[i - 1]),
                "retried after {:?}, which does not prove the message was not taken",
                answered[i - 1]
            );
            prop_assert!(
                nonce.starts_with("retry-nonce-"),
                "a retry must use a fresh stamp"
            );
        }
    }
    if n > 0 {
        prop_assert_eq!(run.sleeps.len(), n - 1, "one backoff per retry");
        let last = &answered[n - 1];
        if n < MAX_ATTEMPTS as usize {
            prop_assert!(
                !expected_not_taken(case.kind, last),
                "gave up after {n} attempts although {last:?} is retryable"
            );
        }
    }

    let config = case.input.get("config").unwrap_or(&Value::Null);
    match result {
        Ok(value) => {
            prop_assert!(n > 0, "success without a request");
            let Scripted::Response { status, body } = &answered[n - 1] else {
                return Err(fail(format!("success {value} after a network error")));
            };
            prop_assert_eq!(
                Some(value.clone()),
                expected_success(case.kind, *status, body),
                "success that Aliyun did not answer"
            );
        }
        Err(error) => {
            prop_assert!(LOGTO_CODES.contains(&error.code()), "code {}", error.code());
            if let Some(Scripted::Response { status, body }) = answered.last() {
                prop_assert!(
                    expected_success(case.kind, *status, body).is_none(),
                    "error {error:?} although Aliyun answered success"
                );
            }
            if n == 0 {
                // A bad stamp is the transport's fault (general), before anything is sent.
                prop_assert!(
                    matches!(
                        error.code(),
                        "invalid_config" | "invalid_request_parameters" | "template_not_found"
                    ) || matches!(&error, Error::Internal { message } if message.starts_with("the transport's")),
                    "nothing sent, yet {error:?}"
                );
            }
            let boundary = &run.envelope;
            for (field, secret) in [("accessKeySecret", SECRET), ("securityToken", TOKEN)] {
                if config.get(field).and_then(Value::as_str) == Some(secret) {
                    prop_assert!(
                        !boundary.contains(secret),
                        "{field} in the error envelope: {boundary}"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn send_message_never_panics_and_never_sends_more_than_three_requests() {
    property(
        "send_message_fake_transport",
        "send",
        |input| {
            let answers: Vec<Scripted> = input
                .get("answers")
                .and_then(Value::as_array)
                .map(|items| items.iter().map(answer_from_json).collect())
                .unwrap_or_default();
            let mut send_input = input.get("input").cloned().unwrap_or(Value::Null);
            // The corpus keeps the first attempt's time and nonce in the input, as the host once passed them.
            let stamp = Stamp {
                now_ms: send_input
                    .get("nowMs")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN),
                nonce: send_input
                    .get("nonce")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            };
            if let Some(object) = send_input.as_object_mut() {
                object.remove("nowMs");
                object.remove("nonce");
            }
            let case = SendCase {
                kind: kind_of(input),
                input: send_input,
                stamp,
                answers,
            };
            check_send(&case)?;
            let fake_requests = {
                let run = run(&case);
                if let Some(code) = input.get("expectCode").and_then(Value::as_str) {
                    prop_assert_eq!(
                        run.result.as_ref().err().map(Error::code),
                        Some(code),
                        "corpus expectCode"
                    );
                }
                if input.get("expectOk").and_then(Value::as_bool) == Some(true) {
                    prop_assert!(run.result.is_ok(), "corpus expectOk: {:?}", run.result);
                }
                run.requests.len()
            };
            if let Some(expected) = input.get("expectRequests").and_then(Value::as_u64) {
                prop_assert_eq!(fake_requests as u64, expected, "corpus expectRequests");
            }
            Ok(())
        },
        arb_send_case(),
        |case| check_send(&case),
    );
}

// ─── the one error the config rules make unreachable ────────────────────────────────────────

/// `template_not_found` cannot come out of a validated config (Generic is required and any
/// Generic is a last resort), so it is driven here by planning with a hand-made config.
#[test]
fn template_not_found_data_has_no_secret() {
    let mut config = validate_dm(&dm_base(1)).unwrap();
    config.templates.retain(|t| t.usage_type == "SignIn");
    let message = Message::from_input(&json!({ "to": "a@b.co", "type": "BindMfa" })).unwrap();
    let error = dm::plan(&config, &message).unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    let data = serde_json::to_string(&error.data()).unwrap();
    assert!(!data.contains(SECRET) && !data.contains(TOKEN), "{data}");
    assert!(data.contains("BindMfa"), "{data}");
}

// ─── TemplateParam is what JSON.stringify writes ────────────────────────────────────────────

/// `JSON.stringify(string)` as ECMAScript specifies it (QuoteJSONString), for Rust strings.
fn js_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// SMS `TemplateParam` is byte for byte what `JSON.stringify` writes for the payload's string
/// fields (minus `locale` and `uiLocales`), in the payload's order: the official connector
/// sends exactly that, and Aliyun signs over it.
#[test]
fn template_param_is_json_stringify_of_the_string_fields() {
    property(
        "template_param",
        "template-param",
        |_| Ok(()),
        prop::collection::vec(
            (
                arb_text(),
                prop_oneof![3 => arb_text().prop_map(Value::String), 1 => arb_leaf()],
            ),
            0..8,
        ),
        |pairs| {
            let payload: serde_json::Map<String, Value> = pairs.into_iter().collect();
            let written =
                Value::Object(aliyun_connectors::sms::template_params(&payload)).to_string();
            let expected = format!(
                "{{{}}}",
                payload
                    .iter()
                    .filter(|(key, value)| value.is_string()
                        && key.as_str() != "locale"
                        && key.as_str() != "uiLocales")
                    .map(|(key, value)| format!(
                        "{}:{}",
                        js_quote(key),
                        js_quote(value.as_str().unwrap_or_default())
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            prop_assert_eq!(written, expected);
            Ok(())
        },
    );
}
