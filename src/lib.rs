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

/// `items` joined with `separator`, as `[T]::join` does: a loop of a few instructions in place
/// of the standard library's specialised copy, which every caller here could do without.
pub(crate) fn join<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let mut joined = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            joined.push_str(separator);
        }
        joined.push_str(item.as_ref());
    }
    joined
}

/// The number of characters (Unicode scalar values) in `text`, as `text.chars().count()` gives,
/// without the standard library's word-at-a-time counter: the texts counted here are short.
pub(crate) fn char_count(text: &str) -> usize {
    // Every character has exactly one byte that is not a UTF-8 continuation byte.
    text.bytes().filter(|&byte| byte & 0xC0 != 0x80).count()
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

#[cfg(test)]
mod tests {
    #[test]
    fn char_count_counts_as_chars_does() {
        for text in [
            "",
            "ascii",
            "é",
            "中文验证码",
            "😀 a 😀",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
        ] {
            assert_eq!(super::char_count(text), text.chars().count(), "{text:?}");
        }
    }

    #[test]
    fn join_joins_as_the_standard_join_does() {
        for items in [&[][..], &["a"][..], &["a", "", "b"][..]] {
            assert_eq!(super::join(items, ", "), items.join(", "));
        }
    }
}
