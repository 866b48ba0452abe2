//! The JSON the boundary carries: a small parser and serializer made for this core.
//!
//! Why not serde_json: it was a third of the Wasm module, and JS semantics want things it
//! does not give by default. Here numbers keep the exact text `JSON.stringify` produced
//! (which is JS's own `String(number)`), objects keep their key order (as JS objects do), a
//! lone UTF-16 surrogate escape is a distinct error (JS strings may hold one; Rust strings
//! cannot), and nesting depth is bounded so hostile input cannot exhaust the Wasm stack.
//! Serialization escapes exactly as `JSON.stringify` does.

use std::fmt;

/// Deepest nesting accepted. Logto's payloads and configs are a few levels deep.
pub const MAX_DEPTH: usize = 128;

/// A JSON value. Objects keep insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its JSON text.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number kept as the text it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    /// The number as a non-negative integer, when its text is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// The number as an integer, when its text is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The number as a float, for plain decimal text (`-12`, `1476944876000.5`); exponent
    /// notation, which JS uses only beyond 1e21 or below 1e-6, gives `None`.
    pub fn as_f64(&self) -> Option<f64> {
        let (whole, fraction) = self.0.split_once('.').unwrap_or((self.0.as_str(), ""));
        if self.0.contains(['e', 'E']) {
            return None;
        }
        let negative = whole.starts_with('-');
        let whole: i64 = whole.parse().ok()?;
        let mut value = whole as f64;
        let mut scale = 0.1;
        for digit in fraction.bytes() {
            let sign = if negative { -1.0 } else { 1.0 };
            value += sign * f64::from(digit.checked_sub(b'0')?) * scale;
            scale /= 10.0;
        }
        Some(value)
    }

    /// The JSON text, which is also what JS `String(number)` prints.
    pub fn as_text(&self) -> &str {
        &self.0
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Number {
        Number(value.to_string())
    }
}

/// A JSON object: key/value pairs in insertion order. Objects built here have unique keys
/// ([`Map::insert`] replaces); a parsed object keeps a repeated key's every pair and
/// [`Map::get`] answers the last, as `JSON.parse` does. Deduplicating while parsing cost
/// O(n²) on a hostile answer with many keys, or a sort (5–6 KB of Wasm); repeated keys only
/// ever come from provider answers, which are only read by key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// The value for `key`. A parsed object keeps a repeated key's every pair (see [`parse`]);
    /// the last one wins, as in `JSON.parse`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, keeping its position when it already exists (as JS does).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Values in order, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Map {
        let mut map = Map::new();
        for (key, value) in iter {
            map.insert(key, value);
        }
        map
    }
}

static NULL: Value = Value::Null;

impl Value {
    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The number as a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(number) => number.as_u64(),
            _ => None,
        }
    }

    /// The number as a float (see [`Number::as_f64`]).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A string value.
    pub fn string(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    /// An object value from pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(pairs.into_iter().collect())
    }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;
    /// Member `key`, or `null` (as JS gives `undefined`), for terse tests.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, index: usize) -> &Value {
        self.as_array().and_then(|items| items.get(index)).unwrap_or(&NULL)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::String(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::String(text)
    }
}

impl From<u64> for Value {
    fn from(value: u64) -> Value {
        Value::Number(Number::from(value))
    }
}

impl From<u16> for Value {
    fn from(value: u16) -> Value {
        Value::Number(Number::from(u64::from(value)))
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(map)
    }
}

/// Why a text is not JSON we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON (at this byte offset).
    Syntax(usize),
    /// A `\uD800`-style escape without its pair: text that is not valid Unicode.
    LoneSurrogate(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Syntax(at) => write!(f, "not valid JSON (at byte {at})"),
            ParseError::LoneSurrogate(at) => write!(f, "text with a lone UTF-16 surrogate (at byte {at})"),
            ParseError::TooDeep => write!(f, "nested deeper than {MAX_DEPTH} levels"),
        }
    }
}

/// Parses JSON text (RFC 8259, as `JSON.parse` accepts it), in linear time: objects keep
/// every pair, and lookups see the last value of a repeated key.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    if parser.at == parser.bytes.len() {
        Ok(value)
    } else {
        Err(ParseError::Syntax(parser.at))
    }
}

struct Parser<'t> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
}

// `inline(always)` on the per-byte helpers: at opt-level "z" LLVM keeps them as calls, one
// per input byte, which made parsing the largest cost of a boundary call (bench/core-loop.mjs).
impl Parser<'_> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn error(&self) -> ParseError {
        ParseError::Syntax(self.at)
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        if self.bytes.get(self.at..self.at + word.len()) == Some(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.space();
        match self.peek().ok_or_else(|| self.error())? {
            b'n' => self.literal("null", Value::Null),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(ParseError::TooDeep);
                }
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(self.error()),
                    }
                }
            }
            b'{' => {
                if depth >= MAX_DEPTH {
                    return Err(ParseError::TooDeep);
                }
                self.at += 1;
                let mut pairs = Vec::new();
                self.space();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Value::Object(Map::new()));
                }
                loop {
                    self.space();
                    if self.peek() != Some(b'"') {
                        return Err(self.error());
                    }
                    let key = self.string()?;
                    self.space();
                    if self.peek() != Some(b':') {
                        return Err(self.error());
                    }
                    self.at += 1;
                    let value = self.value(depth + 1)?;
                    pairs.push((key, value));
                    self.space();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Value::Object(Map(pairs)));
                        }
                        _ => return Err(self.error()),
                    }
                }
            }
            _ => Err(self.error()),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error()),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.error());
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error());
            }
        }
        let text = self.text.get(start..self.at).ok_or_else(|| self.error())?;
        Ok(Value::Number(Number(text.to_string())))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.text.get(self.at..self.at + 4).ok_or_else(|| self.error())?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error());
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error())
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.at += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.at;
            let rest = self.bytes.get(start..).unwrap_or_default();
            self.at += rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(rest.len());
            // Runs end at ASCII bytes, so they are whole UTF-8 sequences.
            out.push_str(self.text.get(start..self.at).ok_or_else(|| self.error())?);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let escape_at = self.at;
                    self.at += 1;
                    let kind = self.peek().ok_or_else(|| self.error())?;
                    self.at += 1;
                    match kind {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{C}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xD800..=0xDBFF => {
                                    let low = if self.bytes.get(self.at..self.at + 2) == Some(b"\\u") {
                                        self.at += 2;
                                        self.hex4()?
                                    } else {
                                        return Err(ParseError::LoneSurrogate(escape_at));
                                    };
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return Err(ParseError::LoneSurrogate(escape_at));
                                    }
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(ParseError::LoneSurrogate(escape_at)),
                                other => other,
                            };
                            out.push(char::from_u32(code).ok_or(ParseError::LoneSurrogate(escape_at))?);
                        }
                        _ => return Err(ParseError::Syntax(escape_at)),
                    }
                }
                _ => return Err(self.error()),
            }
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    // Runs that need no escape are copied whole (one call per run, not one per char).
    let mut run_start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0C => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1F => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so both ends of the run are char boundaries.
        out.push_str(text.get(run_start..index).unwrap_or_default());
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0')));
            out.push(char::from(HEX.get(usize::from(byte & 15)).copied().unwrap_or(b'0')));
        } else {
            out.push_str(escape);
        }
        run_start = index + 1;
    }
    out.push_str(text.get(run_start..).unwrap_or_default());
    out.push('"');
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&number.0),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.0.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

impl fmt::Display for Value {
    /// Compact JSON, escaped exactly as `JSON.stringify` escapes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_value(&mut out, self);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_what_json_stringify_produces() {
        let cases = [
            r#"{"b":1,"a":[true,false,null],"c":{"d":"e"}}"#,
            r#"[1.5,-0.25,1e+21,1.7976931348623157e+308,5e-324,123456789012345680000]"#,
            r#""quote\" backslash\\ controls\b\f\n\r\t\u0001\u001f""#,
            r#""中文 한국어 Français 😀 𠮷 \u2028""#,
            r#"{}"#,
            r#"[]"#,
            r#""""#,
        ];
        for case in cases {
            let value = parse(case);
            let text = value.as_ref().map(ToString::to_string);
            let expected = case.replace("\\u2028", "\u{2028}");
            assert_eq!(text.as_deref(), Ok(expected.as_str()), "{case}");
        }
    }

    #[test]
    fn escapes_decode() {
        assert_eq!(parse(r#""\u00e9\u4e2d\ud83d\ude00\/""#), Ok(Value::string("é中😀/")));
    }

    #[test]
    fn lone_surrogates_are_their_own_error() {
        for case in [r#""a\ud800b""#, r#""\udc00""#, r#""\ud800\u0041""#, r#""\ud800""#] {
            assert!(matches!(parse(case), Err(ParseError::LoneSurrogate(_))), "{case}");
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        for case in ["", " ", "nul", "01", "1.", "-", "1e", "+1", ".5", "[1,]", "{\"a\"}", "{\"a\":1,}", "{a:1}", "\"\t\"", "\"abc", "[1 2]", "\"\\x\"", "\"\\u12g4\"", "1 2", "NaN", "'a'"] {
            assert!(matches!(parse(case), Err(ParseError::Syntax(_))), "{case:?}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(parse(&deep), Err(ParseError::TooDeep));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn repeated_keys_read_as_their_last_value() {
        let value = parse(r#"{"z":1,"a":2,"z":3,"m":4,"a":5,"z":6}"#).unwrap_or(Value::Null);
        assert_eq!((value["z"].as_u64(), value["a"].as_u64(), value["m"].as_u64()), (Some(6), Some(5), Some(4)));
    }

    #[test]
    fn many_keys_read_like_repeated_inserts() {
        // 60 000 pairs over 1 000 keys: linear to parse, and every lookup agrees with the
        // insert-by-insert definition (last value wins).
        let keys: Vec<String> = (0..60_000).map(|i| format!("k{}", (i * 7919) % 1_000)).collect();
        let body = format!(
            "{{{}}}",
            keys.iter().enumerate().map(|(i, k)| format!("\"{k}\":{i}")).collect::<Vec<_>>().join(",")
        );
        let mut expected = Map::new();
        for (i, k) in keys.iter().enumerate() {
            expected.insert(k.clone(), Value::from(i as u64));
        }
        let parsed = parse(&body).unwrap_or(Value::Null);
        for (key, value) in expected.iter() {
            assert_eq!(parsed.get(key), Some(value), "{key}");
        }
    }

    #[test]
    fn numbers_convert() {
        let number = |text: &str| Number(text.to_string());
        assert_eq!(number("10000").as_u64(), Some(10_000));
        assert_eq!(number("-1").as_u64(), None);
        assert_eq!(number("1.5").as_u64(), None);
        assert_eq!(number("1476944876000").as_f64(), Some(1_476_944_876_000.0));
        assert_eq!(number("-2.5").as_f64(), Some(-2.5));
        assert_eq!(number("1e+21").as_f64(), None);
    }
}
