//! The rule catalogue is a contract: ids are permanent. `vigil rules list --format json` is
//! snapshotted (a changed, renamed or removed rule is a reviewed diff), and docs/rules.md must
//! be exactly what `vigil rules docs` generates from METADATA.

mod support;

use support::{run, stderr, stdout, vigil};

#[test]
fn rules_list_json_is_stable() {
    let out = run(vigil().args(["rules", "list", "--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "rule ids are unique and sorted");
    insta::assert_json_snapshot!("rules-list", list);
}

#[test]
fn docs_rules_md_is_generated_from_metadata() {
    let out = run(vigil().args(["rules", "docs"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let generated = stdout(&out);
    let path = support::root().join("docs/rules.md");
    if std::env::var_os("VIGIL_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: regenerate it with `cargo run -q -- rules docs > docs/rules.md` (or VIGIL_UPDATE_DOCS=1 cargo test --test catalogue)"
    );
}

#[test]
fn rules_show_prints_documentation_and_fixture_examples() {
    let out = run(vigil().args(["rules", "show", "vgl-lambda-001"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("VGL-LAMBDA-001 — "), "{text}");
    assert!(text.contains("Severity:       medium"), "{text}");
    assert!(text.contains("Remediation: "), "{text}");
    assert!(
        text.contains("  fail  lambda/vpc_attached.json: function "),
        "{text}"
    );
    assert!(text.contains("  pass  lambda/compliant.json\n"), "{text}");
    assert!(
        !text.contains("dynamodb/"),
        "only fixtures of the rule's resource types: {text}"
    );
}

/// `rules list --framework` keeps the rules mapped to that framework and shows their controls;
/// every framework has rules, and an unknown framework is a usage error naming the flag.
#[test]
fn rules_list_filters_by_framework() {
    let all: serde_json::Value =
        serde_json::from_slice(&run(vigil().args(["rules", "list", "--format", "json"])).stdout)
            .unwrap();
    for (flag, key) in [
        ("fsbp", "fsbp"),
        ("cis", "cis"),
        ("aws-config", "aws_config"),
        ("prowler", "prowler"),
    ] {
        let out = run(vigil().args(["rules", "list", "--format", "json", "--framework", flag]));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .filter(|r| r["related"][key].as_array().is_some_and(|a| !a.is_empty()))
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        };
        let mapped = ids(&all);
        assert!(!mapped.is_empty(), "no rule maps to {key}");
        assert_eq!(ids(&listed), mapped, "--framework {flag}");
        assert_eq!(listed.as_array().unwrap().len(), mapped.len());
    }
    let table = run(vigil().args(["rules", "list", "--framework", "fsbp"]));
    let text = stdout(&table);
    assert!(
        text.contains("VGL-KMS-001") && text.contains("KMS.4"),
        "{text}"
    );
    let bad = run(vigil().args(["rules", "list", "--framework", "nist"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--framework"), "{}", stderr(&bad));
}
