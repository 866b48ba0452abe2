//! Answer interpretation: success only for a well-formed success answer.

use aliyun_connectors::error::NetworkErrorKind;
use aliyun_connectors::transport::TransportResult;
use aliyun_connectors::{dm, sms, sms_auth, Error, Kind};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

use super::generators::*;
use super::harness::body_of;
use super::harness::*;

/// What a success answer yields, decided independently of the core: 2xx, a JSON object, and
/// for DM `EnvId` and `RequestId` strings; for SMS `Code == "OK"` with `Message` and
/// `RequestId` strings (and `BizId` copied when it is a string).
pub fn expected_success(kind: Kind, status: u16, body: &str) -> Option<Value> {
    if !(200..300).contains(&status) {
        return None;
    }
    let Some(Value::Object(map)) = oracle_parse(body) else {
        return None;
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    match kind {
        Kind::Dm => Some(json!({ "EnvId": text("EnvId")?, "RequestId": text("RequestId")? })),
        Kind::Sms | Kind::SmsAuth => {
            if text("Code").as_deref() != Some("OK") {
                return None;
            }
            let mut value = json!({ "Code": "OK", "Message": text("Message")?, "RequestId": text("RequestId")? });
            let model_biz = || map.get("Model")?.get("BizId")?.as_str().map(str::to_string);
            if let Some(biz) = text("BizId").or_else(model_biz) {
                value["BizId"] = Value::String(biz);
            }
            Some(value)
        }
    }
}

/// An independent reading of a body: serde_json's generic `Value` (the core reads its own
/// typed answer).
pub fn oracle_parse(body: &str) -> Option<Value> {
    serde_json::from_str::<Value>(body).ok()
}

/// A scripted answer: what the transport reports, with the body as text so the oracles can
/// read it independently of the core.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// An HTTP answer.
    Response { status: u16, body: String },
    /// No answer.
    NetworkError {
        kind: NetworkErrorKind,
        message: String,
        sent: bool,
    },
}

impl Scripted {
    /// As the transport reports it: the body read as the product reads it.
    pub fn result(&self) -> TransportResult {
        match self {
            Scripted::Response { status, body } => TransportResult::Response {
                status: *status,
                body: body_of(body),
            },
            Scripted::NetworkError {
                kind,
                message,
                sent,
            } => TransportResult::NetworkError {
                kind: *kind,
                message: message.clone(),
                sent: *sent,
            },
        }
    }
}

/// Whether an answer proves Aliyun did not take the message (the only answers retried).
pub fn expected_not_taken(kind: Kind, answer: &Scripted) -> bool {
    match answer {
        Scripted::NetworkError { sent, .. } => !sent,
        Scripted::Response { status, body } => {
            let Some(Value::Object(map)) = oracle_parse(body) else {
                return false;
            };
            let code = map.get("Code").and_then(Value::as_str);
            let error_path =
                !(200..300).contains(status) || (kind == Kind::Sms && code != Some("OK"));
            error_path
                && map.get("Message").is_some_and(Value::is_string)
                && matches!(code, Some("Throttling.Api" | "ServiceUnavailable"))
        }
    }
}

pub fn check_interpret(kind: Kind, status: u16, body: &str) -> Result<(), TestCaseError> {
    let result = match kind {
        Kind::Dm => {
            dm::interpret(status, body_of(body)).map(|sent| serde_json::to_value(sent).unwrap())
        }
        Kind::Sms => {
            sms::interpret(status, body_of(body)).map(|sent| serde_json::to_value(sent).unwrap())
        }
        Kind::SmsAuth => sms_auth::interpret(status, body_of(body))
            .map(|sent| serde_json::to_value(sent).unwrap()),
    };
    let expected = expected_success(kind, status, body);
    match (&result, &expected) {
        (Ok(value), Some(expected)) => {
            prop_assert_eq!(&serde_json::to_value(value).unwrap(), expected)
        }
        (Err(error), None) => {
            prop_assert!(LOGTO_CODES.contains(&error.code()), "code {}", error.code());
            prop_assert!(
                matches!(error, Error::InvalidResponse { .. } | Error::Provider(_)),
                "{error:?}"
            );
            prop_assert!(!error.data().error_description.is_empty());
            if !matches!(oracle_parse(body), Some(Value::Object(_))) {
                prop_assert_eq!(
                    error.code(),
                    "invalid_response",
                    "a body that is not a JSON object"
                );
            }
            // A success never hides behind a provider error.
            if let Error::Provider(provider) = error {
                prop_assert!(
                    !(kind == Kind::Sms && provider.code == "OK" && (200..300).contains(&status))
                );
            }
        }
        (Ok(value), None) => {
            return Err(fail(format!(
                "success {value} for HTTP {status} {body:?}, which is not a well-formed success"
            )))
        }
        (Err(error), Some(_)) => {
            return Err(fail(format!(
                "error {error:?} for a well-formed success HTTP {status} {body:?}"
            )))
        }
    }
    Ok(())
}

pub const DM_OK: &str =
    r#"{"EnvId":"600000123","RequestId":"5E9D6C4A-2B8F-4A3C-9E1D-7F6A5B4C3D2E"}"#;
pub const SMS_OK: &str = r#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990"}"#;

pub const ERROR_CODES: &[&str] = &[
    "Throttling.Api",
    "ServiceUnavailable",
    "Throttling.User",
    "InternalError",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId.NotFound",
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.MOBILE_NUMBER_ILLEGAL",
    "InvalidToAddress",
    "InvalidSendMail.Spam",
    "OK",
    "ok",
    "",
    "SomethingNew",
];

pub fn arb_answer_object() -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        4 => prop::sample::select(ERROR_CODES).prop_map(|c| Value::String(c.to_string())),
        3 => arb_text().prop_map(Value::String),
        2 => arb_leaf(),
        1 => arb_json(),
    ];
    let key = prop_oneof![
        4 => prop::sample::select(&["EnvId", "RequestId", "Code", "Message", "BizId", "HostId", "Recommend"][..]).prop_map(str::to_string),
        1 => arb_key(),
    ];
    prop::collection::vec((key, value), 0..8)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
}

pub fn arb_body() -> impl Strategy<Value = String> {
    let valid = prop::sample::select(
        &[
            DM_OK,
            SMS_OK,
            r#"{"RequestId":"R","HostId":"dm.aliyuncs.com","Code":"Throttling.Api","Message":"m","Recommend":"https://x"}"#,
        ][..],
    );
    prop_oneof![
        3 => arb_answer_object().prop_map(|v| v.to_string()),
        2 => any::<String>(),
        2 => arb_json().prop_map(|v| v.to_string()),
        // Truncations of valid bodies, at any character boundary.
        3 => (valid.clone(), any::<prop::sample::Index>()).prop_map(|(body, index)| {
            let cut = index.index(body.len() + 1);
            let cut = (0..=cut).rev().find(|&i| body.is_char_boundary(i)).unwrap_or(0);
            body[..cut].to_string()
        }),
        1 => (valid.clone(), arb_text()).prop_map(|(body, tail)| format!("{body}{tail}")),
        1 => (arb_text(), valid).prop_map(|(head, body)| format!("{head}{body}")),
        1 => prop::sample::select(&[DM_OK, SMS_OK][..]).prop_map(str::to_string),
    ]
}

pub fn arb_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => prop::sample::select(&[200u16, 201, 204, 299, 300, 301, 400, 403, 404, 429, 500, 502, 503][..]),
        1 => any::<u16>(),
    ]
}

#[test]
fn response_interpretation_never_panics_and_succeeds_only_on_success_bodies() {
    property(
        "response_interpretation",
        "interpret",
        |input| {
            let status = input
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200);
            let body = input
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default();
            check_interpret(Kind::Dm, status, body)?;
            check_interpret(Kind::Sms, status, body)?;
            check_interpret(Kind::SmsAuth, status, body)?;
            if let Some(expected) = input.get("success").and_then(Value::as_bool) {
                let kind = kind_of(input);
                prop_assert_eq!(
                    expected_success(kind, status, body).is_some(),
                    expected,
                    "the corpus says success={}",
                    expected
                );
            }
            Ok(())
        },
        (arb_status(), arb_body()),
        |(status, body)| {
            check_interpret(Kind::Dm, status, &body)?;
            check_interpret(Kind::Sms, status, &body)?;
            check_interpret(Kind::SmsAuth, status, &body)
        },
    );
}
