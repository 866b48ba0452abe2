//! Pure core of the Logto connectors for Aliyun Direct Mail (`SingleSendMail`) and Aliyun
//! Short Message Service (`SendSms`).
//!
//! The core turns values into values: it validates configs, picks and renders templates,
//! builds and signs Aliyun POP RPC requests, and interprets Aliyun's answers. It does no I/O.
//! The host (the JS shim inside Logto, or a test) supplies the time, a nonce and a
//! [`transport::Transport`]; [`send::send_message`] is the one `async fn` and the only place
//! that awaits.
//!
//! Order of a send, and who owns what:
//! 1. the host resolves Logto's callbacks (`getConfig`, `getI18nEmailTemplate`) into plain
//!    values and calls [`send::send_message`] with them, `nowMs` and a nonce;
//! 2. the core validates the config ([`config`]), selects and renders the template
//!    ([`template`]), plans the provider request ([`dm`], [`sms`]) and signs it ([`pop`]);
//! 3. the transport sends it and hands back `{status, body}` or a network error;
//! 4. the core interprets the answer into a result or a classified [`error::Error`]
//!    ([`codes`] holds the one table of Aliyun error codes), retrying only when Aliyun
//!    provably did not take the message.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod codes;
pub mod config;
pub mod dm;
pub mod error;
pub mod message;
pub mod metadata;
pub mod pop;
pub mod send;
pub mod sms;
pub mod sms_auth;
pub mod template;
mod text;
pub mod transport;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::Error;

/// Which connector a call is for: the two packages share one core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Aliyun Direct Mail (email).
    Dm,
    /// Aliyun Short Message Service.
    Sms,
    /// Aliyun's SMS authentication service (Phone Number Verification, `SendSmsVerifyCode`).
    SmsAuth,
}

impl Kind {
    /// The identifier the shim passes for this kind.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Dm => "aliyun-dm",
            Kind::Sms => "aliyun-sms",
            Kind::SmsAuth => "aliyun-sms-auth",
        }
    }

    /// The kind a shim identifier names.
    pub fn from_name(name: &str) -> Option<Kind> {
        [Kind::Dm, Kind::Sms, Kind::SmsAuth]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}
