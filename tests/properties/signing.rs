//! Percent-encoding, the canonical query and the signature, against independent oracles.

use aliyun_connectors::pop::encode::percent_encode;
use aliyun_connectors::pop::sign::{canonical_query, signature, signed_form_body, string_to_sign};
use hmac::{Hmac, Mac};
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use sha1::Sha1;

use super::generators::*;
use super::harness::*;

pub fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

pub fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

pub fn check_encode(text: &str) -> Result<(), TestCaseError> {
    let encoded = percent_encode(text);
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = encoded.get(i + 1..i + 3).unwrap_or_default();
            prop_assert!(
                hex.len() == 2
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
                "bad escape in {encoded:?}"
            );
            let byte = u8::from_str_radix(hex, 16).unwrap_or(b'a');
            prop_assert!(
                !is_unreserved(byte),
                "an unreserved byte was escaped in {encoded:?}"
            );
            i += 3;
        } else {
            prop_assert!(
                is_unreserved(bytes[i]),
                "a reserved byte {:?} was left literal in {encoded:?}",
                char::from(bytes[i])
            );
            i += 1;
        }
    }
    prop_assert_eq!(
        percent_decode(&encoded),
        Some(text.as_bytes().to_vec()),
        "does not decode back"
    );
    let expected_len: usize = text
        .bytes()
        .map(|b| if is_unreserved(b) { 1 } else { 3 })
        .sum();
    prop_assert_eq!(encoded.len(), expected_len);
    Ok(())
}

#[test]
fn percent_encoding_is_unreserved_or_escaped_and_reversible() {
    property(
        "percent_encode",
        "encode",
        |input| {
            check_encode(
                input
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
        },
        prop_oneof![arb_text(), any::<String>(), "\\PC{0,64}"],
        |text| check_encode(&text),
    );
}

pub fn decoded_pairs(query: &str) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if query.is_empty() {
        return Some(Vec::new());
    }
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=')?;
            if value.contains('=') {
                return None;
            }
            Some((percent_decode(name)?, percent_decode(value)?))
        })
        .collect()
}

pub fn check_query(
    params: &[(String, String)],
    shuffled: &[(String, String)],
) -> Result<(), TestCaseError> {
    let query = canonical_query(params);
    prop_assert_eq!(&query, &canonical_query(params), "not deterministic");
    let pairs = decoded_pairs(&query).ok_or_else(|| fail(format!("not k=v&k=v: {query:?}")))?;
    prop_assert_eq!(pairs.len(), params.len());
    for window in pairs.windows(2) {
        prop_assert!(
            window[0].0 <= window[1].0,
            "names not sorted by byte order: {query:?}"
        );
    }
    let mut expected: Vec<(Vec<u8>, Vec<u8>)> = params
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    let mut got = pairs.clone();
    expected.sort();
    got.sort();
    prop_assert_eq!(got, expected, "pairs lost or changed");
    let names: BTreeSet<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    if names.len() == params.len() {
        prop_assert_eq!(
            canonical_query(shuffled),
            query,
            "depends on the input order although names are unique"
        );
    }
    Ok(())
}

type Params = Vec<(String, String)>;

/// Parameters, and the same parameters in another order.
pub fn arb_params() -> impl Strategy<Value = (Params, Params)> {
    let unique = prop::collection::btree_map(arb_key(), arb_text(), 0..24)
        .prop_map(|map| map.into_iter().collect::<Vec<_>>());
    let with_duplicates = prop::collection::vec(
        (
            prop::sample::select(&["A", "a", "AB", "Ab", "b", "~", "%"][..])
                .prop_map(str::to_string),
            arb_text(),
        ),
        0..10,
    );
    prop_oneof![3 => unique, 1 => with_duplicates]
        .prop_flat_map(|params| (Just(params.clone()), Just(params).prop_shuffle()))
}

#[test]
fn canonical_query_is_sorted_complete_and_order_independent() {
    property(
        "canonical_query",
        "query",
        |input| {
            let params: Vec<(String, String)> = input
                .get("params")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|pair| {
                            (
                                pair[0].as_str().unwrap_or_default().to_string(),
                                pair[1].as_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut reversed = params.clone();
            reversed.reverse();
            check_query(&params, &reversed)
        },
        arb_params(),
        |(params, shuffled)| check_query(&params, &shuffled),
    );
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|&b| b == byte)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

pub fn check_signature(secret: &str, params: &[(String, String)]) -> Result<(), TestCaseError> {
    let query = canonical_query(params);
    let to_sign = string_to_sign("POST", &query);
    prop_assert!(to_sign.starts_with("POST&%2F&"));
    let signed =
        signature(secret, &to_sign).map_err(|e| fail(format!("signature failed: {e:?}")))?;
    prop_assert_eq!(signed.len(), 28, "signature {:?}", signed);
    prop_assert!(
        signed.ends_with('=') && !signed.ends_with("=="),
        "signature {signed:?}"
    );
    prop_assert!(
        signed
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
        "signature {signed:?}"
    );
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .map_err(|_| fail("hmac".into()))?;
    mac.update(to_sign.as_bytes());
    prop_assert_eq!(
        base64_decode(&signed),
        Some(mac.finalize().into_bytes().to_vec()),
        "not HMAC-SHA1(secret&, string to sign)"
    );
    let body = signed_form_body("POST", params, secret)
        .map_err(|e| fail(format!("signed_form_body failed: {e:?}")))?;
    prop_assert_eq!(
        body,
        format!("{query}&Signature={}", percent_encode(&signed))
    );
    Ok(())
}

#[test]
fn signatures_are_28_char_base64_hmac_sha1() {
    property(
        "signature",
        "signature",
        |input| {
            let secret = input
                .get("secret")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let params: Vec<(String, String)> = input
                .get("params")
                .and_then(Value::as_object)
                .map(|map| {
                    map.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            check_signature(secret, &params)
        },
        (
            prop_oneof![arb_text(), any::<String>()],
            prop::collection::vec((arb_key(), arb_text()), 0..12),
        ),
        |(secret, params)| check_signature(&secret, &params),
    );
}
