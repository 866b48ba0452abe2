//! Reading Aliyun's JSON answers, shared by both APIs.
//!
//! Error bodies have the shape `{RequestId, HostId, Code, Message, Recommend}`
//! (<https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism>); SMS business errors
//! arrive with HTTP 200 and `{RequestId, Code, Message}`.

use crate::json::{parse, Map, Value};

use crate::codes::classify;
use crate::error::{Error, ProviderError};
use crate::redact::cut_string_to_sign;

/// Largest answer read as JSON. Aliyun's answers are a few hundred bytes; anything far larger
/// is not Aliyun, and parsing it would only spend time and Wasm memory (which never shrinks).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Parses a body that must be a JSON object.
pub fn parse_object(status: u16, body: &str) -> Result<Map, Error> {
    if body.len() > MAX_ANSWER_BYTES {
        return Err(Error::InvalidResponse {
            status,
            reason: format!("the answer is over {} KB, far larger than any Aliyun answer, so it was not read", MAX_ANSWER_BYTES / 1024),
            body: None,
        });
    }
    match parse(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::InvalidResponse {
            status,
            reason: "expected a JSON object".into(),
            body: Some(body.to_string()),
        }),
    }
}

/// A string field of an answer, if present.
pub fn string_field(map: &Map, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Turns an error answer into a classified [`ProviderError`]; an answer without `Code` and
/// `Message` strings is not an Aliyun error body and becomes `invalid_response`.
pub fn provider_error(action: &'static str, status: u16, map: &Map) -> Error {
    let (Some(code), Some(message)) = (string_field(map, "Code"), string_field(map, "Message")) else {
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
        request_id: string_field(map, "RequestId"),
        host_id: string_field(map, "HostId"),
        recommend: string_field(map, "Recommend"),
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
        assert!(matches!(parse_object(200, &big), Err(Error::InvalidResponse { .. })));
        let fits = format!(r#"{{"Code":"OK"}}{}"#, " ".repeat(MAX_ANSWER_BYTES - 20));
        assert!(parse_object(200, &fits).is_ok());
    }
}
