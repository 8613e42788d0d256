//! `--baseline previous.json`: compares this run with an earlier JSON report by fingerprint.
//!
//! A failing finding is `new` when the baseline has no failure with its fingerprint, else
//! `unchanged`. A baseline failure that no longer fails is `resolved`, but only where this run
//! assessed its scope: a failure in an account that could not be scanned this time is unknown,
//! not resolved. Muted findings are neither: a suppression hides them from both sides.

use crate::UsageError;
use std::collections::HashSet;
use std::path::Path;
use vigil_model::{Change, Finding, Status};
use vigil_reports::json::SCHEMA;
use vigil_reports::ScanResult;

/// The failing findings of a baseline report.
#[derive(Debug)]
pub struct Baseline {
    pub path: String,
    pub failing: Vec<Finding>,
}

/// Reads a `vigil.report/v1` JSON report; anything else is a usage error naming the file.
pub fn read(path: &Path) -> Result<Baseline, UsageError> {
    let v = crate::commands::read_json(path, "baseline")?;
    match v.get("schema").and_then(|s| s.as_str()) {
        Some(SCHEMA) => {}
        Some(other) => {
            return Err(UsageError(format!(
                "{}: baseline schema is '{other}', this vigil reads '{SCHEMA}'",
                path.display()
            )))
        }
        None => {
            return Err(UsageError(format!(
                "{}: not a vigil JSON report (no \"schema\" field); write one with --format json",
                path.display()
            )))
        }
    }
    let findings = v
        .get("findings")
        .cloned()
        .ok_or_else(|| UsageError(format!("{}: baseline has no findings", path.display())))?;
    let findings: Vec<Finding> = serde_json::from_value(findings).map_err(|e| {
        UsageError(format!(
            "{}: baseline findings are malformed: {e}",
            path.display()
        ))
    })?;
    Ok(Baseline {
        path: path.display().to_string(),
        failing: findings
            .into_iter()
            .filter(|f| f.status == Status::Fail)
            .collect(),
    })
}

/// Marks this run's failing findings new/unchanged and lists the resolved ones.
pub fn apply(baseline: Baseline, result: &mut ScanResult) {
    let before: HashSet<&str> = baseline
        .failing
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut now_failing = HashSet::new();
    for f in &mut result.findings {
        if f.status == Status::Fail {
            now_failing.insert(f.fingerprint.clone());
            f.change = Some(if before.contains(f.fingerprint.as_str()) {
                Change::Unchanged
            } else {
                Change::New
            });
        }
    }
    // Still muted now: not resolved, just hidden.
    let muted: HashSet<&str> = result
        .findings
        .iter()
        .filter(|f| f.status == Status::Muted)
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut seen = HashSet::new();
    let resolved: Vec<Finding> = baseline
        .failing
        .iter()
        .filter(|f| {
            !now_failing.contains(&f.fingerprint)
                && !muted.contains(f.fingerprint.as_str())
                && seen.insert(f.fingerprint.as_str())
                && result.assessed(&f.account_id, &f.region, &f.resource_type, &f.resource_id)
        })
        .cloned()
        .map(|mut f| {
            f.change = Some(Change::Resolved);
            f
        })
        .collect();
    result.resolved = resolved;
    result.baseline = Some(baseline.path);
}
