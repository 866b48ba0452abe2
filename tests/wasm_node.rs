//! The Wasm boundary itself, run by `wasm-pack test --node`: envelopes for every outcome,
//! plain objects and `null`, the retry step, and hostile inputs and transport results.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aliyun_connectors::wasm::{get_metadata, interpret_send, memory_bytes, plan_send, validate_config};
use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

/// Builds a JS value from JS source (an expression).
fn js(source: &str) -> JsValue {
    Function::new_no_args(&format!("return ({source});")).call0(&JsValue::NULL).unwrap()
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| Reflect::get(&v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED))
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value).map(String::from).unwrap_or_default()
}

fn code(value: &JsValue) -> Option<String> {
    get(value, "error.code").as_string()
}

const CONFIG: &str = r#"{ accessKeyId: 'id', accessKeySecret: 'very-secret-value', securityToken: 'sts-token-value', accountName: 'a@b.co',
  templates: ['SignIn', 'Register', 'ForgotPassword', 'Generic'].map((usageType) => ({ usageType, subject: 'S {{code}}', content: 'C {{code}}' })) }"#;

fn input(extra: &str) -> JsValue {
    js(&format!("Object.assign({{ config: {CONFIG}, to: 'u@example.com', type: 'SignIn', payload: {{ code: '123456' }}, template: null, nowMs: Date.UTC(2026, 0, 1), nonce: 'n-1' }}, {extra})"))
}

fn dm() -> JsValue {
    JsValue::from_str("aliyun-dm")
}

/// The request object the shim makes of planSend's `[url, body, timeoutMs, maxResponseBytes,
/// contentType]`, or `undefined` when planSend answered an error envelope.
fn as_request(planned: &JsValue) -> JsValue {
    let make = Function::new_with_args(
        "a",
        "return Array.isArray(a) && a.length === 5 ? { method: 'POST', url: a[0], body: a[1], timeoutMs: a[2], maxResponseBytes: a[3], headers: { 'content-type': a[4] } } : undefined;",
    );
    make.call1(&JsValue::NULL, planned).unwrap()
}

fn planned() -> JsValue {
    let planned = plan_send(dm(), input("{}"), JsValue::NULL, JsValue::UNDEFINED);
    let request = as_request(&planned);
    assert!(request.is_object(), "{}", text(&planned));
    request
}

#[wasm_bindgen_test]
fn metadata_is_a_plain_object_with_nulls() {
    let envelope = get_metadata(JsValue::from_str("aliyun-sms"));
    assert_eq!(get(&envelope, "ok"), JsValue::TRUE);
    assert_eq!(get(&envelope, "value.id").as_string().as_deref(), Some("aliyun-sms-wasm"));
    assert!(get(&envelope, "value.platform").is_null());
    assert!(get(&envelope, "value.logoDark").is_null());
    assert_eq!(JsValue::from(js_sys::Object::get_prototype_of(&get(&envelope, "value"))), js("Object.prototype"));
    let bad = get_metadata(JsValue::from_f64(3.0));
    assert_eq!(get(&bad, "ok"), JsValue::FALSE);
    assert_eq!(code(&bad).as_deref(), Some("general"));
}

#[wasm_bindgen_test]
fn validate_config_envelopes() {
    let config = js(CONFIG);
    let ok = validate_config(dm(), config.clone());
    assert_eq!(get(&ok, "ok"), JsValue::TRUE);
    assert_eq!(get(&ok, "value"), config, "the value is the caller's own object");
    for bad in ["undefined", "null", "42", "{ accessKeySecret: 'very-secret-value' }", "(() => { const a = {}; a.self = a; return a; })()", "{ n: 10n }", "{ accessKeyId: 'a\\uD800' }"] {
        let envelope = validate_config(dm(), js(bad));
        assert_eq!(get(&envelope, "ok"), JsValue::FALSE, "{bad}");
        assert_eq!(code(&envelope).as_deref(), Some("invalid_config"), "{bad}");
        assert!(get(&envelope, "error.data.errorDescription").is_string(), "{bad}");
        assert!(!text(&envelope).contains("very-secret-value"), "{bad}");
    }
}

#[wasm_bindgen_test]
fn plan_send_gives_a_signed_request() {
    let request = planned();
    assert_eq!(get(&request, "method").as_string().as_deref(), Some("POST"));
    assert_eq!(get(&request, "url").as_string().as_deref(), Some("https://dm.aliyuncs.com/"));
    assert_eq!(get(&request, "headers.content-type").as_string().as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(get(&request, "timeoutMs").as_f64(), Some(10_000.0));
    let body = get(&request, "body").as_string().unwrap_or_default();
    assert!(body.contains("Timestamp=2026-01-01T00%3A00%3A00Z") && body.contains("SignatureNonce=n-1") && body.contains("&Signature="));
    assert_eq!(get(&request, "maxResponseBytes").as_f64(), Some(65_536.0));
    let retry = as_request(&plan_send(dm(), input("{}"), js("{ nowMs: Date.UTC(2026, 0, 1, 0, 0, 5), nonce: 'retry-1' }"), JsValue::UNDEFINED));
    let body = get(&retry, "body").as_string().unwrap_or_default();
    assert!(body.contains("Timestamp=2026-01-01T00%3A00%3A05Z") && body.contains("SignatureNonce=retry-1"), "{body}");
}

#[wasm_bindgen_test]
fn interpret_send_answers_with_envelopes_and_retry_steps() {
    let request = planned();
    let ok = interpret_send(dm(), request.clone(), 0, js(r#"{ status: 200, body: '{"EnvId":"1","RequestId":"R"}' }"#), JsValue::UNDEFINED);
    assert_eq!(text(&ok), r#"{"ok":true,"value":{"EnvId":"1","RequestId":"R"}}"#);
    let refused = js("{ networkError: { kind: 'refused', message: 'ECONNREFUSED', sent: false } }");
    let step = interpret_send(dm(), request.clone(), 0, refused.clone(), JsValue::UNDEFINED);
    assert_eq!(get(&step, "retry"), JsValue::TRUE);
    assert!(get(&step, "afterMs").as_f64().is_some_and(|ms| (200.0..400.0).contains(&ms)));
    let last = interpret_send(dm(), request.clone(), 2, refused, JsValue::UNDEFINED);
    assert_eq!(code(&last).as_deref(), Some("general"), "no third retry");
    let throttled = interpret_send(dm(), request.clone(), 0, js(r#"{ status: 400, body: '{"Code":"Throttling.User","Message":"m","RequestId":"R"}' }"#), JsValue::UNDEFINED);
    assert_eq!(code(&throttled).as_deref(), Some("rate_limit_exceeded"));
    // A server echoing the STS token back does not get it into the error.
    let echo = interpret_send(dm(), request, 0, js(r#"{ status: 400, body: '{"Code":"InvalidSecurityToken.Expired","Message":"token sts-token-value expired","RequestId":"R"}' }"#), JsValue::UNDEFINED);
    assert_eq!(code(&echo).as_deref(), Some("invalid_config"));
    assert!(!text(&echo).contains("sts-token-value"), "{}", text(&echo));
}

#[wasm_bindgen_test]
fn what_the_request_carried_never_comes_back_in_an_error() {
    let send = input("{}");
    let request = as_request(&plan_send(dm(), send.clone(), JsValue::NULL, JsValue::UNDEFINED));
    let body = get(&request, "body").as_string().unwrap_or_default();
    let message = format!("Specified signature is not matched with our calculation. server string to sign is:POST&%2F&{body}");
    let answer = js_sys::Object::new();
    js_sys::Reflect::set(&answer, &"status".into(), &JsValue::from(400)).ok();
    let aliyun = format!(r#"{{"Code":"SignatureDoesNotMatch","Message":{},"RequestId":"R","Recommend":"{body}"}}"#, serde_json::Value::from(message));
    js_sys::Reflect::set(&answer, &"body".into(), &JsValue::from_str(&aliyun)).ok();
    let error = interpret_send(dm(), request, 0, answer.into(), send);
    assert_eq!(code(&error).as_deref(), Some("invalid_config"));
    let shown = text(&error);
    assert!(!shown.contains("123456"), "{shown}");
    assert!(shown.contains("Specified signature is not matched with our calculation."), "{shown}");
    assert!(!shown.contains("string to sign"), "{shown}");
}

#[wasm_bindgen_test]
fn malformed_transport_results_are_network_errors_that_count_as_sent() {
    for source in ["undefined", "null", "42", "'text'", "{}", "{ status: 'x', body: 'y' }", "{ status: 200 }", "{ status: 1.5, body: '' }", "{ networkError: 'x' }", "{ networkError: { kind: 'refused' } }"] {
        let step = interpret_send(dm(), planned(), 0, js(source), JsValue::UNDEFINED);
        assert_eq!(get(&step, "retry"), JsValue::UNDEFINED, "{source}: unproven, so no retry");
        assert_eq!(code(&step).as_deref(), Some("general"), "{source}: {}", text(&step));
        assert!(get(&step, "error.data.errorDescription").is_string(), "{source}");
    }
}

#[wasm_bindgen_test]
fn hostile_inputs_give_envelopes() {
    let cases = [
        ("{ payload: { code: 'a\\uD800b' } }", "invalid_request_parameters", Some("lone UTF-16 surrogate")),
        ("{ to: 42 }", "invalid_request_parameters", None),
        ("{ payload: 'text' }", "invalid_request_parameters", None),
        ("{ nowMs: NaN }", "invalid_request_parameters", None),
        ("{ nonce: '' }", "invalid_request_parameters", None),
        ("{ config: { accessKeySecret: 'very-secret-value' } }", "invalid_config", None),
        ("{ payload: { big: 1n } }", "invalid_request_parameters", None),
        ("{ payload: JSON.parse('['.repeat(200) + ']'.repeat(200)) }", "invalid_request_parameters", Some("nested deeper")),
    ];
    for (extra, expected, words) in cases {
        let envelope = plan_send(dm(), input(extra), JsValue::NULL, JsValue::UNDEFINED);
        assert_eq!(code(&envelope).as_deref(), Some(expected), "{extra}: {}", text(&envelope));
        if let Some(words) = words {
            assert!(text(&envelope).contains(words), "{extra}: {}", text(&envelope));
        }
        assert!(!text(&envelope).contains("very-secret-value"));
    }
    assert_eq!(get(&plan_send(JsValue::from_str("nope"), input("{}"), JsValue::NULL, JsValue::UNDEFINED), "ok"), JsValue::FALSE);
    assert_eq!(get(&interpret_send(JsValue::UNDEFINED, JsValue::NULL, 0, JsValue::NULL, JsValue::UNDEFINED), "ok"), JsValue::FALSE);
}

#[wasm_bindgen_test]
fn memory_is_reported_in_whole_pages() {
    let bytes = memory_bytes();
    assert!(bytes >= 65_536.0 && bytes % 65_536.0 == 0.0);
}

#[wasm_bindgen_test]
fn config_json_replaces_input_config_and_is_revalidated_when_it_changes() {
    let config_text = |extra: &str| text(&js(&format!("Object.assign({CONFIG}, {extra})")));
    let bare = || js("{ to: 'u@example.com', type: 'SignIn', payload: { code: '123456' }, template: null, nowMs: Date.UTC(2026, 0, 1), nonce: 'n-1' }");
    // The same signed request as with the config inside the input, first validated, then cached.
    let expected = text(&plan_send(dm(), input("{}"), JsValue::NULL, JsValue::UNDEFINED));
    for _ in 0..2 {
        let envelope = plan_send(dm(), bare(), JsValue::NULL, JsValue::from_str(&config_text("{}")));
        assert_eq!(text(&envelope), expected);
    }
    // A different text is validated afresh: its sender appears, an invalid one is refused.
    let other = as_request(&plan_send(dm(), bare(), JsValue::NULL, JsValue::from_str(&config_text("{ accountName: 'other@b.co' }"))));
    assert!(get(&other, "body").as_string().unwrap_or_default().contains("AccountName=other%40b.co"));
    let invalid = plan_send(dm(), bare(), JsValue::NULL, JsValue::from_str(&config_text("{ templates: 'very-secret-value' }")));
    assert_eq!(code(&invalid).as_deref(), Some("invalid_config"));
    assert!(!text(&invalid).contains("very-secret-value"), "{}", text(&invalid));
    let not_json = plan_send(dm(), bare(), JsValue::NULL, JsValue::from_str("{ nope"));
    assert_eq!(code(&not_json).as_deref(), Some("invalid_config"));
    // And the valid one still works after the invalid ones.
    assert_eq!(text(&plan_send(dm(), bare(), JsValue::NULL, JsValue::from_str(&config_text("{}")))), expected);
    // A planning error with a cached config scrubs its secrets too.
    let echo = plan_send(dm(), js("{ to: 'very-secret-value,x@y.z', type: 'SignIn', payload: {}, template: null, nowMs: 0, nonce: 'n' }"), JsValue::NULL, JsValue::from_str(&config_text("{}")));
    assert_eq!(code(&echo).as_deref(), Some("invalid_request_parameters"));
    assert!(!text(&echo).contains("very-secret-value"));
}

#[wasm_bindgen_test]
fn a_null_config_json_means_the_config_held_for_the_kind() {
    let config_text = |extra: &str| JsValue::from_str(&text(&js(&format!("Object.assign({CONFIG}, {extra})"))));
    let bare = || js("{ to: 'u@example.com', type: 'SignIn', payload: { code: '123456' }, template: null, nowMs: Date.UTC(2026, 0, 1), nonce: 'n-1' }");
    let other = || config_text("{ accountName: 'held@b.co' }");
    let expected = text(&plan_send(dm(), bare(), JsValue::NULL, other()));
    assert!(expected.contains("AccountName=held%40b.co"), "{expected}");
    // Null plans with the held config, and so does every later null.
    for _ in 0..2 {
        assert_eq!(text(&plan_send(dm(), bare(), JsValue::NULL, JsValue::NULL)), expected);
    }
    // A planning error with the held config scrubs its secrets like any other.
    let echo = plan_send(dm(), js("{ to: 'very-secret-value,x@y.z', type: 'SignIn', payload: {}, template: null, nowMs: 0, nonce: 'n' }"), JsValue::NULL, JsValue::NULL);
    assert_eq!(code(&echo).as_deref(), Some("invalid_request_parameters"));
    // An invalid text empties the slot: null is then an internal error, never another config.
    let invalid = plan_send(dm(), bare(), JsValue::NULL, config_text("{ templates: 'very-secret-value' }"));
    assert_eq!(code(&invalid).as_deref(), Some("invalid_config"));
    let empty = plan_send(dm(), bare(), JsValue::NULL, JsValue::NULL);
    assert_eq!(code(&empty).as_deref(), Some("general"), "{}", text(&empty));
    assert!(!text(&empty).contains("very-secret-value"));
}
