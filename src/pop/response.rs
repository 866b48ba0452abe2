//! Reading Aliyun's JSON answers, shared by every API.
//!
//! Error bodies have the shape `{RequestId, HostId, Code, Message, Recommend}`
//! (<https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism>); SMS business errors
//! arrive with HTTP 200 and `{RequestId, Code, Message}`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::codes::classify;
use crate::error::{Error, ProviderError};
use crate::redact::cut_string_to_sign;

/// Largest answer read as JSON. Aliyun's answers are a few hundred bytes; anything far larger
/// is not Aliyun, and parsing it would only spend time and Wasm memory (which never shrinks).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A string field of an answer: a field of another type counts as absent, so that an answer
/// with, say, a numeric `EnvId` is reported as lacking it rather than as unreadable.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        _ => None,
    })
}

/// The fields of Aliyun's answers that the connectors read; every other field is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Answer {
    /// `OK` for SMS success; the error code otherwise.
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    /// Aliyun's message.
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    /// Every answer's request id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub request_id: Option<String>,
    /// Gateway errors: the host that answered.
    #[serde(default, deserialize_with = "lenient_string")]
    pub host_id: Option<String>,
    /// Gateway errors: a troubleshooting link.
    #[serde(default, deserialize_with = "lenient_string")]
    pub recommend: Option<String>,
    /// Direct Mail success: the envelope id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub env_id: Option<String>,
    /// SMS success: the receipt id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub biz_id: Option<String>,
}

/// Parses a body that must be a JSON object. Going through `Value` first refuses an array (a
/// struct would read it by position) and lets a repeated key keep its last value, as
/// `JSON.parse` does.
pub fn parse_answer(status: u16, body: &str) -> Result<Answer, Error> {
    if body.len() > MAX_ANSWER_BYTES {
        return Err(Error::InvalidResponse {
            status,
            reason: format!("the answer is over {} KB, far larger than any Aliyun answer, so it was not read", MAX_ANSWER_BYTES / 1024),
            body: None,
        });
    }
    match serde_json::from_str::<Value>(body) {
        Ok(object @ Value::Object(_)) => Ok(Answer::deserialize(object).unwrap_or_default()),
        _ => Err(Error::InvalidResponse {
            status,
            reason: "expected a JSON object".into(),
            body: Some(body.to_string()),
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

    #[test]
    fn oversized_answers_are_not_parsed() {
        let padding = " ".repeat(MAX_ANSWER_BYTES);
        let big = format!(r#"{{"Code":"OK","Message":"OK"}}{padding}"#);
        assert!(matches!(parse_answer(200, &big), Err(Error::InvalidResponse { .. })));
        let fits = format!(r#"{{"Code":"OK"}}{}"#, " ".repeat(MAX_ANSWER_BYTES - 20));
        assert!(parse_answer(200, &fits).is_ok());
    }

    #[test]
    fn answers_are_objects_with_string_fields() {
        let answer = parse_answer(200, r#"{"Code":"A","Code":"OK","EnvId":12,"Extra":[1]}"#).unwrap();
        assert_eq!(answer.code.as_deref(), Some("OK"));
        assert_eq!(answer.env_id, None);
        for body in ["[\"OK\"]", "null", "\u{feff}{}", "{", "", "{\"a\":\"\\ud800\"}"] {
            assert!(matches!(parse_answer(200, body), Err(Error::InvalidResponse { .. })), "{body:?}");
        }
    }
}
