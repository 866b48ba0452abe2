//! The one table of Aliyun error codes: what each means for Logto and what to do about it.
//!
//! Aliyun answers gateway failures (signature, credentials, throttling) with 4xx/5xx and a
//! `{RequestId, HostId, Code, Message, Recommend}` body, and SMS business failures with HTTP 200
//! and `Code != "OK"`. Both paths are classified here by `Code`, never by HTTP status, because
//! the statuses of several gateway codes are undocumented.
//!
//! Sources: <https://help.aliyun.com/en/sms/developer-reference/api-error-codes>,
//! <https://www.alibabacloud.com/help/en/direct-mail/api-dm-2015-11-23-errorcodes>,
//! <https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism>.
//!
//! To add a code: add one row to [`TABLE`] and one row to the test table below it.

/// What a provider error means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The end user sends too often; waiting helps (Logto answers 429).
    RateLimit,
    /// An account cap, quota or balance is exhausted; the operator must act (Logto answers 429).
    UsageLimit,
    /// The recipient number or address is not acceptable.
    BadRecipient,
    /// Credentials, permissions, signature, template or sender setup is wrong.
    Config,
    /// A temporary Aliyun failure.
    Transient,
    /// Anything else.
    General,
}

/// How a table row matches a code.
#[derive(Debug, Clone, Copy)]
enum Match {
    /// The code equals the text.
    Exact(&'static str),
    /// The code equals the text or starts with the text followed by `.`.
    Family(&'static str),
}

impl Match {
    fn matches(self, code: &str) -> bool {
        match self {
            Match::Exact(text) => code == text,
            Match::Family(text) => {
                code == text
                    || (code.starts_with(text) && code.as_bytes().get(text.len()) == Some(&b'.'))
            }
        }
    }
}

/// One row: which codes, what they mean, what to do.
#[derive(Debug)]
struct Row {
    code: Match,
    class: Class,
    hint: &'static str,
}

const fn row(code: Match, class: Class, hint: &'static str) -> Row {
    Row { code, class, hint }
}

use Class::*;
use Match::*;

/// First match wins, so exact codes come before the families that would also match them.
static TABLE: &[Row] = &[
    // Frequency control: the user can retry later.
    row(Exact("isv.BUSINESS_LIMIT_CONTROL"), RateLimit, "Aliyun's frequency control refused another message to this number for now; wait before requesting a new code."),
    row(Family("Throttling"), RateLimit, "Aliyun is throttling requests from this account; wait a moment and try again."),
    // SMS authentication (SendSmsVerifyCode).
    row(Exact("BUSINESS_LIMIT_CONTROL"), RateLimit, "Aliyun's daily limit of codes for this number is reached; the user can request a new code tomorrow."),
    row(Exact("FREQUENCY_FAIL"), RateLimit, "Aliyun's frequency control refused another code to this number so soon; wait before requesting a new code."),
    row(Exact("biz.FREQUENCY"), RateLimit, "Aliyun's frequency control refused another code to this number so soon; wait before requesting a new code."),
    // Account caps, quota and balance: the operator must act.
    row(Exact("isv.DAY_LIMIT_CONTROL"), UsageLimit, "The daily sending cap set in the Aliyun SMS console is reached; raise it or wait for the next day."),
    row(Exact("isv.MONTH_LIMIT_CONTROL"), UsageLimit, "The monthly sending cap set in the Aliyun SMS console is reached; raise it or wait for the next month."),
    row(Exact("isv.AMOUNT_NOT_ENOUGH"), UsageLimit, "The Aliyun account balance is too low to send SMS; top it up."),
    row(Exact("isv.OUT_OF_SERVICE"), UsageLimit, "Aliyun SMS is suspended for this account because of an overdue balance; settle the account."),
    row(Exact("InvalidSendMail.Spam"), UsageLimit, "Direct Mail refused the send because of the sender's status, frequency limit or daily quota; check the account in the Direct Mail console."),
    // The recipient is not acceptable.
    row(Exact("isv.MOBILE_NUMBER_ILLEGAL"), BadRecipient, "Aliyun does not accept this phone number; check its format (country code and digits only)."),
    row(Exact("MOBILE_NUMBER_ILLEGAL"), BadRecipient, "Aliyun does not accept this phone number; SMS authentication sends only to mainland China mobile numbers."),
    row(Family("InvalidToAddress"), BadRecipient, "Direct Mail does not accept this recipient address (malformed or on its invalid-address list)."),
    // Setup: credentials, permissions, signature, template, sender, region.
    row(Exact("SignatureDoesNotMatch"), Config, "The request signature did not match: accessKeySecret is wrong for this accessKeyId."),
    row(Exact("IncompleteSignature"), Config, "Aliyun rejected the signature parameters; check accessKeyId and accessKeySecret."),
    row(Family("InvalidAccessKeyId"), Config, "The AccessKey ID does not exist or is disabled; check accessKeyId in the RAM console."),
    row(Family("InvalidSecurityToken"), Config, "The STS security token is invalid or expired; refresh securityToken."),
    row(Exact("MissingSecurityToken"), Config, "The AccessKey ID is a temporary STS key, which needs its token; set securityToken, or use a permanent AccessKey."),
    row(Family("Forbidden"), Config, "The RAM user of this AccessKey lacks permission for this API; grant dm:SingleSendMail, dysms:SendSms or dypns:SendSmsVerifyCode."),
    row(Exact("NoPermission"), Config, "The RAM user of this AccessKey lacks permission for this API; grant dm:SingleSendMail, dysms:SendSms or dypns:SendSmsVerifyCode."),
    row(Exact("FUNCTION_NOT_OPENED"), Config, "SMS authentication is not activated for this account; open it in the Aliyun console (Phone Number Verification Service, 号码认证服务)."),
    row(Exact("INVALID_PARAMETERS"), Config, "Aliyun rejected a parameter: check that signName is a current system signature and templateCode a system template (号码认证 → 短信认证参数配置)."),
    row(Exact("isp.RAM_PERMISSION_DENY"), Config, "The RAM user of this AccessKey lacks permission for this API; grant dysms:SendSms (SMS) or dypns:SendSmsVerifyCode (SMS authentication)."),
    row(Exact("isv.SMS_SIGNATURE_SCENE_ILLEGAL"), Config, "The signature type does not fit the template type; use a verification-code signature with verification-code templates."),
    row(Exact("isv.SMS_SIGNATURE_ILLEGAL"), Config, "The SMS signature (signName) is not approved or not usable; check it in the Aliyun SMS console."),
    row(Exact("isv.SMS_SIGN_ILLEGAL"), Config, "The SMS signature (signName) is not approved or not usable; check it in the Aliyun SMS console."),
    row(Exact("isv.SIGN_STATE_ILLEGAL"), Config, "The SMS signature (signName) is not in a usable state; check it in the Aliyun SMS console."),
    row(Exact("isv.SMS_TEMPLATE_ILLEGAL"), Config, "The SMS template code is unknown to this account or not approved; check templateCode."),
    row(Exact("isv.DOMESTIC_NUMBER_NOT_SUPPORTED"), Config, "An international template was used for a mainland China number; set templateCode to {\"china\": …, \"overseas\": …}."),
    row(Exact("isv.DENY_IP_RANGE"), Config, "Aliyun refuses mainland China SMS sent from IP addresses outside mainland China or outside the console's allow-list; send from an allowed host."),
    row(Exact("isv.PRODUCT_UN_SUBSCRIPT"), Config, "The service (Aliyun SMS, or SMS authentication in Phone Number Verification Service) is not activated for this account; activate it in the console."),
    row(Exact("isv.PRODUCT_UNSUBSCRIBE"), Config, "The service (Aliyun SMS, or SMS authentication in Phone Number Verification Service) is not activated for this account; activate it in the console."),
    row(Exact("isv.ACCOUNT_NOT_EXISTS"), Config, "The Aliyun account of this AccessKey does not exist; check the credentials."),
    row(Exact("isv.ACCOUNT_ABNORMAL"), Config, "The Aliyun account of this AccessKey is abnormal; check it in the Aliyun console."),
    row(Exact("InvalidMailAddress.NotFound"), Config, "The sender address (accountName) does not exist in this region; create it in the Direct Mail console of the same region, or set regionId to the region where it exists."),
    row(Family("InvalidMailAddressStatus"), Config, "The sender address (accountName) is frozen or unusable; check it in the Direct Mail console."),
    row(Exact("InvalidSubject.Malformed"), Config, "The email subject is too long or malformed (Direct Mail allows 100 characters); shorten the template subject."),
    row(Exact("InvalidFromAlias.Malformed"), Config, "The sender alias is too long or malformed (Direct Mail allows 15 characters); shorten fromAlias or sendFrom."),
    // Clock and nonce.
    row(Exact("InvalidTimeStamp.Expired"), General, "The request timestamp is more than 15 minutes away from Aliyun's clock; check this server's clock (NTP)."),
    row(Family("InvalidTimeStamp"), General, "Aliyun rejected the request timestamp; check this server's clock."),
    row(Exact("SignatureNonceUsed"), General, "Aliyun saw this request nonce before; the message was not sent again."),
    // Temporary failures.
    row(Exact("ServiceUnavailable"), Transient, "Aliyun is temporarily unavailable; try again later."),
    row(Exact("InternalError"), Transient, "Aliyun had an internal error; the message may or may not have been sent, so it was not retried."),
    row(Exact("isp.SYSTEM_ERROR"), Transient, "Aliyun SMS had a system error; the message may or may not have been sent, so it was not retried."),
    // Template parameters.
    row(Exact("isv.INVALID_PARAMETERS"), General, "Aliyun rejected a parameter; verification templates accept only letters and digits in their variables."),
    row(Exact("isv.INVALID_JSON_PARAM"), General, "Aliyun rejected TemplateParam; every value must be a string."),
    row(Exact("isv.TEMPLATE_MISSING_PARAMETERS"), General, "The SMS template has a variable the payload does not fill; name the template variable code."),
    row(Exact("isv.PARAM_LENGTH_LIMIT"), General, "A template variable value is too long for Aliyun."),
];

const FALLBACK_HINT: &str =
    "Aliyun refused the message; see Aliyun's error code documentation for this code.";

/// Classifies an Aliyun `Code`: what it means for Logto and one sentence saying what to do.
pub fn classify(code: &str) -> (Class, &'static str) {
    TABLE
        .iter()
        .find(|row| row.code.matches(code))
        .map_or((General, FALLBACK_HINT), |row| (row.class, row.hint))
}

/// Whether a code proves Aliyun did not take the message, so that sending again cannot
/// duplicate it. `Throttling.Api` rejects the call at the gateway before the product sees it;
/// `ServiceUnavailable` means the product never started on it.
pub fn proves_not_taken(code: &str) -> bool {
    matches!(code, "Throttling.Api" | "ServiceUnavailable")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the connectors are documented to classify, with its class.
    const CASES: &[(&str, Class)] = &[
        ("isv.BUSINESS_LIMIT_CONTROL", RateLimit),
        ("Throttling", RateLimit),
        ("Throttling.User", RateLimit),
        ("Throttling.Api", RateLimit),
        ("isv.DAY_LIMIT_CONTROL", UsageLimit),
        ("isv.MONTH_LIMIT_CONTROL", UsageLimit),
        ("isv.AMOUNT_NOT_ENOUGH", UsageLimit),
        ("isv.OUT_OF_SERVICE", UsageLimit),
        ("InvalidSendMail.Spam", UsageLimit),
        ("isv.MOBILE_NUMBER_ILLEGAL", BadRecipient),
        ("MOBILE_NUMBER_ILLEGAL", BadRecipient),
        ("BUSINESS_LIMIT_CONTROL", RateLimit),
        ("FREQUENCY_FAIL", RateLimit),
        ("biz.FREQUENCY", RateLimit),
        ("FUNCTION_NOT_OPENED", Config),
        ("INVALID_PARAMETERS", Config),
        ("InvalidToAddress", BadRecipient),
        ("InvalidToAddress.Spam", BadRecipient),
        ("SignatureDoesNotMatch", Config),
        ("IncompleteSignature", Config),
        ("InvalidAccessKeyId.NotFound", Config),
        ("InvalidAccessKeyId.Inactive", Config),
        ("InvalidSecurityToken.Expired", Config),
        ("MissingSecurityToken", Config),
        ("Forbidden", Config),
        ("Forbidden.RAM", Config),
        ("NoPermission", Config),
        ("isp.RAM_PERMISSION_DENY", Config),
        ("isv.SMS_SIGNATURE_ILLEGAL", Config),
        ("isv.SMS_SIGN_ILLEGAL", Config),
        ("isv.SIGN_STATE_ILLEGAL", Config),
        ("isv.SMS_TEMPLATE_ILLEGAL", Config),
        ("isv.SMS_SIGNATURE_SCENE_ILLEGAL", Config),
        ("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", Config),
        ("isv.DENY_IP_RANGE", Config),
        ("isv.PRODUCT_UN_SUBSCRIPT", Config),
        ("isv.PRODUCT_UNSUBSCRIBE", Config),
        ("isv.ACCOUNT_NOT_EXISTS", Config),
        ("isv.ACCOUNT_ABNORMAL", Config),
        ("InvalidMailAddress.NotFound", Config),
        ("InvalidMailAddressStatus.Malformed", Config),
        ("InvalidSubject.Malformed", Config),
        ("InvalidFromAlias.Malformed", Config),
        ("InvalidTimeStamp.Expired", General),
        ("InvalidTimeStamp.Format", General),
        ("SignatureNonceUsed", General),
        ("ServiceUnavailable", Transient),
        ("InternalError", Transient),
        ("isp.SYSTEM_ERROR", Transient),
        ("isv.INVALID_PARAMETERS", General),
        ("isv.INVALID_JSON_PARAM", General),
        ("isv.TEMPLATE_MISSING_PARAMETERS", General),
        ("isv.PARAM_LENGTH_LIMIT", General),
        ("Something.Unknown", General),
    ];

    #[test]
    fn every_documented_code_has_its_class() {
        for (code, class) in CASES {
            assert_eq!(classify(code).0, *class, "{code}");
        }
    }

    #[test]
    fn every_table_row_is_exercised_by_a_case() {
        for row in TABLE {
            let covered = CASES.iter().any(|(code, _)| row.code.matches(code));
            assert!(covered, "row {:?} has no test case", row.code);
        }
    }

    #[test]
    fn families_do_not_match_lookalike_prefixes() {
        assert_eq!(classify("ThrottlingX").0, General);
        assert_eq!(classify("ForbiddenThing").0, General);
        assert_eq!(classify("Throttling.User").0, RateLimit);
    }

    #[test]
    fn only_codes_that_prove_nothing_was_taken_are_retryable() {
        assert!(proves_not_taken("Throttling.Api"));
        assert!(proves_not_taken("ServiceUnavailable"));
        for code in [
            "Throttling.User",
            "InternalError",
            "isp.SYSTEM_ERROR",
            "isv.BUSINESS_LIMIT_CONTROL",
        ] {
            assert!(!proves_not_taken(code), "{code}");
        }
    }
}
