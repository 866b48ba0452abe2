//! The Wasm boundary itself, run by `wasm-pack test --node`: what only a JS host can see. The
//! three exports and their names; envelopes as plain JS data; configs read from JS values; and
//! `sendMessage`'s promise chain over a scripted transport (tests/wasm/support.js) whose fetch
//! answers with real `Response` objects and rejects as undici does. The rules behind the
//! answers are tested natively (tests/flows.rs, tests/properties/).

#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aliyun_connectors::config::{DM_REGIONS, SMS_REGIONS};
use aliyun_connectors::wasm::{get_metadata, send_message, validate_config};
use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/wasm/support.js")]
extern "C" {
    /// A transport scripted with one answer per fetch, recording what the core asked of it.
    type Fake;

    #[wasm_bindgen(constructor)]
    fn new(answers: Vec<JsValue>, overrides: JsValue, deadline: &str) -> Fake;
    #[wasm_bindgen(method, getter)]
    fn transport(this: &Fake) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn requests(this: &Fake) -> Array;
    #[wasm_bindgen(method, getter)]
    fn sleeps(this: &Fake) -> Vec<f64>;
    #[wasm_bindgen(method, getter)]
    fn cancels(this: &Fake) -> u32;
    #[wasm_bindgen(method, getter)]
    fn nows(this: &Fake) -> u32;
    #[wasm_bindgen(method, getter)]
    fn nonces(this: &Fake) -> u32;
    #[wasm_bindgen(method, getter)]
    fn pulled(this: &Fake) -> u32;
    #[wasm_bindgen(method, getter, js_name = bodyCancelled)]
    fn body_cancelled(this: &Fake) -> bool;

    #[wasm_bindgen(static_method_of = Fake)]
    fn respond(status: u16, body: &str, headers: JsValue) -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn echo() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn refused() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn reset() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn throws(value: JsValue) -> JsValue;
    #[wasm_bindgen(static_method_of = Fake, js_name = resolvesTo)]
    fn resolves_to(value: JsValue) -> JsValue;
    #[wasm_bindgen(static_method_of = Fake, js_name = unusableUrl)]
    fn unusable_url() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn silent() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn deaf() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn stalled() -> JsValue;
    #[wasm_bindgen(static_method_of = Fake)]
    fn endless(headers: JsValue) -> JsValue;

    /// Where a value stops being plain JSON-shaped data, or `None`.
    fn impurity(value: &JsValue) -> Option<String>;
    #[wasm_bindgen(js_name = deepEqual)]
    fn deep_equal(a: &JsValue, b: &JsValue) -> bool;
    #[wasm_bindgen(js_name = aliyunEncode)]
    fn aliyun_encode(text: &str) -> String;
    /// The exports of the glue module under test.
    #[wasm_bindgen(js_name = glueExports)]
    fn glue_exports() -> Promise;
    #[wasm_bindgen(js_name = settledWithin)]
    fn settled_within(promise: &Promise, ms: u32) -> Promise;
}

// ── Small helpers ───────────────────────────────────────────────────────────────────────

/// A JS value from JS source (an expression).
fn js(source: &str) -> JsValue {
    Function::new_no_args(&format!("return ({source});"))
        .call0(&JsValue::NULL)
        .unwrap()
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    })
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

fn string(value: &JsValue, path: &str) -> String {
    get(value, path).as_string().unwrap_or_default()
}

/// Checks that an envelope is plain data and returns its error code (`None` for success).
fn checked(envelope: &JsValue) -> Option<String> {
    assert_eq!(impurity(envelope), None, "{}", text(envelope));
    match get(envelope, "ok").as_bool() {
        Some(true) => None,
        Some(false) => {
            assert!(
                !string(envelope, "error.data.errorDescription").is_empty(),
                "{}",
                text(envelope)
            );
            Some(string(envelope, "error.code"))
        }
        None => panic!("not an envelope: {}", text(envelope)),
    }
}

const SECRET: &str = "very-secret-value";
const STS_TOKEN: &str = "sts-token-value";

const DM_CONFIG: &str = r#"{ accessKeyId: 'id', accessKeySecret: 'very-secret-value', accountName: 'noreply@mail.example.com',
  templates: ['SignIn', 'Register', 'ForgotPassword', 'Generic'].map((usageType) => ({ usageType, subject: 'Code {{code}}', content: '<p>MARKERWORD {{code}}</p>' })) }"#;

const SMS_CONFIG: &str = r#"{ accessKeyId: 'id', accessKeySecret: 'very-secret-value', securityToken: 'sts-token-value', signName: '阿里云短信测试',
  templates: ['SignIn', 'Register', 'ForgotPassword', 'Generic'].map((usageType) => ({ usageType, templateCode: 'SMS_1' })) }"#;

/// A config of `kind` with `extra` (a JS object expression) assigned over it.
fn config(kind: &str, extra: &str) -> JsValue {
    let base = if kind == "aliyun-dm" {
        DM_CONFIG
    } else {
        SMS_CONFIG
    };
    js(&format!("Object.assign({base}, {extra})"))
}

/// A send input for `kind` with its config, and `extra` assigned over it.
fn input(kind: &str, extra: &str) -> JsValue {
    let (base, to) = if kind == "aliyun-dm" {
        (DM_CONFIG, "user@example.com")
    } else {
        (SMS_CONFIG, "13912345678")
    };
    js(&format!("Object.assign({{ config: {base}, to: '{to}', type: 'SignIn', payload: {{ code: 'Q123456X' }}, template: null }}, {extra})"))
}

fn fake(answers: Vec<JsValue>) -> Fake {
    Fake::new(answers, JsValue::UNDEFINED, "pending")
}

const DM_OK: &str = r#"{"EnvId":"600000123","RequestId":"REQ-1"}"#;
const SMS_OK: &str = r#"{"Code":"OK","Message":"OK","BizId":"900^1","RequestId":"REQ-2"}"#;

fn ok(body: &str) -> JsValue {
    Fake::respond(200, body, JsValue::UNDEFINED)
}

/// Runs `sendMessage`, checks that it returned a promise and that the promise resolved (never
/// rejected) to a plain envelope.
async fn send(kind: &str, input: &JsValue, transport: &JsValue) -> JsValue {
    let promise: JsValue =
        send_message(JsValue::from_str(kind), input.clone(), transport.clone()).into();
    assert!(
        promise.is_instance_of::<Promise>(),
        "sendMessage returned {}",
        text(&promise)
    );
    let envelope = JsFuture::from(Promise::from(promise))
        .await
        .unwrap_or_else(|thrown| panic!("rejected: {thrown:?}"));
    checked(&envelope);
    envelope
}

fn request(fake: &Fake, index: u32) -> JsValue {
    fake.requests().get(index)
}

fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        pair.split_once('=')
            .filter(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    })
}

// ── The exports ─────────────────────────────────────────────────────────────────────────

/// What wasm-bindgen and its test harness add to the glue module: `__wasm` (the raw
/// instance exports), `__wbg…` helpers and the harness's context class.
fn is_harness(name: &str) -> bool {
    name == "__wasm"
        || name.starts_with("__wbg")
        || name.starts_with("__wbindgen")
        || name == "WasmBindgenTestContext"
}

#[wasm_bindgen_test]
async fn the_module_exports_the_three_functions_by_their_camel_case_names() {
    let glue = JsFuture::from(glue_exports()).await.unwrap();
    let mut ours: Vec<(String, f64)> = Object::keys(&glue.clone().into())
        .iter()
        .filter_map(|name| name.as_string())
        .filter(|name| !is_harness(name))
        .map(|name| {
            let export = get(&glue, &name);
            assert!(export.is_function(), "{name} is not a function");
            let arity = get(&export, "length").as_f64().unwrap();
            (name, arity)
        })
        .collect();
    ours.sort_by(|a, b| a.0.cmp(&b.0));
    let expected = [
        ("getMetadata", 1.0),
        ("sendMessage", 3.0),
        ("validateConfig", 2.0),
    ];
    assert_eq!(
        ours,
        expected.map(|(name, arity)| (name.to_string(), arity))
    );
}

// ── getMetadata ─────────────────────────────────────────────────────────────────────────

/// The source file as plain data, with the region picker's choices filled from the core's
/// region table (build.rs).
#[wasm_bindgen_test]
fn metadata_is_the_source_file_as_plain_data_for_every_kind() {
    let sources = [
        (
            "aliyun-dm",
            include_str!("../src/metadata/aliyun-dm.json"),
            Some(DM_REGIONS),
        ),
        (
            "aliyun-sms",
            include_str!("../src/metadata/aliyun-sms.json"),
            Some(SMS_REGIONS),
        ),
        (
            "aliyun-sms-auth",
            include_str!("../src/metadata/aliyun-sms-auth.json"),
            None,
        ),
    ];
    for (kind, source, regions) in sources {
        let envelope = get_metadata(JsValue::from_str(kind));
        assert_eq!(checked(&envelope), None, "{kind}");
        let value = get(&envelope, "value");
        let expected = JSON::parse(source).unwrap();
        if let Some(regions) = regions {
            let items = Array::from(&get(&expected, "formItems"));
            let picker = items
                .iter()
                .find(|item| get(item, "key").as_string().as_deref() == Some("regionId"))
                .expect("a regionId form item");
            let choices: Array = regions
                .iter()
                .map(|region| {
                    js(&format!(
                        "({{ value: {:?}, title: {:?} }})",
                        region.id, region.title
                    ))
                })
                .collect();
            Reflect::set(&picker, &JsValue::from_str("selectItems"), &choices).unwrap();
        }
        assert!(deep_equal(&value, &expected), "{kind}: {}", text(&value));
        // Logto types these as nullable and its own connectors set them to null.
        for key in ["platform", "logoDark"] {
            assert!(
                Object::has_own(&value.clone().into(), &JsValue::from_str(key)),
                "{kind}.{key}"
            );
            assert!(get(&value, key).is_null(), "{kind}.{key}");
        }
        assert!(get(&value, "formItems").is_array(), "{kind}");
    }
}

#[wasm_bindgen_test]
fn an_unknown_kind_gives_an_error_envelope() {
    for kind in [
        "undefined",
        "null",
        "3",
        "'aliyun'",
        "'ALIYUN-DM'",
        "new String('aliyun-dm')",
        "{}",
    ] {
        let metadata = get_metadata(js(kind));
        assert_eq!(checked(&metadata).as_deref(), Some("general"), "{kind}");
        assert!(
            string(&metadata, "error.data.errorDescription").contains("aliyun-dm"),
            "{kind}"
        );
        let validated = validate_config(js(kind), config("aliyun-dm", "{}"));
        assert_eq!(checked(&validated).as_deref(), Some("general"), "{kind}");
    }
}

// ── validateConfig ──────────────────────────────────────────────────────────────────────

#[wasm_bindgen_test]
fn a_valid_config_comes_back_as_the_callers_own_object() {
    let cases = [
        ("aliyun-dm", "{}"),
        ("aliyun-sms", "{}"),
        // Read as JSON.stringify writes it: an undefined key is absent, so an official optional
        // key set to undefined is accepted; NaN and Infinity are null, an absent value for the
        // keys we added.
        ("aliyun-dm", "{ fromAlias: undefined, regionId: undefined, securityToken: undefined, timeoutMs: undefined }"),
        ("aliyun-sms", "{ strictPhoneRegionNumberCheck: undefined, regionId: undefined, endpoint: undefined }"),
        ("aliyun-dm", "{ timeoutMs: NaN, endpoint: Infinity }"),
    ];
    for (kind, extra) in cases {
        let config = config(kind, extra);
        let envelope = validate_config(JsValue::from_str(kind), config.clone());
        assert_eq!(
            get(&envelope, "ok"),
            JsValue::TRUE,
            "{kind} {extra}: {}",
            text(&envelope)
        );
        assert_eq!(
            get(&envelope, "value"),
            config,
            "{kind} {extra}: the value is the caller's own object"
        );
        let keys: Vec<JsValue> = Object::keys(&envelope.clone().into()).iter().collect();
        assert_eq!(keys, ["ok", "value"].map(JsValue::from_str));
        assert_eq!(
            JsValue::from(Object::get_prototype_of(&envelope)),
            js("Object.prototype")
        );
    }
}

#[wasm_bindgen_test]
fn nan_is_read_as_null_where_null_is_refused() {
    let dm = JsValue::from_str("aliyun-dm");
    let as_null = validate_config(dm.clone(), config("aliyun-dm", "{ fromAlias: null }"));
    assert_eq!(
        checked(&as_null).as_deref(),
        Some("invalid_config"),
        "official optional keys take no null"
    );
    let as_nan = validate_config(dm, config("aliyun-dm", "{ fromAlias: NaN }"));
    assert!(
        deep_equal(&as_nan, &as_null),
        "{} vs {}",
        text(&as_nan),
        text(&as_null)
    );
}

#[wasm_bindgen_test]
fn unreadable_or_invalid_configs_are_invalid_config_and_never_echo_the_secret() {
    let base = DM_CONFIG;
    let cases = [
        ("undefined".to_string(), "not JSON data"),
        ("null".into(), "object"),
        ("42".into(), "object"),
        ("'very-secret-value'".into(), "object"),
        (format!("[{base}]"), "object"),
        (format!("Object.assign({base}, {{ templates: 'very-secret-value' }})"), "templates"),
        (format!("(() => {{ const config = {base}; config.templates[0].self = config; return config; }})()"), "cycle"),
        (format!("Object.assign({base}, {{ timeoutMs: 10000n }})"), "BigInt"),
        (format!("Object.defineProperty({base}, 'accountName', {{ enumerable: true, get() {{ throw new Error('very-secret-value'); }} }})"), "getters threw"),
        (format!("new Proxy({base}, {{ get() {{ throw new Error('very-secret-value'); }}, ownKeys() {{ throw new Error('very-secret-value'); }} }})"), "not JSON data"),
        (format!("Object.assign({base}, {{ toJSON() {{ throw new Error('very-secret-value'); }} }})"), "not JSON data"),
        (format!("Object.assign({base}, {{ toJSON() {{ return undefined; }} }})"), "not JSON data"),
        (format!("Object.assign({base}, {{ accountName: 'a\\uD800@example.com' }})"), "lone UTF-16 surrogate"),
        (format!("Object.assign({base}, {{ ['note\\uDC00']: 'very-secret-value' }})"), "lone UTF-16 surrogate"),
        (format!("Object.assign({base}, {{ extra: JSON.parse('['.repeat(200) + ']'.repeat(200)) }})"), "128 levels"),
        // The config object is the first level, so 127 arrays inside it reach the limit.
        (format!("Object.assign({base}, {{ extra: JSON.parse('['.repeat(127) + ']'.repeat(127)) }})"), "128 levels"),
        // Whichever serde_json meets first is reported; brackets inside strings do not nest.
        (format!("Object.assign({base}, {{ note: '['.repeat(200) + '\\uD800', extra: JSON.parse('['.repeat(200) + ']'.repeat(200)) }})"), "lone UTF-16 surrogate"),
        (format!("Object.assign({base}, {{ extra: JSON.parse('['.repeat(200) + ']'.repeat(200)), note: 'x\\uD800' }})"), "128 levels"),
    ];
    for (source, words) in &cases {
        let envelope = validate_config(JsValue::from_str("aliyun-dm"), js(source));
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("invalid_config"),
            "{source}: {}",
            text(&envelope)
        );
        let description = string(&envelope, "error.data.errorDescription");
        assert!(description.contains(words), "{source}: {description}");
        assert!(get(&envelope, "error.data.issues").is_array(), "{source}");
        assert!(
            !text(&envelope).contains(SECRET),
            "{source}: {}",
            text(&envelope)
        );
    }
    // Nesting is refused beyond serde_json's limit only: an unknown key nested 100 deep is
    // just ignored.
    let nested = config(
        "aliyun-dm",
        "{ extra: JSON.parse('['.repeat(100) + ']'.repeat(100)) }",
    );
    assert_eq!(
        checked(&validate_config(JsValue::from_str("aliyun-dm"), nested)),
        None
    );
}

// ── sendMessage: answers ────────────────────────────────────────────────────────────────

#[wasm_bindgen_test]
async fn a_send_goes_out_as_a_signed_form_post_and_resolves_to_aliyuns_answer() {
    let cases = [
        (
            "aliyun-dm",
            "{}",
            DM_OK,
            "https://dm.aliyuncs.com/",
            10_000.0,
        ),
        (
            "aliyun-sms",
            "{}",
            SMS_OK,
            "https://dysmsapi.aliyuncs.com/",
            10_000.0,
        ),
        (
            "aliyun-dm",
            "{ timeoutMs: 2500 }",
            DM_OK,
            "https://dm.aliyuncs.com/",
            2500.0,
        ),
    ];
    for (kind, config_extra, answer, url, timeout_ms) in cases {
        let fake = fake(vec![ok(answer)]);
        let input = input(kind, "{}");
        Reflect::set(
            &input,
            &JsValue::from_str("config"),
            &config(kind, config_extra),
        )
        .unwrap();
        let envelope = send(kind, &input, &fake.transport()).await;
        assert_eq!(checked(&envelope), None, "{kind}: {}", text(&envelope));
        assert!(
            deep_equal(&get(&envelope, "value"), &JSON::parse(answer).unwrap()),
            "{kind}: {}",
            text(&envelope)
        );

        assert_eq!(fake.requests().length(), 1, "{kind}");
        let request = request(&fake, 0);
        assert_eq!(string(&request, "url"), url);
        assert_eq!(string(&request, "method"), "POST");
        assert_eq!(
            string(&request, "contentType"),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(string(&request, "redirect"), "error");
        assert_eq!(get(&request, "signalIsAbortSignal"), JsValue::TRUE);
        let body = string(&request, "body");
        assert_eq!(
            form_value(&body, "Timestamp").as_deref(),
            Some("2026-01-01T00%3A00%3A00Z"),
            "{body}"
        );
        assert_eq!(
            form_value(&body, "SignatureNonce").as_deref(),
            Some("nonce-0"),
            "{body}"
        );
        assert!(
            body.rsplit('&')
                .next()
                .is_some_and(|last| last.starts_with("Signature=") && last.len() > 20),
            "{body}"
        );
        // One stamp, and one deadline, cancelled once the answer was in.
        assert_eq!((fake.nows(), fake.nonces()), (1, 1), "{kind}");
        assert_eq!(fake.sleeps(), [timeout_ms], "{kind}");
        assert_eq!(fake.cancels(), 1, "{kind}");
    }
}

#[wasm_bindgen_test]
async fn error_answers_resolve_to_error_envelopes() {
    let cases = [
        (
            "aliyun-dm",
            400,
            r#"{"Code":"Throttling.User","Message":"flow","RequestId":"R"}"#,
            "rate_limit_exceeded",
        ),
        (
            "aliyun-sms",
            200,
            r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控","RequestId":"R"}"#,
            "rate_limit_exceeded",
        ),
        (
            "aliyun-dm",
            404,
            r#"{"Code":"InvalidMailAddress.NotFound","Message":"not found","RequestId":"R"}"#,
            "invalid_config",
        ),
        (
            "aliyun-dm",
            500,
            r#"{"Code":"InternalError","Message":"oops","RequestId":"R"}"#,
            "general",
        ),
        (
            "aliyun-dm",
            502,
            "<html><body>Bad Gateway</body></html>",
            "invalid_response",
        ),
        ("aliyun-sms", 200, "not json", "invalid_response"),
        ("aliyun-sms", 200, "", "invalid_response"),
    ];
    for (kind, status, body, code) in cases {
        let fake = fake(vec![
            Fake::respond(status, body, JsValue::UNDEFINED),
            ok(DM_OK),
        ]);
        let envelope = send(kind, &input(kind, "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some(code),
            "{status} {body}: {}",
            text(&envelope)
        );
        assert_eq!(fake.requests().length(), 1, "{body}: not retried");
        assert_eq!(
            get(&envelope, "error.data.status").as_f64(),
            Some(f64::from(status)),
            "{body}"
        );
        if body.starts_with('{') {
            assert_eq!(string(&envelope, "error.data.RequestId"), "R", "{body}");
        }
        assert!(!text(&envelope).contains(SECRET) && !text(&envelope).contains(STS_TOKEN));
    }
}

#[wasm_bindgen_test]
async fn throttling_api_is_retried_with_a_fresh_time_and_nonce_after_the_backoff() {
    let throttled = r#"{"Code":"Throttling.Api","Message":"api flow","RequestId":"R"}"#;
    let fake = fake(vec![
        Fake::respond(400, throttled, JsValue::UNDEFINED),
        ok(DM_OK),
    ]);
    let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
    assert_eq!(checked(&envelope), None, "{}", text(&envelope));
    assert_eq!(fake.requests().length(), 2);
    assert_eq!((fake.nows(), fake.nonces()), (2, 2));
    let retry = string(&request(&fake, 1), "body");
    assert_eq!(
        form_value(&retry, "Timestamp").as_deref(),
        Some("2026-01-01T00%3A00%3A01Z"),
        "{retry}"
    );
    assert_eq!(
        form_value(&retry, "SignatureNonce").as_deref(),
        Some("nonce-1"),
        "{retry}"
    );
    assert_ne!(
        form_value(&retry, "Signature"),
        form_value(&string(&request(&fake, 0), "body"), "Signature")
    );
    // Deadline, backoff (200 ms plus up to as much jitter), deadline; each deadline cancelled.
    let sleeps = fake.sleeps();
    assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    assert_eq!((sleeps[0], sleeps[2]), (10_000.0, 10_000.0), "{sleeps:?}");
    assert!((200.0..400.0).contains(&sleeps[1]), "{sleeps:?}");
    assert_eq!(fake.cancels(), 2);
}

#[wasm_bindgen_test]
async fn only_a_refused_connection_is_retried_and_at_most_three_attempts_are_made() {
    let cases = [
        (vec![Fake::refused(), ok(DM_OK)], None, 2),
        (
            vec![Fake::refused(), Fake::refused(), Fake::refused(), ok(DM_OK)],
            Some("refused"),
            3,
        ),
        (vec![Fake::reset(), ok(DM_OK)], Some("reset"), 1),
    ];
    for (answers, network, attempts) in cases {
        let fake = fake(answers);
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
        match network {
            None => assert_eq!(checked(&envelope), None, "{}", text(&envelope)),
            Some(network) => {
                assert_eq!(
                    checked(&envelope).as_deref(),
                    Some("general"),
                    "{}",
                    text(&envelope)
                );
                assert_eq!(string(&envelope, "error.data.network"), network);
            }
        }
        assert_eq!(fake.requests().length(), attempts, "{network:?}");
        let nonces: Vec<String> = fake
            .requests()
            .iter()
            .map(|r| form_value(&string(&r, "body"), "SignatureNonce").unwrap())
            .collect();
        let expected: Vec<String> = (0..attempts).map(|n| format!("nonce-{n}")).collect();
        assert_eq!(nonces, expected);
    }
}

#[wasm_bindgen_test]
async fn a_fetch_that_breaks_gives_a_general_envelope_and_nothing_is_resent() {
    let cases = [
        (
            "throws an Error",
            Fake::throws(js("new Error('boom')")),
            "boom",
        ),
        ("throws a string", Fake::throws(js("'boom'")), "boom"),
        (
            "throws undefined",
            Fake::throws(JsValue::UNDEFINED),
            "network error",
        ),
        (
            "throws a Proxy whose traps throw",
            Fake::throws(js("new Proxy({}, { get() { throw new Error('trap'); } })")),
            "network error",
        ),
        (
            "resolves to 42",
            Fake::resolves_to(js("42")),
            "not a Response",
        ),
        (
            "resolves to undefined",
            Fake::resolves_to(JsValue::UNDEFINED),
            "not a Response",
        ),
        (
            "resolves to a look-alike",
            Fake::resolves_to(js(&format!(
                "{{ status: 200, ok: true, text: async () => '{DM_OK}' }}"
            ))),
            "not a Response",
        ),
    ];
    for (what, answer, words) in cases {
        let fake = fake(vec![answer, ok(DM_OK)]);
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("general"),
            "{what}: {}",
            text(&envelope)
        );
        assert!(
            string(&envelope, "error.data.errorDescription").contains(words),
            "{what}: {}",
            text(&envelope)
        );
        assert_eq!(fake.requests().length(), 1, "{what}: resent");
    }
}

#[wasm_bindgen_test]
async fn a_fetch_that_never_answers_ends_at_the_deadline_and_is_not_resent() {
    let fake = Fake::new(
        vec![Fake::silent(), ok(DM_OK)],
        JsValue::UNDEFINED,
        "at-once",
    );
    let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
    assert_eq!(
        checked(&envelope).as_deref(),
        Some("general"),
        "{}",
        text(&envelope)
    );
    assert_eq!(string(&envelope, "error.data.network"), "timeout");
    assert!(
        string(&envelope, "error.data.errorDescription").contains("10000 ms"),
        "{}",
        text(&envelope)
    );
    assert_eq!(fake.requests().length(), 1);
}

#[wasm_bindgen_test]
async fn an_answer_over_64_kib_is_invalid_response_and_not_read_to_its_end() {
    for headers in ["{}", "{ 'content-length': '1000000000' }"] {
        let fake = fake(vec![Fake::endless(js(headers))]);
        let envelope = send("aliyun-sms", &input("aliyun-sms", "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("invalid_response"),
            "{headers}: {}",
            text(&envelope)
        );
        assert_eq!(get(&envelope, "error.data.status").as_f64(), Some(200.0));
        // 64 KiB is four 16 KiB chunks; the stream may pull a chunk or two ahead.
        assert!(
            fake.pulled() <= 8,
            "{headers}: {} chunks read",
            fake.pulled()
        );
        assert!(
            fake.body_cancelled(),
            "{headers}: the rest of the body was not cancelled"
        );
        assert_eq!(
            fake.cancels(),
            1,
            "{headers}: the deadline was not cancelled"
        );
    }
}

#[wasm_bindgen_test]
async fn an_answer_echoing_the_request_lets_nothing_of_the_message_out() {
    for kind in ["aliyun-dm", "aliyun-sms"] {
        let fake = fake(vec![Fake::echo()]);
        let envelope = send(kind, &input(kind, "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("invalid_config"),
            "{kind}: {}",
            text(&envelope)
        );
        let shown = text(&envelope);
        assert!(
            shown.contains("Specified signature is not matched with our calculation."),
            "{shown}"
        );
        for needle in [
            "Q123456X",
            "MARKERWORD",
            SECRET,
            STS_TOKEN,
            "string to sign",
        ] {
            for form in [
                needle.to_string(),
                aliyun_encode(needle),
                aliyun_encode(&aliyun_encode(needle)),
            ] {
                assert!(!shown.contains(&form), "{kind}: {form} in {shown}");
            }
        }
    }
}

// ── sendMessage: a broken transport or input ────────────────────────────────────────────

#[wasm_bindgen_test]
async fn a_clock_or_nonce_that_throws_or_returns_garbage_gives_an_envelope_and_sends_nothing() {
    let cases = [
        "{ now() { throw new Error('no clock'); } }",
        "{ now: () => 'soon' }",
        "{ now: () => NaN }",
        "{ now: () => -1 }",
        "{ now: () => 1e300 }",
        "{ now: 42 }",
        "{ nonce() { throw new Error('no randomness'); } }",
        "{ nonce: () => 42 }",
        "{ nonce: () => '' }",
        "{ nonce: () => 'x'.repeat(65) }",
        "{ nonce: () => 'two\\nlines' }",
        "{ nonce: () => 'a\\uD800' }",
    ];
    for overrides in cases {
        let fake = Fake::new(vec![ok(DM_OK)], js(overrides), "pending");
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
        assert!(
            checked(&envelope).is_some(),
            "{overrides}: {}",
            text(&envelope)
        );
        assert_eq!(fake.requests().length(), 0, "{overrides}");
    }
}

#[wasm_bindgen_test]
async fn a_sleep_that_throws_sends_nothing_and_says_so() {
    let fake = Fake::new(
        vec![ok(DM_OK)],
        js("{ sleep() { throw new Error('no timers'); } }"),
        "pending",
    );
    let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
    assert_eq!(
        checked(&envelope).as_deref(),
        Some("general"),
        "{}",
        text(&envelope)
    );
    assert!(
        string(&envelope, "error.data.errorDescription").contains("sleep"),
        "{}",
        text(&envelope)
    );
    assert_eq!(fake.requests().length(), 0);
}

#[wasm_bindgen_test]
async fn a_transport_that_is_not_one_gives_an_envelope() {
    for transport in [
        "undefined",
        "null",
        "42",
        "{}",
        "{ get fetch() { throw new Error('no'); }, get now() { throw new Error('no'); } }",
    ] {
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &js(transport)).await;
        assert!(
            checked(&envelope).is_some(),
            "{transport}: {}",
            text(&envelope)
        );
    }
}

#[wasm_bindgen_test]
async fn bad_send_inputs_resolve_to_envelopes_without_a_fetch() {
    let cases = [
        ("'aliyun'", "{}".to_string(), "general"),
        ("'aliyun-dm'", "undefined".into(), "invalid_config"),
        ("'aliyun-dm'", "42".into(), "invalid_config"),
        (
            "'aliyun-dm'",
            format!("{{ config: {{ accessKeySecret: '{SECRET}', templates: '{SECRET}' }} }}"),
            "invalid_config",
        ),
        (
            "'aliyun-dm'",
            "{ payload: { code: 'a\\uD800' } }".into(),
            "invalid_request_parameters",
        ),
        (
            "'aliyun-dm'",
            "{ to: 42 }".into(),
            "invalid_request_parameters",
        ),
    ];
    for (kind, extra, code) in cases {
        let fake = fake(vec![ok(DM_OK)]);
        let input = if extra.starts_with('{') {
            input("aliyun-dm", &extra)
        } else {
            js(&extra)
        };
        let promise = send_message(js(kind), input, fake.transport());
        let envelope = JsFuture::from(promise).await.unwrap();
        assert_eq!(
            checked(&envelope).as_deref(),
            Some(code),
            "{kind} {extra}: {}",
            text(&envelope)
        );
        assert!(!text(&envelope).contains(SECRET), "{extra}");
        assert_eq!(fake.requests().length(), 0, "{extra}");
    }
}

// ── A transport that misbehaves ──

/// The deadline ends the send itself: a fetch that does not honour its signal, or an answer
/// whose body is not tied to it, must not leave the send (and the Logto request) pending.
#[wasm_bindgen_test]
async fn a_fetch_or_body_that_ignores_the_signal_still_ends_at_the_deadline() {
    for (what, answer) in [("fetch", Fake::deaf()), ("body", Fake::stalled())] {
        let fake = Fake::new(vec![answer, ok(DM_OK)], JsValue::UNDEFINED, "at-once");
        let promise = send_message(
            JsValue::from_str("aliyun-dm"),
            input("aliyun-dm", "{}"),
            fake.transport(),
        );
        let outcome = JsFuture::from(settled_within(&promise, 2000))
            .await
            .unwrap();
        assert_ne!(
            outcome.as_string().as_deref(),
            Some("unsettled"),
            "{what}: the send never ended"
        );
        assert_eq!(
            checked(&outcome).as_deref(),
            Some("general"),
            "{what}: {}",
            text(&outcome)
        );
        assert_eq!(string(&outcome, "error.data.network"), "timeout", "{what}");
        assert_eq!(fake.requests().length(), 1, "{what}: resent");
    }
}

/// A sleep that returns no promise (a host that forgot `return`) sets no deadline, so nothing
/// is sent, and the error names the sleep, as for a sleep that throws.
#[wasm_bindgen_test]
async fn a_sleep_that_returns_no_promise_sends_nothing() {
    for overrides in ["{ sleep: () => undefined }", "{ sleep: () => 42 }"] {
        let fake = Fake::new(vec![Fake::silent()], js(overrides), "pending");
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("general"),
            "{overrides}: {}",
            text(&envelope)
        );
        assert_eq!(
            fake.requests().length(),
            0,
            "{overrides}: {}",
            text(&envelope)
        );
        assert!(
            string(&envelope, "error.data.errorDescription").contains("sleep"),
            "{overrides}: {}",
            text(&envelope)
        );
    }
}

/// A now() or nonce() that throws or returns garbage is the host's fault, not the caller's:
/// a general error naming the transport's call (never invalid_request_parameters, which Logto
/// answers with 400).
#[wasm_bindgen_test]
async fn a_broken_clock_or_nonce_is_reported_as_the_transports_fault() {
    let cases = [
        ("{ now() { throw new Error('no clock'); } }", "now()"),
        ("{ now: () => 'soon' }", "now()"),
        (
            "{ nonce() { throw new Error('no randomness'); } }",
            "nonce()",
        ),
        ("{ nonce: () => 42 }", "nonce()"),
    ];
    for (overrides, named) in cases {
        let fake = Fake::new(vec![ok(DM_OK)], js(overrides), "pending");
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("general"),
            "{overrides}: {}",
            text(&envelope)
        );
        let description = string(&envelope, "error.data.errorDescription");
        assert!(
            description.contains("transport") && description.contains(named),
            "{overrides}: {description}"
        );
    }
}

/// A failure that provably sent nothing (a sleep that throws, a URL undici refuses to use)
/// does not say the message may have been sent.
#[wasm_bindgen_test]
async fn a_failure_that_sent_nothing_does_not_say_it_may_have_been_sent() {
    let cases = [
        (
            Fake::new(
                vec![ok(DM_OK)],
                js("{ sleep() { throw new Error('no timers'); } }"),
                "pending",
            ),
            0,
        ),
        (
            fake(vec![
                Fake::unusable_url(),
                Fake::unusable_url(),
                Fake::unusable_url(),
            ]),
            3,
        ),
    ];
    for (fake, attempts) in cases {
        let envelope = send("aliyun-dm", &input("aliyun-dm", "{}"), &fake.transport()).await;
        assert_eq!(
            checked(&envelope).as_deref(),
            Some("general"),
            "{}",
            text(&envelope)
        );
        assert_eq!(fake.requests().length(), attempts);
        let description = string(&envelope, "error.data.errorDescription");
        assert!(!description.contains("may have been sent"), "{description}");
    }
}
