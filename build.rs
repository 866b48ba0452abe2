//! Reads the connector metadata (src/metadata/*.json) into its typed model and writes it back
//! minified into OUT_DIR: the readable files stay readable, the Wasm module carries no
//! indentation, and a field the model does not know fails the build.

use std::{env, fs, path::Path};

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "src/metadata/model.rs"]
mod model;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = env::var("OUT_DIR")?;
    println!("cargo::rerun-if-changed=src/metadata/model.rs");
    for name in ["aliyun-dm.json", "aliyun-sms.json", "aliyun-sms-auth.json"] {
        let source = Path::new("src/metadata").join(name);
        println!("cargo::rerun-if-changed={}", source.display());
        let metadata: model::Metadata = serde_json::from_str(&fs::read_to_string(&source)?)
            .map_err(|error| format!("{}: {error}", source.display()))?;
        fs::write(Path::new(&out_dir).join(name), serde_json::to_string(&metadata)?)?;
    }
    Ok(())
}
