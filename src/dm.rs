//! Direct Mail `SingleSendMail` (API version 2015-11-23).
//!
//! API: <https://www.alibabacloud.com/help/en/direct-mail/api-dm-2015-11-23-singlesendmail>.
//! The same parameters go out as from the official connector: `AccountName`,
//! `AddressType=1`, `ReplyToAddress=false` (do not use the console's reply-to), `ToAddress`,
//! `FromAlias`, `Subject` and `HtmlBody`; plus `TextBody` instead of `HtmlBody` for plain-text
//! templates and `ReplyAddress` for an i18n template's `replyTo`.

use std::borrow::Cow;

use serde::Serialize;

use crate::config::{request_url, ContentType, DmConfig, DM_REGIONS};
use crate::error::Error;
use crate::message::Message;
use crate::pop::request::{Api, Planned};
use crate::pop::response::{is_success, provider_error, read_answer};
use crate::template::{render, select};
use crate::transport::Body;

/// The API called.
pub const API: Api = Api {
    action: "SingleSendMail",
    version: "2015-11-23",
};

/// The parameters that carry the message itself (rendered from the templates and the
/// payload): never let out in an error.
pub const CONTENT_PARAMS: [&str; 4] = ["Subject", "HtmlBody", "TextBody", "FromAlias"];

/// Longest `Subject` Direct Mail accepts, in characters (`InvalidSubject.Malformed` beyond).
pub const MAX_SUBJECT_CHARS: usize = 100;
/// Longest `FromAlias` Direct Mail accepts, in characters (`InvalidFromAlias.Malformed`).
pub const MAX_FROM_ALIAS_CHARS: usize = 15;

/// Largest rendered `HtmlBody`/`TextBody` sent, in bytes. Aliyun documents about 6 MB (and
/// 8 MB in newer SDK docs) for a body parameter; beyond that Aliyun refuses the message anyway,
/// so it is refused here before a form body several times that size is encoded and signed.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What Direct Mail answers when it took the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sent {
    /// The envelope id.
    pub env_id: String,
    /// Aliyun's request id.
    pub request_id: String,
}

/// Builds the unsigned `SingleSendMail` request for one message.
pub fn plan<'a>(config: &'a DmConfig, message: &'a Message) -> Result<Planned<'a>, Error> {
    message.check_single_recipient("email address")?;
    let payload = &message.payload;
    let i18n = message.template.as_ref();
    let (subject, content, content_type, reply_to) = match i18n {
        Some(t) => (
            t.subject.as_str(),
            t.content.as_str(),
            t.content_type.unwrap_or(ContentType::Html),
            t.reply_to.as_deref(),
        ),
        None => {
            let t = select(&config.templates, &message.usage_type, message.locale()).ok_or_else(
                || Error::TemplateNotFound {
                    usage_type: message.usage_type.clone(),
                },
            )?;
            (t.subject.as_str(), t.content.as_str(), t.content_type, None)
        }
    };
    let subject = render(subject, payload);
    if crate::text::char_count(&subject) > MAX_SUBJECT_CHARS {
        return Err(Error::InvalidTemplate {
            message: format!("The rendered email subject has {} characters; Direct Mail accepts at most {MAX_SUBJECT_CHARS}. Shorten the template subject.", crate::text::char_count(&subject)),
        });
    }
    // As the official connector: an i18n template's sendFrom, when set, replaces fromAlias.
    let from_alias: Option<Cow<'_, str>> = match i18n.and_then(|t| t.send_from.as_deref()) {
        Some(send_from) => Some(Cow::Owned(render(send_from, payload))),
        None => config.from_alias.as_deref().map(Cow::Borrowed),
    };
    if let Some(alias) = &from_alias {
        if crate::text::char_count(alias) > MAX_FROM_ALIAS_CHARS {
            return Err(Error::InvalidTemplate {
                message: format!("The sender alias has {} characters; Direct Mail accepts at most {MAX_FROM_ALIAS_CHARS}. Shorten fromAlias (or the email template's sendFrom).", crate::text::char_count(alias)),
            });
        }
    }
    let mut params: Vec<(&'static str, Cow<'a, str>)> = vec![
        ("AccountName", Cow::Borrowed(&config.account_name)),
        ("AddressType", Cow::Borrowed("1")),
        ("ReplyToAddress", Cow::Borrowed("false")),
        ("ToAddress", Cow::Borrowed(message.to.as_str())),
        ("Subject", Cow::Owned(subject)),
    ];
    if let Some(alias) = from_alias {
        params.push(("FromAlias", alias));
    }
    let body = render(content, payload);
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::InvalidRequest {
            message: format!(
                "The rendered email body is {} MB; Direct Mail accepts at most about {} MB. Check the template and the payload values it inserts.",
                body.len() / (1024 * 1024),
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        });
    }
    params.push(match content_type {
        ContentType::Html => ("HtmlBody", Cow::Owned(body)),
        ContentType::Plain => ("TextBody", Cow::Owned(body)),
    });
    if let Some(reply_to) = reply_to {
        params.push(("ReplyAddress", Cow::Borrowed(reply_to)));
    }
    Ok(Planned {
        api: API,
        url: request_url(&config.common, DM_REGIONS, config.region_id),
        region_id: config.region_id,
        params,
        timeout_ms: config.common.timeout_ms,
    })
}

/// Interprets Aliyun's answer: 2xx with `EnvId` and `RequestId` is success; any other status
/// carries an error body.
pub fn interpret(status: u16, body: Body) -> Result<Sent, Error> {
    let answer = read_answer(status, body)?;
    if !is_success(status) {
        return Err(provider_error(API.action, status, answer));
    }
    match (answer.env_id, answer.request_id) {
        (Some(env_id), Some(request_id)) => Ok(Sent { env_id, request_id }),
        _ => Err(Error::InvalidResponse {
            status,
            reason: "a success answer must have EnvId and RequestId strings".into(),
            body: None,
        }),
    }
}
