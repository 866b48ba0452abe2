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
    serde_json::from_str(text).map_err(|error| {
        let message = error.to_string();
        // JSON.stringify escapes nothing as \u but control characters (valid) and lone
        // surrogates, which serde_json refuses: a hex-escape error can only be one of those.
        if message.contains("hex escape") || message.contains("unicode code point") {
            Unreadable::LoneSurrogate
        } else if message.contains("recursion limit") {
            Unreadable::TooDeep
        } else {
            Unreadable::NotJson
        }
    })
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
