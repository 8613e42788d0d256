//! Every fixture document through the real evaluator with the default parameters: each
//! fails exactly the rules it was written to fail.

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

fn failing(doc: &Document) -> BTreeSet<String> {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
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
        .map(|f| f.rule_id.to_string())
        .collect()
}

#[test]
fn lambda_fixtures_fail_exactly_their_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("lambda/compliant", &[]),
        ("lambda/container_image", &[]),
        ("lambda/vpc_attached", &["VGL-LAMBDA-001"]),
        ("lambda/env_no_kms", &["VGL-LAMBDA-002"]),
        ("lambda/runtime_deprecated", &["VGL-LAMBDA-003"]),
        ("lambda/public_invoke", &["VGL-LAMBDA-004"]),
        ("lambda/url_public", &["VGL-LAMBDA-004", "VGL-LAMBDA-005"]),
        ("lambda/alias_public", &["VGL-LAMBDA-004"]),
    ];
    for (name, expected) in cases {
        let got = failing(&fixture(name));
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "fixture {name}");
    }
}

#[test]
fn params_override_changes_the_outcome() {
    let doc = fixture("lambda/vpc_attached");
    let opts = LoadOptions {
        params: Some((
            "test".into(),
            serde_json::json!({"lambda": {"vpc_policy": "ignore"}}),
        )),
        ..Default::default()
    };
    let set = PolicySet::load(&opts).unwrap();
    let mut out = Vec::new();
    set.evaluator().evaluate(
        &doc,
        &AccountContext::default(),
        &OrgInfo::default(),
        &mut out,
    );
    assert!(out.iter().all(|f| f.status == Status::Pass), "{out:?}");
}

#[test]
fn catalogue_has_unique_ids_and_every_rule_a_test_file() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let ids: BTreeSet<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), set.rules().len());
    let files: Vec<String> = vigil_rules::builtin_files()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for r in set.rules() {
        let test = r.source.replace(".rego", "_test.rego");
        assert!(files.contains(&test), "{} has no {test}", r.id);
    }
}
