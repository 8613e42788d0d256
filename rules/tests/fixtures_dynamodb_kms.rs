//! Every DynamoDB and KMS fixture document through the real evaluator with the default
//! parameters: each fails exactly the rules it was written to fail.

use std::collections::BTreeSet;
use vigil_model::{AccountContext, Document, OrgInfo, Status};
use vigil_rules::{LoadOptions, PolicySet};

fn fixture(name: &str) -> Document {
    let path = format!(
        "{}/../fixtures/documents/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// (rule id, message) of every failing finding.
fn failing_with(set: &PolicySet, doc: &Document) -> BTreeSet<(String, String)> {
    let mut ev = set.evaluator();
    let mut out = Vec::new();
    let applied = ev.evaluate(
        doc,
        &AccountContext::default(),
        &OrgInfo::default(),
        &mut out,
    );
    assert_eq!(applied, set.rules_for(&doc.resource_type).count());
    assert!(out.iter().all(|f| f.status != Status::Error), "{out:?}");
    out.into_iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule_id.to_string(), f.message))
        .collect()
}

fn failing(doc: &Document) -> BTreeSet<String> {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    failing_with(&set, doc)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

fn check(cases: &[(&str, &[&str])]) {
    for (name, expected) in cases {
        let got = failing(&fixture(name));
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "fixture {name}");
    }
}

#[test]
fn dynamodb_fixtures_fail_exactly_their_rules() {
    check(&[
        ("dynamodb/compliant", &[]),
        ("dynamodb/aws_managed_key", &[]),
        ("dynamodb/pitr_disabled", &["VGL-DDB-001"]),
        ("dynamodb/aws_owned_key", &["VGL-DDB-002"]),
        ("dynamodb/provisioned", &["VGL-DDB-003"]),
        (
            "dynamodb/legacy_unprotected",
            &["VGL-DDB-001", "VGL-DDB-002", "VGL-DDB-003"],
        ),
    ]);
}

#[test]
fn kms_fixtures_fail_exactly_their_rules() {
    check(&[
        ("kms/compliant", &[]),
        ("kms/asymmetric", &[]),
        ("kms/aws_managed", &[]),
        ("kms/pending_deletion", &[]),
        ("kms/org_shared", &[]),
        ("kms/rotation_disabled", &["VGL-KMS-001"]),
        ("kms/disabled_no_rotation", &["VGL-KMS-001"]),
        ("kms/public_policy", &["VGL-KMS-002"]),
    ]);
}

#[test]
fn every_dynamodb_and_kms_rule_applies_to_its_type() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let ids = |ty: &str| -> BTreeSet<String> { set.rules_for(ty).map(|r| r.id.clone()).collect() };
    assert_eq!(
        ids("AWS::DynamoDB::Table"),
        BTreeSet::from(["VGL-DDB-001", "VGL-DDB-002", "VGL-DDB-003"].map(String::from))
    );
    assert_eq!(
        ids("AWS::KMS::Key"),
        BTreeSet::from(["VGL-KMS-001", "VGL-KMS-002"].map(String::from))
    );
}

#[test]
fn provisioned_allowed_exempts_by_name_or_arn_only_that_table() {
    let doc = fixture("dynamodb/provisioned");
    let legacy = fixture("dynamodb/legacy_unprotected");
    for allowed in [doc.resource_id.clone(), doc.arn.clone()] {
        let opts = LoadOptions {
            params: Some((
                "test".into(),
                serde_json::json!({"dynamodb": {"provisioned_allowed": [allowed]}}),
            )),
            ..Default::default()
        };
        let set = PolicySet::load(&opts).unwrap();
        assert_eq!(failing_with(&set, &doc), BTreeSet::new());
        assert_eq!(
            failing_with(&set, &legacy)
                .into_iter()
                .map(|(id, _)| id)
                .collect::<BTreeSet<_>>(),
            BTreeSet::from(["VGL-DDB-001", "VGL-DDB-002", "VGL-DDB-003"].map(String::from))
        );
    }
}

#[test]
fn messages_name_the_offending_table_key_and_statement() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    assert_eq!(
        failing_with(&set, &fixture("dynamodb/legacy_unprotected")),
        BTreeSet::from([
            (
                "VGL-DDB-001".to_string(),
                "table payments-sessions has point-in-time recovery disabled (status: DISABLED)"
                    .to_string()
            ),
            (
                "VGL-DDB-002".to_string(),
                "table payments-sessions is encrypted with the AWS-owned key, not a KMS key (no SSE description)"
                    .to_string()
            ),
            (
                "VGL-DDB-003".to_string(),
                "table payments-sessions uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST)"
                    .to_string()
            ),
        ])
    );
    assert_eq!(
        failing_with(&set, &fixture("kms/public_policy")),
        BTreeSet::from([(
            "VGL-KMS-002".to_string(),
            "key 8c0e2a4b-6d8f-4a1c-93e5-b7d9f1a3c5e7 (alias/analytics-shared): policy statement AllowEveryone allows principal * to call kms:Encrypt, kms:Decrypt, kms:GenerateDataKey* without a condition restricting the caller"
                .to_string()
        )])
    );
}
