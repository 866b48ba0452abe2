//! Percent-encoding as Aliyun's signature rules require: RFC 3986 over UTF-8 bytes.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay literal; every other byte becomes `%XY` with uppercase hex,
//! so a space is `%20` (never `+`), `*` is `%2A` and `~` stays `~`. JS `encodeURIComponent`
//! leaves `! ' ( ) *` alone, which is why JS signers need fix-ups; here there is one rule.

/// Uppercase hex digit of a nibble (0–15).
fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 { b'0' + nibble } else { b'A' + (nibble - 10) })
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Appends the percent-encoding of `text` to `out`.
pub fn percent_encode_into(out: &mut String, text: &str) {
    for &byte in text.as_bytes() {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0F));
        }
    }
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
