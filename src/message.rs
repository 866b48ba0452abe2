//! One message to send, as Logto describes it to `sendMessage`, read from the send input.
//!
//! The input is ours (the shim builds it from Logto's `{ to, type, payload }` and its
//! callbacks), but its values are Logto's and, through the sign-in page, an end user's: every
//! field is checked, and no error quotes a value.

use serde_json::{Map, Value};

use crate::config::{ContentType, GENERIC};
use crate::error::Error;

/// Longest recipient accepted, in bytes (an email address is at most 320).
const MAX_RECIPIENT_BYTES: usize = 320;

/// An email template from Logto's i18n email templates (`getI18nEmailTemplate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct I18nTemplate {
    /// Subject with handlebars.
    pub subject: String,
    /// Body with handlebars.
    pub content: String,
    /// `contentType`, if given.
    pub content_type: Option<ContentType>,
    /// `replyTo`: a reply-to address.
    pub reply_to: Option<String>,
    /// `sendFrom`: a sender alias.
    pub send_from: Option<String>,
}

impl I18nTemplate {
    /// Reads the host's template; one without a string subject and content is treated as
    /// absent, so the config templates apply, as when Logto finds none.
    pub fn from_value(value: &Value) -> Option<I18nTemplate> {
        let map = value.as_object()?;
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        Some(I18nTemplate {
            subject: text("subject")?,
            content: text("content")?,
            content_type: map
                .get("contentType")
                .and_then(Value::as_str)
                .and_then(ContentType::from_mime),
            reply_to: text("replyTo").filter(|s| !s.is_empty()),
            send_from: text("sendFrom").filter(|s| !s.is_empty()),
        })
    }
}

/// The message of one send: recipient, usage type, payload and the i18n email template.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Recipient email address or phone number.
    pub to: String,
    /// Logto `TemplateType` (unknown types fall back to `Generic` when a template is chosen).
    pub usage_type: String,
    /// Logto payload (`code`, `locale`, context objects, …).
    pub payload: Map<String, Value>,
    /// The i18n email template Logto holds for this type and locale (Direct Mail only).
    pub template: Option<I18nTemplate>,
}

fn invalid(message: &str) -> Error {
    Error::InvalidRequest {
        message: message.to_string(),
    }
}

impl Message {
    /// Reads `{ to, type, payload, template }` from the send input (`docs/contracts.md`).
    pub fn from_input(input: &Value) -> Result<Message, Error> {
        let field = |key: &str| input.get(key).cloned();
        Message::from_parts(
            field("to"),
            field("type"),
            field("payload"),
            field("template"),
        )
    }

    /// [`Message::from_input`] from the input's four values, each `None` when absent.
    pub fn from_parts(
        to: Option<Value>,
        usage_type: Option<Value>,
        payload: Option<Value>,
        template: Option<Value>,
    ) -> Result<Message, Error> {
        let payload = match payload {
            Some(Value::Object(map)) => map,
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err(invalid("The payload must be an object.")),
        };
        let Some(Value::String(to)) = to else {
            return Err(invalid("The recipient (to) must be a string."));
        };
        let usage_type = match usage_type {
            Some(Value::String(kind)) => kind,
            None | Some(Value::Null) => GENERIC.to_string(),
            Some(_) => {
                return Err(invalid(
                    "The message type must be a string such as \"SignIn\".",
                ))
            }
        };
        Ok(Message {
            to,
            usage_type,
            payload,
            template: template.as_ref().and_then(I18nTemplate::from_value),
        })
    }

    /// `payload.locale`, when it is a string.
    pub fn locale(&self) -> Option<&str> {
        self.payload.get("locale").and_then(Value::as_str)
    }

    /// One recipient, as Logto always sends: a comma would make Aliyun send to several.
    pub fn check_single_recipient(&self, what: &str) -> Result<(), Error> {
        let to = &self.to;
        if to.is_empty()
            || to.len() > MAX_RECIPIENT_BYTES
            || to.bytes().any(|b| b == b',')
            || to.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::InvalidRequest {
                message: format!("The recipient must be a single {what} without spaces or commas."),
            });
        }
        Ok(())
    }
}
