//! The shape of connector metadata, as connector-kit's `connectorMetadataGuard` reads it.
//! Shared with build.rs, which reads `src/metadata/*.json` through it: a field it does not
//! know fails the build instead of silently vanishing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Connector metadata. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// The factory id (`aliyun-dm-wasm`).
    pub id: String,
    /// The service the connector is for (the official connector's target).
    pub target: String,
    /// `null` for email and SMS connectors.
    pub platform: Option<String>,
    /// Display name by language tag.
    pub name: BTreeMap<String, String>,
    /// Logo path, relative to the package.
    pub logo: String,
    /// `null`: no dark logo.
    pub logo_dark: Option<String>,
    /// One-line description by language tag.
    pub description: BTreeMap<String, String>,
    /// README path, relative to the package.
    pub readme: String,
    /// Config template path, relative to the package.
    pub config_template: String,
    /// The console's form.
    pub form_items: Vec<FormItem>,
}

/// One field of the console's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormItem {
    /// The config key.
    pub key: String,
    /// The label.
    pub label: String,
    /// `Text`, `Select`, `Json`, `Number`, `Switch`, `MultilineText`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the console marks it required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Shown in the empty field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// The value a new connector starts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
    /// The choices of a `Select`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_items: Option<Vec<SelectItem>>,
    /// Shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Shown on hover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tooltip: Option<String>,
    /// Masked in the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_confidential: Option<bool>,
}

/// One choice of a `Select` form item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectItem {
    /// The config value.
    pub value: String,
    /// What the console shows.
    pub title: String,
}
