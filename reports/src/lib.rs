//! vigil's reports: one module per output format, all writing the same [`ScanResult`].

pub mod csv;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod sns;
pub mod state;
pub mod table;
pub mod text;
#[cfg(test)]
mod test_support;

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
/// Region of account-level resources.
pub const GLOBAL: &str = "global";

use vigil_model::{
    Account, Change, Finding, OrgInfo, RuleInfo, ScanError, Severity, SkippedRegion, Status,
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
    /// Services collected (or, for a snapshot, collected when it was taken).
    pub services: Vec<String>,
    /// Things the user should know that are not findings (expired or stale suppressions).
    pub warnings: Vec<String>,
    /// Suppressions of vigil.toml that matched nothing in this run's scope.
    pub stale_suppressions: Vec<SuppressionReport>,
    /// Suppressions past their expiry date (their findings fail again).
    pub expired_suppressions: Vec<SuppressionReport>,
    /// With `--baseline`: the file compared against; failing findings then carry `change`.
    pub baseline: Option<String>,
    /// With `--baseline`: findings that failed in the baseline and no longer fail (the
    /// baseline's record, `change: resolved`). Scopes this run could not assess resolve nothing.
    pub resolved: Vec<Finding>,
    /// Every rule of the policy set the run evaluated (with severity overrides applied), by id.
    pub rules: Vec<RuleInfo>,
}

/// A suppression of vigil.toml, as reported (stale or expired).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuppressionReport {
    /// `file:line` of the entry.
    pub location: String,
    pub rule_id: String,
    pub reason: String,
    pub expires: String,
    /// Failing findings it matched in this run.
    pub matched: u64,
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
    /// With a baseline: failing findings that are new or unchanged, and resolved ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangeCounts>,
}

/// Counts of a comparison with a previous run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangeCounts {
    pub new: u64,
    pub unchanged: u64,
    pub resolved: u64,
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
        if self.baseline.is_some() {
            let mut c = ChangeCounts {
                resolved: self.resolved.len() as u64,
                ..Default::default()
            };
            for f in &self.findings {
                match f.change {
                    Some(Change::New) => c.new += 1,
                    Some(Change::Unchanged) => c.unchanged += 1,
                    _ => {}
                }
            }
            s.changes = Some(c);
        }
        s
    }

    /// Whether this run assessed the scope of a finding: its account was scanned, its region
    /// and service were in scope, and no error record covers account × region × service (an
    /// error with region `*` covers the whole account). A previous failure outside what was
    /// assessed is unknown now, never resolved.
    /// A per-resource error (one function's policy unreadable) covers that resource only.
    pub fn assessed(
        &self,
        account_id: &str,
        region: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> bool {
        let Some(service) = vigil_model::service_of_resource_type(resource_type) else {
            return false;
        };
        let region_in = region == GLOBAL || self.regions.iter().any(|r| r == region);
        let service_in = self.services.is_empty() || self.services.iter().any(|s| s == service);
        let skipped = self
            .skipped_regions
            .iter()
            .any(|s| s.account_id == account_id && s.region == region);
        let errored = self.errors.iter().any(|e| {
            e.account_id == account_id
                && (e.region == "*" || e.region == region)
                && (e.service == service || e.service == "sts" || e.service == "*")
                && e.resource.as_deref().is_none_or(|r| r == resource_id)
        });
        self.accounts.iter().any(|a| a.id == account_id)
            && region_in
            && service_in
            && !skipped
            && !errored
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
