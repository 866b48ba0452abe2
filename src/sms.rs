//! Short Message Service `SendSms` (Dysmsapi 2017-05-25).
//!
//! API: <https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms>.
//! Business errors come back as HTTP 200 with `Code != "OK"`; gateway errors as 4xx/5xx.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{
    request_url, SmsConfig, TemplateCode, SMS_REGIONS, SMS_VERIFICATION_TEMPLATE_TYPE,
};
use crate::error::Error;
use crate::message::Message;
use crate::pop::request::{Api, Planned};
use crate::pop::response::{is_success, provider_error, read_answer};
use crate::template::select;
use crate::transport::Body;

/// The API called.
pub const API: Api = Api {
    action: "SendSms",
    version: "2017-05-25",
};

/// The parameter that carries the message itself (the payload's values): never let out in an
/// error.
pub const CONTENT_PARAMS: [&str; 1] = ["TemplateParam"];

/// Payload keys that describe the request rather than fill the template. Aliyun refuses
/// verification-code sends whose TemplateParam has any value outside `[a-zA-Z0-9]`, and
/// `zh-CN` or `fr-CA fr` are such values (Logto issue #7121).
const NOT_TEMPLATE_PARAMS: [&str; 2] = ["locale", "uiLocales"];

/// Whether `to` is a mainland China mobile number, as the official connector decides it:
/// `^(?:\+86|0086|86)?1\d{10}$`, or with the prefix required in strict mode.
pub fn is_china_number(to: &str, strict: bool) -> bool {
    let is_mobile = |rest: &str| {
        rest.len() == 11 && rest.starts_with('1') && rest.bytes().all(|b| b.is_ascii_digit())
    };
    let prefixed = ["+86", "0086", "86"]
        .iter()
        .any(|prefix| to.strip_prefix(prefix).is_some_and(is_mobile));
    prefixed || (!strict && is_mobile(to))
}

/// The template code for this recipient.
pub fn template_code<'c>(code: &'c TemplateCode, to: &str, strict: bool) -> &'c str {
    match code {
        TemplateCode::Single(code) => code,
        TemplateCode::Split { china, overseas } => {
            if is_china_number(to, strict) {
                china
            } else {
                overseas
            }
        }
    }
}

/// `TemplateParam`'s fields: the payload's string-valued top-level fields, in the caller's
/// order, without the request-describing keys. Aliyun wants every value as a JSON string
/// (`isv.INVALID_JSON_PARAM` otherwise), so non-string values are left out too.
pub fn template_params(payload: &Map<String, Value>) -> Map<String, Value> {
    payload
        .iter()
        .filter(|(key, _)| !NOT_TEMPLATE_PARAMS.contains(&key.as_str()))
        .filter_map(|(key, value)| Some((key.clone(), Value::String(value.as_str()?.to_string()))))
        .collect()
}

/// Aliyun refuses a verification-code send whose TemplateParam has any value outside
/// `[a-zA-Z0-9]` ("params must be [a-zA-Z0-9] for verification sms"); refusing it here says
/// which field and what to do instead of spending a request on it.
/// <https://help.aliyun.com/en/sms/templaterule-template-variable-parameter-filling-example>
fn check_verification_params(params: &Map<String, Value>) -> Result<(), Error> {
    let bad = params.iter().find(|(_, value)| {
        !value
            .as_str()
            .is_some_and(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric()))
    });
    match bad {
        None => Ok(()),
        Some((key, _)) => Err(Error::InvalidRequest {
            message: format!(
                "The payload field {key} is not letters and digits only, which Aliyun refuses for verification-code templates (type 2, the default). If this template is a notification template, set its type to 0."
            ),
        }),
    }
}

/// Builds the unsigned `SendSms` request for one message.
pub fn plan<'a>(config: &'a SmsConfig, message: &'a Message) -> Result<Planned<'a>, Error> {
    message.check_single_recipient("phone number")?;
    let template =
        select(&config.templates, &message.usage_type, message.locale()).ok_or_else(|| {
            Error::TemplateNotFound {
                usage_type: message.usage_type.clone(),
            }
        })?;
    let code = template_code(
        &template.template_code,
        &message.to,
        config.strict_phone_region_number_check,
    );
    let template_params = template_params(&message.payload);
    if template.template_type == SMS_VERIFICATION_TEMPLATE_TYPE {
        check_verification_params(&template_params)?;
    }
    let params: Vec<(&'static str, Cow<'a, str>)> = vec![
        ("PhoneNumbers", Cow::Borrowed(message.to.as_str())),
        ("SignName", Cow::Borrowed(&config.sign_name)),
        ("TemplateCode", Cow::Borrowed(code)),
        (
            "TemplateParam",
            // to_string rather than Value's Display, which goes through an io adapter and
            // pulls in the pretty printer; a map of strings always serializes.
            Cow::Owned(serde_json::to_string(&template_params).unwrap_or_default()),
        ),
    ];
    Ok(Planned {
        api: API,
        url: request_url(&config.common, SMS_REGIONS, config.region_id),
        region_id: config.region_id,
        params,
        timeout_ms: config.common.timeout_ms,
    })
}

/// What SMS, and SMS authentication, answer when they took the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sent {
    /// Always `OK`.
    pub code: String,
    /// Aliyun's message (`OK`; `成功` from SMS authentication).
    pub message: String,
    /// Aliyun's request id.
    pub request_id: String,
    /// The receipt id, to look the message up in the console.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_id: Option<String>,
}

/// Interprets Aliyun's answer: success is HTTP 2xx with `Code == "OK"`.
pub fn interpret(status: u16, body: Body) -> Result<Sent, Error> {
    interpret_code_ok(API.action, status, body)
}

/// Interprets an answer of the SMS family (`SendSms`, `SendSmsVerifyCode`) to `action`: success
/// is HTTP 2xx with `Code == "OK"`, `Message` and `RequestId`.
pub(crate) fn interpret_code_ok(
    action: &'static str,
    status: u16,
    body: Body,
) -> Result<Sent, Error> {
    let answer = read_answer(status, body)?;
    if !is_success(status) || answer.code.as_deref() != Some("OK") {
        return Err(provider_error(action, status, answer));
    }
    let (Some(message), Some(request_id)) = (answer.message, answer.request_id) else {
        return Err(Error::InvalidResponse {
            status,
            reason: "a success answer must have Message and RequestId strings".into(),
            body: None,
        });
    };
    Ok(Sent {
        code: "OK".into(),
        message,
        request_id,
        biz_id: answer.biz_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ported from the official connector's `isChinaNumber` table, both modes.
    #[test]
    fn china_numbers_as_the_official_connector_decides() {
        let cases = [
            // (number, non-strict, strict)
            ("13912345678", true, false),
            ("8613912345678", true, true),
            ("+8613912345678", true, true),
            ("008613912345678", true, true),
            ("85268326366", false, false),
            ("14155552671", true, false),
            ("18624017194", true, false),
            ("8613912345", false, false),
            ("861391234567890", false, false),
            ("23912345678", false, false),
            ("+1 3912345678", false, false),
            ("", false, false),
        ];
        for (number, lenient, strict) in cases {
            assert_eq!(is_china_number(number, false), lenient, "{number} lenient");
            assert_eq!(is_china_number(number, true), strict, "{number} strict");
        }
    }

    #[test]
    fn template_params_keep_only_string_fields_in_order() {
        let parsed: Result<Value, _> = serde_json::from_str(
            r#"{"code":"123456","locale":"zh-CN","uiLocales":"fr-CA fr","n":1,"obj":{"a":"b"},"link":"x"}"#,
        );
        let payload = parsed
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        assert_eq!(
            Value::Object(template_params(&payload)).to_string(),
            r#"{"code":"123456","link":"x"}"#
        );
    }
}
