//! Signature vectors, stage by stage (canonical query, string to sign, signature), read from
//! the shared vector file that the sandbox tests also read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aliyun_connectors::pop::sign::{canonical_query, signature, string_to_sign};
use serde_json::Value;

#[test]
fn every_vector_matches_at_every_stage() {
    let text = include_str!("vectors/pop-signatures.json");
    let doc: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let vectors = doc["vectors"].as_array().cloned().unwrap_or_default();
    assert_eq!(vectors.len(), 3, "the vector file lost entries");
    for vector in vectors {
        let name = vector["name"].as_str().unwrap_or("?");
        let params: Vec<(String, String)> = vector["params"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap_or("").to_string(),
                    pair[1].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let canonical = canonical_query(&params);
        assert_eq!(
            canonical,
            vector["canonicalQuery"].as_str().unwrap_or(""),
            "{name}: canonical query"
        );
        let to_sign = string_to_sign(vector["method"].as_str().unwrap_or(""), &canonical);
        assert_eq!(
            to_sign,
            vector["stringToSign"].as_str().unwrap_or(""),
            "{name}: string to sign"
        );
        let signed = signature(vector["secret"].as_str().unwrap_or(""), &to_sign).ok();
        assert_eq!(
            signed.as_deref(),
            vector["signature"].as_str(),
            "{name}: signature"
        );
    }
}

#[test]
fn logto_vector_canonicalises_the_awkward_account_name() {
    let params = [("AccountName", "<a%b'>")];
    let canonical = canonical_query(&params);
    assert_eq!(canonical, "AccountName=%3Ca%25b%27%3E");
    assert_eq!(
        string_to_sign("POST", &canonical),
        "POST&%2F&AccountName%3D%253Ca%2525b%2527%253E"
    );
}
