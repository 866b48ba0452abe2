//! The operator docs follow the core: every key the core accepts is documented in every
//! language, and each shipped config template passes the core's own validation.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::PathBuf;

use aliyun_connectors::config::{validate_dm, validate_sms, DM_KEYS, DM_TEMPLATE_KEYS, SMS_KEYS, SMS_TEMPLATE_KEYS};
use serde_json::from_str as parse;

const LANGUAGES: [&str; 4] = ["README.md", "README.zh-CN.md", "README.fr.md", "README.ko.md"];

fn packaging(kind: &str, file: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "packaging", kind, file].iter().collect();
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_config_key_is_documented_in_every_language() {
    let kinds: [(&str, Vec<&str>); 2] = [
        ("aliyun-dm", DM_KEYS.iter().chain(DM_TEMPLATE_KEYS.iter()).copied().collect()),
        ("aliyun-sms", SMS_KEYS.iter().chain(SMS_TEMPLATE_KEYS.iter()).copied().collect()),
    ];
    for (kind, keys) in kinds {
        for file in LANGUAGES {
            let text = packaging(kind, file);
            for key in &keys {
                assert!(text.contains(&format!("`{key}`")), "{kind}/{file} does not document `{key}`");
            }
        }
    }
}

#[test]
fn shipped_config_templates_validate() {
    let dm: serde_json::Value = parse(&packaging("aliyun-dm", "docs/config-template.json")).unwrap();
    assert!(validate_dm(&dm).is_ok(), "{:?}", validate_dm(&dm).err());
    let sms: serde_json::Value = parse(&packaging("aliyun-sms", "docs/config-template.json")).unwrap();
    assert!(validate_sms(&sms).is_ok(), "{:?}", validate_sms(&sms).err());
}
