//! The typed configs validation produces.

use std::fmt;

use super::regions::Endpoint;

/// A string that must never be shown: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** REDACTED **")
    }
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

impl ContentType {
    /// The content type a MIME type names, if it is one of the two.
    pub fn from_mime(mime: &str) -> Option<ContentType> {
        match mime {
            "text/html" => Some(ContentType::Html),
            "text/plain" => Some(ContentType::Plain),
            _ => None,
        }
    }
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
