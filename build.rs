//! Reads the connector metadata (src/metadata/*.json) into its typed model, completes it from
//! the core's own tables, checks it against them, and writes it minified into OUT_DIR: the
//! readable files stay readable and the Wasm module carries no indentation.
//!
//! - the region picker's choices (`selectItems` of `regionId`) come from the region tables;
//! - the form must offer exactly the config keys the core validates, so a key added to one
//!   and not the other fails the build;
//! - a field the metadata model does not know fails the build.

use std::{env, fs, path::Path};

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "src/metadata/model.rs"]
mod model;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "src/config/regions.rs"]
mod regions;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "src/config/fields.rs"]
mod fields;

use regions::Region;

/// A package's metadata file, its config keys, and its region table (if it has a picker).
struct Connector {
    file: &'static str,
    keys: &'static [&'static str],
    regions: Option<&'static [Region]>,
}

const CONNECTORS: [Connector; 3] = [
    Connector {
        file: "aliyun-dm.json",
        keys: fields::DM_KEYS,
        regions: Some(regions::DM_REGIONS),
    },
    Connector {
        file: "aliyun-sms.json",
        keys: fields::SMS_KEYS,
        regions: Some(regions::SMS_REGIONS),
    },
    Connector {
        file: "aliyun-sms-auth.json",
        keys: fields::SMS_AUTH_KEYS,
        regions: None,
    },
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = env::var("OUT_DIR")?;
    for input in [
        "src/metadata/model.rs",
        "src/config/regions.rs",
        "src/config/fields.rs",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    for Connector {
        file: name,
        keys,
        regions,
    } in CONNECTORS
    {
        let source = Path::new("src/metadata").join(name);
        println!("cargo::rerun-if-changed={}", source.display());
        let mut metadata: model::Metadata = serde_json::from_str(&fs::read_to_string(&source)?)
            .map_err(|error| format!("{}: {error}", source.display()))?;
        let form: Vec<&str> = metadata
            .form_items
            .iter()
            .map(|item| item.key.as_str())
            .collect();
        let mut missing: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|key| !form.contains(key))
            .collect();
        missing.extend(form.iter().copied().filter(|key| !keys.contains(key)));
        if !missing.is_empty() {
            return Err(format!(
                "{}: the form and the config keys differ in {missing:?}",
                source.display()
            )
            .into());
        }
        if let Some(regions) = regions {
            let picker = metadata
                .form_items
                .iter_mut()
                .find(|item| item.key == fields::key::REGION_ID)
                .ok_or_else(|| format!("{}: no regionId form item", source.display()))?;
            picker.select_items = Some(
                regions
                    .iter()
                    .map(|region| model::SelectItem {
                        value: region.id.to_string(),
                        title: region.title.to_string(),
                    })
                    .collect(),
            );
        }
        fs::write(
            Path::new(&out_dir).join(name),
            serde_json::to_string(&metadata)?,
        )?;
    }
    Ok(())
}
