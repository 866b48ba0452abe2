//! Connector configs: parsing, validation with path-precise messages, and the facts they
//! depend on (regions, endpoints, required usage types, limits).
//!
//! Every config the official connectors accept is accepted here with the same meaning: the
//! official keys follow the official zod guards (unknown keys are ignored; `null` is not an
//! absent optional key; empty strings are strings). Our added keys (`endpoint`,
//! `securityToken`, `timeoutMs`, SMS `regionId`, `templates[].locale`,
//! `templates[].contentType`) are optional and treat `null` or `""` as absent, because the
//! admin console may store a cleared form field that way.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Issue};

/// The usage types a config must have a template for (the official order).
pub const REQUIRED_USAGE_TYPES: [&str; 4] = ["Register", "SignIn", "ForgotPassword", "Generic"];

/// Logto's `TemplateType` values, for suggestions on near-misses.
pub const USAGE_TYPES: [&str; 9] = [
    "SignIn",
    "Register",
    "ForgotPassword",
    "Generic",
    "OrganizationInvitation",
    "UserPermissionValidation",
    "BindNewIdentifier",
    "MfaVerification",
    "BindMfa",
];

/// The usage type every other one falls back to.
pub const GENERIC: &str = "Generic";

/// Default per-request timeout in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Smallest accepted `timeoutMs`: below one second Aliyun's own guidance expects failures.
pub const MIN_TIMEOUT_MS: u32 = 1_000;
/// Largest accepted `timeoutMs`: a sign-in should not wait longer than a minute.
pub const MAX_TIMEOUT_MS: u32 = 60_000;

/// Direct Mail regions: id, API host, console title.
/// <https://www.alibabacloud.com/help/en/direct-mail/api-endpoints>
pub const DM_REGIONS: [(&str, &str, &str); 5] = [
    ("cn-hangzhou", "dm.aliyuncs.com", "China (Hangzhou)"),
    ("ap-southeast-1", "dm.ap-southeast-1.aliyuncs.com", "Singapore"),
    ("ap-southeast-2", "dm.ap-southeast-2.aliyuncs.com", "United States (formerly Sydney)"),
    ("eu-central-1", "dm.eu-central-1.aliyuncs.com", "Germany (Frankfurt)"),
    ("us-east-1", "dm.us-east-1.aliyuncs.com", "US (Virginia)"),
];

/// SendSms (Dysmsapi 2017-05-25) regional hosts, from Aliyun's SDK endpoint map.
/// <https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-endpoint>
pub const SMS_REGIONS: [(&str, &str, &str); 7] = [
    ("cn-hangzhou", "dysmsapi.aliyuncs.com", "China (default, dysmsapi.aliyuncs.com)"),
    ("cn-beijing", "dysmsapi-proxy.cn-beijing.aliyuncs.com", "China (Beijing)"),
    ("cn-hongkong", "dysmsapi-xman.cn-hongkong.aliyuncs.com", "China (Hong Kong)"),
    ("ap-southeast-1", "dysmsapi.ap-southeast-1.aliyuncs.com", "Singapore"),
    ("ap-southeast-5", "dysmsapi.ap-southeast-5.aliyuncs.com", "Indonesia (Jakarta)"),
    ("eu-central-1", "dysmsapi.eu-central-1.aliyuncs.com", "Germany (Frankfurt)"),
    ("us-east-1", "dysmsapi.us-east-1.aliyuncs.com", "US (Virginia)"),
];

/// An `endpoint` each connector's messages give as an example: a host of its own service.
pub const DM_ENDPOINT_EXAMPLE: &str = "https://dm-vpc.cn-hangzhou.aliyuncs.com";
/// See [`DM_ENDPOINT_EXAMPLE`].
pub const SMS_ENDPOINT_EXAMPLE: &str = "https://dysmsapi.ap-southeast-1.aliyuncs.com";

/// SendSmsVerifyCode (Dypnsapi 2017-05-25) hosts: one central endpoint, no regional ones.
/// <https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode>
pub const SMS_AUTH_REGIONS: [(&str, &str, &str); 1] = [("cn-hangzhou", "dypnsapi.aliyuncs.com", "China (dypnsapi.aliyuncs.com)")];
/// See [`DM_ENDPOINT_EXAMPLE`].
pub const SMS_AUTH_ENDPOINT_EXAMPLE: &str = "https://dypnsapi.aliyuncs.com";

/// The usage types the SMS authentication connector needs a template for: every Logto type,
/// as the official connector requires (its system templates cover them all).
pub const SMS_AUTH_REQUIRED_USAGE_TYPES: [&str; 9] = [
    "Register",
    "SignIn",
    "ForgotPassword",
    "Generic",
    "UserPermissionValidation",
    "BindNewIdentifier",
    "OrganizationInvitation",
    "MfaVerification",
    "BindMfa",
];

/// How long a Logto verification code lives by default, in minutes: `min` in `TemplateParam`.
pub const DEFAULT_CODE_VALIDITY_MINUTES: u32 = 10;
/// Largest `codeValidityMinutes`: Logto lets a tenant set at most an hour.
pub const MAX_CODE_VALIDITY_MINUTES: u32 = 60;

/// The region both connectors default to.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// SMS template `type` values (kept for compatibility; not used when sending).
pub const SMS_TEMPLATE_TYPES: [u64; 5] = [0, 1, 2, 6, 7];
/// The SMS template type of verification-code templates (the official default).
pub const SMS_VERIFICATION_TEMPLATE_TYPE: u8 = 2;

/// Every top-level key the DM config understands (docs and form items are checked against it).
pub const DM_KEYS: [&str; 9] = [
    "accessKeyId",
    "accessKeySecret",
    "accountName",
    "fromAlias",
    "regionId",
    "templates",
    "endpoint",
    "securityToken",
    "timeoutMs",
];
/// Every key a DM template understands.
pub const DM_TEMPLATE_KEYS: [&str; 5] = ["usageType", "subject", "content", "locale", "contentType"];
/// Every top-level key the SMS config understands.
pub const SMS_KEYS: [&str; 9] = [
    "accessKeyId",
    "accessKeySecret",
    "signName",
    "templates",
    "strictPhoneRegionNumberCheck",
    "regionId",
    "endpoint",
    "securityToken",
    "timeoutMs",
];
/// Every key an SMS template understands.
pub const SMS_TEMPLATE_KEYS: [&str; 4] = ["usageType", "templateCode", "type", "locale"];

/// Every top-level key the SMS authentication config understands.
pub const SMS_AUTH_KEYS: [&str; 8] = [
    "accessKeyId",
    "accessKeySecret",
    "signName",
    "templates",
    "codeValidityMinutes",
    "endpoint",
    "securityToken",
    "timeoutMs",
];
/// Every key an SMS authentication template understands.
pub const SMS_AUTH_TEMPLATE_KEYS: [&str; 3] = ["usageType", "templateCode", "locale"];

/// A string that must never be shown: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** REDACTED **")
    }
}

/// A validated base URL that replaces the Aliyun host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL requests are posted to (a path of `/` added when none was given). Error
    /// messages name its host from this URL, as they do for the default endpoints.
    pub url: String,
}

/// Keys both connectors share beyond the official ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// `endpoint`: replaces the regional Aliyun host.
    pub endpoint: Option<Endpoint>,
    /// `securityToken`: STS temporary credentials.
    pub security_token: Option<Secret>,
    /// `timeoutMs`.
    pub timeout_ms: u32,
}

/// `text/html` or `text/plain`: which DM body parameter carries the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// Sent as `HtmlBody`.
    Html,
    /// Sent as `TextBody`.
    Plain,
}

/// One DM template from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmTemplate {
    /// Logto usage type.
    pub usage_type: String,
    /// Subject with handlebars.
    pub subject: String,
    /// Body with handlebars.
    pub content: String,
    /// BCP 47 tag this template is for, if any.
    pub locale: Option<String>,
    /// HTML (default) or plain text.
    pub content_type: ContentType,
}

/// A validated Direct Mail config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmConfig {
    /// `accessKeyId`.
    pub access_key_id: String,
    /// `accessKeySecret`.
    pub access_key_secret: Secret,
    /// `regionId`, defaulted.
    pub region_id: &'static str,
    /// `accountName`: the sender address.
    pub account_name: String,
    /// `fromAlias`.
    pub from_alias: Option<String>,
    /// `templates`.
    pub templates: Vec<DmTemplate>,
    /// Shared optional keys.
    pub common: Common,
}

/// An SMS template code: one for all numbers, or one for mainland China and one for the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateCode {
    /// Used for every number.
    Single(String),
    /// Chosen by whether the number is a mainland China mobile number.
    Split {
        /// For mainland China numbers.
        china: String,
        /// For every other number.
        overseas: String,
    },
}

/// One SMS template from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    /// Aliyun template type (`type`), default 2 (verification code).
    pub template_type: u8,
    /// Logto usage type.
    pub usage_type: String,
    /// The template code(s).
    pub template_code: TemplateCode,
    /// BCP 47 tag this template is for, if any.
    pub locale: Option<String>,
}

/// A validated SMS config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsConfig {
    /// `accessKeyId`.
    pub access_key_id: String,
    /// `accessKeySecret`.
    pub access_key_secret: Secret,
    /// `signName`.
    pub sign_name: String,
    /// `templates`.
    pub templates: Vec<SmsTemplate>,
    /// `strictPhoneRegionNumberCheck`, default false.
    pub strict_phone_region_number_check: bool,
    /// `regionId`, defaulted.
    pub region_id: &'static str,
    /// Shared optional keys.
    pub common: Common,
}

/// One SMS authentication template: a system template code for a usage type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsAuthTemplate {
    /// Logto usage type.
    pub usage_type: String,
    /// The system template code (100001 to 100005).
    pub template_code: String,
    /// BCP 47 tag this template is for, if any.
    pub locale: Option<String>,
}

/// A validated SMS authentication (SendSmsVerifyCode) config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsAuthConfig {
    /// `accessKeyId`.
    pub access_key_id: String,
    /// `accessKeySecret`.
    pub access_key_secret: Secret,
    /// `signName`: the current system ("gift") signature, copied from the console.
    pub sign_name: String,
    /// `templates`.
    pub templates: Vec<SmsAuthTemplate>,
    /// `codeValidityMinutes`: what the template's `${min}` says.
    pub code_validity_minutes: u32,
    /// Shared optional keys.
    pub common: Common,
}

/// Collects issues while walking a JSON value.
struct Walk {
    issues: Vec<Issue>,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Walk {
    fn issue(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A string the official guard requires.
    fn required_string(&mut self, object: &Map<String, Value>, prefix: &str, key: &str) -> Option<String> {
        match object.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => {
                self.issue(join(prefix, key), format!("must be a string, not {}", type_name(other)));
                None
            }
            None => {
                self.issue(join(prefix, key), "is required (a string)");
                None
            }
        }
    }

    /// An optional string of the official guard: absent is fine, `null` is not.
    fn official_optional_string(&mut self, object: &Map<String, Value>, prefix: &str, key: &str) -> Option<String> {
        match object.get(key) {
            None => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => {
                self.issue(
                    join(prefix, key),
                    format!("must be a string when present, not {} (omit the key to leave it unset)", type_name(other)),
                );
                None
            }
        }
    }

    /// One of our optional keys: absent, `null` and `""` all mean unset.
    fn added_value<'v>(&mut self, object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
        match object.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.is_empty() => None,
            Some(value) => Some(value),
        }
    }

    fn added_string(&mut self, object: &Map<String, Value>, prefix: &str, key: &str) -> Option<String> {
        match self.added_value(object, key)? {
            Value::String(text) => Some(text.clone()),
            other => {
                self.issue(join(prefix, key), format!("must be a string, not {}", type_name(other)));
                None
            }
        }
    }

    fn locale(&mut self, object: &Map<String, Value>, prefix: &str) -> Option<String> {
        let tag = self.added_string(object, prefix, "locale")?;
        if is_language_tag(&tag) {
            Some(tag)
        } else {
            self.issue(
                join(prefix, "locale"),
                "must be a BCP 47 language tag such as \"en\", \"zh-CN\" or \"ko\"",
            );
            None
        }
    }

    fn common(&mut self, object: &Map<String, Value>, endpoint_example: &str) -> Common {
        let endpoint = self.added_string(object, "", "endpoint").and_then(|text| {
            parse_endpoint(&text, endpoint_example)
                .map_err(|message| self.issue("endpoint", message))
                .ok()
        });
        let security_token = self.added_string(object, "", "securityToken").map(Secret);
        let timeout_ms = match self.added_value(object, "timeoutMs") {
            None => DEFAULT_TIMEOUT_MS,
            Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(ms) if (MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&ms) => ms,
                _ => {
                    self.issue(
                        "timeoutMs",
                        format!("must be a whole number of milliseconds from {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS} (default {DEFAULT_TIMEOUT_MS})"),
                    );
                    DEFAULT_TIMEOUT_MS
                }
            },
        };
        Common {
            endpoint,
            security_token,
            timeout_ms,
        }
    }

    /// The official "templates must cover the required usage types" rule, reporting every
    /// missing type at once and suggesting the intended name for a near-miss.
    fn required_usage_types(&mut self, required: &[&'static str], usage_types: &[(usize, &str)]) {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|required| !usage_types.iter().any(|(_, found)| found == required))
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut message = format!(
            "needs a template for each of the usage types {}; missing: {}",
            required.join(", "),
            missing.join(", ")
        );
        for (index, found) in usage_types {
            if let Some(intended) = near_miss(required, found) {
                if missing.contains(&intended) {
                    message.push_str(&format!(
                        "; templates[{index}].usageType is \"{found}\", did you mean \"{intended}\"?"
                    ));
                }
            }
        }
        self.issue("templates", message);
    }

    /// The `templates` array: each element is handed to `element`, which returns its usage
    /// type when it has one.
    fn templates<T>(
        &mut self,
        object: &Map<String, Value>,
        required: &[&'static str],
        mut element: impl FnMut(&mut Walk, &Map<String, Value>, &str) -> Option<T>,
    ) -> Vec<T> {
        let items = match object.get("templates") {
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.issue("templates", format!("must be an array of templates, not {}", type_name(other)));
                return Vec::new();
            }
            None => {
                self.issue("templates", "is required (an array of templates)");
                return Vec::new();
            }
        };
        let mut templates = Vec::with_capacity(items.len());
        let mut usage_types: Vec<(usize, String)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let prefix = format!("templates[{index}]");
            let Value::Object(fields) = item else {
                self.issue(prefix, format!("must be an object, not {}", type_name(item)));
                continue;
            };
            // The usage type counts for the required-types rule even if another field is bad,
            // so one mistake does not also report every type as missing.
            if let Some(Value::String(found)) = fields.get("usageType") {
                usage_types.push((index, found.clone()));
            }
            if let Some(template) = element(self, fields, &prefix) {
                templates.push(template);
            }
        }
        let borrowed: Vec<(usize, &str)> = usage_types.iter().map(|(i, t)| (*i, t.as_str())).collect();
        self.required_usage_types(required, &borrowed);
        templates
    }

    fn finish<T>(self, config: T) -> Result<T, Error> {
        if self.issues.is_empty() {
            Ok(config)
        } else {
            Err(Error::InvalidConfig {
                issues: self.issues,
            })
        }
    }
}

/// The required usage type a misspelt one most likely meant (`Signin` → `SignIn`).
fn near_miss(required: &[&'static str], found: &str) -> Option<&'static str> {
    if required.contains(&found) {
        return None;
    }
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let found_squashed = squash(found);
    required
        .iter()
        .copied()
        .find(|candidate| squash(candidate) == found_squashed || edit_distance(&squash(candidate), &found_squashed) <= 2)
}

/// Levenshtein distance on characters; inputs are short usage type names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(previous.len());
        current.push(i + 1);
        for (j, cb) in b_chars.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(usize::MAX / 2) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(usize::MAX / 2) + 1;
            let insert = current.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// A plausible BCP 47 tag: a 2–3 letter language, then alphanumeric subtags of 1–8.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|lang| (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic()));
    language_ok && parts.all(|part| (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Parses and checks an `endpoint`: `https://host[:port][/path]`, or `http://` for a loopback
/// host only (the local sandbox), because the request carries the AccessKey ID and a signed
/// message that must not cross a network in clear text. `example` is the URL messages suggest.
pub fn parse_endpoint(text: &str, example: &str) -> Result<Endpoint, String> {
    let shape = format!("must be a URL like {example} (http:// is allowed only for loopback hosts such as 127.0.0.1 or localhost)");
    let shape = shape.as_str();
    let (scheme, rest) = text.split_once("://").ok_or_else(|| shape.to_string())?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(shape.into());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) || rest.contains(['?', '#']) {
        return Err(format!("{shape}; no spaces, query or fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err("must not contain user credentials".into());
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| shape.to_string())?;
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u32>().map_or(true, |p| p == 0 || p > 65_535) {
            return Err("has an invalid port".into());
        }
    }
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        return Err(shape.into());
    }
    if scheme == "http" && !is_loopback(host) {
        return Err(format!(
            "uses plain http:// for {host}, which is not a loopback host; use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost, such as the local sandbox)"
        ));
    }
    Ok(Endpoint {
        url: format!("{scheme}://{authority}{path}"),
    })
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = authority.get(..close + 2)?;
        let after = rest.get(close + 1..)?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    // Not `*.localhost`: RFC 6761 asks resolvers to map those to loopback, but glibc without
    // systemd-resolved sends them to DNS, and a signed request would then cross the network in
    // clear text.
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()) && o.parse::<u16>().is_ok_and(|n| n <= 255))
}

fn root(value: &Value) -> Result<&Map<String, Value>, Error> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(Error::config("", format!("The config must be a JSON object, not {}.", type_name(other)))),
    }
}

fn region<const N: usize>(walk: &mut Walk, object: &Map<String, Value>, regions: &[(&'static str, &str, &str); N], official: bool) -> &'static str {
    let value = if official {
        object.get("regionId")
    } else {
        walk.added_value(object, "regionId")
    };
    match value {
        None => DEFAULT_REGION,
        Some(Value::String(id)) => match regions.iter().find(|(known, _, _)| known == id) {
            Some((known, _, _)) => known,
            None => {
                let ids: Vec<&str> = regions.iter().map(|(id, _, _)| *id).collect();
                walk.issue("regionId", format!("must be one of {}", ids.join(", ")));
                DEFAULT_REGION
            }
        },
        Some(other) => {
            walk.issue("regionId", format!("must be a region id string, not {}", type_name(other)));
            DEFAULT_REGION
        }
    }
}

/// The credentials in a config that may not have passed validation, to redact from its
/// errors: `accessKeySecret` and `securityToken`, wherever they are strings.
pub fn secrets_of(config: &Value) -> Vec<&str> {
    ["accessKeySecret", "securityToken"]
        .iter()
        .filter_map(|key| config.get(key).and_then(Value::as_str))
        .collect()
}

/// Validates a Direct Mail config (the official `aliyunDmConfigGuard` plus our keys).
pub fn validate_dm(value: &Value) -> Result<DmConfig, Error> {
    let object = root(value)?;
    let mut walk = Walk { issues: Vec::new() };
    let access_key_id = walk.required_string(object, "", "accessKeyId");
    let access_key_secret = walk.required_string(object, "", "accessKeySecret");
    let region_id = region(&mut walk, object, &DM_REGIONS, true);
    let account_name = walk.required_string(object, "", "accountName");
    let from_alias = walk.official_optional_string(object, "", "fromAlias");
    let templates = walk.templates(
        object,
        &REQUIRED_USAGE_TYPES,
        |walk, fields, prefix| {
            let usage_type = walk.required_string(fields, prefix, "usageType");
            let subject = walk.required_string(fields, prefix, "subject");
            let content = walk.required_string(fields, prefix, "content");
            let locale = walk.locale(fields, prefix);
            let content_type = match walk.added_string(fields, prefix, "contentType").as_deref() {
                None | Some("text/html") => ContentType::Html,
                Some("text/plain") => ContentType::Plain,
                Some(_) => {
                    walk.issue(join(prefix, "contentType"), "must be \"text/html\" or \"text/plain\"");
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
        },
    );
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
    match config {
        Some(config) => walk.finish(config),
        None => Err(Error::InvalidConfig { issues: walk.issues }),
    }
}

/// Validates an SMS config (the official `aliyunSmsConfigGuard` plus our keys).
pub fn validate_sms(value: &Value) -> Result<SmsConfig, Error> {
    let object = root(value)?;
    let mut walk = Walk { issues: Vec::new() };
    let access_key_id = walk.required_string(object, "", "accessKeyId");
    let access_key_secret = walk.required_string(object, "", "accessKeySecret");
    let sign_name = walk.required_string(object, "", "signName");
    let templates = walk.templates(
        object,
        &REQUIRED_USAGE_TYPES,
        |walk, fields, prefix| {
            let template_type = match fields.get("type") {
                None => Some(SMS_VERIFICATION_TEMPLATE_TYPE),
                Some(value) => match value.as_u64().filter(|n| SMS_TEMPLATE_TYPES.contains(n)).and_then(|n| u8::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => {
                        walk.issue(
                            join(prefix, "type"),
                            "must be one of 0 (notification), 1 (promotion), 2 (verification code, default), 6 (international), 7 (pure number)",
                        );
                        None
                    }
                },
            };
            let usage_type = walk.required_string(fields, prefix, "usageType");
            let code_path = join(prefix, "templateCode");
            let template_code = match fields.get("templateCode") {
                Some(Value::String(code)) => Some(TemplateCode::Single(code.clone())),
                Some(Value::Object(split)) => {
                    let code_prefix = code_path.clone();
                    let china = walk.required_string(split, &code_prefix, "china");
                    let overseas = walk.required_string(split, &code_prefix, "overseas");
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
    let strict = match object.get("strictPhoneRegionNumberCheck") {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => {
            walk.issue("strictPhoneRegionNumberCheck", format!("must be true or false, not {}", type_name(other)));
            false
        }
    };
    let region_id = region(&mut walk, object, &SMS_REGIONS, false);
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
    match config {
        Some(config) => walk.finish(config),
        None => Err(Error::InvalidConfig { issues: walk.issues }),
    }
}

/// Validates an SMS authentication config (the official `aliyun-sms-mas` guard plus our keys).
pub fn validate_sms_auth(value: &Value) -> Result<SmsAuthConfig, Error> {
    let object = root(value)?;
    let mut walk = Walk { issues: Vec::new() };
    let access_key_id = walk.required_string(object, "", "accessKeyId");
    let access_key_secret = walk.required_string(object, "", "accessKeySecret");
    let sign_name = walk.required_string(object, "", "signName");
    let templates = walk.templates(object, &SMS_AUTH_REQUIRED_USAGE_TYPES, |walk, fields, prefix| {
        let usage_type = walk.required_string(fields, prefix, "usageType");
        let template_code = walk.required_string(fields, prefix, "templateCode");
        let locale = walk.locale(fields, prefix);
        Some(SmsAuthTemplate {
            usage_type: usage_type?,
            template_code: template_code?,
            locale,
        })
    });
    let code_validity_minutes = match walk.added_value(object, "codeValidityMinutes") {
        None => DEFAULT_CODE_VALIDITY_MINUTES,
        Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(minutes) if (1..=MAX_CODE_VALIDITY_MINUTES).contains(&minutes) => minutes,
            _ => {
                walk.issue(
                    "codeValidityMinutes",
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
    match config {
        Some(config) => walk.finish(config),
        None => Err(Error::InvalidConfig { issues: walk.issues }),
    }
}

/// The API host for a region, from one of the region tables.
pub fn region_host<const N: usize>(regions: &[(&str, &'static str, &str); N], region_id: &str) -> &'static str {
    regions
        .iter()
        .find(|(id, _, _)| *id == region_id)
        .map_or(regions[0].1, |(_, host, _)| host)
}

/// The URL a request is posted to: the configured `endpoint`, else `https://<regional host>/`.
pub fn request_url<const N: usize>(common: &Common, regions: &[(&str, &'static str, &str); N], region_id: &str) -> String {
    match &common.endpoint {
        Some(endpoint) => endpoint.url.clone(),
        // Pushed, not `format!`ted: this runs for every send, and the formatting machinery
        // cost more than the copy (bench/profile.mjs, under load).
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
