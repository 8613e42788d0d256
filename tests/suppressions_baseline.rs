//! vigil.toml's severity overrides, suppressions (muted, expired, stale) and `[scan]` defaults,
//! and `--baseline` (new / unchanged / resolved, `--fail-on-new`), on the demo snapshot and,
//! for `[scan]`, against a real moto organization.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::{read_json, run, stderr, vigil, Moto, TempDir};

fn demo() -> std::path::PathBuf {
    support::root().join("fixtures/snapshots/demo-org.json")
}

/// `vigil evaluate` of the demo in `dir` (where a vigil.toml may live), JSON to `out`.
fn evaluate(dir: &TempDir, out: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let o = run(vigil()
        .current_dir(&dir.0)
        .arg("evaluate")
        .arg(demo())
        .args(["--format", "json", "--output", out])
        .args(extra));
    let report = if dir.path(out).exists() {
        read_json(&dir.path(out))
    } else {
        Value::Null
    };
    (o.status.code(), report, stderr(&o))
}

/// Failing findings of the demo snapshot (fixtures/snapshots/demo-org.json).
const DEMO_FAILS: usize = 77;

fn with_status<'a>(r: &'a Value, status: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .collect()
}

fn fingerprints<'a>(fs: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    fs.into_iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn severity_overrides_and_suppressions_mute_expire_and_go_stale() {
    let tmp = TempDir::new("supp");
    let (code, base, _) = evaluate(&tmp, "base.json", &[]);
    assert_eq!(code, Some(1));
    let fails = with_status(&base, "fail");
    assert_eq!(fails.len(), DEMO_FAILS);
    let kms = fails
        .iter()
        .find(|f| f["rule_id"] == "VGL-KMS-002")
        .expect("the demo has a public key policy");
    let kms_account = kms["account_id"].as_str().unwrap();
    let apigw3: Vec<_> = fails
        .iter()
        .filter(|f| f["rule_id"] == "VGL-APIGW-003")
        .collect();
    assert_eq!(apigw3.len(), 1);

    std::fs::write(
        tmp.path("vigil.toml"),
        format!(
            r#"[severity]
VGL-APIGW-003 = "info"

[[suppressions]]
rule = "VGL-KMS-002"
account = "{kms_account}"
reason = "shared key, reviewed in SEC-42"
approved_by = "ciso@example.com"
expires = 2099-12-31

[[suppressions]]
rule = "VGL-APIGW-003"
resource = "arn:aws:apigateway:*::/apis/*"
reason = "playground"
approved_by = "platform@example.com"
expires = 2020-01-01

[[suppressions]]
rule = "VGL-DDB-001"
resource = "arn:aws:dynamodb:*:*:table/nothing-matches-*"
reason = "stale"
approved_by = "platform@example.com"
expires = 2099-12-31
"#
        ),
    )
    .unwrap();
    let (code, r, err) = evaluate(&tmp, "out.json", &[]);
    assert_eq!(code, Some(1), "{err}");
    // Muted: exactly the KMS finding, with its reason; it no longer fails.
    let muted = with_status(&r, "muted");
    assert_eq!(fingerprints(muted.iter().copied()), fingerprints([*kms]));
    assert_eq!(
        muted[0]["suppression"]["reason"],
        "shared key, reviewed in SEC-42"
    );
    assert_eq!(muted[0]["suppression"]["approved_by"], "ciso@example.com");
    assert_eq!(muted[0]["suppression"]["expires"], "2099-12-31");
    assert_eq!(r["summary"]["muted"], 1);
    assert_eq!(r["summary"]["fail"], DEMO_FAILS - 1);
    // Expired: the APIGW-003 finding fails again, with the overridden severity, and a warning.
    let again: Vec<_> = with_status(&r, "fail")
        .into_iter()
        .filter(|f| f["rule_id"] == "VGL-APIGW-003")
        .collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["severity"], "info");
    assert!(again[0].get("suppression").is_none());
    assert!(
        err.contains("vigil.toml:11: suppression of VGL-APIGW-003 expired on 2020-01-01"),
        "{err}"
    );
    assert_eq!(r["suppressions"]["expired"][0]["location"], "vigil.toml:11");
    assert_eq!(r["suppressions"]["expired"][0]["matched"], 1);
    // Stale: reported with its line.
    assert_eq!(r["suppressions"]["stale"][0]["location"], "vigil.toml:18");
    assert!(err.contains("vigil.toml:18: suppression of VGL-DDB-001 matched no failing finding"));
    assert_eq!(r["warnings"].as_array().unwrap().len(), 2);
    // Every finding of the overridden rule, passing ones included, carries the new severity.
    for f in r["findings"].as_array().unwrap() {
        if f["rule_id"] == "VGL-APIGW-003" {
            assert_eq!(f["severity"], "info");
        }
    }
    assert_eq!(r["summary"]["by_severity"]["info"], 1);
    // --fail-on low: the only remaining failure of the rule is info now; --quiet hides warnings.
    let o = run(vigil()
        .current_dir(&tmp.0)
        .arg("-q")
        .arg("evaluate")
        .arg(demo())
        .args(["--format", "table"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("Muted by suppressions (1)"), "{table}");
    assert!(table.contains("shared key, reviewed in SEC-42"));
    assert!(table.contains("Warning: vigil.toml:11"));
}

#[test]
fn fail_on_comes_from_vigil_toml_unless_the_flag_is_given() {
    let tmp = TempDir::new("failon");
    // The demo's failures are critical..low; with fail_on = critical and every critical
    // failure suppressed, the run is clean.
    let (_, base, _) = evaluate(&tmp, "base.json", &[]);
    let crit: Vec<_> = with_status(&base, "fail")
        .into_iter()
        .filter(|f| f["severity"] == "critical")
        .collect();
    assert!(!crit.is_empty());
    let mut toml = String::from("[scan]\nfail_on = \"critical\"\n");
    for f in &crit {
        toml.push_str(&format!(
            "\n[[suppressions]]\nrule = \"{}\"\naccount = \"{}\"\nresource = \"{}\"\nreason = \"accepted\"\napproved_by = \"sec\"\nexpires = 2099-01-01\n",
            f["rule_id"].as_str().unwrap(),
            f["account_id"].as_str().unwrap(),
            f["resource_arn"].as_str().unwrap(),
        ));
    }
    std::fs::write(tmp.path("vigil.toml"), toml).unwrap();
    let (code, r, err) = evaluate(&tmp, "a.json", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(r["summary"]["muted"], crit.len());
    let (code, _, _) = evaluate(&tmp, "b.json", &["--fail-on", "high"]);
    assert_eq!(code, Some(1));
}

#[test]
fn baseline_marks_new_unchanged_and_resolved_and_fail_on_new_counts_only_new() {
    let tmp = TempDir::new("baseline");
    let (_, base, _) = evaluate(&tmp, "base.json", &[]);
    let fails = with_status(&base, "fail");

    // Same run as baseline: everything unchanged, nothing new or resolved.
    let (code, r, err) = evaluate(
        &tmp,
        "same.json",
        &["--baseline", "base.json", "--fail-on-new"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        r["summary"]["changes"],
        serde_json::json!({"new": 0, "unchanged": DEMO_FAILS, "resolved": 0})
    );
    assert!(with_status(&r, "fail")
        .iter()
        .all(|f| f["change"] == "unchanged"));
    assert_eq!(r["baseline"]["path"], "base.json");
    // Passing findings carry no change.
    assert!(with_status(&r, "pass")
        .iter()
        .all(|f| f.get("change").is_none()));

    // An older baseline: one of today's failures was passing then (→ new), one of today's
    // passes was failing then (→ resolved), and a failure in an account this run did not scan
    // stays unknown (not resolved).
    let mut old = base.clone();
    let newly = fails[1]["fingerprint"].as_str().unwrap().to_string();
    let mut was_failing = String::new();
    for f in old["findings"].as_array_mut().unwrap() {
        if f["fingerprint"] == newly.as_str() {
            f["status"] = "pass".into();
        } else if was_failing.is_empty() && f["status"] == "pass" && f["rule_id"] == "VGL-DDB-001" {
            f["status"] = "fail".into();
            was_failing = f["fingerprint"].as_str().unwrap().to_string();
        }
    }
    let mut elsewhere = fails[0].clone();
    elsewhere["account_id"] = "000000000000".into();
    elsewhere["fingerprint"] = "0".repeat(32).into();
    old["findings"].as_array_mut().unwrap().push(elsewhere);
    std::fs::write(tmp.path("old.json"), serde_json::to_vec(&old).unwrap()).unwrap();

    let (code, r, err) = evaluate(&tmp, "diff.json", &["--baseline", "old.json"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        r["summary"]["changes"],
        serde_json::json!({"new": 1, "unchanged": DEMO_FAILS - 1, "resolved": 1})
    );
    let new: Vec<_> = with_status(&r, "fail")
        .into_iter()
        .filter(|f| f["change"] == "new")
        .collect();
    assert_eq!(fingerprints(new), BTreeSet::from([newly.clone()]));
    let resolved = r["baseline"]["resolved"].as_array().unwrap();
    assert_eq!(fingerprints(resolved), BTreeSet::from([was_failing]));
    assert_eq!(resolved[0]["change"], "resolved");

    // --fail-on-new: the new failure's severity decides.
    let sev = fails[1]["severity"].as_str().unwrap();
    let (code, _, _) = evaluate(
        &tmp,
        "n1.json",
        &["--baseline", "old.json", "--fail-on-new", "--fail-on", sev],
    );
    assert_eq!(code, Some(1));
    let above = match sev {
        "info" => "low",
        "low" => "medium",
        "medium" => "high",
        _ => "critical",
    };
    if sev != "critical" {
        let (code, _, _) = evaluate(
            &tmp,
            "n2.json",
            &[
                "--baseline",
                "old.json",
                "--fail-on-new",
                "--fail-on",
                above,
            ],
        );
        assert_eq!(code, Some(0), "new failure is {sev}, threshold {above}");
    }

    // The table shows the change column and the resolved list.
    let o = run(vigil()
        .current_dir(&tmp.0)
        .arg("evaluate")
        .arg(demo())
        .args(["--baseline", "old.json"]));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("Change"), "{table}");
    assert!(table.contains("Resolved since old.json (1)"), "{table}");
    assert!(
        table.contains(&format!(
            "since baseline: 1 new, {} unchanged, 1 resolved",
            DEMO_FAILS - 1
        )),
        "{table}"
    );
}

#[test]
fn a_scope_that_could_not_be_assessed_resolves_nothing() {
    let tmp = TempDir::new("unassessed");
    let (_, base, _) = evaluate(&tmp, "base.json", &[]);
    let ddb = with_status(&base, "fail")
        .into_iter()
        .find(|f| f["rule_id"] == "VGL-DDB-001")
        .cloned()
        .expect("a PITR failure in the demo");
    let (account, region) = (
        ddb["account_id"].as_str().unwrap(),
        ddb["region"].as_str().unwrap(),
    );
    // The same snapshot, but DynamoDB in that account × region could not be read this time.
    let mut snap = read_json(&demo());
    snap["documents"].as_array_mut().unwrap().retain(|d| {
        !(d["resourceType"] == "AWS::DynamoDB::Table"
            && d["awsAccountId"] == account
            && d["awsRegion"] == region)
    });
    snap["errors"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "account_id": account, "region": region, "service": "dynamodb",
            "operation": "ListTables", "code": "AccessDeniedException", "message": "denied"
        }));
    std::fs::write(tmp.path("partial.json"), serde_json::to_vec(&snap).unwrap()).unwrap();
    let o = run(vigil()
        .current_dir(&tmp.0)
        .arg("evaluate")
        .arg(tmp.path("partial.json"))
        .args([
            "--baseline",
            "base.json",
            "--format",
            "json",
            "--output",
            "r.json",
        ]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = read_json(&tmp.path("r.json"));
    let resolved = fingerprints(r["baseline"]["resolved"].as_array().unwrap());
    assert!(resolved.is_empty(), "nothing may resolve: {resolved:?}");
}

#[test]
fn bad_suppressions_and_baselines_are_usage_errors() {
    let tmp = TempDir::new("badsupp");
    let supp =
        "[[suppressions]]\nrule = \"VGL-LAMBDA-001\"\nreason = \"r\"\napproved_by = \"me\"\n";
    for (text, want) in [
        (format!("{supp}expires = \"soon\"\n"), "vigil.toml:5"),
        (format!("{supp}expires = 2027-13-01\n"), "vigil.toml:5"),
        (supp.to_string(), "expires"),
        (format!("{supp}expires = 2027-01-01\nresource = \"arn:[\"\n"), "resource glob"),
        (
            "[[suppressions]]\nrule = \"VGL-NOPE-001\"\nreason = \"r\"\napproved_by = \"me\"\nexpires = 2027-01-01\n".into(),
            "vigil.toml:1: suppression names unknown rule 'VGL-NOPE-001'",
        ),
        ("[severity]\nVGL-NOPE-001 = \"low\"\n".into(), "unknown rule 'VGL-NOPE-001'"),
        ("[scan]\nregions = [\"mars-1\"]\n".into(), "scan.regions"),
    ] {
        std::fs::write(tmp.path("vigil.toml"), &text).unwrap();
        let (code, r, err) = evaluate(&tmp, "x.json", &[]);
        if want == "scan.regions" {
            // [scan] applies to `scan` only; checked before any AWS call.
            assert_eq!(code, Some(1), "{err}");
            let o = run(vigil().current_dir(&tmp.0).args([
                "scan",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ]));
            assert_eq!(o.status.code(), Some(2));
            assert!(stderr(&o).contains("vigil.toml: scan.regions"), "{}", stderr(&o));
            assert!(stderr(&o).contains("mars-1"), "{}", stderr(&o));
            continue;
        }
        assert_eq!(code, Some(2), "{text}: {err}");
        assert!(err.contains(want), "{text}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(r.is_null(), "no report is written");
    }
    std::fs::remove_file(tmp.path("vigil.toml")).unwrap();
    std::fs::write(
        tmp.path("snap-schema.json"),
        r#"{"schema": "vigil.report/v0", "findings": []}"#,
    )
    .unwrap();
    std::fs::write(tmp.path("broken.json"), "{\"schema\": \n").unwrap();
    for (args, want) in [
        (
            vec!["--baseline", "missing.json"],
            "cannot read baseline missing.json",
        ),
        (
            vec!["--baseline", "snap-schema.json"],
            "baseline schema is 'vigil.report/v0'",
        ),
        (vec!["--baseline", "broken.json"], "broken.json:2"),
        (vec!["--fail-on-new"], "--fail-on-new needs --baseline"),
    ] {
        let _ = std::fs::remove_file(tmp.path("x.json"));
        let (code, r, err) = evaluate(&tmp, "x.json", &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(r.is_null());
    }
    let (code, _, err) = evaluate(&tmp, "x.json", &["--baseline"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--baseline"), "{err}");
}

#[test]
fn scan_defaults_from_vigil_toml_apply_and_flags_win() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/dynamodb-kms.json");
    let tmp = TempDir::new("scandefaults");
    std::fs::write(
        tmp.path("vigil.toml"),
        "[scan]\nregions = [\"eu-west-1\"]\nservices = [\"dynamodb\"]\nrole_name = \"OrganizationAccountAccessRole\"\n",
    )
    .unwrap();
    let scan = |extra: &[&str], out: &str| {
        let o = run(vigil()
            .current_dir(&tmp.0)
            .args([
                "scan",
                "--endpoint-url",
                &moto.endpoint,
                "--format",
                "json",
                "--output",
                out,
            ])
            .args(extra));
        // The scenario holds a key whose policy denies DescribeKey: a partial (3) KMS scan.
        assert!(
            matches!(o.status.code(), Some(0) | Some(1) | Some(3)),
            "{:?} {}",
            o.status.code(),
            stderr(&o)
        );
        read_json(&tmp.path(out))
    };
    let r = scan(&[], "a.json");
    assert_eq!(r["scan"]["regions"], serde_json::json!(["eu-west-1"]));
    let types: BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, BTreeSet::from(["AWS::DynamoDB::Table"]));
    let ops: Vec<&String> = r["scan"]["api_calls_by_operation"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(ops.iter().all(|o| !o.starts_with("kms:")), "{ops:?}");
    let _ = seeded;
    // Flags win over the file.
    let r = scan(
        &["--services", "kms", "--regions", "us-east-1,eu-west-1"],
        "b.json",
    );
    let mut regions: Vec<&str> = r["scan"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    regions.sort();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["resource_type"] == "AWS::KMS::Key"));
}
