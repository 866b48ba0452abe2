//! Reading a config value key by key, collecting every problem with its path.

use serde_json::{Map, Value};

use super::fields::{key, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS};
use super::model::{Common, Secret};
use super::regions::{parse_endpoint, Region, DEFAULT_REGION};
use crate::error::{Error, Issue};

/// Collects issues while walking a JSON value.
pub(super) struct Walk {
    pub(super) issues: Vec<Issue>,
}

pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Walk {
    pub(super) fn issue(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A string the official guard requires.
    pub(super) fn required_string(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
        key: &str,
    ) -> Option<String> {
        match object.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => {
                self.issue(
                    join(prefix, key),
                    format!("must be a string, not {}", type_name(other)),
                );
                None
            }
            None => {
                self.issue(join(prefix, key), "is required (a string)");
                None
            }
        }
    }

    /// An optional string of the official guard: absent is fine, `null` is not.
    pub(super) fn official_optional_string(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
        key: &str,
    ) -> Option<String> {
        match object.get(key) {
            None => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => {
                self.issue(
                    join(prefix, key),
                    format!(
                        "must be a string when present, not {} (omit the key to leave it unset)",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    /// One of our optional keys: absent, `null` and `""` all mean unset.
    pub(super) fn added_value<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        key: &str,
    ) -> Option<&'v Value> {
        match object.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.is_empty() => None,
            Some(value) => Some(value),
        }
    }

    pub(super) fn added_string(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
        key: &str,
    ) -> Option<String> {
        match self.added_value(object, key)? {
            Value::String(text) => Some(text.clone()),
            other => {
                self.issue(
                    join(prefix, key),
                    format!("must be a string, not {}", type_name(other)),
                );
                None
            }
        }
    }

    pub(super) fn locale(&mut self, object: &Map<String, Value>, prefix: &str) -> Option<String> {
        let tag = self.added_string(object, prefix, key::LOCALE)?;
        if is_language_tag(&tag) {
            Some(tag)
        } else {
            self.issue(
                join(prefix, key::LOCALE),
                "must be a BCP 47 language tag such as \"en\", \"zh-CN\" or \"ko\"",
            );
            None
        }
    }

    pub(super) fn common(&mut self, object: &Map<String, Value>, endpoint_example: &str) -> Common {
        let endpoint = self
            .added_string(object, "", key::ENDPOINT)
            .and_then(|text| {
                parse_endpoint(&text, endpoint_example)
                    .map_err(|message| self.issue(key::ENDPOINT, message))
                    .ok()
            });
        let security_token = self
            .added_string(object, "", key::SECURITY_TOKEN)
            .map(Secret);
        let timeout_ms = match self.added_value(object, key::TIMEOUT_MS) {
            None => DEFAULT_TIMEOUT_MS,
            Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(ms) if (MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&ms) => ms,
                _ => {
                    self.issue(
                        key::TIMEOUT_MS,
                        format!("must be a whole number of milliseconds from {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS} (default {DEFAULT_TIMEOUT_MS})"),
                    );
                    DEFAULT_TIMEOUT_MS
                }
            },
        };
        Common {
            endpoint,
            security_token,
            timeout_ms,
        }
    }

    /// The official "templates must cover the required usage types" rule, reporting every
    /// missing type at once and suggesting the intended name for a near-miss.
    pub(super) fn required_usage_types(
        &mut self,
        required: &[&'static str],
        usage_types: &[(usize, &str)],
    ) {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|required| !usage_types.iter().any(|(_, found)| found == required))
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut message = format!(
            "needs a template for each of the usage types {}; missing: {}",
            crate::text::join(required, ", "),
            crate::text::join(&missing, ", ")
        );
        for (index, found) in usage_types {
            if let Some(intended) = near_miss(required, found) {
                if missing.contains(&intended) {
                    message.push_str(&format!(
                        "; templates[{index}].usageType is \"{found}\", did you mean \"{intended}\"?"
                    ));
                }
            }
        }
        self.issue(key::TEMPLATES, message);
    }

    /// The `templates` array: each element is handed to `element`, which returns its usage
    /// type when it has one.
    pub(super) fn templates<T>(
        &mut self,
        object: &Map<String, Value>,
        required: &[&'static str],
        mut element: impl FnMut(&mut Walk, &Map<String, Value>, &str) -> Option<T>,
    ) -> Vec<T> {
        let items = match object.get(key::TEMPLATES) {
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.issue(
                    key::TEMPLATES,
                    format!("must be an array of templates, not {}", type_name(other)),
                );
                return Vec::new();
            }
            None => {
                self.issue(key::TEMPLATES, "is required (an array of templates)");
                return Vec::new();
            }
        };
        let mut templates = Vec::with_capacity(items.len());
        let mut usage_types: Vec<(usize, String)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let prefix = format!("templates[{index}]");
            let Value::Object(fields) = item else {
                self.issue(
                    prefix,
                    format!("must be an object, not {}", type_name(item)),
                );
                continue;
            };
            // The usage type counts for the required-types rule even if another field is bad,
            // so one mistake does not also report every type as missing.
            if let Some(Value::String(found)) = fields.get(key::USAGE_TYPE) {
                usage_types.push((index, found.clone()));
            }
            if let Some(template) = element(self, fields, &prefix) {
                templates.push(template);
            }
        }
        let borrowed: Vec<(usize, &str)> =
            usage_types.iter().map(|(i, t)| (*i, t.as_str())).collect();
        self.required_usage_types(required, &borrowed);
        templates
    }

    /// The config, when every part of it was read and nothing was found wrong.
    pub(super) fn finish<T>(self, config: Option<T>) -> Result<T, Error> {
        match config {
            Some(config) if self.issues.is_empty() => Ok(config),
            _ => Err(Error::InvalidConfig {
                issues: self.issues,
            }),
        }
    }
}

/// The required usage type a misspelt one most likely meant (`Signin` → `SignIn`).
pub(super) fn near_miss(required: &[&'static str], found: &str) -> Option<&'static str> {
    if required.contains(&found) {
        return None;
    }
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let found_squashed = squash(found);
    required.iter().copied().find(|candidate| {
        squash(candidate) == found_squashed
            || edit_distance(&squash(candidate), &found_squashed) <= 2
    })
}

/// Levenshtein distance on characters; inputs are short usage type names.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(previous.len());
        current.push(i + 1);
        for (j, cb) in b_chars.iter().enumerate() {
            let substitute =
                previous.get(j).copied().unwrap_or(usize::MAX / 2) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(usize::MAX / 2) + 1;
            let insert = current.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// A plausible BCP 47 tag: a 2–3 letter language, then alphanumeric subtags of 1–8.
pub(super) fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language_ok = parts.next().is_some_and(|lang| {
        (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic())
    });
    language_ok
        && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

pub(super) fn root(value: &Value) -> Result<&Map<String, Value>, Error> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(Error::config(
            "",
            format!(
                "The config must be a JSON object, not {}.",
                type_name(other)
            ),
        )),
    }
}

/// `regionId`: one of `regions`' ids. The official DM key refuses `null`; ours (SMS) treats
/// `null` and `""` as unset.
pub(super) fn region(
    walk: &mut Walk,
    object: &Map<String, Value>,
    regions: &[Region],
    official: bool,
) -> &'static str {
    let value = if official {
        object.get(key::REGION_ID)
    } else {
        walk.added_value(object, key::REGION_ID)
    };
    match value {
        None => DEFAULT_REGION,
        Some(Value::String(id)) => match regions.iter().find(|region| region.id == id) {
            Some(region) => region.id,
            None => {
                let ids: Vec<&str> = regions.iter().map(|region| region.id).collect();
                walk.issue(
                    key::REGION_ID,
                    format!("must be one of {}", crate::text::join(&ids, ", ")),
                );
                DEFAULT_REGION
            }
        },
        Some(other) => {
            walk.issue(
                key::REGION_ID,
                format!("must be a region id string, not {}", type_name(other)),
            );
            DEFAULT_REGION
        }
    }
}
