//! The one error type and its mapping to Logto's `ConnectorErrorCodes`.
//!
//! `code()` is the only place in the crate that spells a Logto error code. `data()` is what
//! the shim passes as `ConnectorError` data; Logto shows `data.errorDescription`. Neither ever
//! contains the access key secret or the security token: config issues name paths, never
//! values, and provider text is Aliyun's own.

mod data;
pub mod redact;

pub use data::{Envelope, EnvelopeError, ErrorData};

use serde::Serialize;

use crate::codes::Class;
use redact::Redactor;

/// Longest piece of an unexpected body quoted back in an error.
const EXCERPT_CHARS: usize = 120;

/// The start of an unexpected body, quoted.
fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "an empty body".into();
    }
    let mut out: String = trimmed.chars().take(EXCERPT_CHARS).collect();
    if trimmed.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    format!("\"{out}\"")
}

/// One problem found in a config, named by its JSON path (`templates[2].usageType`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// JSON path of the offending value; empty for the config as a whole.
    pub path: String,
    /// What is wrong and what is allowed. Never echoes the value received.
    pub message: String,
}

/// An error answer from Aliyun, classified by its `Code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The API that answered (`SingleSendMail`, `SendSms`).
    pub action: &'static str,
    /// HTTP status of the answer (200 for SMS business errors).
    pub status: u16,
    /// Aliyun's `Code`.
    pub code: String,
    /// Aliyun's `Message`.
    pub message: String,
    /// Aliyun's `RequestId`, to quote to Aliyun support.
    pub request_id: Option<String>,
    /// Aliyun's `HostId`, when given.
    pub host_id: Option<String>,
    /// Aliyun's `Recommend` troubleshooting link, when given.
    pub recommend: Option<String>,
    /// What kind of failure the code means, from [`crate::codes`].
    pub class: Class,
    /// One sentence that says what to do.
    pub hint: String,
}

/// How the network failed, as the transport reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkErrorKind {
    /// No answer within `timeoutMs`.
    Timeout,
    /// Connection refused.
    Refused,
    /// The host name did not resolve.
    Dns,
    /// The connection was reset or closed early.
    Reset,
    /// Anything else.
    Other,
}

impl NetworkErrorKind {
    /// The name the transport and the error data use.
    pub fn name(self) -> &'static str {
        match self {
            NetworkErrorKind::Timeout => "timeout",
            NetworkErrorKind::Refused => "refused",
            NetworkErrorKind::Dns => "dns",
            NetworkErrorKind::Reset => "reset",
            NetworkErrorKind::Other => "other",
        }
    }
}

/// Everything that can go wrong in a call, in one enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The config failed validation.
    InvalidConfig {
        /// Every problem found, each with its path.
        issues: Vec<Issue>,
    },
    /// A template rendered into something Aliyun would refuse (too long a subject, …).
    InvalidTemplate {
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The host passed a malformed send request (recipient, payload, time, nonce).
    InvalidRequest {
        /// What is wrong and what is allowed.
        message: String,
    },
    /// No template for the usage type and no `Generic` template either.
    TemplateNotFound {
        /// The usage type that was asked for.
        usage_type: String,
    },
    /// Aliyun's answer was not the JSON we expect.
    InvalidResponse {
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong with it.
        reason: String,
        /// The answer itself, when quoting its start helps (a proxy's error page); only a
        /// short, redacted excerpt of it is ever shown.
        body: Option<String>,
    },
    /// Aliyun answered with an error code.
    Provider(Box<ProviderError>),
    /// The request failed on the network.
    Network {
        /// How it failed.
        kind: NetworkErrorKind,
        /// The transport's own description.
        message: String,
        /// The host the request was for.
        host: String,
        /// The timeout that applied, in milliseconds.
        timeout_ms: u32,
        /// `false` when the request provably never reached a server.
        sent: bool,
    },
    /// A bug: an unexpected state inside the core or at the boundary.
    Internal {
        /// What happened.
        message: String,
    },
}

impl Error {
    /// Logto's `ConnectorErrorCodes` value for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConfig { .. } | Error::InvalidTemplate { .. } => "invalid_config",
            Error::InvalidRequest { .. } => "invalid_request_parameters",
            Error::TemplateNotFound { .. } => "template_not_found",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::Provider(provider) => match provider.class {
                Class::RateLimit => "rate_limit_exceeded",
                Class::UsageLimit => "usage_limit_exceeded",
                Class::BadRecipient => "invalid_request_parameters",
                Class::Config => "invalid_config",
                Class::Transient | Class::General => "general",
            },
            Error::Network { .. } | Error::Internal { .. } => "general",
        }
    }

    /// The human sentence Logto shows.
    pub fn description(&self) -> String {
        match self {
            Error::InvalidConfig { issues } => {
                let parts: Vec<String> = issues
                    .iter()
                    .map(|issue| {
                        if issue.path.is_empty() {
                            issue.message.clone()
                        } else {
                            format!("{}: {}", issue.path, issue.message)
                        }
                    })
                    .collect();
                format!("Invalid connector config. {}", crate::text::join(&parts, "; "))
            }
            Error::InvalidTemplate { message } | Error::InvalidRequest { message } => {
                message.clone()
            }
            Error::TemplateNotFound { usage_type } => format!(
                "Cannot find template for type: {usage_type}. Add a template with this usageType or a Generic one."
            ),
            Error::InvalidResponse { status, reason, body } => match body {
                Some(body) => format!("Aliyun answered HTTP {status} with an unexpected body: {reason}, got {}", excerpt(body)),
                None => format!("Aliyun answered HTTP {status} with an unexpected body: {reason}"),
            },
            Error::Provider(p) => format!("{} (Aliyun {}: {})", p.hint, p.code, p.message),
            Error::Network {
                kind,
                message,
                host,
                timeout_ms,
                sent,
            } => match kind {
                NetworkErrorKind::Timeout => format!(
                    "Aliyun ({host}) did not answer within {timeout_ms} ms. The message may have been sent, so it was not retried; check the network path to Aliyun or raise timeoutMs."
                ),
                NetworkErrorKind::Refused | NetworkErrorKind::Dns => format!(
                    "Could not connect to {host} ({message}). Nothing was sent; check the endpoint and the network."
                ),
                NetworkErrorKind::Reset => format!(
                    "The connection to {host} broke before Aliyun answered ({message}). The message may have been sent, so it was not retried."
                ),
                NetworkErrorKind::Other if !sent => format!(
                    "The request to {host} could not be made ({message}). Nothing was sent."
                ),
                NetworkErrorKind::Other => format!(
                    "The request to {host} failed ({message}). The message may have been sent, so it was not retried."
                ),
            },
            Error::Internal { message } => format!("Internal connector error: {message}"),
        }
    }

    /// The `ConnectorError` data: `errorDescription` and the fields an operator acts on.
    pub fn data(&self) -> ErrorData {
        let mut data = ErrorData {
            error_description: self.description(),
            ..ErrorData::default()
        };
        match self {
            Error::InvalidConfig { issues } => data.issues = Some(issues.clone()),
            Error::InvalidResponse { status, .. } => data.status = Some(*status),
            Error::Provider(p) => {
                data.code = Some(p.code.clone());
                data.message = Some(p.message.clone());
                data.request_id.clone_from(&p.request_id);
                data.host_id.clone_from(&p.host_id);
                data.recommend.clone_from(&p.recommend);
                data.status = Some(p.status);
            }
            Error::Network { kind, .. } => data.network = Some(kind.name()),
            _ => {}
        }
        data
    }

    /// Redacts, in every text that came from outside (Aliyun's fields, an unexpected body, the
    /// transport's message), the values `redactor` knows: what the request carried.
    pub fn redact(&mut self, redactor: &Redactor) {
        match self {
            Error::Provider(p) => {
                for text in [&mut p.code, &mut p.message] {
                    redactor.redact_in_place(text);
                }
                for text in [&mut p.request_id, &mut p.host_id, &mut p.recommend]
                    .into_iter()
                    .flatten()
                {
                    redactor.redact_in_place(text);
                }
            }
            Error::InvalidResponse {
                body: Some(body), ..
            } => redactor.redact_in_place(body),
            Error::Network { message, .. } => redactor.redact_in_place(message),
            _ => {}
        }
    }

    /// Shorthand for a config error with a single issue.
    pub fn config(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::InvalidConfig {
            issues: vec![Issue {
                path: path.into(),
                message: message.into(),
            }],
        }
    }
}
