//! The result of one run ([`ScanResult`]), its summary, "was this scope assessed", and the one
//! comparison with the failures of an earlier run ([`compare`]).

use crate::{
    service_of_resource_type, Account, Change, Finding, OrgInfo, RuleInfo, ScanError, Severity,
    SkippedRegion, Status, GLOBAL,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The order of findings in every report: severity (most severe first), status, account,
/// region, rule, resource, message.
pub fn report_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.status.cmp(&b.status))
        .then_with(|| a.account_id.cmp(&b.account_id))
        .then_with(|| a.region.cmp(&b.region))
        .then_with(|| a.rule_id.cmp(&b.rule_id))
        .then_with(|| a.resource_id.cmp(&b.resource_id))
        .then_with(|| a.message.cmp(&b.message))
}

/// Everything a report needs about one run.
#[derive(Debug, Clone, Default, Serialize)]
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
    /// Suppressions that matched nothing in this run's scope.
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

/// A suppression, as reported (stale or expired).
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

    /// Some scope could not be assessed: an error record, or an `error` finding (a scope
    /// error, or a rule that could not judge a resource whose fields were not collected).
    pub fn is_partial(&self) -> bool {
        !self.errors.is_empty() || self.findings.iter().any(|f| f.status == Status::Error)
    }

    /// Whether this run assessed the scope of a finding of `rule_id`: the rule was evaluated,
    /// its account was scanned, its region and service were in scope, the region was not
    /// skipped there, and no error record covers it ([`ScanError::covers`]). A previous
    /// failure outside what was assessed is unknown now, never resolved.
    pub fn assessed(
        &self,
        rule_id: &str,
        account_id: &str,
        region: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> bool {
        let Some(service) = service_of_resource_type(resource_type) else {
            return false;
        };
        let rule_in = self.rules.iter().any(|r| r.id == rule_id);
        let region_in = region == GLOBAL || self.regions.iter().any(|r| r == region);
        let service_in = self.services.is_empty() || self.services.iter().any(|s| s == service);
        let skipped = self
            .skipped_regions
            .iter()
            .any(|s| s.account_id == account_id && s.region == region);
        let errored = self
            .errors
            .iter()
            .any(|e| e.covers(account_id, region, service, resource_id));
        rule_in
            && self.accounts.iter().any(|a| a.id == account_id)
            && region_in
            && service_in
            && !skipped
            && !errored
    }

    /// Sorts findings into the order every report uses ([`report_order`]) and errors by
    /// account, region, service, operation.
    pub fn sort(&mut self) {
        self.findings.sort_by(report_order);
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

/// How a run compares with the failures of a previous one (a `--baseline` report or the
/// state table).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// Failing findings whose fingerprint did not fail before (every finding of such a
    /// fingerprint: one rule can fail one resource with several messages).
    pub new: Vec<Finding>,
    /// Failing findings whose fingerprint failed before.
    pub unchanged: Vec<Finding>,
    /// Previous failures that no longer fail, in a scope this run assessed: the previous
    /// record with `change: resolved`, one per fingerprint.
    pub resolved: Vec<Finding>,
    /// Previous failures whose finding is muted now (a suppression): neither failing nor
    /// resolved.
    pub muted: Vec<Finding>,
    /// Previous failures not failing now whose scope this run did not assess: unknown, left
    /// as they were.
    pub not_assessed: Vec<Finding>,
}

/// Compares this run with the failures of a previous run, by fingerprint. A failing finding
/// is new when no previous failure has its fingerprint, else unchanged. A previous failure
/// that does not fail now is resolved only where this run assessed its scope
/// ([`ScanResult::assessed`]); one muted now is neither failing nor resolved.
pub fn compare(previous_failures: &[Finding], result: &ScanResult) -> Comparison {
    let before: HashSet<&str> = previous_failures
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut out = Comparison::default();
    let mut failing: HashSet<&str> = HashSet::new();
    let mut muted: HashSet<&str> = HashSet::new();
    for f in &result.findings {
        match f.status {
            Status::Fail => {
                failing.insert(&f.fingerprint);
                if before.contains(f.fingerprint.as_str()) {
                    out.unchanged.push(f.clone());
                } else {
                    out.new.push(f.clone());
                }
            }
            Status::Muted => {
                muted.insert(&f.fingerprint);
            }
            Status::Pass | Status::Error => {}
        }
    }
    let mut seen = HashSet::new();
    for f in previous_failures {
        if failing.contains(f.fingerprint.as_str()) || !seen.insert(f.fingerprint.as_str()) {
            continue;
        }
        let assessed = result.assessed(
            &f.rule_id,
            &f.account_id,
            &f.region,
            &f.resource_type,
            &f.resource_id,
        );
        if !assessed {
            out.not_assessed.push(f.clone());
        } else if muted.contains(f.fingerprint.as_str()) {
            out.muted.push(f.clone());
        } else {
            let mut f = f.clone();
            f.change = Some(Change::Resolved);
            out.resolved.push(f);
        }
    }
    out
}

impl Comparison {
    /// Sets `change` on this run's findings: failing ones new or unchanged, passing ones whose
    /// previous failure is resolved as resolved.
    pub fn mark(&self, findings: &mut [Finding]) {
        let new: HashSet<&str> = self.new.iter().map(|f| f.fingerprint.as_str()).collect();
        let resolved: HashSet<&str> = self
            .resolved
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        for f in findings {
            f.change = match f.status {
                Status::Fail if new.contains(f.fingerprint.as_str()) => Some(Change::New),
                Status::Fail => Some(Change::Unchanged),
                Status::Pass if resolved.contains(f.fingerprint.as_str()) => Some(Change::Resolved),
                _ => f.change,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fingerprint, AccountStatus};

    const A: &str = "111122223333";
    const B: &str = "444455556666";

    fn rule(id: &str) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            title: format!("{id} title"),
            description: String::new(),
            severity: Severity::High,
            resource_types: vec!["AWS::DynamoDB::Table".into()],
            remediation: format!("fix {id}"),
            related: Default::default(),
        }
    }

    fn account(id: &str) -> Account {
        Account {
            id: id.into(),
            name: format!("name-{id}"),
            email: String::new(),
            ou_path: String::new(),
            tags: Default::default(),
            status: AccountStatus::Active,
        }
    }

    fn finding(rule_id: &str, account: &str, region: &str, table: &str, status: Status) -> Finding {
        let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{table}");
        Finding {
            rule_id: rule_id.into(),
            title: format!("{rule_id} title").into(),
            severity: Severity::High,
            status,
            account_id: account.into(),
            account_name: format!("name-{account}").into(),
            region: region.into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: table.into(),
            resource_arn: arn.as_str().into(),
            message: format!("table {table} fails {rule_id}"),
            remediation: format!("fix {rule_id}").into(),
            fingerprint: fingerprint(rule_id, account, region, &arn),
            change: None,
            suppression: None,
            related: Default::default(),
        }
    }

    fn was(rule_id: &str, account: &str, region: &str, table: &str) -> Finding {
        finding(rule_id, account, region, table, Status::Fail)
    }

    fn result(findings: Vec<Finding>) -> ScanResult {
        ScanResult {
            tool_version: "test".into(),
            accounts: vec![account(A), account(B)],
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            findings,
            services: vec!["dynamodb".into(), "kms".into()],
            rules: vec![rule("VGL-DDB-001"), rule("VGL-DDB-002")],
            ..Default::default()
        }
    }

    fn ids(v: &[Finding]) -> Vec<String> {
        let mut out: Vec<String> = v
            .iter()
            .map(|f| format!("{}|{}|{}", f.rule_id, f.account_id, f.resource_id))
            .collect();
        out.sort();
        out
    }

    fn error(account: &str, region: &str, service: &str, resource: Option<&str>) -> ScanError {
        ScanError {
            account_id: account.into(),
            region: region.into(),
            service: service.into(),
            operation: "Op".into(),
            code: "AccessDenied".into(),
            message: "denied".into(),
            resource: resource.map(str::to_string),
        }
    }

    #[test]
    fn new_unchanged_and_resolved_by_fingerprint() {
        let r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "orders", Status::Fail),
            finding("VGL-DDB-001", A, "eu-west-1", "ledger", Status::Fail),
            finding("VGL-DDB-002", A, "eu-west-1", "ledger", Status::Pass),
        ]);
        let before = vec![
            was("VGL-DDB-001", A, "eu-west-1", "ledger"),
            was("VGL-DDB-002", A, "eu-west-1", "ledger"),
            was("VGL-DDB-002", A, "eu-west-1", "ledger"), // two messages, one fingerprint
            // Deleted table: no finding at all now, scope assessed.
            was("VGL-DDB-001", A, "us-east-1", "gone"),
        ];
        let c = compare(&before, &r);
        assert_eq!(ids(&c.new), ["VGL-DDB-001|111122223333|orders"]);
        assert_eq!(ids(&c.unchanged), ["VGL-DDB-001|111122223333|ledger"]);
        assert_eq!(
            ids(&c.resolved),
            [
                "VGL-DDB-001|111122223333|gone",
                "VGL-DDB-002|111122223333|ledger"
            ]
        );
        assert!(c
            .resolved
            .iter()
            .all(|f| f.change == Some(Change::Resolved)));
        assert!(c.not_assessed.is_empty() && c.muted.is_empty());

        let mut findings = r.findings.clone();
        c.mark(&mut findings);
        let changes: Vec<Option<Change>> = findings.iter().map(|f| f.change).collect();
        assert_eq!(
            changes,
            [
                Some(Change::New),
                Some(Change::Unchanged),
                Some(Change::Resolved)
            ]
        );
    }

    #[test]
    fn nothing_is_resolved_outside_the_scope_this_run_assessed() {
        let mut r = result(vec![]);
        r.accounts.retain(|a| a.id == A); // B not scanned this time
        r.regions = vec!["eu-west-1".into()];
        r.skipped_regions.push(SkippedRegion {
            account_id: A.into(),
            region: "ap-south-1".into(),
            reason: "not enabled".into(),
        });
        r.errors = vec![
            error(A, "eu-west-1", "kms", None), // another service: covers nothing here
            error(A, "eu-west-1", "dynamodb", Some("locked")),
        ];
        let not_assessed = vec![
            was("VGL-DDB-001", B, "eu-west-1", "other-account"),
            was("VGL-DDB-001", A, "us-east-1", "region-not-scanned"),
            was("VGL-DDB-001", A, "ap-south-1", "region-skipped"),
            was("VGL-DDB-001", A, "eu-west-1", "locked"),
            was("VGL-DDB-009", A, "eu-west-1", "rule-not-evaluated"),
        ];
        let mut before = not_assessed.clone();
        before.push(was("VGL-DDB-001", A, "eu-west-1", "fixed"));
        let c = compare(&before, &r);
        assert_eq!(ids(&c.resolved), ["VGL-DDB-001|111122223333|fixed"]);
        assert_eq!(ids(&c.not_assessed), ids(&not_assessed));

        // A service outside --services resolves nothing.
        let mut r2 = result(vec![]);
        r2.services = vec!["kms".into()];
        let c = compare(&[was("VGL-DDB-001", A, "eu-west-1", "t")], &r2);
        assert!(c.resolved.is_empty());
        assert_eq!(c.not_assessed.len(), 1);
    }

    #[test]
    fn an_account_wide_error_keeps_every_failure_of_that_account() {
        let mut r = result(vec![]);
        r.errors = vec![ScanError::account_wide(
            B,
            "AssumeRole",
            "AccessDenied",
            "no",
        )];
        assert_eq!(
            (r.errors[0].region.as_str(), r.errors[0].service.as_str()),
            ("*", "sts")
        );
        let before = vec![
            was("VGL-DDB-001", B, "eu-west-1", "t1"),
            was("VGL-DDB-002", B, "us-east-1", "t2"),
            was("VGL-DDB-001", A, "eu-west-1", "t3"),
        ];
        let c = compare(&before, &r);
        assert_eq!(ids(&c.resolved), ["VGL-DDB-001|111122223333|t3"]);
        assert_eq!(
            ids(&c.not_assessed),
            ["VGL-DDB-001|444455556666|t1", "VGL-DDB-002|444455556666|t2"]
        );
        // A region-level error of the service covers that region only.
        let mut r = result(vec![]);
        r.errors = vec![error(B, "us-east-1", "dynamodb", None)];
        let c = compare(&before[..2], &r);
        assert_eq!(ids(&c.resolved), ["VGL-DDB-001|444455556666|t1"]);
        assert_eq!(ids(&c.not_assessed), ["VGL-DDB-002|444455556666|t2"]);
    }

    #[test]
    fn muted_findings_are_neither_new_nor_resolved() {
        let r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "was-failing", Status::Muted),
            finding("VGL-DDB-001", A, "eu-west-1", "never-failed", Status::Muted),
        ]);
        let c = compare(&[was("VGL-DDB-001", A, "eu-west-1", "was-failing")], &r);
        assert!(c.new.is_empty() && c.resolved.is_empty() && c.unchanged.is_empty());
        assert_eq!(ids(&c.muted), ["VGL-DDB-001|111122223333|was-failing"]);
    }

    #[test]
    fn partial_means_errors_or_error_findings() {
        let mut r = result(vec![finding(
            "VGL-DDB-001",
            A,
            "eu-west-1",
            "t",
            Status::Fail,
        )]);
        assert!(!r.is_partial());
        r.findings[0].status = Status::Error;
        assert!(r.is_partial());
        r.findings.clear();
        r.errors.push(error(A, "eu-west-1", "dynamodb", None));
        assert!(r.is_partial());
    }
}
