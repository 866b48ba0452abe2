//! Connector metadata (what Logto's console shows), compiled in from `src/metadata/*.json`.

mod model;

pub use model::{FormItem, Metadata, SelectItem};

use crate::Kind;

// src/metadata/*.json read into the typed [`Metadata`] and written back minified by build.rs,
// so a field the model does not know fails the build.
const DM: &str = include_str!(concat!(env!("OUT_DIR"), "/aliyun-dm.json"));
const SMS: &str = include_str!(concat!(env!("OUT_DIR"), "/aliyun-sms.json"));
const SMS_AUTH: &str = include_str!(concat!(env!("OUT_DIR"), "/aliyun-sms-auth.json"));

/// The metadata of a connector as JSON text.
pub fn metadata_json(kind: Kind) -> &'static str {
    match kind {
        Kind::Dm => DM,
        Kind::Sms => SMS,
        Kind::SmsAuth => SMS_AUTH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DM_KEYS, SMS_AUTH_KEYS, SMS_KEYS};
    use serde_json::Value;

    fn parsed(kind: Kind) -> Value {
        serde_json::from_str(metadata_json(kind)).unwrap_or(Value::Null)
    }

    #[test]
    fn metadata_reads_into_the_typed_structs_and_back_unchanged() {
        for kind in [Kind::Dm, Kind::Sms, Kind::SmsAuth] {
            let typed: Metadata = serde_json::from_str(metadata_json(kind)).unwrap();
            assert_eq!(
                serde_json::to_value(&typed).unwrap(),
                parsed(kind),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn built_metadata_is_the_source_plus_the_region_picker() {
        for (kind, source, regions) in [
            (
                Kind::Dm,
                include_str!("metadata/aliyun-dm.json"),
                Some(crate::config::DM_REGIONS),
            ),
            (
                Kind::Sms,
                include_str!("metadata/aliyun-sms.json"),
                Some(crate::config::SMS_REGIONS),
            ),
            (
                Kind::SmsAuth,
                include_str!("metadata/aliyun-sms-auth.json"),
                None,
            ),
        ] {
            let mut expected: Value = serde_json::from_str(source).unwrap();
            for item in expected["formItems"].as_array_mut().unwrap() {
                assert!(
                    item.get("selectItems").is_none(),
                    "{kind:?}: the region choices come from the core's table"
                );
                if let (Some(regions), Some("regionId")) = (regions, item["key"].as_str()) {
                    let choices: Vec<Value> = regions
                        .iter()
                        .map(|r| serde_json::json!({ "value": r.id, "title": r.title }))
                        .collect();
                    item["selectItems"] = Value::Array(choices);
                }
            }
            assert_eq!(
                serde_json::from_str::<Value>(metadata_json(kind)).unwrap(),
                expected,
                "{kind:?}"
            );
            assert!(!metadata_json(kind).contains("\n  "));
        }
    }

    #[test]
    fn metadata_has_the_fields_logto_requires() {
        for (kind, id, target) in [
            (Kind::Dm, "aliyun-dm-wasm", "aliyun-dm"),
            (Kind::Sms, "aliyun-sms-wasm", "aliyun-sms"),
            (Kind::SmsAuth, "aliyun-sms-auth-wasm", "aliyun-sms-mas"),
        ] {
            let m = parsed(kind);
            assert_eq!(m["id"], id);
            assert_eq!(m["target"], target);
            assert_ne!(m["id"], "aliyun-direct-mail");
            assert_ne!(m["id"], "aliyun-short-message-service");
            assert_ne!(m["id"], "aliyun-short-message-auth-service");
            assert!(m["platform"].is_null() && m["logoDark"].is_null());
            for field in ["name", "description"] {
                for lang in ["en", "zh-CN", "fr", "ko"] {
                    assert!(
                        m[field][lang].as_str().is_some_and(|s| !s.is_empty()),
                        "{field}.{lang}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_config_key_is_a_form_item_and_secrets_are_confidential() {
        for (kind, keys) in [
            (Kind::Dm, DM_KEYS),
            (Kind::Sms, SMS_KEYS),
            (Kind::SmsAuth, SMS_AUTH_KEYS),
        ] {
            let m = parsed(kind);
            let items = m["formItems"].as_array().cloned().unwrap_or_default();
            let form_keys: Vec<&str> = items.iter().filter_map(|i| i["key"].as_str()).collect();
            assert_eq!(form_keys.len(), keys.len());
            for key in keys.iter() {
                assert!(form_keys.contains(key), "{key} has no form item");
            }
            for item in &items {
                let key = item["key"].as_str().unwrap_or_default();
                assert!(item["label"].as_str().is_some(), "{key} label");
                if key == "accessKeySecret" || key == "securityToken" {
                    assert_eq!(item["isConfidential"], true, "{key}");
                }
            }
        }
    }

    #[test]
    fn region_select_items_are_the_region_tables() {
        use crate::config::{DM_REGIONS, SMS_REGIONS};
        let tables: [(Kind, Vec<&str>); 2] = [
            (
                Kind::Dm,
                DM_REGIONS.iter().map(|region| region.id).collect(),
            ),
            (
                Kind::Sms,
                SMS_REGIONS.iter().map(|region| region.id).collect(),
            ),
        ];
        for (kind, ids) in tables {
            let m = parsed(kind);
            let items = m["formItems"].as_array().cloned().unwrap_or_default();
            let region = items
                .iter()
                .find(|i| i["key"] == "regionId")
                .cloned()
                .unwrap_or_default();
            let values: Vec<&str> = region["selectItems"]
                .as_array()
                .map(|a| a.iter().filter_map(|i| i["value"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(values, ids, "{kind:?}");
            assert_eq!(region["defaultValue"], crate::config::DEFAULT_REGION);
        }
    }

    #[test]
    fn default_templates_are_a_valid_config() {
        for kind in [Kind::Dm, Kind::Sms, Kind::SmsAuth] {
            let m = parsed(kind);
            let items = m["formItems"].as_array().cloned().unwrap_or_default();
            let templates = items
                .iter()
                .find(|i| i["key"] == "templates")
                .map(|i| i["defaultValue"].clone());
            let config = serde_json::json!({
                "accessKeyId": "id",
                "accessKeySecret": "secret",
                "accountName": "a@b.c",
                "signName": "Sig",
                "templates": templates.unwrap_or(Value::Null),
            });
            let ok = match kind {
                Kind::Dm => crate::config::validate_dm(&config).is_ok(),
                Kind::Sms => crate::config::validate_sms(&config).is_ok(),
                Kind::SmsAuth => crate::config::validate_sms_auth(&config).is_ok(),
            };
            assert!(ok, "{kind:?}");
        }
    }
}
