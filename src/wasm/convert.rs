//! JS values in, JS values out.
//!
//! In: the host's `JSON.stringify` writes the value as text (calling `toJSON`, leaving out
//! `undefined`, catching a cycle or a throwing getter inside JS, and escaping a lone UTF-16
//! surrogate as `\udXXX`), and serde_json reads the text into serde types, refusing such an
//! escape. Out: serde-wasm-bindgen writes serde types as plain JS data. Why the input does
//! not go through serde-wasm-bindgen's deserializer is measured in docs/contracts.md.

use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

/// Why a value could not be read, without quoting it (it may hold a secret or a code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Nested deeper than serde_json's limit of 128 levels.
    TooDeep,
    /// A string or key with a lone surrogate.
    LoneSurrogate,
    /// Not JSON data: a cycle, a BigInt, a function, or a getter that threw.
    NotJson,
}

impl Unreadable {
    /// The sentence for `what` ("The config", "The send input's payload").
    pub(crate) fn describe(self, what: &str) -> String {
        match self {
            Unreadable::TooDeep => format!("{what} is nested more than 128 levels deep."),
            Unreadable::LoneSurrogate => format!(
                "{what} contains text with a lone UTF-16 surrogate, which is not valid Unicode; fix the text instead of letting it be replaced silently."
            ),
            Unreadable::NotJson => format!(
                "{what} is not JSON data (it has a cycle, a BigInt or a function, or one of its getters threw)."
            ),
        }
    }
}

/// The `JSON.stringify` text of a JS value; `None` for what it refuses or turns into nothing.
pub(crate) fn text_of(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value).ok()?.as_string()
}

/// Reads JSON text that `JSON.stringify` wrote.
pub(crate) fn parse(text: &str) -> Result<Value, Unreadable> {
    serde_json::from_str(text).map_err(|error| refused(text, error.column()))
}

/// serde_json's nesting limit: the bracket that opens level 128 is refused.
const MAX_DEPTH: usize = 128;

/// Why serde_json refused `JSON.stringify` text, read from the text up to where it stopped
/// (`column`, in bytes: the text has no line breaks). That text is valid JSON whose only `\u`
/// escapes are control characters and lone surrogates, so serde_json refuses only nesting
/// that reaches its limit and a lone surrogate. Reading its error message instead would keep
/// all of serde_json's and std::io's error texts in the module.
fn refused(text: &str, column: usize) -> Unreadable {
    let mut bytes = text.bytes().take(column);
    let (mut depth, mut in_string, mut surrogate) = (0_usize, false, false);
    while let Some(byte) = bytes.next() {
        match (in_string, byte) {
            (_, b'"') => in_string = !in_string,
            (true, b'\\') => {
                surrogate |= bytes.next() == Some(b'u')
                    && matches!(bytes.next(), Some(b'd' | b'D'))
                    && matches!(bytes.next(), Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'));
            }
            (false, b'[' | b'{') => {
                depth += 1;
                if depth >= MAX_DEPTH {
                    return Unreadable::TooDeep;
                }
            }
            (false, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if surrogate {
        Unreadable::LoneSurrogate
    } else {
        Unreadable::NotJson
    }
}

/// Reads a JS value as JSON data (see the module docs).
pub(crate) fn read(value: &JsValue) -> Result<Value, Unreadable> {
    parse(&text_of(value).ok_or(Unreadable::NotJson)?)
}

/// A Rust value as plain JS data: objects, arrays and `null`, never `Map` or `undefined`.
pub(crate) fn write<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}
