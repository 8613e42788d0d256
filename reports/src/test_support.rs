//! Small results for the unit tests of the report formats.

use crate::ScanResult;
use vigil_model::{
    fingerprint, Account, AccountStatus, Finding, OrgInfo, RuleInfo, Severity, Status,
};

/// A Lambda finding of `rule` in account 111122223333, eu-west-1.
pub fn finding(rule: &str, status: Status, severity: Severity) -> Finding {
    let arn = "arn:aws:lambda:eu-west-1:111122223333:function:orders-api";
    Finding {
        rule_id: rule.into(),
        title: format!("title of {rule}").into(),
        severity,
        status,
        account_id: "111122223333".into(),
        account_name: "payments-prod".into(),
        region: "eu-west-1".into(),
        resource_type: "AWS::Lambda::Function".into(),
        resource_id: "orders-api".into(),
        resource_arn: arn.into(),
        message: match status {
            Status::Fail => "function orders-api has environment variables but no CMK".into(),
            _ => String::new(),
        },
        remediation: "Set KmsKeyArn.".into(),
        fingerprint: fingerprint(rule, "111122223333", "eu-west-1", arn),
        change: None,
        suppression: None,
        related: Default::default(),
    }
}

/// A result holding `findings`, with one rule per distinct rule id (in order of appearance).
pub fn result_with(findings: Vec<Finding>) -> ScanResult {
    let mut rules: Vec<RuleInfo> = Vec::new();
    for f in &findings {
        if !rules.iter().any(|r| r.id == f.rule_id) {
            rules.push(RuleInfo {
                id: f.rule_id.to_string(),
                title: f.title.to_string(),
                description: format!("description of {}", f.rule_id),
                severity: f.severity,
                resource_types: vec![f.resource_type.to_string()],
                remediation: f.remediation.to_string(),
                related: Default::default(),
            });
        }
    }
    ScanResult {
        tool_version: "0.0.0-test".into(),
        started_at: "2026-01-02T03:04:05.678Z".into(),
        finished_at: "2026-01-02T03:04:09Z".into(),
        org: OrgInfo {
            id: "o-test".into(),
            management_account_id: "111122223333".into(),
        },
        accounts: vec![Account {
            id: "111122223333".into(),
            name: "payments-prod".into(),
            email: String::new(),
            ou_path: "Root".into(),
            tags: Default::default(),
            status: AccountStatus::Active,
        }],
        skipped_accounts: Vec::new(),
        regions: vec!["eu-west-1".into()],
        resources: 1,
        evaluated: 1,
        api_calls: 0,
        api_calls_by_operation: Default::default(),
        findings,
        errors: Vec::new(),
        skipped_regions: Vec::new(),
        services: Vec::new(),
        warnings: Vec::new(),
        stale_suppressions: Vec::new(),
        expired_suppressions: Vec::new(),
        baseline: None,
        resolved: Vec::new(),
        rules,
    }
}
