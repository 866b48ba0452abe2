//! Percent-encoding as Aliyun's signature rules require: RFC 3986 over UTF-8 bytes.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay literal; every other byte becomes `%XY` with uppercase hex,
//! so a space is `%20` (never `+`), `*` is `%2A` and `~` stays `~`. JS `encodeURIComponent`
//! leaves `! ' ( ) *` alone, which is why JS signers need fix-ups; here there is one rule.

/// `%00%01…%FF`: the escape of byte `b` is at `3 * b`, so an escape is one `push_str` (the
/// string to sign escapes every `%` of the canonical query again: this loop is hot).
// Indexing in a const initialiser cannot panic at run time: out of bounds fails the build.
#[allow(clippy::indexing_slicing)]
const ESCAPES_BYTES: [u8; 768] = {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut table = [0u8; 768];
    let mut byte = 0;
    while byte < 256 {
        table[3 * byte] = b'%';
        table[3 * byte + 1] = HEX[byte >> 4];
        table[3 * byte + 2] = HEX[byte & 15];
        byte += 1;
    }
    table
};
const ESCAPES: &str = match core::str::from_utf8(&ESCAPES_BYTES) {
    Ok(text) => text,
    Err(_) => "",
};

/// `UNRESERVED[b]` tells whether byte `b` stays literal: one load per byte, on the loop that
/// reads every byte of a form body twice (canonical query, then string to sign).
// Indexing in a const initialiser cannot panic at run time: out of bounds fails the build.
#[allow(clippy::indexing_slicing)]
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        byte += 1;
    }
    table
};

#[inline(always)]
fn is_unreserved(byte: u8) -> bool {
    // A u8 always indexes a 256-entry table; `get` keeps the indexing lint quiet at no cost.
    UNRESERVED.get(usize::from(byte)).copied().unwrap_or(false)
}

/// The length of the percent-encoding of `text`: two more bytes per escaped byte.
pub fn encoded_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes.len() + 2 * bytes.iter().filter(|&&byte| !is_unreserved(byte)).count()
}

/// Hands the percent-encoding of `text` to `sink` in pieces of at most `CHUNK` bytes, without
/// building it as one string: the string to sign is only ever hashed.
pub fn percent_encode_chunks(text: &str, mut sink: impl FnMut(&[u8])) {
    const CHUNK: usize = 256;
    let mut chunk = [0u8; CHUNK];
    let mut len = 0;
    for &byte in text.as_bytes() {
        if len + 3 > CHUNK {
            sink(chunk.get(..len).unwrap_or_default());
            len = 0;
        }
        if is_unreserved(byte) {
            if let Some(slot) = chunk.get_mut(len) {
                *slot = byte;
            }
            len += 1;
        } else {
            let at = 3 * usize::from(byte);
            if let (Some(slot), Some(escape)) =
                (chunk.get_mut(len..len + 3), ESCAPES_BYTES.get(at..at + 3))
            {
                slot.copy_from_slice(escape);
            }
            len += 3;
        }
    }
    sink(chunk.get(..len).unwrap_or_default());
}

/// Appends the percent-encoding of `text` to `out`.
pub fn percent_encode_into(out: &mut String, text: &str) {
    // Runs of unreserved bytes are copied whole: most of a form body is plain ASCII.
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if is_unreserved(byte) {
            continue;
        }
        // A non-empty run starts and ends next to ASCII bytes, so both ends are char
        // boundaries and `get` always succeeds.
        if run_start < index {
            out.push_str(text.get(run_start..index).unwrap_or_default());
        }
        let at = 3 * usize::from(byte);
        out.push_str(ESCAPES.get(at..at + 3).unwrap_or_default());
        run_start = index + 1;
    }
    out.push_str(text.get(run_start..).unwrap_or_default());
}

/// Percent-encodes `text` (see the module docs).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    percent_encode_into(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_table() {
        let cases = [
            ("AZaz09", "AZaz09"),
            ("-_.~", "-_.~"),
            (" ", "%20"),
            ("*", "%2A"),
            ("+", "%2B"),
            ("!'()", "%21%27%28%29"),
            ("/", "%2F"),
            ("=&", "%3D%26"),
            ("%", "%25"),
            ("\"", "%22"),
            ("中", "%E4%B8%AD"),
            ("é", "%C3%A9"),
            ("한", "%ED%95%9C"),
            ("😀", "%F0%9F%98%80"),
            ("a\nb", "a%0Ab"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(percent_encode(input), expected, "{input:?}");
        }
    }

    #[test]
    fn chunks_and_length_agree_with_the_encoding() {
        let long = "中文 a+b*c~".repeat(200);
        for text in ["", "plain", "a b+c/d=e&f", "中文 😀", "%", long.as_str()] {
            let mut chunked = Vec::new();
            percent_encode_chunks(text, |piece| {
                assert!(piece.len() <= 256);
                chunked.extend_from_slice(piece);
            });
            let encoded = percent_encode(text);
            assert_eq!(chunked, encoded.as_bytes(), "{text:?}");
            assert_eq!(encoded_len(text), encoded.len(), "{text:?}");
        }
    }

    #[test]
    fn every_byte_is_either_unreserved_or_escaped() {
        for byte in 0u8..=127 {
            let text = char::from(byte).to_string();
            let encoded = percent_encode(&text);
            if is_unreserved(byte) {
                assert_eq!(encoded, text);
            } else {
                assert_eq!(encoded, format!("%{byte:02X}"));
            }
        }
    }
}

/// Decodes `%XY` escapes (the inverse of [`percent_encode`]); `None` for malformed escapes
/// or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = tail.get(2..)?;
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The decoded value of parameter `name` in a form body built by this module.
pub fn form_value(body: &str, name: &str) -> Option<String> {
    form_pairs(body).find_map(|(key, value)| (key == name).then_some(value))
}

/// Every parameter of a form body built by this module, names as written and values decoded
/// (a value that does not decode is left out).
pub fn form_pairs(body: &str) -> impl Iterator<Item = (&str, String)> {
    body.split('&').filter_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        Some((key, percent_decode(value)?))
    })
}

#[cfg(test)]
mod decode_tests {
    use super::*;

    #[test]
    fn decoding_inverts_encoding() {
        for text in ["", "plain", "a b+c/d=e&f", "中文 😀", "%"] {
            assert_eq!(percent_decode(&percent_encode(text)).as_deref(), Some(text));
        }
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%E4%B8"), None);
        assert_eq!(
            form_value("A=1&SecurityToken=t%2Bk%3D&B=2", "SecurityToken").as_deref(),
            Some("t+k=")
        );
        assert_eq!(form_value("A=1", "SecurityToken"), None);
    }
}
