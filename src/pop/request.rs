//! Common RPC parameters and the signed request.
//!
//! Common parameters: <https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism>.
//! `Format` is the lowercase `json` the official Logto connectors send, so the same requests
//! go out.

use std::borrow::Cow;

use super::response::MAX_ANSWER_BYTES;
use super::sign::signed_form_body;
use crate::transport::HttpRequest;
use crate::Error;

/// One RPC API: its action name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Api {
    /// `Action` parameter.
    pub action: &'static str,
    /// `Version` parameter.
    pub version: &'static str,
}

/// Who signs: the AccessKey pair and, for STS credentials, the security token.
#[derive(Clone)]
pub struct Credentials<'a> {
    /// `AccessKeyId`.
    pub access_key_id: &'a str,
    /// The AccessKey secret; only ever used as the HMAC key.
    pub access_key_secret: &'a str,
    /// `SecurityToken` for STS temporary credentials; signed like every other parameter.
    pub security_token: Option<&'a str>,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"** REDACTED **")
            .field(
                "security_token",
                &self.security_token.map(|_| "** REDACTED **"),
            )
            .finish()
    }
}

/// What signs one attempt: who signs, and this attempt's time and nonce (inputs, never read
/// from a clock or a random source here).
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    /// The credentials.
    pub credentials: Credentials<'a>,
    /// Milliseconds since the Unix epoch.
    pub now_ms: f64,
    /// A value never used before (a UUID).
    pub nonce: &'a str,
}

/// Everything needed to sign one attempt of a planned request.
/// Values borrow from the config and the message where they can: a send copies only what it
/// renders.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    /// The API called.
    pub api: Api,
    /// Absolute URL to post to.
    pub url: String,
    /// `RegionId` parameter.
    pub region_id: &'a str,
    /// The action's own parameters.
    pub params: Vec<(&'static str, Cow<'a, str>)>,
    /// Per-request timeout.
    pub timeout_ms: u32,
}

/// The content type of every signed request: a POST form body.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

const MS_PER_DAY: i64 = 86_400_000;
/// 9999-12-31T23:59:59Z: the last instant ISO 8601 with a four-digit year can express.
const MAX_TIMESTAMP_MS: f64 = 253_402_300_799_000.0;

/// Formats `now_ms` (milliseconds since the Unix epoch) as `YYYY-MM-DDThh:mm:ssZ`: UTC, no
/// milliseconds, as Aliyun's `Timestamp` requires.
pub fn timestamp(now_ms: f64) -> Result<String, Error> {
    if !now_ms.is_finite() || !(0.0..=MAX_TIMESTAMP_MS).contains(&now_ms) {
        // The host's clock is at fault, not the caller's request.
        return Err(Error::Internal {
            message: "the transport's now() must give a time between 1970 and 9999 in milliseconds since the Unix epoch (Date.now())".into(),
        });
    }
    // In range and finite, so the conversion is exact to the millisecond.
    let ms = now_ms.floor() as i64;
    let days = ms.div_euclid(MS_PER_DAY);
    let second_of_day = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (year, month, day) = civil_from_days(days);
    // Digit by digit rather than `format!`, on the path of every signed request. Every field
    // is in range: year 1970–9999, the rest two digits.
    let mut out = String::with_capacity(20);
    push_digits(&mut out, year, 4);
    for (separator, value) in [
        ('-', month),
        ('-', day),
        ('T', second_of_day / 3600),
        (':', second_of_day / 60 % 60),
        (':', second_of_day % 60),
    ] {
        out.push(separator);
        push_digits(&mut out, value, 2);
    }
    out.push('Z');
    Ok(out)
}

/// Appends the last `width` decimal digits of `value` (non-negative), zero-padded.
fn push_digits(out: &mut String, value: i64, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10_i64.pow(place)).rem_euclid(10) as u8;
        out.push(char::from(b'0' + digit));
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Checks the nonce the host supplied: Aliyun wants a unique value; we accept any 1–64
/// printable ASCII characters so that a UUID always fits.
pub fn check_nonce(nonce: &str) -> Result<(), Error> {
    if nonce.is_empty() || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Internal {
            message: "the transport's nonce() must give 1 to 64 printable ASCII characters (crypto.randomUUID())".into(),
        });
    }
    Ok(())
}

impl Planned<'_> {
    /// Signs one attempt: common parameters with this attempt's time and nonce, plus the
    /// action's parameters, into a POST form body.
    pub fn sign(&self, signing: &SigningParams<'_>) -> Result<HttpRequest, Error> {
        let SigningParams {
            credentials,
            now_ms,
            nonce,
        } = signing;
        check_nonce(nonce)?;
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(self.params.len() + 10);
        let timestamp = timestamp(*now_ms)?;
        params.extend([
            ("AccessKeyId", credentials.access_key_id),
            ("Action", self.api.action),
            ("Format", "json"),
            ("RegionId", self.region_id),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("Timestamp", timestamp.as_str()),
            ("Version", self.api.version),
        ]);
        if let Some(token) = credentials.security_token {
            params.push(("SecurityToken", token));
        }
        params.extend(
            self.params
                .iter()
                .map(|(name, value)| (*name, value.as_ref())),
        );
        let body = signed_form_body("POST", &params, credentials.access_key_secret)?;
        Ok(HttpRequest {
            method: "POST",
            url: self.url.clone(),
            headers: vec![("content-type", FORM_CONTENT_TYPE)],
            body,
            timeout_ms: self.timeout_ms,
            max_response_bytes: MAX_ANSWER_BYTES,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_without_milliseconds() {
        let cases = [
            (0.0, "1970-01-01T00:00:00Z"),
            (1_476_944_876_000.0, "2016-10-20T06:27:56Z"),
            (1_476_944_876_999.0, "2016-10-20T06:27:56Z"),
            (951_782_400_000.0, "2000-02-29T00:00:00Z"),
            (1_709_251_199_000.0, "2024-02-29T23:59:59Z"),
            (MAX_TIMESTAMP_MS, "9999-12-31T23:59:59Z"),
        ];
        for (ms, expected) in cases {
            assert_eq!(timestamp(ms).ok().as_deref(), Some(expected), "{ms}");
        }
    }

    #[test]
    fn impossible_times_are_rejected() {
        for ms in [f64::NAN, f64::INFINITY, -1.0, MAX_TIMESTAMP_MS + 1000.0] {
            assert!(timestamp(ms).is_err(), "{ms}");
        }
    }

    #[test]
    fn nonces_must_be_printable_ascii() {
        assert!(check_nonce("c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c").is_ok());
        for bad in ["", "has space", "ünï", &"x".repeat(65)] {
            assert!(check_nonce(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let credentials = Credentials {
            access_key_id: "id",
            access_key_secret: "s3cr3t-value",
            security_token: Some("t0ken-value"),
        };
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("s3cr3t-value") && !shown.contains("t0ken-value"));
    }
}
