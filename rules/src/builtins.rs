//! Load-time check that every builtin a policy calls exists in vigil's Rego engine.
//!
//! regorus accepts calls to builtins it does not implement (`net.cidr_contains`,
//! `crypto.x509.parse_certificates`, `io.jwt.decode`, ...) and only fails when such a call is
//! evaluated, i.e. in the middle of a scan. Dotted calls are checked here against the
//! engine's own builtin table, before anything is scanned.

use std::collections::BTreeSet;

/// A call to a builtin the engine lacks: 1-based line and the builtin's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBuiltin {
    pub line: usize,
    pub name: String,
}

/// Aliases introduced by `import data.a.b` (→ `b`) and `import data.a.b as c` (→ `c`).
fn import_aliases(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let Some(rest) = line.trim().strip_prefix("import ") else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let path = parts.next().unwrap_or_default();
        let alias = match (parts.next(), parts.next()) {
            (Some("as"), Some(a)) => a.to_string(),
            _ => path.rsplit('.').next().unwrap_or_default().to_string(),
        };
        out.insert(alias);
    }
    out
}

/// The policy text with comments and string literals blanked out (same length, same lines).
fn strip_comments_and_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                out.push(' ');
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    chars.next();
                    out.push(' ');
                }
            }
            '"' => {
                out.push(' ');
                while let Some(n) = chars.next() {
                    if n == '\\' {
                        chars.next();
                        out.push_str("  ");
                        continue;
                    }
                    if n == '\n' {
                        out.push('\n');
                        continue;
                    }
                    out.push(' ');
                    if n == '"' {
                        break;
                    }
                }
            }
            '`' => {
                out.push(' ');
                for n in chars.by_ref() {
                    out.push(if n == '\n' { '\n' } else { ' ' });
                    if n == '`' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every dotted call (`a.b(`, `a.b.c(`) that is neither an imported reference, a `data.`
/// reference nor a builtin the engine has.
pub fn missing_builtins(text: &str) -> Vec<MissingBuiltin> {
    let code = strip_comments_and_strings(text);
    let aliases = import_aliases(&code);
    let builtins = &*regorus::unstable::BUILTINS;
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        if line.trim_start().starts_with("import ") || line.trim_start().starts_with("package ") {
            continue;
        }
        let bytes = line.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let c = bytes[start];
            let ident_start = (c.is_ascii_alphabetic() || c == b'_')
                && (start == 0
                    || !(bytes[start - 1].is_ascii_alphanumeric()
                        || bytes[start - 1] == b'_'
                        || bytes[start - 1] == b'.'));
            if !ident_start {
                start += 1;
                continue;
            }
            let mut end = start;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b'.')
            {
                end += 1;
            }
            let name = &line[start..end];
            let called = line[end..].trim_start().starts_with('(');
            if called && name.contains('.') {
                let first = name.split('.').next().unwrap_or_default();
                let known = first == "data"
                    || first == "input"
                    || aliases.contains(first)
                    || builtins.contains_key(name);
                if !known {
                    out.push(MissingBuiltin {
                        line: i + 1,
                        name: name.to_string(),
                    });
                }
            }
            start = end.max(start + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_builtins_the_engine_lacks_and_nothing_else() {
        let src = r#"package p
import rego.v1
import data.vigil.lib.scp
import data.other.helpers as h

# net.cidr_contains("10.0.0.0/8", x) in a comment is fine
deny contains msg if {
    net.cidr_contains("10.0.0.0/8", input.ip)
    scp.allowed(input.x)
    h.f(1)
    data.vigil.lib.scp.allowed(2)
    glob.match("a*", [], "ab")
    msg := sprintf("crypto.sha9(%v) %s", [time.now_ns(), "io.jwt.decode(x)"])
}
"#;
        let missing = missing_builtins(src);
        assert_eq!(
            missing,
            vec![MissingBuiltin {
                line: 8,
                name: "net.cidr_contains".into()
            }]
        );
    }

    #[test]
    fn the_builtin_table_has_what_the_library_uses() {
        for name in [
            "glob.match",
            "time.parse_ns",
            "time.now_ns",
            "object.union",
            "object.get",
            "regex.match",
        ] {
            assert!(regorus::unstable::BUILTINS.contains_key(name), "{name}");
        }
    }
}
