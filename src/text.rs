//! Small text helpers in place of standard ones that cost the module far more than they do
//! here: the slice join's specialised copy, the word-at-a-time character counter, and the
//! two-way substring searcher (with the panic formatting its slicing pulls in). The texts
//! they see are short: templates, error messages, URLs.

/// `items` joined with `separator`, as `[T]::join` does.
pub(crate) fn join<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let mut joined = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            joined.push_str(separator);
        }
        joined.push_str(item.as_ref());
    }
    joined
}

/// The number of characters (Unicode scalar values) in `text`, as `text.chars().count()`.
pub(crate) fn char_count(text: &str) -> usize {
    // Every character has exactly one byte that is not a UTF-8 continuation byte.
    text.bytes().filter(|&byte| byte & 0xC0 != 0x80).count()
}

/// Where `needle` first occurs in `text`, as `text.find(needle)` finds it. A match of UTF-8
/// bytes always starts and ends on character boundaries.
#[inline(never)]
pub(crate) fn find(text: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return Some(0);
    }
    text.as_bytes()
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `text.split_once(separator)`.
pub(crate) fn split_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let at = find(text, separator)?;
    Some((text.get(..at)?, text.get(at + separator.len()..)?))
}

/// `text.replace(from, to)` for a non-empty `from`; an empty `from` changes nothing.
pub(crate) fn replace(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find(rest, from).filter(|_| !from.is_empty()) {
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push_str(to);
        rest = rest.get(at + from.len()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 8] = [
        "",
        "a",
        "ascii text",
        "é中文验证码",
        "😀 a 😀",
        "aaaa",
        "{{code}} {{ code }}{{",
        "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
    ];
    const NEEDLES: [&str; 7] = ["a", "aa", "中文", "😀", "{{", "://", "code}}"];

    #[test]
    fn helpers_agree_with_the_standard_ones() {
        for text in TEXTS {
            assert_eq!(char_count(text), text.chars().count(), "{text:?}");
            assert_eq!(find(text, ""), text.find(""), "{text:?}");
            for needle in NEEDLES {
                assert_eq!(find(text, needle), text.find(needle), "{text:?} {needle:?}");
                assert_eq!(
                    split_once(text, needle),
                    text.split_once(needle),
                    "{text:?}"
                );
                assert_eq!(
                    replace(text, needle, "*"),
                    text.replace(needle, "*"),
                    "{text:?}"
                );
            }
        }
        assert_eq!(replace("abc", "", "*"), "abc");
        for items in [&[][..], &["a"][..], &["a", "", "b"][..]] {
            assert_eq!(join(items, ", "), items.join(", "));
        }
    }
}
