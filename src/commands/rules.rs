//! `vigil rules list | show | test`.

use super::{emit, load_policies};
use crate::cli::{ListFormat, PolicyArgs, RulesCommand};
use crate::{exit, UsageError};
use comfy_table::{presets, Table};
use serde_json::json;
use vigil_model::Framework;

pub fn run(cmd: RulesCommand) -> Result<u8, UsageError> {
    match cmd {
        RulesCommand::List {
            format,
            framework,
            policy,
        } => list(format, framework.map(Into::into), &policy),
        RulesCommand::Show { id, policy } => show(&id, &policy),
        RulesCommand::Test { dir } => test(dir.as_deref()),
        RulesCommand::Docs { policy } => {
            let set = load_policies(&policy)?;
            emit(&vigil_rules::docs::catalogue_markdown(set.rules()));
            Ok(exit::CLEAN)
        }
    }
}

fn list(
    format: ListFormat,
    framework: Option<Framework>,
    policy: &PolicyArgs,
) -> Result<u8, UsageError> {
    let set = load_policies(policy)?;
    // With a framework: the rules mapped to it, each with its controls there.
    let rules: Vec<&vigil_rules::metadata::RuleMeta> = set
        .rules()
        .iter()
        .filter(|r| framework.is_none_or(|f| !r.related.get(f).is_empty()))
        .collect();
    match format {
        ListFormat::Json => {
            let rules: Vec<_> = rules
                .iter()
                .map(|r| {
                    let mut v = json!({"id": r.id, "severity": r.severity, "resource_types": r.resource_types, "title": r.title});
                    if !r.related.is_empty() {
                        v["related"] = json!(r.related.as_ref());
                    }
                    v
                })
                .collect();
            emit(&format!(
                "{}\n",
                serde_json::to_string_pretty(&rules).unwrap_or_default()
            ));
        }
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_preset(presets::UTF8_FULL_CONDENSED);
            let mut header = vec!["ID", "Severity", "Resource types", "Title"];
            if let Some(f) = framework {
                header.push(f.key());
            }
            t.set_header(header);
            for r in rules {
                let mut row = vec![
                    r.id.clone(),
                    r.severity.to_string(),
                    r.resource_types.join(", "),
                    r.title.clone(),
                ];
                if let Some(f) = framework {
                    row.push(r.related.get(f).join(", "));
                }
                t.add_row(row);
            }
            emit(&format!("{t}\n"));
        }
    }
    Ok(exit::CLEAN)
}

fn show(id: &str, policy: &PolicyArgs) -> Result<u8, UsageError> {
    let set = load_policies(policy)?;
    let Some(r) = set.rules().iter().find(|r| r.id.eq_ignore_ascii_case(id)) else {
        return Err(UsageError(format!(
            "unknown rule id '{id}' (see `vigil rules list`)"
        )));
    };
    let mut text = format!(
        "{} — {}\n\nSeverity:       {}\nResource types: {}\nPolicy:         {} ({})\n",
        r.id,
        r.title,
        r.severity,
        r.resource_types.join(", "),
        r.package,
        r.source
    );
    if !r.description.is_empty() {
        text.push_str(&format!("\n{}\n", r.description));
    }
    if !r.remediation.is_empty() {
        text.push_str(&format!("\nRemediation: {}\n", r.remediation));
    }
    if !r.related.is_empty() {
        text.push_str("\nRelated controls:\n");
        for f in Framework::ALL {
            let ids = r.related.get(f);
            if !ids.is_empty() {
                text.push_str(&format!("  {:<50} {}\n", f.title(), ids.join(", ")));
            }
        }
    }
    let examples = vigil_rules::testing::examples(&set, &r.id);
    if !examples.is_empty() {
        text.push_str("\nExamples (fixtures/documents/):\n");
        for (fixture, msgs) in examples {
            if msgs.is_empty() {
                text.push_str(&format!("  pass  {fixture}\n"));
            }
            for (status, m) in msgs {
                text.push_str(&format!("  {:<5} {fixture}: {m}\n", status.as_str()));
            }
        }
    }
    emit(&text);
    Ok(exit::CLEAN)
}

fn test(dir: Option<&std::path::Path>) -> Result<u8, UsageError> {
    let outcomes =
        vigil_rules::testing::run(dir).map_err(|e| UsageError(format!("policy error: {e}")))?;
    let mut failed = 0;
    let mut text = String::new();
    for o in &outcomes {
        if o.passed {
            text.push_str(&format!("PASS {}\n", o.name));
        } else {
            failed += 1;
            text.push_str(&format!("FAIL {} ({}): {}\n", o.name, o.file, o.detail));
        }
    }
    text.push_str(&format!(
        "{} passed, {} failed\n",
        outcomes.len() - failed,
        failed
    ));
    emit(&text);
    Ok(if failed == 0 {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}
