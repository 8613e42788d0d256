//! `vigil evaluate SNAPSHOT`: the same evaluation and reports as `scan`, offline.

use super::{destinations, finish, load_policies};
use crate::cli::EvaluateArgs;
use crate::pipeline::{scope_error_findings, Workers};
use crate::UsageError;
use clap::ArgMatches;
use std::collections::HashMap;
use std::path::Path;
use vigil_model::{AccountContext, Snapshot, SNAPSHOT_SCHEMA};
use vigil_reports::ScanResult;
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
    serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}:{}:{}: snapshot is malformed: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

pub fn run(args: EvaluateArgs, matches: &ArgMatches) -> Result<u8, UsageError> {
    let dests = destinations(&args.report, matches)?;
    let policies = load_policies(&args.policy)?;
    let snapshot = read_snapshot(&args.snapshot)?;
    let contexts: HashMap<String, AccountContext> = snapshot
        .accounts
        .iter()
        .map(|a| (a.id.clone(), AccountContext::from(a)))
        .collect();
    let collected = snapshot.documents.len() as u64;
    let (tx, rx) = async_channel::bounded(1024);
    let workers = Workers::start(&policies, contexts.clone(), snapshot.org.clone(), rx, false);
    for e in &snapshot.errors {
        let _ = tx.send_blocking(ScanEvent::Error(e.clone()));
    }
    for d in snapshot.documents {
        let _ = tx.send_blocking(ScanEvent::Document(Box::new(d)));
    }
    drop(tx);
    let evaluated = workers.join();
    if evaluated.evaluated != collected {
        return Err(UsageError(format!(
            "internal error: {collected} documents in the snapshot but {} evaluated",
            evaluated.evaluated
        )));
    }
    let services = if snapshot.services.is_empty() {
        vigil_scanner::SERVICES
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        snapshot.services.clone()
    };
    let mut findings = evaluated.findings;
    findings.extend(scope_error_findings(
        &evaluated.errors,
        &policies,
        &services,
        &contexts,
    ));
    let mut result = ScanResult {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: snapshot.started_at,
        finished_at: snapshot.finished_at,
        org: snapshot.org,
        accounts: snapshot.accounts,
        skipped_accounts: snapshot.skipped_accounts,
        regions: snapshot.regions,
        resources: collected,
        evaluated: evaluated.evaluated,
        api_calls: snapshot.api_calls,
        api_calls_by_operation: snapshot.api_calls_by_operation,
        findings,
        errors: evaluated.errors,
        skipped_regions: snapshot.skipped_regions,
    };
    result.sort();
    finish(&result, &dests, args.report.fail_on)
}
