//! `docs/rules.md`, generated from the rules' `# METADATA` (never written by hand).

use crate::metadata::RuleMeta;
use std::fmt::Write;

/// The rule catalogue as Markdown.
pub fn catalogue_markdown(rules: &[RuleMeta]) -> String {
    let mut out = String::new();
    out.push_str("# vigil rule catalogue\n\n");
    out.push_str("<!-- Generated from each rule's `# METADATA` by `vigil rules docs`; do not edit by hand.\n");
    out.push_str("     `cargo test` fails when this file is stale. -->\n\n");
    out.push_str("| ID | Severity | Resource types | Title |\n|---|---|---|---|\n");
    for r in rules {
        let _ = writeln!(
            out,
            "| [{}](#{}) | {} | {} | {} |",
            r.id,
            r.id.to_lowercase(),
            r.severity,
            r.resource_types.join(", "),
            r.title.replace('|', "\\\\|")
        );
    }
    for r in rules {
        let _ = write!(
            out,
            "\n## {}\n\n**{}**\n\n- Severity: {}\n- Resource types: {}\n- Policy: `{}` ({})\n",
            r.id,
            r.title,
            r.severity,
            r.resource_types.join(", "),
            r.package,
            r.source.trim_start_matches("builtin:")
        );
        if !r.description.is_empty() {
            let _ = write!(out, "\n{}\n", r.description);
        }
        if !r.remediation.is_empty() {
            let _ = write!(out, "\n**Remediation:** {}\n", r.remediation);
        }
    }
    out
}
