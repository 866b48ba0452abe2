//! Connector configs: parsing, validation with path-precise messages, and the facts they
//! depend on (regions, endpoints, required usage types, limits).
//!
//! Every config the official connectors accept is accepted here with the same meaning: the
//! official keys follow the official zod guards (unknown keys are ignored; `null` is not an
//! absent optional key; empty strings are strings). Our added keys (`endpoint`,
//! `securityToken`, `timeoutMs`, SMS `regionId`, `templates[].locale`,
//! `templates[].contentType`) are optional and treat `null` or `""` as absent, because the
//! admin console may store a cleared form field that way.

mod fields;
mod model;
mod regions;
mod walk;

pub use fields::*;
pub use model::*;
pub use regions::*;

use serde_json::Value;

use crate::error::Error;
use walk::{join, region, root, type_name, Walk};

/// The credentials in a config that may not have passed validation, to redact from its
/// errors: `accessKeySecret` and `securityToken`, wherever they are strings.
pub fn secrets_of(config: &Value) -> Vec<&str> {
    [key::ACCESS_KEY_SECRET, key::SECURITY_TOKEN]
        .iter()
        .filter_map(|key| config.get(key).and_then(Value::as_str))
        .collect()
}

/// Validates a Direct Mail config (the official `aliyunDmConfigGuard` plus our keys).
pub fn validate_dm(value: &Value) -> Result<DmConfig, Error> {
    let object = root(value)?;
    let mut walk = Walk { issues: Vec::new() };
    let access_key_id = walk.required_string(object, "", key::ACCESS_KEY_ID);
    let access_key_secret = walk.required_string(object, "", key::ACCESS_KEY_SECRET);
    let region_id = region(&mut walk, object, DM_REGIONS, true);
    let account_name = walk.required_string(object, "", key::ACCOUNT_NAME);
    let from_alias = walk.official_optional_string(object, "", key::FROM_ALIAS);
    let templates = walk.templates(object, REQUIRED_USAGE_TYPES, |walk, fields, prefix| {
        let usage_type = walk.required_string(fields, prefix, key::USAGE_TYPE);
        let subject = walk.required_string(fields, prefix, key::SUBJECT);
        let content = walk.required_string(fields, prefix, key::CONTENT);
        let locale = walk.locale(fields, prefix);
        let content_type = match walk
            .added_string(fields, prefix, key::CONTENT_TYPE)
            .as_deref()
            .map(ContentType::from_mime)
        {
            None => ContentType::Html,
            Some(Some(content_type)) => content_type,
            Some(None) => {
                walk.issue(
                    join(prefix, key::CONTENT_TYPE),
                    "must be \"text/html\" or \"text/plain\"",
                );
                ContentType::Html
            }
        };
        Some(DmTemplate {
            usage_type: usage_type?,
            subject: subject?,
            content: content?,
            locale,
            content_type,
        })
    });
    let common = walk.common(object, DM_ENDPOINT_EXAMPLE);
    let config = (|| {
        Some(DmConfig {
            access_key_id: access_key_id?,
            access_key_secret: Secret(access_key_secret?),
            region_id,
            account_name: account_name?,
            from_alias,
            templates,
            common,
        })
    })();
    walk.finish(config)
}

/// Validates an SMS config (the official `aliyunSmsConfigGuard` plus our keys).
pub fn validate_sms(value: &Value) -> Result<SmsConfig, Error> {
    let object = root(value)?;
    let mut walk = Walk { issues: Vec::new() };
    let access_key_id = walk.required_string(object, "", key::ACCESS_KEY_ID);
    let access_key_secret = walk.required_string(object, "", key::ACCESS_KEY_SECRET);
    let sign_name = walk.required_string(object, "", key::SIGN_NAME);
    let templates = walk.templates(
        object,
        REQUIRED_USAGE_TYPES,
        |walk, fields, prefix| {
            let template_type = match fields.get(key::TYPE) {
                None => Some(SMS_VERIFICATION_TEMPLATE_TYPE),
                Some(value) => match value.as_u64().filter(|n| SMS_TEMPLATE_TYPES.contains(n)).and_then(|n| u8::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => {
                        walk.issue(
                            join(prefix, key::TYPE),
                            "must be one of 0 (notification), 1 (promotion), 2 (verification code, default), 6 (international), 7 (pure number)",
                        );
                        None
                    }
                },
            };
            let usage_type = walk.required_string(fields, prefix, key::USAGE_TYPE);
            let code_path = join(prefix, key::TEMPLATE_CODE);
            let template_code = match fields.get(key::TEMPLATE_CODE) {
                Some(Value::String(code)) => Some(TemplateCode::Single(code.clone())),
                Some(Value::Object(split)) => {
                    let code_prefix = code_path.clone();
                    let china = walk.required_string(split, &code_prefix, key::CHINA);
                    let overseas = walk.required_string(split, &code_prefix, key::OVERSEAS);
                    china.zip(overseas).map(|(china, overseas)| TemplateCode::Split { china, overseas })
                }
                Some(other) => {
                    walk.issue(code_path, format!("must be a template code string or {{\"china\": …, \"overseas\": …}}, not {}", type_name(other)));
                    None
                }
                None => {
                    walk.issue(code_path, "is required (a template code string or {\"china\": …, \"overseas\": …})");
                    None
                }
            };
            let locale = walk.locale(fields, prefix);
            Some(SmsTemplate {
                template_type: template_type?,
                usage_type: usage_type?,
                template_code: template_code?,
                locale,
            })
        },
    );
    let strict = match object.get(key::STRICT_PHONE_REGION_NUMBER_CHECK) {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => {
            walk.issue(
                key::STRICT_PHONE_REGION_NUMBER_CHECK,
                format!("must be true or false, not {}", type_name(other)),
            );
            false
        }
    };
    let region_id = region(&mut walk, object, SMS_REGIONS, false);
    let common = walk.common(object, SMS_ENDPOINT_EXAMPLE);
    let config = (|| {
        Some(SmsConfig {
            access_key_id: access_key_id?,
            access_key_secret: Secret(access_key_secret?),
            sign_name: sign_name?,
            templates,
            strict_phone_region_number_check: strict,
            region_id,
            common,
        })
    })();
    walk.finish(config)
}

/// Validates an SMS authentication config (the official `aliyun-sms-mas` guard plus our keys).
pub fn validate_sms_auth(value: &Value) -> Result<SmsAuthConfig, Error> {
    let object = root(value)?;
    let mut walk = Walk { issues: Vec::new() };
    let access_key_id = walk.required_string(object, "", key::ACCESS_KEY_ID);
    let access_key_secret = walk.required_string(object, "", key::ACCESS_KEY_SECRET);
    let sign_name = walk.required_string(object, "", key::SIGN_NAME);
    let templates = walk.templates(
        object,
        SMS_AUTH_REQUIRED_USAGE_TYPES,
        |walk, fields, prefix| {
            let usage_type = walk.required_string(fields, prefix, key::USAGE_TYPE);
            let template_code = walk.required_string(fields, prefix, key::TEMPLATE_CODE);
            let locale = walk.locale(fields, prefix);
            Some(SmsAuthTemplate {
                usage_type: usage_type?,
                template_code: template_code?,
                locale,
            })
        },
    );
    let code_validity_minutes = match walk.added_value(object, key::CODE_VALIDITY_MINUTES) {
        None => DEFAULT_CODE_VALIDITY_MINUTES,
        Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(minutes) if (1..=MAX_CODE_VALIDITY_MINUTES).contains(&minutes) => minutes,
            _ => {
                walk.issue(
                    key::CODE_VALIDITY_MINUTES,
                    format!("must be a whole number of minutes from 1 to {MAX_CODE_VALIDITY_MINUTES} (default {DEFAULT_CODE_VALIDITY_MINUTES}, as Logto's codes live)"),
                );
                DEFAULT_CODE_VALIDITY_MINUTES
            }
        },
    };
    let common = walk.common(object, SMS_AUTH_ENDPOINT_EXAMPLE);
    let config = (|| {
        Some(SmsAuthConfig {
            access_key_id: access_key_id?,
            access_key_secret: Secret(access_key_secret?),
            sign_name: sign_name?,
            templates,
            code_validity_minutes,
            common,
        })
    })();
    walk.finish(config)
}

/// The URL a request is posted to: the configured `endpoint`, else `https://<regional host>/`.
pub fn request_url(common: &Common, regions: &[Region], region_id: &str) -> String {
    match &common.endpoint {
        Some(endpoint) => endpoint.url.clone(),
        None => {
            let host = region_host(regions, region_id);
            let mut url = String::with_capacity(host.len() + 9);
            url.push_str("https://");
            url.push_str(host);
            url.push('/');
            url
        }
    }
}
