//! `docs/rules.md`, generated from the rules' `# METADATA` (never written by hand).

use crate::metadata::RuleMeta;
use std::fmt::Write;
use vigil_model::Framework;

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
    out.push_str(&mapping_table(rules));
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
        if !r.related.is_empty() {
            out.push_str("\n**Related controls:**\n\n");
            for f in Framework::ALL {
                let ids = r.related.get(f);
                if !ids.is_empty() {
                    let _ = writeln!(out, "- {}: {}", f.title(), code_list(ids));
                }
            }
        }
    }
    out
}

/// Which control of each framework every rule corresponds to (`vigil rules list --framework`
/// filters by one of them).
fn mapping_table(rules: &[RuleMeta]) -> String {
    let mut out = String::from("\n## Mapping to other frameworks\n\n");
    out.push_str("The controls each rule corresponds to, from its `custom.related` METADATA: ");
    let titles: Vec<String> = Framework::ALL
        .iter()
        .map(|f| format!("{} (`{}`)", f.title(), f.key()))
        .collect();
    out.push_str(&titles.join(", "));
    out.push_str(". `vigil rules list --framework fsbp` lists the rules of one framework; SARIF results carry the ids as tags (`fsbp/Lambda.1`) and JSON findings as `related`. Where vigil deliberately differs from a peer's check, the rule's description says how. A blank cell: the framework has no such control.\n\n");
    out.push_str(
        "| ID | FSBP | CIS v3.0.0 | AWS Config rule | Prowler check |\n|---|---|---|---|---|\n",
    );
    for r in rules {
        let cells: Vec<String> = Framework::ALL
            .iter()
            .map(|f| code_list(r.related.get(*f)))
            .collect();
        let _ = writeln!(out, "| {} | {} |", r.id, cells.join(" | "));
    }
    out
}

fn code_list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
