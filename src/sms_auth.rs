//! Phone Number Verification Service (号码认证服务) `SendSmsVerifyCode` (Dypnsapi 2017-05-25):
//! SMS verification codes through Aliyun's system signatures and templates, which need no
//! approval, to mainland China mobile numbers only.
//!
//! API: <https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode>.
//! Logto generates and checks the code itself; Aliyun only delivers it, so `TemplateParam`
//! carries Logto's code and how long it lives (`{"code":"123456","min":"10"}`).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::config::{request_url, SmsAuthConfig, DEFAULT_REGION, SMS_AUTH_REGIONS};
use crate::error::Error;
use crate::message::Message;
use crate::pop::request::{Api, Planned};
use crate::template::select;
use crate::transport::Body;

/// The API called.
pub const API: Api = Api {
    action: "SendSmsVerifyCode",
    version: "2017-05-25",
};

/// The parameter that carries the message itself (the code): never let out in an error.
pub const CONTENT_PARAMS: [&str; 1] = ["TemplateParam"];

/// The only country the service sends to.
pub const COUNTRY_CODE: &str = "86";

/// The national number of a mainland China mobile number given with its country code, as
/// Logto passes it (`8613912345678`, also `+86…` or `0086…`): `1`, a second digit from 3 to 9,
/// then nine digits.
pub fn mainland_mobile(to: &str) -> Option<&str> {
    let national = ["+86", "0086", "86"]
        .iter()
        .find_map(|prefix| to.strip_prefix(prefix))?;
    let bytes = national.as_bytes();
    let mobile = bytes.len() == 11
        && bytes.first() == Some(&b'1')
        && bytes
            .get(1)
            .is_some_and(|second| (b'3'..=b'9').contains(second))
        && bytes.iter().all(u8::is_ascii_digit);
    mobile.then_some(national)
}

/// `TemplateParam`: Logto's code and its validity in minutes, as the system templates'
/// `${code}` and `${min}` read them.
pub fn template_param(code: &str, minutes: u32) -> String {
    let mut param = Map::new();
    param.insert("code".into(), Value::String(code.to_string()));
    param.insert("min".into(), Value::String(minutes.to_string()));
    // As in sms::plan: to_string, not Value's Display; a map of strings always serializes.
    serde_json::to_string(&param).unwrap_or_default()
}

/// Builds the unsigned `SendSmsVerifyCode` request for one message.
pub fn plan<'a>(config: &'a SmsAuthConfig, message: &'a Message) -> Result<Planned<'a>, Error> {
    let national = mainland_mobile(&message.to).ok_or_else(|| Error::InvalidRequest {
        message: "Aliyun's SMS authentication service sends only to mainland China mobile numbers: 86 (or +86) followed by 11 digits starting with 13 to 19.".into(),
    })?;
    let template =
        select(&config.templates, &message.usage_type, message.locale()).ok_or_else(|| {
            Error::TemplateNotFound {
                usage_type: message.usage_type.clone(),
            }
        })?;
    let code = message.payload.get("code").and_then(Value::as_str).filter(|code| !code.is_empty()).ok_or_else(|| Error::InvalidRequest {
        message: "The payload has no verification code (code), which the SMS authentication templates send.".into(),
    })?;
    let params: Vec<(&'static str, Cow<'a, str>)> = vec![
        ("CountryCode", Cow::Borrowed(COUNTRY_CODE)),
        ("PhoneNumber", Cow::Borrowed(national)),
        ("SignName", Cow::Borrowed(&config.sign_name)),
        ("TemplateCode", Cow::Borrowed(&template.template_code)),
        (
            "TemplateParam",
            Cow::Owned(template_param(code, config.code_validity_minutes)),
        ),
    ];
    Ok(Planned {
        api: API,
        url: request_url(&config.common, SMS_AUTH_REGIONS, DEFAULT_REGION),
        region_id: DEFAULT_REGION,
        params,
        timeout_ms: config.common.timeout_ms,
    })
}

/// What the service answers when it took the message: SMS's shape (`Model.BizId` as `BizId`).
pub use crate::sms::Sent;

/// Interprets the answer: success is HTTP 2xx with `Code == "OK"`.
pub fn interpret(status: u16, body: Body) -> Result<Sent, Error> {
    crate::sms::interpret_code_ok(API.action, status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mainland_mobiles_with_their_country_code_are_sent() {
        for (to, national) in [
            ("8613912345678", Some("13912345678")),
            ("+8613912345678", Some("13912345678")),
            ("008613912345678", Some("13912345678")),
            ("8619912345678", Some("19912345678")),
            ("13912345678", None),
            ("8612912345678", None),
            ("861012345678", None),
            ("86139123456789", None),
            ("861391234567", None),
            ("+85291234567", None),
            ("+13012345678", None),
            ("86 139 1234 5678", None),
            ("８６13912345678", None),
            ("", None),
        ] {
            assert_eq!(mainland_mobile(to), national, "{to:?}");
        }
    }

    #[test]
    fn template_param_is_the_code_and_its_minutes() {
        assert_eq!(
            template_param("123456", 10),
            r#"{"code":"123456","min":"10"}"#
        );
        assert_eq!(template_param("a\"b", 5), r#"{"code":"a\"b","min":"5"}"#);
    }
}
