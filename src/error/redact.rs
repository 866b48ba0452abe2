//! Keeping what a message carries out of the errors a send produces.
//!
//! Logto returns a connector error's data to whoever made the request, an anonymous end user
//! on the sign-in page included. Aliyun sometimes echoes the request in its answer (the
//! `SignatureDoesNotMatch` message quotes the whole string to sign, verification code and
//! rendered body included), so every text that comes from outside (Aliyun's fields, an
//! unexpected body, a network error) passes through a [`Redactor`] that knows the values the
//! request carried, in every form an answer may quote them.

use crate::pop::encode::percent_encode;
use crate::text::{find, replace};

/// What a redacted value is replaced with.
pub const MASK: &str = "***";

/// Values shorter than this are not redacted: they would mangle unrelated text, and neither a
/// verification code (six digits in Logto) nor a rendered message is that short.
pub const MIN_REDACTED_CHARS: usize = 4;

/// Secrets shorter than this are not redacted (no real AccessKey secret or STS token is).
pub const MIN_SECRET_CHARS: usize = 6;

/// The values a send must never let out, each in the forms an answer may quote it in.
#[derive(Default)]
pub struct Redactor {
    forms: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.forms.len())
    }
}

impl Redactor {
    /// A redactor that knows nothing yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a value the request carried (a rendered subject or body, `TemplateParam`, a
    /// payload value such as the verification code).
    pub fn add(&mut self, value: &str) {
        if crate::text::char_count(value) >= MIN_REDACTED_CHARS {
            self.add_forms(value);
        }
    }

    /// Adds a credential (the access key secret, an STS token).
    pub fn add_secret(&mut self, value: &str) {
        if crate::text::char_count(value) >= MIN_SECRET_CHARS {
            self.add_forms(value);
        }
    }

    /// Every form an answer may quote `value` in: as is; percent-encoded once (a canonical
    /// query) and twice (a string to sign); form-encoded; JSON-escaped, minimally and
    /// ASCII-only with HTML-safe escapes (as Java and Python servers write JSON).
    fn add_forms(&mut self, value: &str) {
        let once = percent_encode(value);
        let twice = percent_encode(&once);
        let forms = [
            value.to_string(),
            once,
            twice,
            form_encode(value),
            json_escape(value, Json::Minimal),
            json_escape(value, Json::Ascii { upper: false }),
            json_escape(value, Json::Ascii { upper: true }),
        ];
        for form in forms {
            if form.is_empty() || self.forms.contains(&form) {
                continue;
            }
            // Longest first, so a shorter form (the code) never cuts a longer one (the body
            // that holds it) into pieces that are no longer recognised.
            let at = self
                .forms
                .iter()
                .position(|known| known.len() < form.len())
                .unwrap_or(self.forms.len());
            self.forms.insert(at, form);
        }
    }

    /// Whether nothing is known (nothing to redact).
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every known form replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in &self.forms {
            if find(&out, form).is_some() {
                out = replace(&out, form, MASK);
            }
        }
        out
    }

    /// Redacts `text` in place.
    pub fn redact_in_place(&self, text: &mut String) {
        if self.forms.iter().any(|form| find(text, form).is_some()) {
            *text = self.redact(text);
        }
    }
}

/// `application/x-www-form-urlencoded` as browsers and most servers write it: a space is `+`,
/// `*-._` and alphanumerics stay, everything else is `%XY`.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'*' | b'-' | b'.' | b'_' => out.push(char::from(byte)),
            _ if byte.is_ascii_alphanumeric() => out.push(char::from(byte)),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(
                    HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0'),
                ));
                out.push(char::from(
                    HEX.get(usize::from(byte & 15)).copied().unwrap_or(b'0'),
                ));
            }
        }
    }
    out
}

/// How a server may escape a JSON string.
#[derive(Debug, Clone, Copy)]
enum Json {
    /// Only what JSON requires (`"`, `\\`, control characters), as JS and serde_json do.
    Minimal,
    /// Also every non-ASCII character and `<>&='` as `\uXXXX`, as Gson and Python's `json` do.
    Ascii { upper: bool },
}

/// The inside of a JSON string literal for `value`.
fn json_escape(value: &str, style: Json) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let mut units = [0u16; 2];
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20
                || (matches!(style, Json::Ascii { .. })
                    && (!c.is_ascii() || matches!(c, '<' | '>' | '&' | '=' | '\''))) =>
            {
                for unit in c.encode_utf16(&mut units) {
                    match style {
                        Json::Ascii { upper: true } => out.push_str(&format!("\\u{unit:04X}")),
                        _ => out.push_str(&format!("\\u{unit:04x}")),
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Aliyun's message up to the string to sign it quotes, which holds every request parameter
/// (`Specified signature is not matched with our calculation. server string to sign is:POST&…`).
pub fn cut_string_to_sign(message: &str) -> &str {
    let lower = message.to_ascii_lowercase();
    let Some(at) = find(&lower, "string to sign") else {
        return message;
    };
    let before = message.get(..at).unwrap_or_default().trim_end();
    let before = match before.len().checked_sub("server".len()) {
        Some(start)
            if before
                .get(start..)
                .is_some_and(|word| word.eq_ignore_ascii_case("server")) =>
        {
            before.get(..start).unwrap_or_default()
        }
        _ => before,
    };
    before.trim_end_matches(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == ';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_to_sign_is_cut_off() {
        let message = "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dx";
        assert_eq!(
            cut_string_to_sign(message),
            "Specified signature is not matched with our calculation."
        );
        assert_eq!(
            cut_string_to_sign("The StringToSign is X"),
            "The StringToSign is X"
        );
        assert_eq!(cut_string_to_sign("string to sign: POST&"), "");
        assert_eq!(
            cut_string_to_sign("Specified signature is not matched."),
            "Specified signature is not matched."
        );
        assert_eq!(
            cut_string_to_sign("Bad. Server String To Sign is: x"),
            "Bad."
        );
    }

    #[test]
    fn every_form_of_a_value_is_redacted() {
        let mut redactor = Redactor::new();
        redactor.add("<b>Q123456X</b> 中文 é");
        redactor.add("Q123456X");
        let value = "<b>Q123456X</b> 中文 é";
        let once = percent_encode(value);
        let twice = percent_encode(&once);
        let texts = [
            value.to_string(),
            once.clone(),
            twice.clone(),
            form_encode(value),
            json_escape(value, Json::Minimal),
            json_escape(value, Json::Ascii { upper: false }),
            "\\u003Cb\\u003EQ123456X\\u003C/b\\u003E \\u4E2D\\u6587 \\u00E9".to_string(),
            format!("HtmlBody%3D{twice}%26Subject"),
            "partial Q123456X echo".to_string(),
        ];
        for text in texts {
            let redacted = redactor.redact(&text);
            assert!(!redacted.contains("Q123456X"), "{text} → {redacted}");
            assert!(redacted.contains(MASK), "{text}");
        }
    }

    #[test]
    fn the_longest_form_goes_first() {
        let mut redactor = Redactor::new();
        redactor.add("1234");
        redactor.add("body with 1234 inside");
        assert_eq!(
            redactor.redact("x body with 1234 inside y 1234"),
            "x *** y ***"
        );
    }

    #[test]
    fn short_values_are_left_alone() {
        let mut redactor = Redactor::new();
        redactor.add("en");
        redactor.add_secret("abcde");
        assert!(redactor.is_empty());
        assert_eq!(redactor.redact("then abcde"), "then abcde");
    }

    #[test]
    fn json_escapes_match_what_servers_write() {
        assert_eq!(json_escape("a\"b\\c\nd", Json::Minimal), "a\\\"b\\\\c\\nd");
        assert_eq!(
            json_escape("中<", Json::Ascii { upper: false }),
            "\\u4e2d\\u003c"
        );
        assert_eq!(
            json_escape("😀", Json::Ascii { upper: true }),
            "\\uD83D\\uDE00"
        );
        assert_eq!(form_encode("a b*~"), "a+b*%7E");
    }
}
