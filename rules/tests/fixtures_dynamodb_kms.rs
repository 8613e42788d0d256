//! Every DynamoDB and KMS fixture document through the real evaluator with the default
//! parameters: each fails exactly the rules it was written to fail. The fixtures' account
//! (111122223333) belongs to organization o-a1b2c3d4e5 with 999988887777 and 222233334444.

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

/// The fixtures' organization.
fn in_organization(set: &PolicySet) -> PolicySet {
    let org = OrgInfo {
        id: "o-a1b2c3d4e5".into(),
        management_account_id: "999988887777".into(),
    };
    set.with_organization(
        &org,
        ["111122223333", "999988887777", "222233334444"].into_iter(),
    )
}

fn load(params: Option<serde_json::Value>) -> PolicySet {
    let opts = LoadOptions {
        params: params.map(|p| ("test".into(), p)),
        ..Default::default()
    };
    in_organization(&PolicySet::load(&opts).unwrap())
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
    ids(failing_with(&load(None), doc))
}

fn ids(failing: BTreeSet<(String, String)>) -> BTreeSet<String> {
    failing.into_iter().map(|(id, _)| id).collect()
}

fn set_of(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
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
        ("dynamodb/aws_managed_key", &["VGL-DDB-004", "VGL-DDB-005"]),
        (
            "dynamodb/pitr_disabled",
            &["VGL-DDB-001", "VGL-DDB-004", "VGL-DDB-005"],
        ),
        (
            "dynamodb/aws_owned_key",
            &["VGL-DDB-002", "VGL-DDB-004", "VGL-DDB-005"],
        ),
        (
            "dynamodb/provisioned",
            &["VGL-DDB-003", "VGL-DDB-004", "VGL-DDB-005"],
        ),
        (
            "dynamodb/autoscaled",
            &["VGL-DDB-003", "VGL-DDB-004", "VGL-DDB-005"],
        ),
        ("dynamodb/shared_policy", &["VGL-DDB-006"]),
        (
            "dynamodb/legacy_unprotected",
            &[
                "VGL-DDB-001",
                "VGL-DDB-002",
                "VGL-DDB-003",
                "VGL-DDB-004",
                "VGL-DDB-005",
            ],
        ),
    ]);
}

#[test]
fn kms_fixtures_fail_exactly_their_rules() {
    check(&[
        ("kms/compliant", &[]),
        ("kms/asymmetric", &[]),
        ("kms/aws_managed", &[]),
        ("kms/pending_deletion", &["VGL-KMS-003"]),
        ("kms/org_shared", &[]),
        ("kms/rotation_disabled", &["VGL-KMS-001"]),
        ("kms/disabled_no_rotation", &["VGL-KMS-001", "VGL-KMS-003"]),
        ("kms/public_policy", &["VGL-KMS-002"]),
        ("kms/outside_account", &["VGL-KMS-004"]),
    ]);
}

#[test]
fn every_dynamodb_and_kms_rule_applies_to_its_type() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let ids = |ty: &str| -> BTreeSet<String> { set.rules_for(ty).map(|r| r.id.clone()).collect() };
    assert_eq!(
        ids("AWS::DynamoDB::Table"),
        BTreeSet::from(
            [
                "VGL-DDB-001",
                "VGL-DDB-002",
                "VGL-DDB-003",
                "VGL-DDB-004",
                "VGL-DDB-005",
                "VGL-DDB-006"
            ]
            .map(String::from)
        )
    );
    assert_eq!(
        ids("AWS::KMS::Key"),
        BTreeSet::from(
            ["VGL-KMS-001", "VGL-KMS-002", "VGL-KMS-003", "VGL-KMS-004"].map(String::from)
        )
    );
}

#[test]
fn provisioned_allowed_exempts_by_name_or_arn_only_that_table() {
    let doc = fixture("dynamodb/provisioned");
    let legacy = fixture("dynamodb/legacy_unprotected");
    for allowed in [doc.resource_id.clone(), doc.arn.clone()] {
        let set = load(Some(
            serde_json::json!({"dynamodb": {"provisioned_allowed": [allowed]}}),
        ));
        assert_eq!(
            ids(failing_with(&set, &doc)),
            set_of(&["VGL-DDB-004", "VGL-DDB-005"])
        );
        assert_eq!(
            ids(failing_with(&set, &legacy)),
            set_of(&[
                "VGL-DDB-001",
                "VGL-DDB-002",
                "VGL-DDB-003",
                "VGL-DDB-004",
                "VGL-DDB-005"
            ])
        );
    }
}

#[test]
fn auto_scaling_exempts_only_when_params_allow_it_and_backup_plans_can_be_waived() {
    let autoscaled = fixture("dynamodb/autoscaled");
    let provisioned = fixture("dynamodb/provisioned");
    let set = load(Some(serde_json::json!({"dynamodb": {
        "provisioned_with_autoscaling_allowed": true,
        "backup_plan_required": false,
    }})));
    assert_eq!(
        ids(failing_with(&set, &autoscaled)),
        set_of(&["VGL-DDB-004"])
    );
    assert_eq!(
        failing_with(&set, &provisioned),
        BTreeSet::from([
            (
                "VGL-DDB-003".to_string(),
                "table payments-rates uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST); auto scaling covers neither its read nor its write capacity".to_string()
            ),
            (
                "VGL-DDB-004".to_string(),
                "table payments-rates has deletion protection disabled".to_string()
            ),
        ])
    );
}

#[test]
fn trusted_accounts_are_not_outside() {
    let set = load(Some(
        serde_json::json!({"trusted_accounts": ["444455556666"]}),
    ));
    assert_eq!(
        ids(failing_with(&set, &fixture("dynamodb/shared_policy"))),
        BTreeSet::new()
    );
    assert_eq!(
        ids(failing_with(&set, &fixture("kms/outside_account"))),
        BTreeSet::new()
    );
}

#[test]
fn messages_name_the_offending_table_key_and_statement() {
    let set = load(None);
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
            (
                "VGL-DDB-004".to_string(),
                "table payments-sessions has deletion protection disabled".to_string()
            ),
            (
                "VGL-DDB-005".to_string(),
                "table payments-sessions is not in any AWS Backup plan (none of the 2 backup selections in eu-west-1 selects it; excluded by the NotResources of payments-tables (plan daily-35d))"
                    .to_string()
            ),
        ])
    );
    assert_eq!(
        failing_with(&set, &fixture("dynamodb/shared_policy")),
        BTreeSet::from([(
            "VGL-DDB-006".to_string(),
            "table payments-ledger: resource policy statement PartnerRead lets account 444455556666 call dynamodb:GetItem, dynamodb:Query"
                .to_string()
        )])
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
