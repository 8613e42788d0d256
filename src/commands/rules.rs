//! `vigil rules list | show | test`.

use super::load_policies;
use crate::cli::{ListFormat, PolicyArgs, RulesCommand};
use crate::{exit, UsageError};
use comfy_table::{presets, Table};
use serde_json::json;

pub fn run(cmd: RulesCommand) -> Result<u8, UsageError> {
    match cmd {
        RulesCommand::List { format, policy } => list(format, &policy),
        RulesCommand::Show { id, policy } => show(&id, &policy),
        RulesCommand::Test { dir } => test(dir.as_deref()),
        RulesCommand::Docs { policy } => {
            let set = load_policies(&policy)?;
            print!("{}", vigil_rules::docs::catalogue_markdown(set.rules()));
            Ok(exit::CLEAN)
        }
    }
}

fn list(format: ListFormat, policy: &PolicyArgs) -> Result<u8, UsageError> {
    let set = load_policies(policy)?;
    match format {
        ListFormat::Json => {
            let rules: Vec<_> = set
                .rules()
                .iter()
                .map(|r| json!({"id": r.id, "severity": r.severity, "resource_types": r.resource_types, "title": r.title}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&rules).unwrap_or_default()
            );
        }
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_preset(presets::UTF8_FULL_CONDENSED);
            t.set_header(vec!["ID", "Severity", "Resource types", "Title"]);
            for r in set.rules() {
                t.add_row(vec![
                    r.id.clone(),
                    r.severity.to_string(),
                    r.resource_types.join(", "),
                    r.title.clone(),
                ]);
            }
            println!("{t}");
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
    println!("{} — {}", r.id, r.title);
    println!();
    println!("Severity:       {}", r.severity);
    println!("Resource types: {}", r.resource_types.join(", "));
    println!("Policy:         {} ({})", r.package, r.source);
    if !r.description.is_empty() {
        println!("\n{}", r.description);
    }
    if !r.remediation.is_empty() {
        println!("\nRemediation: {}", r.remediation);
    }
    Ok(exit::CLEAN)
}

fn test(dir: Option<&std::path::Path>) -> Result<u8, UsageError> {
    let outcomes =
        vigil_rules::testing::run(dir).map_err(|e| UsageError(format!("policy error: {e}")))?;
    let mut failed = 0;
    for o in &outcomes {
        if o.passed {
            println!("PASS {}", o.name);
        } else {
            failed += 1;
            println!("FAIL {} ({}): {}", o.name, o.file, o.detail);
        }
    }
    println!("{} passed, {} failed", outcomes.len() - failed, failed);
    Ok(if failed == 0 {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}
