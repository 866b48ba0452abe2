//! Whole sends through a fake transport: exact form bodies (signature included, because time
//! and nonce are inputs), endpoints, template choice, error classification and retries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use aliyun_connectors::error::{Envelope, NetworkErrorKind};
use aliyun_connectors::send::MAX_ATTEMPTS;
use aliyun_connectors::transport::TransportResult;
use aliyun_connectors::{Error, Kind};
use common::{send_envelope, Fake};
use serde_json::{json, Value};

const DM_OK: &str = r#"{"EnvId":"600000123","RequestId":"REQ-1"}"#;
const SMS_OK: &str = r#"{"Code":"OK","Message":"OK","BizId":"900^1","RequestId":"REQ-2"}"#;

fn dm_config() -> serde_json::Value {
    json!({
        "accessKeyId": "testid",
        "accessKeySecret": "testsecret",
        "accountName": "noreply@mail.example.com",
        "fromAlias": "Logto 团队",
        "templates": [
            { "usageType": "SignIn", "subject": "登录验证码 {{code}}", "content": "<p>Your code is <b>{{code}}</b> ({{locale}}) 😀</p>" },
            { "usageType": "Register", "subject": "Register {{code}}", "content": "r {{code}}" },
            { "usageType": "ForgotPassword", "subject": "Reset {{code}}", "content": "f {{code}}" },
            { "usageType": "Generic", "subject": "Generic {{code}}", "content": "g {{code}}" }
        ]
    })
}

fn sms_config() -> serde_json::Value {
    json!({
        "accessKeyId": "testid",
        "accessKeySecret": "testsecret",
        "signName": "阿里云短信测试",
        "securityToken": "sts-token-value",
        "templates": [
            { "usageType": "SignIn", "templateCode": { "china": "SMS_CHINA", "overseas": "SMS_WORLD" } },
            { "usageType": "Register", "templateCode": "SMS_REG" },
            { "usageType": "ForgotPassword", "templateCode": "SMS_FP" },
            { "usageType": "Generic", "templateCode": "SMS_GEN" }
        ]
    })
}

fn sms_auth_config() -> serde_json::Value {
    let templates: Vec<serde_json::Value> = [
        ("SignIn", "100001"),
        ("Register", "100001"),
        ("ForgotPassword", "100003"),
        ("OrganizationInvitation", "100001"),
        ("Generic", "100001"),
        ("UserPermissionValidation", "100005"),
        ("BindNewIdentifier", "100002"),
        ("MfaVerification", "100001"),
        ("BindMfa", "100001"),
    ]
    .iter()
    .map(|(usage, code)| json!({ "usageType": usage, "templateCode": code }))
    .collect();
    json!({ "accessKeyId": "testid", "accessKeySecret": "testsecret", "signName": "速通互联验证码", "templates": templates })
}

fn input(config: Value, to: &str, kind: &str, payload: Value) -> Value {
    json!({ "config": config, "to": to, "type": kind, "payload": payload, "template": null })
}

fn send(kind: Kind, input: Value, fake: &Fake) -> Result<String, Error> {
    common::send(kind, &input, fake).map(|value| serde_json::to_string(&value).unwrap())
}

fn param(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

#[test]
fn dm_sign_in_goes_out_byte_for_byte() {
    let fake = Fake::new(vec![Fake::ok(200, DM_OK)]);
    let result = send(
        Kind::Dm,
        input(
            dm_config(),
            "user@example.com",
            "SignIn",
            json!({ "code": "123456", "locale": "zh-CN" }),
        ),
        &fake,
    );
    assert_eq!(
        result,
        Ok(json!({ "EnvId": "600000123", "RequestId": "REQ-1" }).to_string())
    );
    let requests = fake.requests.borrow();
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://dm.aliyuncs.com/");
    assert_eq!(
        request.headers,
        vec![("content-type", "application/x-www-form-urlencoded")]
    );
    assert_eq!(request.timeout_ms, 10_000);
    // Expected body computed independently (Python urllib.parse.quote + hmac).
    assert_eq!(
        request.body,
        "AccessKeyId=testid&AccountName=noreply%40mail.example.com&Action=SingleSendMail&AddressType=1&Format=json&FromAlias=Logto%20%E5%9B%A2%E9%98%9F&HtmlBody=%3Cp%3EYour%20code%20is%20%3Cb%3E123456%3C%2Fb%3E%20%28zh-CN%29%20%F0%9F%98%80%3C%2Fp%3E&RegionId=cn-hangzhou&ReplyToAddress=false&SignatureMethod=HMAC-SHA1&SignatureNonce=c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c&SignatureVersion=1.0&Subject=%E7%99%BB%E5%BD%95%E9%AA%8C%E8%AF%81%E7%A0%81%20123456&Timestamp=2016-10-20T06%3A27%3A56Z&ToAddress=user%40example.com&Version=2015-11-23&Signature=wfrf95JLrE9D9PgpVhSuML3iuXk%3D"
    );
}

#[test]
fn sms_with_sts_token_goes_out_byte_for_byte() {
    let fake = Fake::new(vec![Fake::ok(200, SMS_OK)]);
    let result = send(
        Kind::Sms,
        input(
            sms_config(),
            "8613912345678",
            "SignIn",
            json!({ "code": "123456", "locale": "zh-CN", "uiLocales": "zh-CN en" }),
        ),
        &fake,
    );
    assert_eq!(
        result,
        Ok(
            json!({ "Code": "OK", "Message": "OK", "RequestId": "REQ-2", "BizId": "900^1" })
                .to_string()
        )
    );
    let requests = fake.requests.borrow();
    assert_eq!(requests[0].url, "https://dysmsapi.aliyuncs.com/");
    assert_eq!(
        requests[0].body,
        "AccessKeyId=testid&Action=SendSms&Format=json&PhoneNumbers=8613912345678&RegionId=cn-hangzhou&SecurityToken=sts-token-value&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95&SignatureMethod=HMAC-SHA1&SignatureNonce=c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c&SignatureVersion=1.0&TemplateCode=SMS_CHINA&TemplateParam=%7B%22code%22%3A%22123456%22%7D&Timestamp=2016-10-20T06%3A27%3A56Z&Version=2017-05-25&Signature=F2ckouxMJL2lcl9yeSUsw%2BV8ocY%3D"
    );
}

#[test]
fn dm_regions_choose_their_hosts_and_region_ids() {
    let cases = [
        (None, "https://dm.aliyuncs.com/", "cn-hangzhou"),
        (
            Some("cn-hangzhou"),
            "https://dm.aliyuncs.com/",
            "cn-hangzhou",
        ),
        (
            Some("ap-southeast-1"),
            "https://dm.ap-southeast-1.aliyuncs.com/",
            "ap-southeast-1",
        ),
        (
            Some("ap-southeast-2"),
            "https://dm.ap-southeast-2.aliyuncs.com/",
            "ap-southeast-2",
        ),
        (
            Some("eu-central-1"),
            "https://dm.eu-central-1.aliyuncs.com/",
            "eu-central-1",
        ),
        (
            Some("us-east-1"),
            "https://dm.us-east-1.aliyuncs.com/",
            "us-east-1",
        ),
    ];
    for (region, url, region_id) in cases {
        let mut config = dm_config();
        if let Some(region) = region {
            config["regionId"] = json!(region);
        }
        let fake = Fake::new(vec![Fake::ok(200, DM_OK)]);
        let result = send(
            Kind::Dm,
            input(config, "a@b.co", "SignIn", json!({ "code": "1" })),
            &fake,
        );
        assert!(result.is_ok(), "{region:?}");
        let requests = fake.requests.borrow();
        assert_eq!(requests[0].url, url);
        assert_eq!(
            param(&requests[0].body, "RegionId").as_deref(),
            Some(region_id)
        );
    }
}

#[test]
fn sms_regions_and_endpoint_override() {
    let mut config = sms_config();
    config["regionId"] = json!("ap-southeast-1");
    let fake = Fake::new(vec![Fake::ok(200, SMS_OK)]);
    assert!(send(
        Kind::Sms,
        input(
            config.clone(),
            "14155552671",
            "Register",
            json!({ "code": "1" })
        ),
        &fake
    )
    .is_ok());
    assert_eq!(
        fake.requests.borrow()[0].url,
        "https://dysmsapi.ap-southeast-1.aliyuncs.com/"
    );
    assert_eq!(
        param(&fake.requests.borrow()[0].body, "RegionId").as_deref(),
        Some("ap-southeast-1")
    );

    config["endpoint"] = json!("http://127.0.0.1:8787");
    config["timeoutMs"] = json!(2500);
    let fake = Fake::new(vec![Fake::ok(200, SMS_OK)]);
    assert!(send(
        Kind::Sms,
        input(config, "14155552671", "Register", json!({ "code": "1" })),
        &fake
    )
    .is_ok());
    assert_eq!(fake.requests.borrow()[0].url, "http://127.0.0.1:8787/");
    assert_eq!(fake.requests.borrow()[0].timeout_ms, 2500);
}

#[test]
fn sms_template_code_follows_the_number_and_strict_mode() {
    let cases = [
        ("13912345678", false, "SMS_CHINA"),
        ("13912345678", true, "SMS_WORLD"),
        ("8613912345678", true, "SMS_CHINA"),
        ("85268326366", false, "SMS_WORLD"),
    ];
    for (to, strict, expected) in cases {
        let mut config = sms_config();
        config["strictPhoneRegionNumberCheck"] = json!(strict);
        let fake = Fake::new(vec![Fake::ok(200, SMS_OK)]);
        assert!(send(
            Kind::Sms,
            input(config, to, "SignIn", json!({ "code": "1" })),
            &fake
        )
        .is_ok());
        assert_eq!(
            param(&fake.requests.borrow()[0].body, "TemplateCode").as_deref(),
            Some(expected),
            "{to} strict={strict}"
        );
    }
}

#[test]
fn every_logto_type_falls_back_to_generic() {
    for kind in [
        "OrganizationInvitation",
        "UserPermissionValidation",
        "BindNewIdentifier",
        "MfaVerification",
        "BindMfa",
        "Generic",
        "SomeFutureType",
    ] {
        let fake = Fake::new(vec![Fake::ok(200, DM_OK)]);
        assert!(send(
            Kind::Dm,
            input(dm_config(), "a@b.co", kind, json!({ "code": "42" })),
            &fake
        )
        .is_ok());
        assert_eq!(
            param(&fake.requests.borrow()[0].body, "Subject").as_deref(),
            Some("Generic%2042"),
            "{kind}"
        );
    }
}

#[test]
fn i18n_template_wins_with_send_from_reply_to_and_plain_text() {
    let mut request = input(dm_config(), "a@b.co", "SignIn", json!({ "code": "777" }));
    request["template"] = json!({ "subject": "Código {{code}}", "content": "plain {{code}}", "contentType": "text/plain", "replyTo": "help@example.com", "sendFrom": "Équipe" });
    let fake = Fake::new(vec![Fake::ok(200, DM_OK)]);
    assert!(send(Kind::Dm, request, &fake).is_ok());
    let body = &fake.bodies()[0];
    assert_eq!(param(body, "Subject").as_deref(), Some("C%C3%B3digo%20777"));
    assert_eq!(param(body, "TextBody").as_deref(), Some("plain%20777"));
    assert_eq!(param(body, "HtmlBody"), None);
    assert_eq!(param(body, "FromAlias").as_deref(), Some("%C3%89quipe"));
    assert_eq!(
        param(body, "ReplyAddress").as_deref(),
        Some("help%40example.com")
    );
}

#[test]
fn template_not_found_without_generic() {
    let mut config = dm_config();
    config["templates"][3]["usageType"] = json!("Generic");
    let templates_without_generic = json!([
        { "usageType": "SignIn", "subject": "s", "content": "c" }
    ]);
    let fake = Fake::new(vec![]);
    // A config without the required types is rejected first…
    config["templates"] = templates_without_generic;
    let error = send(
        Kind::Dm,
        input(config, "a@b.co", "BindMfa", json!({})),
        &fake,
    );
    assert_eq!(error.map_err(|e| e.code()), Err("invalid_config"));
    // …and a valid one whose Generic is language-specific still finds it as a last resort,
    // so template_not_found needs no template of the type at all:
    let mut request = input(sms_config(), "13912345678", "BindMfa", json!({}));
    request["config"]["templates"] = json!([
        { "usageType": "SignIn", "templateCode": "A" }, { "usageType": "Register", "templateCode": "B" },
        { "usageType": "ForgotPassword", "templateCode": "C" }, { "usageType": "Generic", "templateCode": "D", "locale": "fr" }
    ]);
    let fake = Fake::new(vec![Fake::ok(200, SMS_OK)]);
    assert!(send(Kind::Sms, request, &fake).is_ok());
    assert_eq!(fake.requests.borrow().len(), 1);
}

#[test]
fn errors_are_classified_by_code() {
    let cases: Vec<(Kind, u16, &str, &str)> = vec![
        (
            Kind::Dm,
            404,
            r#"{"RequestId":"R","HostId":"dm.aliyuncs.com","Code":"InvalidMailAddress.NotFound","Message":"The specified mail address is not found.","Recommend":"https://x"}"#,
            "invalid_config",
        ),
        (
            Kind::Dm,
            400,
            r#"{"RequestId":"R","Code":"InvalidSendMail.Spam","Message":"spam"}"#,
            "usage_limit_exceeded",
        ),
        (
            Kind::Dm,
            400,
            r#"{"RequestId":"R","Code":"InvalidToAddress","Message":"bad"}"#,
            "invalid_request_parameters",
        ),
        (
            Kind::Dm,
            400,
            r#"{"RequestId":"R","Code":"Throttling.User","Message":"flow"}"#,
            "rate_limit_exceeded",
        ),
        (
            Kind::Dm,
            400,
            r#"{"RequestId":"R","Code":"SomethingNew","Message":"new"}"#,
            "general",
        ),
        (
            Kind::Dm,
            502,
            "<html><body>Bad Gateway</body></html>",
            "invalid_response",
        ),
        (Kind::Dm, 200, r#"{"RequestId":"R"}"#, "invalid_response"),
        (Kind::Dm, 200, r#"{"EnvId":"1","Requ"#, "invalid_response"),
        (
            Kind::Sms,
            200,
            r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1","RequestId":"R"}"#,
            "rate_limit_exceeded",
        ),
        (
            Kind::Sms,
            200,
            r#"{"Code":"isv.AMOUNT_NOT_ENOUGH","Message":"m","RequestId":"R"}"#,
            "usage_limit_exceeded",
        ),
        (
            Kind::Sms,
            200,
            r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"m","RequestId":"R"}"#,
            "invalid_request_parameters",
        ),
        (
            Kind::Sms,
            200,
            r#"{"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"m","RequestId":"R"}"#,
            "invalid_config",
        ),
        (
            Kind::Sms,
            400,
            r#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","RequestId":"R"}"#,
            "invalid_config",
        ),
        (Kind::Sms, 200, "not json", "invalid_response"),
        (Kind::Sms, 200, "[1,2]", "invalid_response"),
        (Kind::Sms, 500, "", "invalid_response"),
    ];
    for (kind, status, body, code) in cases {
        let (config, to) = match kind {
            Kind::Dm => (dm_config(), "a@b.co"),
            Kind::Sms => (sms_config(), "13912345678"),
            Kind::SmsAuth => (sms_auth_config(), "8613912345678"),
        };
        let fake = Fake::new(vec![Fake::ok(status, body)]);
        let result = send(
            kind,
            input(config, to, "SignIn", json!({ "code": "1" })),
            &fake,
        );
        let error = result.err();
        assert_eq!(
            error.as_ref().map(Error::code),
            Some(code),
            "{status} {body}"
        );
        assert_eq!(fake.requests.borrow().len(), 1, "no retry for {body}");
        let data = error
            .map(|e| serde_json::to_value(e.data()).unwrap())
            .unwrap_or_default();
        assert!(data["errorDescription"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
        if body.contains("\"Message\"") && status != 200 || body.contains("isv.") {
            assert!(
                data["Code"].is_string() && data["Message"].is_string() && data["RequestId"] == "R",
                "{data}"
            );
            let message = data["Message"].as_str().unwrap_or_default();
            assert!(data["errorDescription"]
                .as_str()
                .unwrap_or_default()
                .contains(message));
        }
    }
}

#[test]
fn retries_only_when_aliyun_provably_did_not_take_the_message() {
    let unavailable = r#"{"Code":"ServiceUnavailable","Message":"busy","RequestId":"R"}"#;
    let throttled_api = r#"{"Code":"Throttling.Api","Message":"api flow","RequestId":"R"}"#;
    let internal = r#"{"Code":"InternalError","Message":"oops","RequestId":"R"}"#;
    let cases: Vec<(Vec<TransportResult>, usize, Option<&str>)> = vec![
        (
            vec![
                Fake::net(NetworkErrorKind::Refused, false),
                Fake::ok(200, DM_OK),
            ],
            2,
            None,
        ),
        (
            vec![
                Fake::net(NetworkErrorKind::Dns, false),
                Fake::ok(503, unavailable),
                Fake::ok(200, DM_OK),
            ],
            3,
            None,
        ),
        (
            vec![Fake::ok(400, throttled_api), Fake::ok(200, DM_OK)],
            2,
            None,
        ),
        (
            vec![Fake::ok(503, unavailable); 5],
            MAX_ATTEMPTS as usize,
            Some("general"),
        ),
        (
            vec![
                Fake::net(NetworkErrorKind::Timeout, true),
                Fake::ok(200, DM_OK),
            ],
            1,
            Some("general"),
        ),
        (
            vec![
                Fake::net(NetworkErrorKind::Reset, true),
                Fake::ok(200, DM_OK),
            ],
            1,
            Some("general"),
        ),
        (
            vec![Fake::ok(500, internal), Fake::ok(200, DM_OK)],
            1,
            Some("general"),
        ),
        (
            vec![Fake::ok(500, ""), Fake::ok(200, DM_OK)],
            1,
            Some("invalid_response"),
        ),
        (
            vec![
                Fake::ok(
                    400,
                    r#"{"Code":"Throttling.User","Message":"m","RequestId":"R"}"#,
                ),
                Fake::ok(200, DM_OK),
            ],
            1,
            Some("rate_limit_exceeded"),
        ),
    ];
    for (answers, attempts, code) in cases {
        let fake = Fake::new(answers);
        let result = send(
            Kind::Dm,
            input(dm_config(), "a@b.co", "SignIn", json!({ "code": "1" })),
            &fake,
        );
        assert_eq!(result.as_ref().err().map(Error::code), code);
        let bodies = fake.bodies();
        assert_eq!(bodies.len(), attempts, "{code:?}");
        // Each attempt is signed anew with its own nonce and timestamp.
        let nonces: Vec<Option<String>> =
            bodies.iter().map(|b| param(b, "SignatureNonce")).collect();
        let mut unique = nonces.clone();
        unique.dedup();
        assert_eq!(unique.len(), nonces.len());
        assert_eq!(fake.sleeps.borrow().len(), attempts - 1);
    }
}

#[test]
fn invalid_configs_list_every_issue_by_path() {
    let cases: Vec<(Kind, serde_json::Value, Vec<&str>)> = vec![
        (Kind::Dm, json!(null), vec![""]),
        (
            Kind::Dm,
            json!({}),
            vec!["accessKeyId", "accessKeySecret", "accountName", "templates"],
        ),
        (
            Kind::Dm,
            json!({ "accessKeyId": 1, "accessKeySecret": "s", "accountName": "a", "regionId": "cn-beijing", "fromAlias": null,
            "templates": [{ "usageType": "Signin", "subject": "s" }, 5, { "usageType": "Register", "subject": "s", "content": "c", "contentType": "text/markdown", "locale": "not a tag" }] }),
            vec![
                "accessKeyId",
                "regionId",
                "fromAlias",
                "templates[0].content",
                "templates[1]",
                "templates[2].locale",
                "templates[2].contentType",
                "templates",
            ],
        ),
        (
            Kind::Sms,
            json!({ "accessKeyId": "i", "accessKeySecret": "s", "signName": "n", "strictPhoneRegionNumberCheck": "yes", "endpoint": "http://example.com", "timeoutMs": 999,
            "templates": [{ "usageType": "SignIn", "templateCode": { "china": "A" }, "type": 3 }] }),
            vec![
                "templates[0].type",
                "templates[0].templateCode.overseas",
                "templates",
                "strictPhoneRegionNumberCheck",
                "endpoint",
                "timeoutMs",
            ],
        ),
    ];
    for (kind, config, paths) in cases {
        let fake = Fake::new(vec![]);
        let error = send(kind, input(config, "a@b.co", "SignIn", json!({})), &fake).err();
        let data = error
            .as_ref()
            .map(|e| serde_json::to_value(e.data()).unwrap())
            .unwrap_or_default();
        assert_eq!(error.as_ref().map(Error::code), Some("invalid_config"));
        let found: Vec<&str> = data["issues"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["path"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(found, paths, "{data}");
        assert!(fake.requests.borrow().is_empty());
    }
}

#[test]
fn missing_usage_types_are_listed_at_once_with_a_suggestion() {
    let config = json!({ "accessKeyId": "i", "accessKeySecret": "s", "accountName": "a",
        "templates": [{ "usageType": "Signin", "subject": "s", "content": "c" }, { "usageType": "Generic", "subject": "s", "content": "c" }] });
    let error = aliyun_connectors::config::validate_dm(&config).err();
    let description = error.map(|e| e.description()).unwrap_or_default();
    assert!(
        description.contains("missing: Register, SignIn, ForgotPassword"),
        "{description}"
    );
    assert!(
        description.contains("did you mean \"SignIn\""),
        "{description}"
    );
}

#[test]
fn official_configs_stay_valid() {
    // Shapes the official guards accept: extra keys, empty strings, type given as a number.
    let dm = json!({ "accessKeyId": "", "accessKeySecret": "", "accountName": "", "regionId": "us-east-1", "somethingElse": [1],
        "templates": [ { "usageType": "SignIn", "subject": "", "content": "", "extra": true },
            { "usageType": "Register", "subject": "s", "content": "c" }, { "usageType": "ForgotPassword", "subject": "s", "content": "c" },
            { "usageType": "Generic", "subject": "s", "content": "c" }, { "usageType": "AnythingElse", "subject": "s", "content": "c" } ] });
    assert!(aliyun_connectors::config::validate_dm(&dm).is_ok());
    let sms = json!({ "accessKeyId": "i", "accessKeySecret": "s", "signName": "n", "strictPhoneRegionNumberCheck": true,
        "templates": [ { "usageType": "SignIn", "templateCode": "A", "type": 0 }, { "usageType": "Register", "templateCode": { "china": "B", "overseas": "C", "x": 1 }, "type": 7 },
            { "usageType": "ForgotPassword", "templateCode": "D", "type": 6 }, { "usageType": "Generic", "templateCode": "E", "type": 1 } ] });
    assert!(aliyun_connectors::config::validate_sms(&sms).is_ok());
}

#[test]
fn endpoints_are_https_or_loopback_http() {
    use aliyun_connectors::config::{parse_endpoint, DM_ENDPOINT_EXAMPLE};
    for good in [
        "https://dm-vpc.cn-hangzhou.aliyuncs.com",
        "https://x.example.com:8443/base/",
        "http://127.0.0.1:8787/",
        "http://localhost:1",
        "http://[::1]:9000",
        "HTTP://127.1.2.3",
    ] {
        assert!(parse_endpoint(good, DM_ENDPOINT_EXAMPLE).is_ok(), "{good}");
    }
    for bad in [
        "http://10.0.0.1/",
        "http://example.com",
        "ftp://x",
        "dm.aliyuncs.com",
        "https://",
        "https://a b",
        "https://u:p@host/",
        "https://h/?q=1",
        "https://h:0/",
        "https://h:99999/",
        "http://127.0.0.1.evil.com/",
        "http://sandbox.localhost/",
        "http://a.b.localhost:8787/",
    ] {
        assert!(parse_endpoint(bad, DM_ENDPOINT_EXAMPLE).is_err(), "{bad}");
    }
    assert_eq!(
        parse_endpoint("https://h.example.com", DM_ENDPOINT_EXAMPLE).map(|e| e.url),
        Ok("https://h.example.com/".to_string())
    );
}

#[test]
fn limits_are_checked_before_sending() {
    let mut config = dm_config();
    config["fromAlias"] = json!("An alias that is far too long");
    let fake = Fake::new(vec![]);
    let error = send(
        Kind::Dm,
        input(config, "a@b.co", "SignIn", json!({ "code": "1" })),
        &fake,
    )
    .err();
    assert_eq!(error.map(|e| e.code()), Some("invalid_config"));
    let mut config = dm_config();
    config["templates"][0]["subject"] = json!("长".repeat(101));
    let error = send(
        Kind::Dm,
        input(config, "a@b.co", "SignIn", json!({ "code": "1" })),
        &fake,
    )
    .err();
    assert_eq!(error.map(|e| e.code()), Some("invalid_config"));
    // A body past Direct Mail's size limit is refused before it is encoded and signed.
    let huge = "x".repeat(aliyun_connectors::dm::MAX_BODY_BYTES + 1);
    let mut config = dm_config();
    config["templates"][0]["subject"] = json!("Sign in");
    let error = send(
        Kind::Dm,
        input(config, "a@b.co", "SignIn", json!({ "code": huge })),
        &fake,
    )
    .err();
    assert_eq!(error.map(|e| e.code()), Some("invalid_request_parameters"));
    assert!(fake.requests.borrow().is_empty());
    for to in ["", "a@b.co,c@d.co", "a @b.co"] {
        let error = send(Kind::Dm, input(dm_config(), to, "SignIn", json!({})), &fake).err();
        assert_eq!(
            error.map(|e| e.code()),
            Some("invalid_request_parameters"),
            "{to:?}"
        );
    }
    assert!(fake.requests.borrow().is_empty());
}

#[test]
fn secrets_never_reach_error_data() {
    let secret = "SUPER-SECRET-VALUE-123";
    let token = "STS-TOKEN-VALUE-456";
    let mut config = sms_config();
    config["accessKeySecret"] = json!(secret);
    config["securityToken"] = json!(token);
    // Even an answer that quotes the secret back (a hostile proxy) is scrubbed.
    let echo = format!(r#"{{"Code":"X","Message":"echo {secret} {token}","RequestId":"R"}}"#);
    let answers = vec![
        Fake::ok(400, &echo),
        Fake::ok(200, &format!("garbage {secret}")),
        Fake::net(NetworkErrorKind::Timeout, true),
    ];
    for answer in answers {
        let request = input(
            config.clone(),
            "13912345678",
            "SignIn",
            json!({ "code": "1" }),
        );
        let fake = Fake::new(vec![answer]);
        let shown = send_envelope(Kind::Sms, &request, &fake);
        assert!(shown.contains("\"ok\":false"));
        assert!(!shown.contains(secret) && !shown.contains(token), "{shown}");
    }
    // Aliyun's SignatureDoesNotMatch quotes its string to sign, where a token with reserved
    // characters (STS tokens carry '/', '+' and '=') appears percent-encoded once and twice.
    let token = "CAIS+sts/Token=value==";
    config["securityToken"] = json!(token);
    let once = aliyun_connectors::pop::encode::percent_encode(token);
    let twice = aliyun_connectors::pop::encode::percent_encode(&once);
    let echo = format!(
        r#"{{"Code":"SignatureDoesNotMatch","Message":"server string to sign is:POST&%2F&SecurityToken%3D{twice} and {once}","RequestId":"R"}}"#
    );
    let request = input(
        config.clone(),
        "13912345678",
        "SignIn",
        json!({ "code": "1" }),
    );
    let fake = Fake::new(vec![Fake::ok(400, &echo)]);
    let shown = send_envelope(Kind::Sms, &request, &fake);
    assert!(shown.contains("SignatureDoesNotMatch"), "{shown}");
    for form in [
        token,
        once.as_str(),
        twice.as_str(),
        "sts/Token",
        "sts%2FToken",
        "sts%252FToken",
    ] {
        assert!(!shown.contains(form), "{form} in {shown}");
    }
    let mut bad = config.clone();
    bad["templates"] = json!(secret);
    let shown = serde_json::to_string(&Envelope::of(
        aliyun_connectors::config::validate_sms(&bad).map(|_| Value::Null),
        &[],
    ))
    .unwrap();
    assert!(!shown.contains(secret), "{shown}");
}

#[test]
fn verification_templates_refuse_values_aliyun_would_refuse() {
    // Default type 2 (verification code): only letters and digits.
    for payload in [
        json!({ "code": "12 34" }),
        json!({ "code": "123456", "link": "https://x.example/a" }),
        json!({ "code": "" }),
    ] {
        let fake = Fake::new(vec![]);
        let error = send(
            Kind::Sms,
            input(sms_config(), "13912345678", "Register", payload.clone()),
            &fake,
        )
        .err();
        assert_eq!(
            error.as_ref().map(Error::code),
            Some("invalid_request_parameters"),
            "{payload}"
        );
        assert!(error
            .map(|e| e.description())
            .unwrap_or_default()
            .contains("set its type to 0"));
        assert!(fake.requests.borrow().is_empty());
    }
    // A notification template (type 0) takes any string.
    let mut config = sms_config();
    config["templates"][1]["type"] = json!(0);
    let fake = Fake::new(vec![Fake::ok(200, SMS_OK)]);
    assert!(send(
        Kind::Sms,
        input(
            config,
            "13912345678",
            "Register",
            json!({ "code": "123456", "link": "https://x.example/a" })
        ),
        &fake
    )
    .is_ok());
    assert_eq!(
        param(&fake.bodies()[0], "TemplateParam").as_deref(),
        Some("%7B%22code%22%3A%22123456%22%2C%22link%22%3A%22https%3A%2F%2Fx.example%2Fa%22%7D")
    );
}

/// Each encoding a server may quote a request value in (what `src/redact.rs` covers).
fn quoted_forms(value: &str) -> Vec<String> {
    let once = aliyun_connectors::pop::encode::percent_encode(value);
    let twice = aliyun_connectors::pop::encode::percent_encode(&once);
    let json = serde_json::Value::from(value).to_string();
    vec![
        value.to_string(),
        once,
        twice,
        json.trim_matches('"').to_string(),
    ]
}

/// Aliyun's answer to a wrong secret quotes its string to sign, which holds every parameter;
/// a server may echo the request in other messages and fields too. None of it comes back.
#[test]
fn what_the_request_carried_never_comes_back_in_an_error() {
    let dm_payload = json!({ "code": "Q123456X", "extra": { "name": "CTXVALUE7" } });
    let sms_payload = json!({ "code": "Q123456X", "extraField": "EXTRAVAL9" });
    let mut dm_cfg = dm_config();
    dm_cfg["templates"][0]["content"] = json!("<p>MARKERWORD {{code}} {{extra.name}}</p>");
    dm_cfg["templates"][0]["subject"] = json!("SUBJECTMARK {{code}}");
    for (kind, input) in [
        (
            Kind::Dm,
            input(dm_cfg, "user@example.com", "SignIn", dm_payload),
        ),
        (
            Kind::Sms,
            input(sms_config(), "13912345678", "SignIn", sms_payload),
        ),
    ] {
        let probe = Fake::new(vec![Fake::ok(200, "{}")]);
        let _ = send(kind, input.clone(), &probe);
        let body = probe.bodies()[0].clone();
        let canonical = body.split("&Signature=").next().unwrap().to_string();
        let string_to_sign = format!(
            "POST&%2F&{}",
            aliyun_connectors::pop::encode::percent_encode(&canonical)
        );
        let echo = format!("server string to sign is:{string_to_sign}");
        let answers = [
            Fake::ok(400, &json!({ "Code": "SignatureDoesNotMatch", "Message": format!("Specified signature is not matched with our calculation. {echo}"), "RequestId": "R-1" }).to_string()),
            Fake::ok(400, &json!({ "Code": "InvalidParameter", "Message": format!("bad request {body} / {canonical}"), "RequestId": "R-2", "HostId": body, "Recommend": canonical }).to_string()),
            Fake::ok(200, &json!({ "Code": "isv.INVALID_PARAMETERS", "Message": format!("{:?}", aliyun_connectors::pop::encode::form_pairs(&body).collect::<Vec<_>>()), "RequestId": "R-3" }).to_string()),
            Fake::ok(502, &format!("<html>echo {body}</html>")),
            Fake::ok(500, &json!({ "echo": aliyun_connectors::pop::encode::form_pairs(&body).map(|(_, v)| v).collect::<Vec<_>>() }).to_string()),
        ];
        for answer in answers {
            let fake = Fake::new(vec![answer.clone()]);
            let shown = send_envelope(kind, &input, &fake);
            for needle in [
                "Q123456X",
                "MARKERWORD",
                "SUBJECTMARK",
                "CTXVALUE7",
                "EXTRAVAL9",
            ] {
                for form in quoted_forms(needle) {
                    assert!(
                        !shown.contains(&form),
                        "{kind:?} {answer:?}: {form} in {shown}"
                    );
                }
            }
            assert!(!shown.contains("string to sign"), "{shown}");
        }
    }
}

/// Each connector's endpoint messages name a host of its own service.
#[test]
fn endpoint_messages_give_an_example_of_their_own_service() {
    use aliyun_connectors::config::{validate_dm, validate_sms};
    let mut dm = dm_config();
    dm["endpoint"] = json!("ftp://x");
    let mut sms = sms_config();
    sms["endpoint"] = json!("ftp://x");
    let dm_error = validate_dm(&dm).unwrap_err().description();
    let sms_error = validate_sms(&sms).unwrap_err().description();
    assert!(
        dm_error.contains("https://dm-vpc.cn-hangzhou.aliyuncs.com"),
        "{dm_error}"
    );
    assert!(
        sms_error.contains("https://dysmsapi.") && !sms_error.contains("dm-vpc"),
        "{sms_error}"
    );
}

/// The same request as `@logto/connector-aliyun-sms-mas` 1.1.2 sends for the same input, time
/// and nonce (captured from the official package: every parameter, and its signature).
#[test]
fn sms_auth_goes_out_as_the_official_connector_sends_it() {
    use aliyun_connectors::send::Send;
    use aliyun_connectors::transport::Stamp;
    let mut config = sms_auth_config();
    config["accessKeyId"] = json!("LTAI5tTestAccessKeyId");
    config["accessKeySecret"] = json!("testAccessKeySecret");
    let input = input(
        config,
        "+8613012345678",
        "SignIn",
        json!({ "code": "123456", "locale": "zh-CN" }),
    );
    let send = Send::new(Kind::SmsAuth, &input["config"], &input).unwrap();
    // 2026-12-06T04:35:35Z
    let stamp = Stamp {
        now_ms: 1_796_531_735_000.0,
        nonce: "f78a3bcb-fba8-485c-b273-81629ac9cc3b".into(),
    };
    let request = send.plan(&stamp).unwrap();
    assert_eq!(request.url, "https://dypnsapi.aliyuncs.com/");
    let mut sent: Vec<(String, String)> = aliyun_connectors::pop::encode::form_pairs(&request.body)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    sent.sort();
    let mut official: Vec<(String, String)> = [
        ("Action", "SendSmsVerifyCode"),
        ("Format", "json"),
        ("RegionId", "cn-hangzhou"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2017-05-25"),
        ("AccessKeyId", "LTAI5tTestAccessKeyId"),
        ("CountryCode", "86"),
        ("PhoneNumber", "13012345678"),
        ("SignName", "速通互联验证码"),
        ("TemplateCode", "100001"),
        ("TemplateParam", r#"{"code":"123456","min":"10"}"#),
        ("SignatureNonce", "f78a3bcb-fba8-485c-b273-81629ac9cc3b"),
        ("Timestamp", "2026-12-06T04:35:35Z"),
        ("Signature", "8EhB/34sKXodtiyu0LylO7RUaOk="),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    official.sort();
    assert_eq!(sent, official);
}

#[test]
fn sms_auth_sends_only_to_mainland_mobiles_and_classifies_its_codes() {
    for to in [
        "13912345678",
        "+85291234567",
        "8612345678901",
        "+1 650 253 0000",
    ] {
        let fake = Fake::new(vec![]);
        let error = send(
            Kind::SmsAuth,
            input(sms_auth_config(), to, "SignIn", json!({ "code": "123456" })),
            &fake,
        )
        .err();
        assert_eq!(
            error.as_ref().map(Error::code),
            Some("invalid_request_parameters"),
            "{to}"
        );
        assert!(error.unwrap().description().contains("mainland China"));
        assert!(fake.requests.borrow().is_empty());
    }
    let ok = r#"{"Message":"成功","RequestId":"R","Model":{"BizId":"biz-1","RequestId":"m"},"Code":"OK","Success":true}"#;
    let fake = Fake::new(vec![Fake::ok(200, ok)]);
    let result = send(
        Kind::SmsAuth,
        input(
            sms_auth_config(),
            "8613912345678",
            "BindMfa",
            json!({ "code": "123456", "locale": "en", "uiLocales": "en fr" }),
        ),
        &fake,
    );
    assert_eq!(
        result,
        Ok(
            json!({ "Code": "OK", "Message": "成功", "RequestId": "R", "BizId": "biz-1" })
                .to_string()
        )
    );
    let body = fake.bodies()[0].clone();
    assert!(
        body.contains("TemplateParam=%7B%22code%22%3A%22123456%22%2C%22min%22%3A%2210%22%7D"),
        "{body}"
    );
    assert!(
        body.contains("TemplateCode=100001&") && body.contains("PhoneNumber=13912345678&"),
        "{body}"
    );
    for (status, code, expected) in [
        (400, "BUSINESS_LIMIT_CONTROL", "rate_limit_exceeded"),
        (400, "FREQUENCY_FAIL", "rate_limit_exceeded"),
        (200, "biz.FREQUENCY", "rate_limit_exceeded"),
        (400, "MOBILE_NUMBER_ILLEGAL", "invalid_request_parameters"),
        (400, "FUNCTION_NOT_OPENED", "invalid_config"),
        (400, "INVALID_PARAMETERS", "invalid_config"),
        (200, "isv.AMOUNT_NOT_ENOUGH", "usage_limit_exceeded"),
    ] {
        let answer =
            json!({ "Code": code, "Message": "m", "RequestId": "R", "Success": false }).to_string();
        let fake = Fake::new(vec![Fake::ok(status, &answer)]);
        let error = send(
            Kind::SmsAuth,
            input(
                sms_auth_config(),
                "8613912345678",
                "SignIn",
                json!({ "code": "1" }),
            ),
            &fake,
        )
        .err();
        assert_eq!(error.map(|e| e.code()), Some(expected), "{code}");
    }
    let mut longer = sms_auth_config();
    longer["codeValidityMinutes"] = json!(5);
    let fake = Fake::new(vec![Fake::ok(200, ok)]);
    assert!(send(
        Kind::SmsAuth,
        input(
            longer,
            "8613912345678",
            "SignIn",
            json!({ "code": "123456" })
        ),
        &fake
    )
    .is_ok());
    assert!(fake.bodies()[0].contains("%22min%22%3A%225%22"));
}

/// Every config the official guard refuses is refused, with a path; every one it accepts is
/// accepted (the cases run through `@logto/connector-aliyun-sms-mas` 1.1.2's own guard).
#[test]
fn sms_auth_configs_agree_with_the_official_guard() {
    use aliyun_connectors::config::validate_sms_auth;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/sms-auth-official-guard.json");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let config = case.get("config").cloned().unwrap_or(Value::Null);
        let ours = validate_sms_auth(&config);
        let official_accepts = case["official"]["success"].as_bool().unwrap();
        assert_eq!(
            ours.is_ok(),
            official_accepts,
            "{}: {:?}",
            case["name"],
            ours.err()
        );
        if let Err(aliyun_connectors::Error::InvalidConfig { issues }) = ours {
            assert!(
                !issues.is_empty() && issues.iter().all(|issue| !issue.message.is_empty()),
                "{}",
                case["name"]
            );
            // Every path the official guard names, ours names too (`templates.0.x` is `templates[0].x`).
            for official in case["official"]["issues"].as_array().into_iter().flatten() {
                let path = official["path"].as_array().unwrap().iter().fold(
                    String::new(),
                    |path, part| match part {
                        Value::Number(index) => format!("{path}[{index}]"),
                        key if path.is_empty() => key.as_str().unwrap().to_string(),
                        key => format!("{path}.{}", key.as_str().unwrap()),
                    },
                );
                assert!(
                    issues.iter().any(|issue| issue.path == path),
                    "{}: no issue at {path:?} in {issues:?}",
                    case["name"]
                );
            }
        }
    }
}
