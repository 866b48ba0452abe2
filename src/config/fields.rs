//! The keys each config understands, spelled once: the validators read them from here, the
//! console's form must offer exactly these (build.rs checks the metadata against them), and
//! the operator READMEs must document them (tests/docs.rs). Standalone (no crate imports) so
//! that build.rs can include it.

/// The config keys, as the official connectors and ours spell them.
pub mod key {
    /// AccessKey ID.
    pub const ACCESS_KEY_ID: &str = "accessKeyId";
    /// AccessKey secret.
    pub const ACCESS_KEY_SECRET: &str = "accessKeySecret";
    /// Direct Mail sender address.
    pub const ACCOUNT_NAME: &str = "accountName";
    /// Direct Mail sender alias.
    pub const FROM_ALIAS: &str = "fromAlias";
    /// Region.
    pub const REGION_ID: &str = "regionId";
    /// Templates.
    pub const TEMPLATES: &str = "templates";
    /// SMS signature.
    pub const SIGN_NAME: &str = "signName";
    /// SMS: the official connector's choice of mainland detection.
    pub const STRICT_PHONE_REGION_NUMBER_CHECK: &str = "strictPhoneRegionNumberCheck";
    /// SMS authentication: the code's lifetime in minutes.
    pub const CODE_VALIDITY_MINUTES: &str = "codeValidityMinutes";
    /// Ours: replaces the regional host.
    pub const ENDPOINT: &str = "endpoint";
    /// Ours: STS token.
    pub const SECURITY_TOKEN: &str = "securityToken";
    /// Ours: request timeout.
    pub const TIMEOUT_MS: &str = "timeoutMs";
    /// A template's usage type.
    pub const USAGE_TYPE: &str = "usageType";
    /// A Direct Mail template's subject.
    pub const SUBJECT: &str = "subject";
    /// A Direct Mail template's body.
    pub const CONTENT: &str = "content";
    /// Ours: a template's language.
    pub const LOCALE: &str = "locale";
    /// Ours: a Direct Mail template's content type.
    pub const CONTENT_TYPE: &str = "contentType";
    /// An SMS template's code.
    pub const TEMPLATE_CODE: &str = "templateCode";
    /// An SMS template's type.
    pub const TYPE: &str = "type";
    /// A split template code's mainland code.
    pub const CHINA: &str = "china";
    /// A split template code's code for other numbers.
    pub const OVERSEAS: &str = "overseas";
}

use key::*;

/// Every top-level key the Direct Mail config understands.
pub const DM_KEYS: &[&str] = &[
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    ACCOUNT_NAME,
    FROM_ALIAS,
    REGION_ID,
    TEMPLATES,
    ENDPOINT,
    SECURITY_TOKEN,
    TIMEOUT_MS,
];
/// Every key a Direct Mail template understands.
pub const DM_TEMPLATE_KEYS: &[&str] = &[USAGE_TYPE, SUBJECT, CONTENT, LOCALE, CONTENT_TYPE];
/// Every top-level key the SMS config understands.
pub const SMS_KEYS: &[&str] = &[
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    SIGN_NAME,
    TEMPLATES,
    STRICT_PHONE_REGION_NUMBER_CHECK,
    REGION_ID,
    ENDPOINT,
    SECURITY_TOKEN,
    TIMEOUT_MS,
];
/// Every key an SMS template understands.
pub const SMS_TEMPLATE_KEYS: &[&str] = &[USAGE_TYPE, TEMPLATE_CODE, TYPE, LOCALE];
/// Every top-level key the SMS authentication config understands.
pub const SMS_AUTH_KEYS: &[&str] = &[
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    SIGN_NAME,
    TEMPLATES,
    CODE_VALIDITY_MINUTES,
    ENDPOINT,
    SECURITY_TOKEN,
    TIMEOUT_MS,
];
/// Every key an SMS authentication template understands.
pub const SMS_AUTH_TEMPLATE_KEYS: &[&str] = &[USAGE_TYPE, TEMPLATE_CODE, LOCALE];

/// The usage type every other one falls back to.
pub const GENERIC: &str = "Generic";

/// The usage types a Direct Mail or SMS config must have a template for (the official order).
pub const REQUIRED_USAGE_TYPES: &[&str] = &["Register", "SignIn", "ForgotPassword", GENERIC];

/// The usage types the SMS authentication connector needs a template for: every Logto type,
/// as the official connector requires (its system templates cover them all).
pub const SMS_AUTH_REQUIRED_USAGE_TYPES: &[&str] = &[
    "Register",
    "SignIn",
    "ForgotPassword",
    GENERIC,
    "UserPermissionValidation",
    "BindNewIdentifier",
    "OrganizationInvitation",
    "MfaVerification",
    "BindMfa",
];

/// Default per-request timeout in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Smallest accepted `timeoutMs`: below one second Aliyun's own guidance expects failures.
pub const MIN_TIMEOUT_MS: u32 = 1_000;
/// Largest accepted `timeoutMs`: a sign-in should not wait longer than a minute.
pub const MAX_TIMEOUT_MS: u32 = 60_000;

/// How long a Logto verification code lives by default, in minutes: `min` in `TemplateParam`.
pub const DEFAULT_CODE_VALIDITY_MINUTES: u32 = 10;
/// Largest `codeValidityMinutes`: Logto lets a tenant set at most an hour.
pub const MAX_CODE_VALIDITY_MINUTES: u32 = 60;

/// SMS template `type` values (kept for compatibility; not used when sending).
pub const SMS_TEMPLATE_TYPES: &[u64] = &[0, 1, 2, 6, 7];
/// The SMS template type of verification-code templates (the official default).
pub const SMS_VERIFICATION_TEMPLATE_TYPE: u8 = 2;
