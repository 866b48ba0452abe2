//! The operator docs follow the core's own tables: every config key (and template key) the
//! core accepts is documented in every language, each README's region table lists exactly the
//! core's regions with their hosts, and each shipped config template passes validation.

#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::PathBuf;

use aliyun_connectors::config::{
    validate_dm, validate_sms, validate_sms_auth, Region, DM_KEYS, DM_REGIONS, DM_TEMPLATE_KEYS,
    SMS_AUTH_KEYS, SMS_AUTH_TEMPLATE_KEYS, SMS_KEYS, SMS_REGIONS, SMS_TEMPLATE_KEYS,
};
use serde_json::Value;

const LANGUAGES: [&str; 4] = [
    "README.md",
    "README.zh-CN.md",
    "README.fr.md",
    "README.ko.md",
];

/// A package's folder under packaging/, its keys and template keys, and its regions (when it
/// has a choice).
type Package = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Option<&'static [Region]>,
);

const PACKAGES: [Package; 3] = [
    ("aliyun-dm", DM_KEYS, DM_TEMPLATE_KEYS, Some(DM_REGIONS)),
    ("aliyun-sms", SMS_KEYS, SMS_TEMPLATE_KEYS, Some(SMS_REGIONS)),
    (
        "aliyun-sms-auth",
        SMS_AUTH_KEYS,
        SMS_AUTH_TEMPLATE_KEYS,
        None,
    ),
];

fn packaging(kind: &str, file: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "packaging", kind, file]
        .iter()
        .collect();
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_config_key_is_documented_in_every_language() {
    for (kind, keys, template_keys, _) in PACKAGES {
        for file in LANGUAGES {
            let text = packaging(kind, file);
            for key in keys.iter().chain(template_keys) {
                assert!(
                    text.contains(&format!("`{key}`")),
                    "{kind}/{file} does not document `{key}`"
                );
            }
        }
    }
}

/// The backticked first cell of a Markdown table row, if it looks like a region id.
fn region_cell(line: &str) -> Option<&str> {
    let cell = line.strip_prefix("| `")?.split('`').next()?;
    // `cn-hangzhou`, `ap-southeast-1`: two letters, a name, maybe a number.
    let mut parts = cell.split('-');
    let country = parts
        .next()
        .is_some_and(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_lowercase()));
    let name = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()));
    let number = parts
        .next()
        .is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let looks_like_region = country && name && number && parts.next().is_none();
    looks_like_region.then_some(cell)
}

#[test]
fn every_readme_lists_the_cores_regions_with_their_hosts() {
    for (kind, _, _, regions) in PACKAGES {
        let Some(regions) = regions else { continue };
        for file in LANGUAGES {
            let text = packaging(kind, file);
            let rows: Vec<&str> = text
                .lines()
                .filter(|line| region_cell(line).is_some())
                .collect();
            for region in regions {
                let row = rows.iter().find(|row| region_cell(row) == Some(region.id));
                let row = row.unwrap_or_else(|| {
                    panic!("{kind}/{file}: no table row for region {}", region.id)
                });
                assert!(
                    row.contains(&format!("`{}`", region.host)),
                    "{kind}/{file}: region {} is not given its host {}",
                    region.id,
                    region.host
                );
            }
            for row in rows {
                let id = region_cell(row).unwrap();
                assert!(
                    regions.iter().any(|region| region.id == id),
                    "{kind}/{file}: {id} is not one of the core's regions"
                );
            }
        }
    }
}

#[test]
fn shipped_config_templates_validate() {
    let template = |kind: &str| -> Value {
        serde_json::from_str(&packaging(kind, "docs/config-template.json")).unwrap()
    };
    assert!(
        validate_dm(&template("aliyun-dm")).is_ok(),
        "{:?}",
        validate_dm(&template("aliyun-dm")).err()
    );
    assert!(
        validate_sms(&template("aliyun-sms")).is_ok(),
        "{:?}",
        validate_sms(&template("aliyun-sms")).err()
    );
    assert!(
        validate_sms_auth(&template("aliyun-sms-auth")).is_ok(),
        "{:?}",
        validate_sms_auth(&template("aliyun-sms-auth")).err()
    );
}
