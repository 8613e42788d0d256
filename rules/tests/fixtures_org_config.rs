//! The Organizations and AWS Config fixture documents through the real evaluator with the
//! default parameters: each fails exactly the rules it was written to fail, and the rules
//! added since (VGL-ORG-003 region restriction, VGL-ORG-004 tag/backup policies,
//! VGL-CONFIG-006 delivery status) where it lacks what they ask for.

use std::collections::BTreeSet;
use vigil_model::{AccountContext, Document, Finding, OrgInfo, Status};
use vigil_rules::{LoadOptions, PolicySet};

fn fixture(name: &str) -> Document {
    let path = format!(
        "{}/../fixtures/documents/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn evaluate(set: &PolicySet, doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    let applied = set.evaluator().evaluate(
        doc,
        &AccountContext::default(),
        &OrgInfo::default(),
        &mut out,
    );
    assert_eq!(applied, set.rules_for(&doc.resource_type).count());
    assert!(out.iter().all(|f| f.status != Status::Error), "{out:?}");
    out
}

fn failing(set: &PolicySet, doc: &Document) -> BTreeSet<String> {
    evaluate(set, doc)
        .into_iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.rule_id.to_string())
        .collect()
}

fn check(cases: &[(&str, &[&str])]) {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    for (name, expected) in cases {
        let got = failing(&set, &fixture(name));
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "fixture {name}");
    }
}

#[test]
fn organizations_fixtures_fail_exactly_their_rules() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let ids: BTreeSet<&str> = set
        .rules_for("AWS::Organizations::Account")
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["VGL-ORG-001", "VGL-ORG-002", "VGL-ORG-003", "VGL-ORG-004"])
    );
    check(&[
        // No SCP of the chain restricts regions: VGL-ORG-003 fails everywhere but in the
        // management account (exempt) and under the published region-deny guardrail.
        ("organizations/compliant", &["VGL-ORG-003"]),
        ("organizations/management", &[]),
        (
            "organizations/missing_config_denies",
            &["VGL-ORG-002", "VGL-ORG-003"],
        ),
        // Nor is a tag policy attached along this chain (VGL-ORG-004).
        (
            "organizations/no_whitelist",
            &["VGL-ORG-001", "VGL-ORG-003", "VGL-ORG-004"],
        ),
        (
            "organizations/notaction_too_wide",
            &["VGL-ORG-001", "VGL-ORG-002", "VGL-ORG-003"],
        ),
        (
            "organizations/standalone",
            &["VGL-ORG-001", "VGL-ORG-002", "VGL-ORG-003", "VGL-ORG-004"],
        ),
        // Published SCPs (each policy's `_source` names where it comes from).
        ("organizations/published_guardrails", &[]),
        ("organizations/quarantine", &["VGL-ORG-003"]),
        (
            "organizations/root_user_deny_only",
            &["VGL-ORG-002", "VGL-ORG-003"],
        ),
    ]);
}

#[test]
fn config_fixtures_fail_exactly_their_rules() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let ids: BTreeSet<&str> = set
        .rules_for("AWS::Config::Region")
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "VGL-CONFIG-001",
            "VGL-CONFIG-002",
            "VGL-CONFIG-003",
            "VGL-CONFIG-006"
        ])
    );
    check(&[
        ("config/compliant", &[]),
        ("config/management_aggregators", &[]),
        ("config/empty_region", &["VGL-CONFIG-001", "VGL-CONFIG-003"]),
        ("config/not_recording", &["VGL-CONFIG-001"]),
        (
            "config/inclusion_no_sns",
            &["VGL-CONFIG-002", "VGL-CONFIG-003"],
        ),
        ("config/exclusion", &["VGL-CONFIG-002"]),
        (
            "config/recorder_without_channel",
            &["VGL-CONFIG-001", "VGL-CONFIG-003"],
        ),
    ]);
}

#[test]
fn scp_messages_name_the_extra_services_and_the_missing_denies() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let mut msgs: Vec<(String, String)> =
        evaluate(&set, &fixture("organizations/notaction_too_wide"))
            .into_iter()
            .filter(|f| f.status == Status::Fail && f.rule_id != "VGL-ORG-003")
            .map(|f| (f.rule_id.to_string(), f.message))
            .collect();
    msgs.sort();
    assert_eq!(
        msgs,
        vec![
            (
                "VGL-ORG-001".to_string(),
                "account 777788889999 (sandbox): effective SCPs allow services outside allowed_services: ec2, rds".to_string()
            ),
            (
                "VGL-ORG-002".to_string(),
                "account 777788889999 (sandbox): effective SCPs do not deny config:StopConfigurationRecorder, config:DeleteConfigurationRecorder".to_string()
            ),
        ]
    );
}

#[test]
fn allowed_services_param_widens_the_whitelist() {
    let defaults = vigil_rules::params::defaults();
    let mut services = defaults["allowed_services"].as_array().unwrap().clone();
    services.extend([serde_json::json!("ec2"), serde_json::json!("rds")]);
    let opts = LoadOptions {
        params: Some((
            "test".into(),
            serde_json::json!({ "allowed_services": services }),
        )),
        ..Default::default()
    };
    let set = PolicySet::load(&opts).unwrap();
    let whitelist_rules = |name: &str| -> BTreeSet<String> {
        failing(&set, &fixture(name))
            .into_iter()
            .filter(|id| id == "VGL-ORG-001" || id == "VGL-ORG-002")
            .collect()
    };
    assert_eq!(
        whitelist_rules("organizations/notaction_too_wide"),
        BTreeSet::from(["VGL-ORG-002".to_string()])
    );
    // Every service outside the list is still too many when nothing limits them.
    assert_eq!(
        whitelist_rules("organizations/no_whitelist"),
        BTreeSet::from(["VGL-ORG-001".to_string()])
    );
}
