//! Minifies the connector metadata (src/metadata/*.json) into OUT_DIR, so the readable files
//! stay readable and the Wasm module carries no indentation.

use std::{env, fs, path::Path};

/// Drops whitespace outside strings; the input is known-good JSON, checked by the tests.
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = env::var("OUT_DIR")?;
    for name in ["aliyun-dm.json", "aliyun-sms.json"] {
        let source = Path::new("src/metadata").join(name);
        println!("cargo::rerun-if-changed={}", source.display());
        fs::write(Path::new(&out_dir).join(name), minify(&fs::read_to_string(&source)?))?;
    }
    Ok(())
}
