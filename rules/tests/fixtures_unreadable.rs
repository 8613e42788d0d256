//! Fixture documents with fields the collector could not read (`collectionErrors`), through the
//! real evaluator (compiled VM or interpreter, as a scan runs them): each rule that reads such a
//! field says `error` with the reason, instead of `pass` or a guess; the rules that do not read
//! it judge the document as usual.

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

/// (status, rule id, message) of a finding.
type Verdict = (Status, String, String);

/// Every finding that is not a pass.
fn verdicts(set: &PolicySet, name: &str) -> BTreeSet<Verdict> {
    let doc = fixture(name);
    assert!(
        !doc.collection_errors.is_empty(),
        "{name} has no collectionErrors"
    );
    let mut out = Vec::new();
    let applied = set.evaluator().evaluate(
        &doc,
        &AccountContext::default(),
        &OrgInfo::default(),
        &mut out,
    );
    assert_eq!(applied, set.rules_for(&doc.resource_type).count());
    out.into_iter()
        .filter(|f| f.status != Status::Pass)
        .map(|f| (f.status, f.rule_id.to_string(), f.message))
        .collect()
}

fn error(rule: &str, message: &str) -> Verdict {
    (Status::Error, rule.to_string(), message.to_string())
}

fn fail(rule: &str, message: &str) -> Verdict {
    (Status::Fail, rule.to_string(), message.to_string())
}

#[test]
fn rules_that_read_an_unreadable_field_say_error() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let cases: Vec<(&str, BTreeSet<Verdict>)> = vec![
        (
            "lambda/policy_unreadable",
            BTreeSet::from([error(
                "VGL-LAMBDA-004",
                "supplementaryConfiguration.policy could not be read: GetPolicy failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: lambda:GetPolicy on resource: arn:aws:lambda:eu-west-1:111122223333:function:ledger-sync with an explicit deny in a resource-based policy",
            )]),
        ),
        (
            "kms/unreadable",
            BTreeSet::from([
                error(
                    "VGL-KMS-001",
                    "supplementaryConfiguration.keyRotationEnabled could not be read: GetKeyRotationStatus failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: kms:GetKeyRotationStatus on this resource because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access",
                ),
                error(
                    "VGL-KMS-002",
                    "supplementaryConfiguration.policy could not be read: GetKeyPolicy failed with UnparsablePolicy: the policy document is not valid JSON: unexpected end of hex escape at line 1 column 61",
                ),
                error(
                    "VGL-KMS-004",
                    "supplementaryConfiguration.policy could not be read: GetKeyPolicy failed with UnparsablePolicy: the policy document is not valid JSON: unexpected end of hex escape at line 1 column 61",
                ),
            ]),
        ),
        (
            "dynamodb/backups_unreadable",
            BTreeSet::from([
                error(
                    "VGL-DDB-001",
                    "supplementaryConfiguration.continuousBackups could not be read: DescribeContinuousBackups failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: dynamodb:DescribeContinuousBackups on resource: arn:aws:dynamodb:eu-west-1:111122223333:table/orders-archive",
                ),
                // The backup selections were read: that rule judges the table as usual.
                fail(
                    "VGL-DDB-005",
                    "table orders-archive is not in any AWS Backup plan (none of the 2 backup selections in eu-west-1 selects it)",
                ),
            ]),
        ),
        (
            "apigatewayv2/routes_unreadable",
            BTreeSet::from([
                error(
                    "VGL-APIGW-003",
                    "supplementaryConfiguration.routes could not be read: GetRoutes failed with TooManyRequestsException: Rate exceeded",
                ),
                fail(
                    "VGL-APIGW-011",
                    "HTTP API partner-http (hx3v9pke): stage $default has no access logging",
                ),
            ]),
        ),
        (
            "organizations/scp_unparsable",
            BTreeSet::from([
                error(
                    "VGL-ORG-001",
                    "supplementaryConfiguration.scpChain could not be read: DescribePolicy failed with UnparsablePolicy: SCP p-10broken: the policy document is not valid JSON: number out of range at line 1 column 92",
                ),
                error(
                    "VGL-ORG-002",
                    "supplementaryConfiguration.scpChain could not be read: DescribePolicy failed with UnparsablePolicy: SCP p-10broken: the policy document is not valid JSON: number out of range at line 1 column 92",
                ),
                error(
                    "VGL-ORG-003",
                    "supplementaryConfiguration.scpChain could not be read: DescribePolicy failed with UnparsablePolicy: SCP p-10broken: the policy document is not valid JSON: number out of range at line 1 column 92",
                ),
                // The document predates tag policy collection: not a pass either.
                error(
                    "VGL-ORG-004",
                    "account 484848484848 (hostile-app): the tag policy attachments were not collected",
                ),
            ]),
        ),
    ];
    for (name, want) in cases {
        assert_eq!(verdicts(&set, name), want, "fixture {name}");
    }
}

#[test]
fn the_interpreter_and_the_compiled_vm_agree_on_error_verdicts() {
    // compile_programs keeps a rule on the VM only where it matches the interpreter on every
    // fixture, the unreadable ones included: these documents must leave the rules that read
    // fallible fields on the VM.
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    assert_eq!(set.compiled_rules(), set.rules().len());
}
