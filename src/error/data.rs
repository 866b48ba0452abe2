//! What a failed call hands to Logto: the envelope and the `ConnectorError` data, with
//! credentials redacted.

use serde::Serialize;

use super::redact::Redactor;
use super::{Error, Issue};

/// The data of a `ConnectorError`, as Logto returns it to whoever asked: the sentence to
/// show, and only the fields that help an operator act.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    /// What Logto shows: what went wrong and what to do.
    pub error_description: String,
    /// Every config problem, by path (`invalid_config` from validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issues: Option<Vec<Issue>>,
    /// Aliyun's `Code`.
    #[serde(rename = "Code", skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Aliyun's `Message`, up to any string to sign it quotes.
    #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Aliyun's `RequestId`, to quote to Aliyun support.
    #[serde(rename = "RequestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Aliyun's `HostId`.
    #[serde(rename = "HostId", skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
    /// Aliyun's `Recommend` troubleshooting link.
    #[serde(rename = "Recommend", skip_serializing_if = "Option::is_none")]
    pub recommend: Option<String>,
    /// HTTP status of Aliyun's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How the network failed (`timeout`, `refused`, `dns`, `reset`, `other`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<&'static str>,
}

impl ErrorData {
    /// Redacts every text field (a second guard against credentials: no error is built from
    /// one in the first place).
    pub fn redact(&mut self, redactor: &Redactor) {
        if redactor.is_empty() {
            return;
        }
        redactor.redact_in_place(&mut self.error_description);
        for issue in self.issues.iter_mut().flatten() {
            redactor.redact_in_place(&mut issue.path);
            redactor.redact_in_place(&mut issue.message);
        }
        for text in [
            &mut self.code,
            &mut self.message,
            &mut self.request_id,
            &mut self.host_id,
            &mut self.recommend,
        ]
        .into_iter()
        .flatten()
        {
            redactor.redact_in_place(text);
        }
    }
}

/// What every export answers: `{ ok: true, value }` or `{ ok: false, error: { code, data } }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Envelope<T> {
    /// Success.
    Ok {
        /// Always `true`.
        ok: bool,
        /// The result.
        value: T,
    },
    /// Failure, as the shim hands it to `ConnectorError`.
    Err {
        /// Always `false`.
        ok: bool,
        /// Logto's error code and the data.
        error: Box<EnvelopeError>,
    },
}

/// The `error` of a failed envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvelopeError {
    /// Logto's `ConnectorErrorCodes` value.
    pub code: &'static str,
    /// The `ConnectorError` data.
    pub data: ErrorData,
}

impl<T> Envelope<T> {
    /// The envelope of `result`, with the given credentials redacted from the error data.
    pub fn of(result: Result<T, Error>, secrets: &[&str]) -> Envelope<T> {
        match result {
            Ok(value) => Envelope::Ok { ok: true, value },
            Err(error) => {
                let mut data = error.data();
                let mut redactor = Redactor::new();
                secrets
                    .iter()
                    .for_each(|secret| redactor.add_secret(secret));
                data.redact(&redactor);
                Envelope::Err {
                    ok: false,
                    error: Box::new(EnvelopeError {
                        code: error.code(),
                        data,
                    }),
                }
            }
        }
    }
}
