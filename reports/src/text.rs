//! Text that the scanned accounts control (API names, route keys, recorder names, policy Sids,
//! function names, error messages), made safe to show.
//!
//! A member account names its own resources, and those names reach the terminal table, CSV
//! and JUnit cells and vigil's messages on stderr. Written as they are, an `ESC ] 0 ; … BEL`
//! retitles the terminal, `ESC [ 2 J` erases it, OSC 52 overwrites the clipboard and a C1
//! `U+009B` is a CSI of its own: one account could rewrite what the reader sees of every other
//! account. [`printable`] replaces every such character with a visible escape, so the name is
//! still recognisable and nothing reaches the terminal as a control.
//!
//! What is escaped ([`needs_escape`]):
//! - every C0 control (U+0000–U+001F, tab and line breaks included: a line break inside a
//!   cell or a log line would forge a row or a line), DEL (U+007F) and every C1 control
//!   (U+0080–U+009F);
//! - the Unicode line and paragraph separators (U+2028, U+2029) and the bidirectional
//!   embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which reorder
//!   what a reader sees ("Trojan Source");
//! - the noncharacters U+FFFE and U+FFFF, which XML 1.0 forbids (with the C0 controls above,
//!   they are every character of a Rust string that XML 1.0 cannot hold), so that printable
//!   text is also valid in any XML text or attribute.
//!
//! Escapes look like Rust's: `\t`, `\n`, `\r`, `\x1b` for other C0 controls and DEL,
//! `\u{9b}` above. A backslash is left as it is: the escape is for the reader, not a
//! reversible encoding (the JSON report holds the exact text).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is shown as an escape by [`printable`].
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{fffe}'
                | '\u{ffff}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every control character (and the others of [`needs_escape`]) replaced by a
/// visible escape; borrowed when there is nothing to escape.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape_where(s, needs_escape)
}

/// Like [`printable`], but line feeds stay line breaks: for multi-line messages (a policy
/// parse error with its source excerpt) whose lines are each made printable.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && needs_escape(c))
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&escape) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`printable`] text of at most `max` characters: longer text keeps its head and ends with
/// `… (N more characters)`, N counted in `s` (before escaping). For cells of a table, which
/// must stay readable (and quick to lay out) whatever an account names its resources.
pub fn printable_clipped(s: &str, max: usize) -> Cow<'_, str> {
    // Escapes only lengthen the text: short text with nothing to escape is the common case.
    if s.len() <= max && !s.contains(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(max.min(s.len()) + 32);
    let mut shown = 0usize;
    let mut one = String::new();
    for (i, c) in s.char_indices() {
        one.clear();
        if needs_escape(c) {
            push_escaped(&mut one, c);
        } else {
            one.push(c);
        }
        let width = one.chars().count();
        if shown + width > max {
            let more = s[i..].chars().count();
            let _ = write!(
                out,
                "… ({more} more character{})",
                if more == 1 { "" } else { "s" }
            );
            return Cow::Owned(out);
        }
        out.push_str(&one);
        shown += width;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_untouched() {
        for s in [
            "orders-api",
            "",
            "a b/c:d",
            "Zürich – 東京 ✓",
            "back\\slash",
        ] {
            assert!(matches!(printable(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(printable(s), s);
            assert!(matches!(printable_clipped(s, 100), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn terminal_attacks_become_visible_escapes() {
        let cases = [
            ("\u{1b}]0;owned\u{7}", "\\x1b]0;owned\\x07"),
            ("\u{1b}[2J\u{1b}[H", "\\x1b[2J\\x1b[H"),
            ("\u{1b}]52;c;ZXZpbA==\u{7}", "\\x1b]52;c;ZXZpbA==\\x07"),
            ("\u{9b}2J", "\\u{9b}2J"),
            ("\u{9d}0;t\u{9c}", "\\u{9d}0;t\\u{9c}"),
            ("a\tb\nc\rd\u{0}e\u{7f}", "a\\tb\\nc\\rd\\x00e\\x7f"),
            ("\u{202e}gnp.exe\u{2066}", "\\u{202e}gnp.exe\\u{2066}"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("x\u{fffe}\u{ffff}y", "x\\u{fffe}\\u{ffff}y"),
        ];
        for (raw, shown) in cases {
            assert_eq!(printable(raw), shown);
            assert!(!printable(raw).contains(needs_escape));
        }
    }

    #[test]
    fn every_c0_c1_and_del_is_escaped() {
        for cp in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(cp).unwrap();
            let s = printable(&c.to_string()).into_owned();
            assert!(s.starts_with('\\'), "{cp:#x} -> {s:?}");
            assert!(s.chars().all(|c| c.is_ascii_graphic()), "{cp:#x} -> {s:?}");
        }
    }

    #[test]
    fn printable_lines_keeps_line_feeds_only() {
        assert_eq!(
            printable_lines("error\n  --> x\r\n\u{1b}[2J"),
            "error\n  --> x\\r\n\\x1b[2J"
        );
    }

    #[test]
    fn clipping_keeps_the_head_and_counts_the_rest() {
        let long = "a".repeat(100_000);
        let c = printable_clipped(&long, 300);
        assert_eq!(c, format!("{}… (99700 more characters)", "a".repeat(300)));
        assert_eq!(printable_clipped("abcd", 3), "abc… (1 more character)");
        assert_eq!(printable_clipped("abc", 3), "abc");
        // Escapes count at their shown width and are never cut in half.
        assert_eq!(
            printable_clipped("ab\u{1b}cd", 5),
            "ab… (3 more characters)"
        );
        assert_eq!(printable_clipped("ab\u{1b}", 6), "ab\\x1b");
        let wide = "\u{9b}".repeat(50_000);
        let c = printable_clipped(&wide, 60);
        assert!(c.starts_with("\\u{9b}\\u{9b}"));
        assert!(c.ends_with("… (49990 more characters)"), "{c}");
        assert!(!c.contains(needs_escape));
    }
}
