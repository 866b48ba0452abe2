//! Template rendering: never panics, keeps text without placeholders.

use aliyun_connectors::template;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value};

use super::generators::*;
use super::harness::*;

pub fn arb_template() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        3 => prop::sample::select(
            &["{{", "}}", "{", "}", "{{code}}", "{{ code }}", "{{\u{3000}code\u{A0}}}", "{{\tcode\n}}", "{{a.b.0}}", "{{items.1}}", "{{items.01}}", "{{__proto__}}",
              "{{toString}}", "{{.}}", "{{ }}", "{{}}", "{{code", "code}}", "code", ".", " ", "\t", "中", "😀", "𠮷", "{{{code}}}", "{{co-de}}", "{{link}}"][..]
        )
        .prop_map(str::to_string),
        1 => arb_text(),
    ];
    prop::collection::vec(fragment, 0..16).prop_map(|parts| parts.concat())
}

pub fn arb_payload() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        3 => prop::sample::select(&["code", "a", "items", "link", "locale", "__proto__", "toString", "application", ""][..]).prop_map(str::to_string),
        1 => arb_text(),
    ];
    prop::collection::vec((key, arb_json()), 0..6).prop_map(|pairs| pairs.into_iter().collect())
}

fn render(template: &str, payload: &Map<String, Value>) -> String {
    template::render(template, payload)
}

pub fn check_render(template: &str, payload: &Map<String, Value>) -> Result<(), TestCaseError> {
    let rendered = render(template, payload);
    if !template.contains("{{") {
        prop_assert_eq!(
            &rendered,
            template,
            "render changed a template without placeholders"
        );
    }
    // With no payload every placeholder's root key is absent: connector-kit keeps them as written.
    prop_assert_eq!(
        render(template, &Map::new()),
        template.to_string(),
        "render with an empty payload is not the identity"
    );
    // A value is inserted as it is, never rendered again (no template injection through the payload).
    if let Some(Value::String(code)) = payload.get("code") {
        prop_assert_eq!(render("<{{code}}>", payload), format!("<{code}>"));
        prop_assert_eq!(
            render("{{ code }}{{code}}", payload),
            format!("{code}{code}")
        );
    }
    Ok(())
}

#[test]
fn render_never_panics_and_keeps_text_without_placeholders() {
    property(
        "template_render",
        "render",
        |input| {
            let template = input
                .get("template")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let payload = input
                .get("payload")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            check_render(template, &payload)?;
            if let Some(expected) = input.get("expect").and_then(Value::as_str) {
                prop_assert_eq!(template::render(template, &payload), expected.to_string());
            }
            Ok(())
        },
        (arb_template(), arb_payload()),
        |(template, payload)| check_render(&template, &payload),
    );
}
