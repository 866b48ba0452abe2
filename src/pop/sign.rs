//! The three signing stages, one function each, so tests can check every stage alone.
//!
//! ```text
//! CanonicalizedQueryString = join("&", sort_by_name(pe(name) "=" pe(value)))   (Signature excluded)
//! StringToSign             = METHOD "&" pe("/") "&" pe(CanonicalizedQueryString)
//! Signature                = Base64(HMAC-SHA1(AccessKeySecret "&", StringToSign))
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::encode::{encoded_len, percent_encode_chunks, percent_encode_into};
use crate::Error;

/// Builds the canonicalized query string: parameters sorted by name in byte order (so
/// uppercase sorts before lowercase, as Aliyun's own SDK sorts its keys), each name and value
/// percent-encoded, joined with `&`.
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    // Sorted by inserting each in place: a request has about fifteen parameters, which the
    // standard sorts would also sort by insertion, behind a general algorithm of a few KB.
    let mut sorted: Vec<(&str, &str)> = Vec::with_capacity(params.len());
    for (name, value) in params {
        let name = name.as_ref();
        let at = sorted.partition_point(|(before, _)| before.as_bytes() <= name.as_bytes());
        sorted.insert(at, (name, value.as_ref()));
    }
    // Sized exactly, with room for the signature: growing reallocated it several times.
    let exact: usize = sorted
        .iter()
        .map(|(name, value)| encoded_len(name) + encoded_len(value) + 1)
        .sum();
    let mut out = String::with_capacity(exact + SIGNATURE_ROOM);
    for (index, (name, value)) in sorted.into_iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        percent_encode_into(&mut out, name);
        out.push('=');
        percent_encode_into(&mut out, value);
    }
    out
}

/// Builds the string to sign for `method` (the HTTP method actually used).
pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    let mut out = String::with_capacity(canonical_query.len() * 5 / 4 + 16);
    // Every piece is whole UTF-8: the method, the separator, or percent-encoded ASCII.
    feed_string_to_sign(method, canonical_query, |piece| {
        out.push_str(std::str::from_utf8(piece).unwrap_or_default());
    });
    out
}

/// Hands the string to sign to `sink` in pieces, in order; one layout for building it and for
/// hashing it as it is encoded.
fn feed_string_to_sign(method: &str, canonical_query: &str, mut sink: impl FnMut(&[u8])) {
    sink(method.as_bytes());
    sink(b"&%2F&");
    percent_encode_chunks(canonical_query, sink);
}

/// `&Signature=` and the percent-encoded Base64 of a 20-byte digest: 28 characters, each at
/// most three bytes once encoded.
const SIGNATURE_ROOM: usize = 11 + 3 * 28;

/// Computes the Base64 HMAC-SHA1 signature with the key `secret + "&"`.
pub fn signature(secret: &str, string_to_sign: &str) -> Result<String, Error> {
    signature_of(secret, |mac| mac.update(string_to_sign.as_bytes()))
}

/// The signature of what `feed` hands the HMAC.
fn signature_of(secret: &str, feed: impl FnOnce(&mut Hmac<Sha1>)) -> Result<String, Error> {
    let mut key = String::with_capacity(secret.len() + 1);
    key.push_str(secret);
    key.push('&');
    // HMAC accepts keys of any length, so this never fails; map it anyway rather than panic.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).map_err(|_| Error::Internal {
        message: "HMAC key setup failed".into(),
    })?;
    feed(&mut mac);
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Signs `params` for `method` and returns the form body with `Signature` appended.
pub fn signed_form_body<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    params: &[(K, V)],
    secret: &str,
) -> Result<String, Error> {
    let mut body = canonical_query(params);
    // The string to sign, hashed as it is encoded, never built.
    let signature = signature_of(secret, |mac| {
        feed_string_to_sign(method, &body, |piece| mac.update(piece));
    })?;
    body.push_str("&Signature=");
    percent_encode_into(&mut body, &signature);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_body_carries_the_signature_of_its_string_to_sign() {
        let params = [("Subject", "验证码 *1* ~ok~".repeat(50)), ("A", "x".into())];
        let body = signed_form_body("POST", &params, "secret").unwrap();
        let (query, signed) = body.split_once("&Signature=").unwrap();
        assert_eq!(query, canonical_query(&params));
        let expected = signature("secret", &string_to_sign("POST", query)).unwrap();
        assert_eq!(signed, super::super::encode::percent_encode(&expected));
    }

    #[test]
    fn canonical_query_sorts_by_byte_order_of_names() {
        let params = [("b", "1"), ("B", "2"), ("a", "x y"), ("A", "*")];
        assert_eq!(canonical_query(&params), "A=%2A&B=2&a=x%20y&b=1");
    }
}
