//! Reading Aliyun's JSON answers, shared by every API.
//!
//! Error bodies have the shape `{RequestId, HostId, Code, Message, Recommend}`
//! (<https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism>); SMS business errors
//! arrive with HTTP 200 and `{RequestId, Code, Message}`.

use crate::codes::classify;
use crate::error::redact::cut_string_to_sign;
use crate::error::{Error, ProviderError};
use crate::transport::Body;

/// Largest answer read as JSON. Aliyun's answers are a few hundred bytes; anything far larger
/// is not Aliyun, and parsing it would only spend time and Wasm memory (which never shrinks).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The fields of Aliyun's answers that the connectors read; every other field is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// `OK` for SMS success; the error code otherwise.
    pub code: Option<String>,
    /// Aliyun's message.
    pub message: Option<String>,
    /// Every answer's request id.
    pub request_id: Option<String>,
    /// Gateway errors: the host that answered.
    pub host_id: Option<String>,
    /// Gateway errors: a troubleshooting link.
    pub recommend: Option<String>,
    /// Direct Mail success: the envelope id.
    pub env_id: Option<String>,
    /// SMS success: the receipt id (`BizId`, or SMS authentication's `Model.BizId`).
    pub biz_id: Option<String>,
}

impl Answer {
    /// The answer fields of a JSON object: strings, or absent (a field of another type counts
    /// as absent, so an answer with a numeric `EnvId` is reported as lacking it). `None` for
    /// anything but an object.
    pub fn from_value(value: &serde_json::Value) -> Option<Answer> {
        let object = value.as_object()?;
        let text = |key: &str| {
            object
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        Some(Answer {
            code: text("Code"),
            message: text("Message"),
            request_id: text("RequestId"),
            host_id: text("HostId"),
            recommend: text("Recommend"),
            env_id: text("EnvId"),
            // SendSmsVerifyCode answers its receipt id inside `Model`.
            biz_id: text("BizId").or_else(|| {
                object
                    .get("Model")?
                    .get("BizId")?
                    .as_str()
                    .map(str::to_string)
            }),
        })
    }
}

/// The answer in `body`, which must be a JSON object no larger than [`MAX_ANSWER_BYTES`].
pub fn read_answer(status: u16, body: Body) -> Result<Answer, Error> {
    match body {
        Body::Json(answer) => Ok(answer),
        Body::Text(text) => Err(Error::InvalidResponse {
            status,
            reason: "expected a JSON object".into(),
            body: Some(text),
        }),
        Body::TooLarge => Err(Error::InvalidResponse {
            status,
            reason: format!(
                "the answer is over {} KB, far larger than any Aliyun answer, so it was not read",
                MAX_ANSWER_BYTES / 1024
            ),
            body: None,
        }),
    }
}

/// Turns an error answer into a classified [`ProviderError`]; an answer without `Code` and
/// `Message` strings is not an Aliyun error body and becomes `invalid_response`.
pub fn provider_error(action: &'static str, status: u16, answer: Answer) -> Error {
    let (Some(code), Some(message)) = (answer.code, answer.message) else {
        return Error::InvalidResponse {
            status,
            reason: "the answer has no Code and Message".into(),
            body: None,
        };
    };
    let (class, hint) = classify(&code);
    Error::Provider(Box::new(ProviderError {
        action,
        status,
        code,
        message: cut_string_to_sign(&message).to_string(),
        request_id: answer.request_id,
        host_id: answer.host_id,
        recommend: answer.recommend,
        class,
        hint: hint.to_string(),
    }))
}

/// Whether an HTTP status is a success.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Body {
        Body::read(text.to_string(), MAX_ANSWER_BYTES)
    }

    #[test]
    fn oversized_answers_are_not_parsed() {
        let padding = " ".repeat(MAX_ANSWER_BYTES);
        let big = format!(r#"{{"Code":"OK","Message":"OK"}}{padding}"#);
        assert!(matches!(
            read_answer(200, body(&big)),
            Err(Error::InvalidResponse { .. })
        ));
        let fits = format!(r#"{{"Code":"OK"}}{}"#, " ".repeat(MAX_ANSWER_BYTES - 20));
        assert!(read_answer(200, body(&fits)).is_ok());
    }

    #[test]
    fn answers_are_objects_with_string_fields() {
        let answer = read_answer(
            200,
            body(r#"{"Code":"A","Code":"OK","EnvId":12,"Extra":[1]}"#),
        )
        .unwrap();
        assert_eq!(answer.code.as_deref(), Some("OK"));
        assert_eq!(answer.env_id, None);
        let unreadable = read_answer(502, body("<html>")).unwrap_err();
        assert!(matches!(
            unreadable,
            Error::InvalidResponse {
                status: 502,
                body: Some(_),
                ..
            }
        ));
        assert!(read_answer(200, body("[1]")).is_err());
    }
}
