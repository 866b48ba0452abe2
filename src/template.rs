//! Template selection and `{{handlebars}}` rendering.
//!
//! Selection extends connector-kit's `getConfigTemplateByType` (first template of the usage
//! type, else the first `Generic`) with `locale`: within a usage type the template for the
//! exact tag wins, then the one for the language alone, then an untagged one. A config
//! without `locale` keys therefore selects exactly what the official connectors select.
//!
//! Rendering reproduces connector-kit's `replaceSendMessageHandlebars`: `{{ key }}` and
//! `{{a.b.0}}` are replaced from the payload; a placeholder whose root key is not in the
//! payload stays as written; a missing nested key renders as empty; values render as JS
//! `String(value)` would.

use serde_json::{Map, Number, Value};

use crate::config::{DmTemplate, SmsAuthTemplate, SmsTemplate, GENERIC};

/// What selection needs to know about a template.
pub trait Selectable {
    /// Logto usage type.
    fn usage_type(&self) -> &str;
    /// BCP 47 tag, if the template is for one language.
    fn locale(&self) -> Option<&str>;
}

impl Selectable for DmTemplate {
    fn usage_type(&self) -> &str {
        &self.usage_type
    }
    fn locale(&self) -> Option<&str> {
        self.locale.as_deref()
    }
}

impl Selectable for SmsAuthTemplate {
    fn usage_type(&self) -> &str {
        &self.usage_type
    }
    fn locale(&self) -> Option<&str> {
        self.locale.as_deref()
    }
}

impl Selectable for SmsTemplate {
    fn usage_type(&self) -> &str {
        &self.usage_type
    }
    fn locale(&self) -> Option<&str> {
        self.locale.as_deref()
    }
}

/// How well a template's locale fits the requested one; lower is better.
fn locale_rank(template: Option<&str>, requested: Option<&str>) -> u8 {
    match (template, requested) {
        (None, _) => 2,
        (Some(tag), Some(wanted)) if tag.eq_ignore_ascii_case(wanted) => 0,
        (Some(tag), Some(wanted))
            if wanted
                .split('-')
                .next()
                .is_some_and(|lang| tag.eq_ignore_ascii_case(lang)) =>
        {
            1
        }
        // A template for another language is a last resort.
        (Some(_), _) => 3,
    }
}

/// Picks the template for `usage_type` and `locale` (see the module docs): the usage type's
/// best locale match, else `Generic`'s; a template for another language is used only when
/// neither has one for this language or an untagged one.
pub fn select<'t, T: Selectable>(
    templates: &'t [T],
    usage_type: &str,
    locale: Option<&str>,
) -> Option<&'t T> {
    let best = |wanted: &str| {
        templates
            .iter()
            .filter(|t| t.usage_type() == wanted)
            .min_by_key(|t| locale_rank(t.locale(), locale))
    };
    let own = best(usage_type);
    let generic = best(GENERIC);
    let rank = |t: Option<&T>| t.map(|t| locale_rank(t.locale(), locale));
    match (own, generic) {
        (Some(own), Some(generic))
            if rank(Some(own)) == Some(3) && rank(Some(generic)) < Some(3) =>
        {
            Some(generic)
        }
        (Some(own), _) => Some(own),
        (None, generic) => generic,
    }
}

/// JS whitespace as `\s` matches it.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// JS `\w` or `.`.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Tries to match `{{\s*([\w.]+)\s*}}` at the start of `text`: returns the key and the length
/// of the whole placeholder.
fn placeholder(text: &str) -> Option<(&str, usize)> {
    let inner = text.strip_prefix("{{")?;
    let after_space = inner.trim_start_matches(is_js_space);
    let key_len = after_space
        .find(|c: char| !is_key_char(c))
        .unwrap_or(after_space.len());
    if key_len == 0 {
        return None;
    }
    let key = after_space.get(..key_len)?;
    let rest = after_space.get(key_len..)?.trim_start_matches(is_js_space);
    let rest = rest.strip_prefix("}}")?;
    Some((key, text.len() - rest.len()))
}

/// Fills the placeholders of `template` from `payload`.
pub fn render(template: &str, payload: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = crate::text::find(rest, "{{") {
        let before = rest.get(..start).unwrap_or_default();
        let candidate = rest.get(start..).unwrap_or_default();
        out.push_str(before);
        match placeholder(candidate) {
            Some((key, len)) => {
                let whole = candidate.get(..len).unwrap_or_default();
                out.push_str(&replacement(key, whole, payload));
                rest = candidate.get(len..).unwrap_or_default();
            }
            None => {
                // Not a placeholder here; as a global regex would, move on by one character.
                out.push('{');
                rest = candidate.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

fn replacement(key: &str, whole: &str, payload: &Map<String, Value>) -> String {
    let mut parts = key.split('.');
    let root = parts.next().unwrap_or_default();
    // connector-kit keeps the placeholder when the root key is empty or absent. It tests
    // with JS `in`, which would also see Object.prototype members such as `toString`; only
    // the payload's own keys count here, since Logto's payload is plain data.
    let Some(mut current) = payload.get(root).filter(|_| !root.is_empty()) else {
        return whole.to_string();
    };
    for part in parts {
        current = match current {
            Value::Object(map) => match map.get(part) {
                Some(value) => value,
                None => return String::new(),
            },
            Value::Array(items) => match array_member(items, part) {
                Some(value) => value,
                None => return String::new(),
            },
            _ => return String::new(),
        };
    }
    js_string(current)
}

/// `items[part]` as JS evaluates it for a canonical array index.
fn array_member<'v>(items: &'v [Value], part: &str) -> Option<&'v Value> {
    let canonical =
        part == "0" || (!part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()));
    if !canonical {
        return None;
    }
    part.parse::<usize>()
        .ok()
        .and_then(|index| items.get(index))
}

/// `String(value ?? '')` for JSON values.
pub fn js_string(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => js_number(number),
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::Null => String::new(),
                    other => js_string(other),
                })
                .collect();
            crate::text::join(&items, ",")
        }
        Value::Object(_) => "[object Object]".to_string(),
    }
}

/// `String(number)` as ECMAScript's Number::toString writes it (`1e+21`, `1.5e-7`,
/// `123456789012345680000`), from the shortest digits that round-trip, which serde_json's own
/// number formatting gives.
pub fn js_number(number: &Number) -> String {
    if number.is_u64() || number.is_i64() {
        if let Some(value) = number
            .as_f64()
            .filter(|value| value.abs() < 9_007_199_254_740_992.0)
        {
            return if value == 0.0 {
                "0".into()
            } else {
                number.to_string()
            };
        }
    }
    let text = number.to_string();
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        return "0".into();
    }
    let k = digits.len() as i32;
    // The value is 0.<digits> × 10^n.
    let n = whole.len() as i32 + exponent - leading as i32;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = (
            digits.get(..n as usize).unwrap_or_default(),
            digits.get(n as usize..).unwrap_or_default(),
        );
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e_sign = if e >= 0 { '+' } else { '-' };
        // The digits are ASCII.
        let (first, rest) = (
            digits.get(..1).unwrap_or_default(),
            digits.get(1..).unwrap_or_default(),
        );
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// Ported from connector-kit's `replaceSendMessageHandlebars` tests and doc examples.
    #[test]
    fn rendering_matches_connector_kit() {
        // Parsed from text, as the payload arrives from JSON.stringify in JS.
        let parsed: Value = serde_json::from_str(
            r#"{"code":"123456","application":{"name":"Logto","nested":{"deep":1.5}},
                "items":["a",null,3],"empty":{},"flag":true,"nothing":null,"big":1e+21}"#,
        )
        .unwrap_or_default();
        let p = payload(parsed);
        let cases = [
            (
                "Your verification code is {{code}}",
                "Your verification code is 123456",
            ),
            ("{{ code }}", "123456"),
            ("{{\tcode\n}}", "123456"),
            ("{{\u{3000}code\u{A0}}}", "123456"),
            (
                "Your application name is {{application.name}}",
                "Your application name is Logto",
            ),
            ("{{application.missing}}", ""),
            ("{{empty.name}}", ""),
            ("{{application.nested.deep}}", "1.5"),
            ("{{unknown}}", "{{unknown}}"),
            ("{{unknown.name}}", "{{unknown.name}}"),
            ("{{items.0}}", "a"),
            ("{{items.2}}", "3"),
            ("{{items.5}}", ""),
            ("{{items}}", "a,,3"),
            ("{{application}}", "[object Object]"),
            ("{{flag}}", "true"),
            ("{{nothing}}", ""),
            ("{{big}}", "1e+21"),
            ("{{code.length}}", ""),
            ("{{{code}}}", "{123456}"),
            ("{{ code }} and {{code}}", "123456 and 123456"),
            ("{{code", "{{code"),
            ("{{}}", "{{}}"),
            ("{{ }}", "{{ }}"),
            ("{{co-de}}", "{{co-de}}"),
            ("{{.code}}", "{{.code}}"),
            ("{{toString}}", "{{toString}}"),
            ("中文 {{code}} 😀", "中文 123456 😀"),
        ];
        for (template, expected) in cases {
            assert_eq!(render(template, &p), expected, "{template:?}");
        }
    }

    #[test]
    fn numbers_render_as_js_string_does() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-42.0, "-42"),
            (1.5, "1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1.2345678901234568e20, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (123.456, "123.456"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740993.0, "9007199254740992"),
        ];
        for (value, expected) in cases {
            let number = Number::from_f64(value).unwrap();
            assert_eq!(js_number(&number), expected, "{value}");
        }
        assert_eq!(js_number(&Number::from(12345_u64)), "12345");
        assert_eq!(js_number(&Number::from(-7_i64)), "-7");
    }

    #[test]
    fn rendering_without_payload_keeps_placeholders() {
        let p = Map::new();
        assert_eq!(render("code {{code}}", &p), "code {{code}}");
    }

    fn t(usage: &str, locale: Option<&str>) -> crate::config::SmsTemplate {
        crate::config::SmsTemplate {
            template_type: 2,
            usage_type: usage.into(),
            template_code: crate::config::TemplateCode::Single(format!(
                "{usage}-{}",
                locale.unwrap_or("any")
            )),
            locale: locale.map(str::to_string),
        }
    }

    fn chosen(
        templates: &[crate::config::SmsTemplate],
        usage: &str,
        locale: Option<&str>,
    ) -> Option<String> {
        select(templates, usage, locale).map(|t| match &t.template_code {
            crate::config::TemplateCode::Single(code) => code.clone(),
            crate::config::TemplateCode::Split { china, .. } => china.clone(),
        })
    }

    #[test]
    fn selection_without_locales_is_the_official_rule() {
        let templates = [t("SignIn", None), t("SignIn", None), t("Generic", None)];
        assert_eq!(
            chosen(&templates, "SignIn", None).as_deref(),
            Some("SignIn-any")
        );
        assert_eq!(
            chosen(&templates, "SignIn", Some("fr")).as_deref(),
            Some("SignIn-any")
        );
        assert_eq!(
            chosen(&templates, "MfaVerification", None).as_deref(),
            Some("Generic-any")
        );
        assert_eq!(
            chosen(&templates, "SomethingNew", None).as_deref(),
            Some("Generic-any")
        );
        assert_eq!(chosen(&[t("SignIn", None)], "Register", None), None);
    }

    #[test]
    fn selection_prefers_exact_tag_then_language_then_untagged() {
        let templates = [
            t("SignIn", None),
            t("SignIn", Some("zh")),
            t("SignIn", Some("zh-CN")),
            t("Generic", None),
            t("Generic", Some("ko")),
        ];
        assert_eq!(
            chosen(&templates, "SignIn", Some("zh-CN")).as_deref(),
            Some("SignIn-zh-CN")
        );
        assert_eq!(
            chosen(&templates, "SignIn", Some("zh-cn")).as_deref(),
            Some("SignIn-zh-CN")
        );
        assert_eq!(
            chosen(&templates, "SignIn", Some("zh-TW")).as_deref(),
            Some("SignIn-zh")
        );
        assert_eq!(
            chosen(&templates, "SignIn", Some("en")).as_deref(),
            Some("SignIn-any")
        );
        assert_eq!(
            chosen(&templates, "SignIn", None).as_deref(),
            Some("SignIn-any")
        );
        assert_eq!(
            chosen(&templates, "Register", Some("ko-KR")).as_deref(),
            Some("Generic-ko")
        );
        assert_eq!(
            chosen(&templates, "Register", Some("en")).as_deref(),
            Some("Generic-any")
        );
    }

    #[test]
    fn another_language_is_the_last_resort() {
        let templates = [t("SignIn", Some("fr")), t("Generic", None)];
        assert_eq!(
            chosen(&templates, "SignIn", Some("en")).as_deref(),
            Some("Generic-any")
        );
        assert_eq!(
            chosen(&templates, "SignIn", Some("fr-CA")).as_deref(),
            Some("SignIn-fr")
        );
        let only_french = [t("SignIn", Some("fr"))];
        assert_eq!(
            chosen(&only_french, "SignIn", Some("en")).as_deref(),
            Some("SignIn-fr")
        );
    }
}
