//! The Wasm boundary itself, run by `wasm-pack test --node`: envelopes for every outcome,
//! plain objects and `null`, and transports that throw, reject or answer garbage.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aliyun_connectors::wasm::{get_metadata, send_message, validate_config};
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

const CONFIG: &str = r#"{ accessKeyId: 'id', accessKeySecret: 'very-secret-value', accountName: 'a@b.co',
  templates: ['SignIn', 'Register', 'ForgotPassword', 'Generic'].map((usageType) => ({ usageType, subject: 'S {{code}}', content: 'C {{code}}' })) }"#;

fn input(extra: &str) -> JsValue {
    js(&format!("Object.assign({{ config: {CONFIG}, to: 'u@example.com', type: 'SignIn', payload: {{ code: '123456' }}, template: null, nowMs: Date.UTC(2026, 0, 1), nonce: 'n-1' }}, {extra})"))
}

const OK_TRANSPORT: &str = r#"{ sent: [], async send(req) { this.sent.push(req); return { status: 200, body: '{"EnvId":"1","RequestId":"R"}' }; },
  sleep: async () => {}, stamp: () => ({ nowMs: Date.now(), nonce: 'n-' + Math.random() }) }"#;

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
    assert_eq!(get(&bad, "error.code").as_string().as_deref(), Some("general"));
}

#[wasm_bindgen_test]
fn validate_config_envelopes() {
    let ok = validate_config(JsValue::from_str("aliyun-dm"), js(CONFIG));
    assert_eq!(get(&ok, "ok"), JsValue::TRUE);
    assert_eq!(get(&ok, "value.accountName").as_string().as_deref(), Some("a@b.co"));
    for bad in ["undefined", "null", "42", "{ accessKeySecret: 'very-secret-value' }", "(() => { const a = {}; a.self = a; return a; })()", "{ n: 10n }"] {
        let envelope = validate_config(JsValue::from_str("aliyun-dm"), js(bad));
        assert_eq!(get(&envelope, "ok"), JsValue::FALSE, "{bad}");
        assert_eq!(get(&envelope, "error.code").as_string().as_deref(), Some("invalid_config"), "{bad}");
        assert!(get(&envelope, "error.data.errorDescription").is_string(), "{bad}");
        assert!(!text(&envelope).contains("very-secret-value"), "{bad}");
    }
}

#[wasm_bindgen_test]
async fn a_send_goes_through_the_transport() {
    let transport = js(OK_TRANSPORT);
    let envelope = send_message(JsValue::from_str("aliyun-dm"), input("{}"), transport.clone()).await;
    assert_eq!(text(&envelope), r#"{"ok":true,"value":{"EnvId":"1","RequestId":"R"}}"#);
    let request = get(&transport, "sent.0");
    assert_eq!(get(&request, "method").as_string().as_deref(), Some("POST"));
    assert_eq!(get(&request, "url").as_string().as_deref(), Some("https://dm.aliyuncs.com/"));
    assert_eq!(get(&request, "headers.content-type").as_string().as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(get(&request, "timeoutMs").as_f64(), Some(10_000.0));
    assert!(get(&request, "body").as_string().unwrap_or_default().contains("Timestamp=2026-01-01T00%3A00%3A00Z"));
}

#[wasm_bindgen_test]
async fn failing_transports_still_give_envelopes() {
    let transports = [
        "{ send() { throw new Error('sync throw'); }, sleep: async () => {}, stamp: () => ({}) }",
        "{ send: async () => { throw new TypeError('fetch failed'); }, sleep: async () => {}, stamp: () => ({}) }",
        "{ send: () => Promise.reject('a string'), sleep: async () => {}, stamp: () => ({}) }",
        "{ send: async () => 42, sleep: async () => {}, stamp: () => ({}) }",
        "{ send: async () => undefined, sleep: async () => {}, stamp: () => ({}) }",
        "{ send: async () => ({ status: 'x' }), sleep: async () => {}, stamp: () => ({}) }",
        "{}",
        "null",
        "'not an object'",
    ];
    for source in transports {
        let envelope = send_message(JsValue::from_str("aliyun-dm"), input("{}"), js(source)).await;
        assert_eq!(get(&envelope, "ok"), JsValue::FALSE, "{source}");
        assert_eq!(get(&envelope, "error.code").as_string().as_deref(), Some("general"), "{source}");
        assert!(get(&envelope, "error.data.errorDescription").is_string(), "{source}");
    }
}

#[wasm_bindgen_test]
async fn refused_connections_are_retried_with_fresh_stamps() {
    let transport = js(r#"{ calls: 0, sleeps: [], bodies: [],
        async send(req) { this.bodies.push(req.body); return ++this.calls < 3 ? { networkError: { kind: 'refused', message: 'ECONNREFUSED', sent: false } } : { status: 200, body: '{"EnvId":"1","RequestId":"R"}' }; },
        async sleep(ms) { this.sleeps.push(ms); }, stamp() { return { nowMs: Date.UTC(2026, 0, 1) + this.calls * 1000, nonce: 'retry-' + this.calls }; } }"#);
    let envelope = send_message(JsValue::from_str("aliyun-dm"), input("{}"), transport.clone()).await;
    assert_eq!(get(&envelope, "ok"), JsValue::TRUE);
    assert_eq!(get(&transport, "calls").as_f64(), Some(3.0));
    assert_eq!(get(&transport, "sleeps.length").as_f64(), Some(2.0));
    let last = get(&transport, "bodies.2").as_string().unwrap_or_default();
    assert!(last.contains("SignatureNonce=retry-2") && last.contains("Timestamp=2026-01-01T00%3A00%3A02Z"), "{last}");
}

#[wasm_bindgen_test]
async fn hostile_inputs_give_envelopes() {
    let cases = [
        ("{ payload: { code: 'a\\uD800b' } }", "invalid_request_parameters"),
        ("{ to: 42 }", "invalid_request_parameters"),
        ("{ payload: 'text' }", "invalid_request_parameters"),
        ("{ nowMs: NaN }", "invalid_request_parameters"),
        ("{ nonce: '' }", "invalid_request_parameters"),
        ("{ config: { accessKeySecret: 'very-secret-value' } }", "invalid_config"),
        ("{ payload: { big: 1n } }", "invalid_request_parameters"),
    ];
    for (extra, code) in cases {
        let envelope = send_message(JsValue::from_str("aliyun-dm"), input(extra), js(OK_TRANSPORT)).await;
        assert_eq!(get(&envelope, "error.code").as_string().as_deref(), Some(code), "{extra}: {}", text(&envelope));
        assert!(!text(&envelope).contains("very-secret-value"));
    }
    let envelope = send_message(JsValue::from_str("nope"), input("{}"), js(OK_TRANSPORT)).await;
    assert_eq!(get(&envelope, "ok"), JsValue::FALSE);
}
