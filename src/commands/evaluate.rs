//! `vigil evaluate SNAPSHOT`: the same evaluation and reports as `scan`, offline.

use super::{destinations, fail_on, finish, load_policies_with, post_process, read_baseline};
use crate::cli::EvaluateArgs;
use crate::pipeline::{account_contexts, ensure_all_evaluated, scan_result, Workers};
use crate::UsageError;
use clap::ArgMatches;
use std::path::Path;
use vigil_model::{Snapshot, SNAPSHOT_SCHEMA};
use vigil_scanner::ScanEvent;

/// Reads and checks a snapshot file.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read snapshot {}: {e}", path.display())))?;
    let probe: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}:{}:{}: snapshot is not valid JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    match probe.get("schema").and_then(|s| s.as_str()) {
        Some(SNAPSHOT_SCHEMA) => {}
        Some(other) => {
            return Err(UsageError(format!(
                "{}: snapshot schema is '{other}', this vigil reads '{SNAPSHOT_SCHEMA}'",
                path.display()
            )))
        }
        None => {
            return Err(UsageError(format!(
                "{}: not a vigil snapshot (no \"schema\" field)",
                path.display()
            )))
        }
    }
    // A document whose shape vigil cannot read (`configuration` null, a string, an array) is
    // rejected here, naming it: judged as it is, some rules would pass it and others fail it.
    if let Some(docs) = probe.get("documents").and_then(|d| d.as_array()) {
        for (i, d) in docs.iter().enumerate() {
            if let Some(problem) = vigil_model::Document::shape_problem(d) {
                let name = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("?");
                return Err(UsageError(format!(
                    "{}: documents[{i}] ({} {} in {}/{}): {problem}",
                    path.display(),
                    name("resourceType"),
                    name("resourceId"),
                    name("awsAccountId"),
                    name("awsRegion"),
                )));
            }
        }
    }
    serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}:{}:{}: snapshot is malformed: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

pub fn run(args: EvaluateArgs, matches: &ArgMatches, quiet: bool) -> Result<u8, UsageError> {
    let dests = destinations(&args.report, matches)?;
    let cfg = crate::config::load_located(args.policy.config.as_deref())?;
    let policies = load_policies_with(&args.policy, &cfg)?;
    let baseline = read_baseline(&args.report)?;
    let mut snapshot = read_snapshot(&args.snapshot)?;
    let contexts = account_contexts(&snapshot.accounts);
    let documents = std::mem::take(&mut snapshot.documents);
    let collected = documents.len() as u64;
    let (tx, rx) = async_channel::bounded(1024);
    let workers = Workers::start(&policies, contexts.clone(), snapshot.org.clone(), rx, false);
    for e in &snapshot.errors {
        let _ = tx.send_blocking(ScanEvent::Error(e.clone()));
    }
    for d in documents {
        let _ = tx.send_blocking(ScanEvent::Document(Box::new(d)));
    }
    drop(tx);
    let evaluated = workers.join();
    ensure_all_evaluated(collected, &evaluated).map_err(UsageError)?;
    let mut result = scan_result(snapshot, evaluated, collected, &policies, &contexts);
    post_process(&mut result, &cfg, baseline, quiet);
    let fail_on = fail_on(&args.report, matches, &cfg);
    finish(&result, &dests, fail_on, args.report.fail_on_new)
}
