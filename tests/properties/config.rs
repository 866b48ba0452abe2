//! Config validation: never panics, answers Ok or issues by path, never a secret.

use aliyun_connectors::config::{
    parse_endpoint, validate_dm, validate_sms, validate_sms_auth, DM_ENDPOINT_EXAMPLE,
    MAX_TIMEOUT_MS, MIN_TIMEOUT_MS,
};
use aliyun_connectors::{Error, Kind};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use super::generators::*;
use super::harness::*;

pub fn string_leaves_containing(value: &Value, needle: &str) -> usize {
    match value {
        Value::String(text) => usize::from(text.contains(needle)),
        Value::Array(items) => items
            .iter()
            .map(|item| string_leaves_containing(item, needle))
            .sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, item)| {
                usize::from(key.contains(needle)) + string_leaves_containing(item, needle)
            })
            .sum(),
        _ => 0,
    }
}

pub fn is_loopback_url(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or_default();
    let authority = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default().to_string()
    };
    host == "localhost"
        || host == "[::1]"
        || (host.starts_with("127.")
            && host.split('.').count() == 4
            && host.split('.').all(|o| o.parse::<u8>().is_ok()))
}

/// The invariants of validation, for any value: Ok or InvalidConfig with messages; the
/// secrets of the config never in the error as the boundary returns it, nor in the raw error
/// when the secret is nowhere but in its own field; http:// only for loopback.
pub fn check_config(kind: Kind, config: &Value) -> Result<(), TestCaseError> {
    let parsed = config.clone();
    let result = match kind {
        Kind::Dm => validate_dm(&parsed).map(|c| (c.common.endpoint, c.common.timeout_ms)),
        Kind::Sms => validate_sms(&parsed).map(|c| (c.common.endpoint, c.common.timeout_ms)),
        Kind::SmsAuth => {
            validate_sms_auth(&parsed).map(|c| (c.common.endpoint, c.common.timeout_ms))
        }
    };
    match result {
        Ok((endpoint, timeout_ms)) => {
            prop_assert!(
                (MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&timeout_ms),
                "timeout {timeout_ms}"
            );
            if let Some(endpoint) = endpoint {
                prop_assert!(
                    endpoint.url.starts_with("https://") || is_loopback_url(&endpoint.url),
                    "accepted a non-loopback http endpoint: {}",
                    endpoint.url
                );
            }
            Ok(())
        }
        Err(error) => {
            let Error::InvalidConfig { issues } = &error else {
                return Err(fail(format!(
                    "validation answered something else than InvalidConfig: {error:?}"
                )));
            };
            prop_assert!(!issues.is_empty(), "InvalidConfig without issues");
            for issue in issues {
                prop_assert!(
                    !issue.message.is_empty(),
                    "an issue without a message at {:?}",
                    issue.path
                );
            }
            prop_assert_eq!(error.code(), "invalid_config");
            let data = error.data();
            prop_assert!(!data.error_description.is_empty());
            let raw = serde_json::to_string(&data).unwrap();
            let boundary = boundary_error(error, config);
            for (field, secret) in [("accessKeySecret", SECRET), ("securityToken", TOKEN)] {
                if config.get(field).and_then(Value::as_str) != Some(secret) {
                    continue;
                }
                prop_assert!(
                    !boundary.contains(secret),
                    "{field} in the error envelope: {boundary}"
                );
                if string_leaves_containing(config, secret) == 1 {
                    prop_assert!(
                        !raw.contains(secret),
                        "{field} in the raw error data: {raw}"
                    );
                }
            }
            Ok(())
        }
    }
}

pub fn replay_config(input: &Value) -> Result<(), TestCaseError> {
    let config = input.get("config").unwrap_or(&Value::Null);
    check_config(kind_of(input), config)?;
    // Corpus configs are checked by both validators: a config for one kind is hostile input for the other.
    check_config(Kind::Dm, config)?;
    check_config(Kind::Sms, config)?;
    check_config(Kind::SmsAuth, config)?;
    if let Some(expected) = input.get("valid").and_then(Value::as_bool) {
        let valid = match kind_of(input) {
            Kind::Dm => validate_dm(config).is_ok(),
            Kind::Sms => validate_sms(config).is_ok(),
            Kind::SmsAuth => validate_sms_auth(config).is_ok(),
        };
        prop_assert_eq!(valid, expected, "validity of the corpus config");
    }
    Ok(())
}

#[test]
fn config_validation_never_panics_on_arbitrary_json() {
    property(
        "config_validation_arbitrary_json",
        "config",
        replay_config,
        (any::<bool>(), prop_oneof![arb_json(), arb_config_shaped()]),
        |(sms, config)| check_config(if sms { Kind::Sms } else { Kind::Dm }, &config),
    );
}

#[test]
fn config_validation_of_mutated_valid_configs() {
    for variant in 0..3 {
        assert!(validate_dm(&dm_base(variant)).is_ok(), "dm base {variant}");
        assert!(
            validate_sms(&sms_base(variant)).is_ok(),
            "sms base {variant}"
        );
    }
    property(
        "config_validation_mutated_valid",
        "config-mutated",
        |_| Ok(()),
        arb_mutated_config(),
        |(kind, config)| check_config(kind, &config),
    );
}

pub fn check_endpoint(text: &str) -> Result<(), TestCaseError> {
    match parse_endpoint(text, DM_ENDPOINT_EXAMPLE) {
        Ok(endpoint) => {
            prop_assert!(
                endpoint.url.starts_with("https://") || is_loopback_url(&endpoint.url),
                "accepted {text:?} as {}",
                endpoint.url
            );
            let authority = endpoint
                .url
                .split_once("://")
                .map_or("", |(_, rest)| rest.split('/').next().unwrap_or_default());
            prop_assert!(
                !authority.contains('@'),
                "credentials in the accepted endpoint {}",
                endpoint.url
            );
            prop_assert!(
                !endpoint
                    .url
                    .contains(|c: char| c.is_whitespace() || c.is_control()),
                "spaces in the accepted endpoint {:?}",
                endpoint.url
            );
        }
        Err(message) => {
            prop_assert!(!message.is_empty());
            let lower = text.to_ascii_lowercase();
            if lower.starts_with("http://")
                && !message.contains("port")
                && !message.contains("credentials")
            {
                prop_assert!(
                    message.contains("loopback"),
                    "the refusal of {text:?} does not say http is only for loopback: {message}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn endpoints_are_https_or_loopback_http() {
    let hosts = prop::sample::select(
        &[
            "127.0.0.1",
            "127.255.255.254",
            "localhost",
            "LOCALHOST",
            "sandbox.localhost",
            "[::1]",
            "[::2]",
            "example.com",
            "10.0.0.1",
            "192.168.1.1",
            "127.0.0.1.example.com",
            "localhost.example.com",
            "127.1",
            "0x7f.0.0.1",
            "2130706433",
            "127.000.000.001",
            "127.0.0.256",
            "[::ffff:127.0.0.1]",
            "0.0.0.0",
            "localhost.",
            "",
            "dm.aliyuncs.com",
        ][..],
    );
    let ports = prop::sample::select(
        &[
            "", ":80", ":8787", ":0", ":65535", ":65536", ":", ":abc", ":1:2",
        ][..],
    );
    let paths = prop::sample::select(&["", "/", "/x/y", "?q", "#f", "/a b", "\\x", "/%2e%2e/"][..]);
    let schemes = prop::sample::select(
        &[
            "http://", "https://", "HTTP://", "Https://", "ftp://", "http:/", "",
        ][..],
    );
    let structured = (
        schemes,
        prop::option::of(Just("user:pw@")),
        hosts,
        ports,
        paths,
    )
        .prop_map(|(s, creds, h, p, path)| format!("{s}{}{h}{p}{path}", creds.unwrap_or("")));
    property(
        "endpoint_parsing",
        "endpoint",
        |input| {
            check_endpoint(
                input
                    .get("endpoint")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
        },
        prop_oneof![3 => structured, 1 => arb_text()],
        |text| check_endpoint(&text),
    );
}
