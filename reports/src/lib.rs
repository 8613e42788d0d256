//! vigil's reports: one module per output format, all writing the same [`ScanResult`].

pub mod json;
pub mod table;

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use vigil_model::{
    Account, Finding, OrgInfo, RuleInfo, ScanError, Severity, SkippedRegion, Status,
};

/// Everything a report needs about one run.
#[derive(Debug, Clone, Serialize)]
pub struct ScanResult {
    pub tool_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub org: OrgInfo,
    pub accounts: Vec<Account>,
    /// Found but not scanned (suspended, closing).
    pub skipped_accounts: Vec<Account>,
    pub regions: Vec<String>,
    /// Resource documents collected (or read from a snapshot).
    pub resources: u64,
    /// Resource documents that went through the evaluator (must equal `resources`).
    pub evaluated: u64,
    pub api_calls: u64,
    pub api_calls_by_operation: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    /// Regions asked for but not enabled in an account.
    pub skipped_regions: Vec<SkippedRegion>,
    /// Every rule of the policy set the run evaluated (with severity overrides applied), by id.
    pub rules: Vec<RuleInfo>,
}

/// Counts per status and, for failures, per severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub fail: u64,
    pub pass: u64,
    pub error: u64,
    pub muted: u64,
    /// Failing findings per severity; every severity is present.
    pub by_severity: BTreeMap<String, u64>,
}

impl ScanResult {
    /// Status counts; `by_severity` counts failing findings.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for sev in Severity::ALL_DESC {
            s.by_severity.insert(sev.as_str().to_string(), 0);
        }
        for f in &self.findings {
            match f.status {
                Status::Fail => {
                    s.fail += 1;
                    *s.by_severity
                        .entry(f.severity.as_str().to_string())
                        .or_default() += 1;
                }
                Status::Pass => s.pass += 1,
                Status::Error => s.error += 1,
                Status::Muted => s.muted += 1,
            }
        }
        s
    }

    /// Sorts findings into the order every report uses: severity (most severe first),
    /// account, region, rule, resource.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.status.cmp(&b.status))
                .then_with(|| a.account_id.cmp(&b.account_id))
                .then_with(|| a.region.cmp(&b.region))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.resource_id.cmp(&b.resource_id))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.errors.sort_by(|a, b| {
            (&a.account_id, &a.region, &a.service, &a.operation).cmp(&(
                &b.account_id,
                &b.region,
                &b.service,
                &b.operation,
            ))
        });
    }
}

/// An output format.
pub trait Reporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()>;
}
