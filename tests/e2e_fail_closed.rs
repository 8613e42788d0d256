//! Verdicts a member account cannot bend, end to end against moto (issue 12): a field vigil
//! could not read, or a policy it could not parse, gives `error` for the rules that need it,
//! never `pass`; a permission added to an alias only is found. The scenario
//! (fixtures/scenarios/hostile-member.json) puts a hostile account next to a trusted one, whose
//! findings must come through every attack unchanged.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::{comparable, read_json, run, stderr, vigil, FaultProxy, Moto, Seeded, TempDir};

const SCENARIO: &str = "fixtures/scenarios/hostile-member.json";

/// One scan's exit code, JSON report, JUnit and CSV texts.
struct Scan {
    code: Option<i32>,
    report: Value,
    junit: String,
    csv: String,
    stderr: String,
}

fn scan(endpoint: &str, tmp: &TempDir, tag: &str, services: &str) -> Scan {
    let (json, junit, csv) = (
        tmp.path(&format!("{tag}.json")),
        tmp.path(&format!("{tag}.junit.xml")),
        tmp.path(&format!("{tag}.csv")),
    );
    let out = run(vigil()
        .args(["scan", "--endpoint-url", endpoint, "--regions", "us-east-1"])
        .args(["--services", services])
        .args(["--format", "json", "--output"])
        .arg(&json)
        .args(["--format", "junit", "--output"])
        .arg(&junit)
        .args(["--format", "csv", "--output"])
        .arg(&csv));
    Scan {
        code: out.status.code(),
        report: read_json(&json),
        junit: std::fs::read_to_string(&junit).unwrap(),
        csv: std::fs::read_to_string(&csv).unwrap(),
        stderr: stderr(&out),
    }
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// (resource id, status, message) of every finding of `rule` in `account`.
fn verdicts(report: &Value, account: &str, rule: &str) -> BTreeSet<(String, String, String)> {
    findings(report)
        .iter()
        .filter(|f| f["account_id"] == account && f["rule_id"] == rule)
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("resource_id"), s("status"), s("message"))
        })
        .collect()
}

fn of_account<'a>(report: &'a Value, account: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["account_id"] == account)
        .collect()
}

/// Ids of the keys of `account` that VGL-KMS-002 judged (customer-managed keys).
fn key_ids(report: &Value, account: &str) -> BTreeSet<String> {
    findings(report)
        .iter()
        .filter(|f| f["account_id"] == account && f["rule_id"] == "VGL-KMS-002")
        .map(|f| f["resource_id"].as_str().unwrap().to_string())
        .collect()
}

fn seeded() -> (Moto, Seeded) {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    (moto, seeded)
}

#[test]
fn denied_reads_give_error_for_the_rules_that_need_them_never_pass() {
    let (moto, seeded) = seeded();
    let (trusted, hostile) = (seeded.id("trusted"), seeded.id("hostile"));
    let tmp = TempDir::new("fail-closed-deny");
    let base = scan(&moto.endpoint, &tmp, "base", "lambda,kms");

    // The hostile team denies the audit role the reads that would show its public resources.
    let (deny_policy, deny_key) = (
        format!("lambda:GetPolicy:{hostile}"),
        format!("kms:GetKeyPolicy:{hostile}"),
    );
    let proxy = FaultProxy::start(
        &moto.endpoint,
        &["--deny", &deny_policy, "--deny", &deny_key],
    );
    let denied = scan(&proxy.endpoint, &tmp, "denied", "lambda,kms");
    assert_eq!(denied.code, Some(3), "partial: {}", denied.stderr);

    // Before: both public resources of the hostile account fail.
    let hidden_fails = verdicts(&base.report, hostile, "VGL-LAMBDA-004");
    assert!(
        hidden_fails
            .iter()
            .any(|(id, status, _)| id == "hidden" && status == "fail"),
        "{hidden_fails:?}"
    );
    // After: every function and every customer key of that account is `error` for the rule
    // that reads the denied field, with the reason, and `pass` nowhere.
    for (rule, ids, op) in [
        (
            "VGL-LAMBDA-004",
            BTreeSet::from(["checkout".to_string(), "hidden".to_string()]),
            "GetPolicy",
        ),
        (
            "VGL-KMS-002",
            key_ids(&base.report, hostile),
            "GetKeyPolicy",
        ),
        (
            "VGL-KMS-004",
            key_ids(&base.report, hostile),
            "GetKeyPolicy",
        ),
    ] {
        assert!(!ids.is_empty());
        let got = verdicts(&denied.report, hostile, rule);
        let resources: BTreeSet<String> = got.iter().map(|(id, _, _)| id.clone()).collect();
        assert_eq!(resources, ids, "{rule}: {got:?}");
        for (id, status, message) in &got {
            assert_eq!(status, "error", "{rule} on {id}: {message}");
            // The function policy, and for Lambda each alias's and version's policy too.
            assert!(
                message.contains("could not be read")
                    && message.contains(op)
                    && message.contains("AccessDenied"),
                "{rule} on {id}: {message}"
            );
        }
        for id in &ids {
            assert!(
                got.iter().any(|(i, _, m)| i == id
                    && m.starts_with("supplementaryConfiguration.policy could not be read")),
                "{rule} on {id}: {got:?}"
            );
        }
        // JUnit and CSV say the same: no passing case for these resources.
        for id in &ids {
            let csv_rows: Vec<&str> = denied
                .csv
                .lines()
                .filter(|l| l.contains(rule) && l.contains(id.as_str()))
                .collect();
            assert!(!csv_rows.is_empty(), "{rule} {id} in CSV");
            assert!(
                csv_rows.iter().all(|l| l.contains(",error,")),
                "{csv_rows:?}"
            );
        }
    }
    // The other rules on the same resources still judge what they could read.
    let other = |r: &Value, acct: &str| {
        comparable(of_account(r, acct).into_iter().filter(|f| {
            !["VGL-LAMBDA-004", "VGL-KMS-002", "VGL-KMS-004"]
                .contains(&f["rule_id"].as_str().unwrap_or(""))
        }))
    };
    assert_eq!(other(&denied.report, hostile), other(&base.report, hostile));
    // The trusted account's findings are exactly the fault-free run's.
    assert_eq!(
        comparable(of_account(&denied.report, trusted)),
        comparable(of_account(&base.report, trusted))
    );
    assert!(denied.junit.contains("<error") || denied.junit.contains("<failure"));
    // One error record per denied read, naming the resource.
    let errs = denied.report["errors"].as_array().unwrap();
    assert!(errs.iter().all(|e| e["account_id"] == hostile
        && e["code"] == "AccessDeniedException"
        && e["resource"].is_string()));
}

#[test]
fn a_key_policy_that_is_not_valid_json_is_an_error_not_an_empty_policy() {
    let (moto, seeded) = seeded();
    let hostile = seeded.id("hostile");
    let tmp = TempDir::new("fail-closed-garbled");
    let s = scan(&moto.endpoint, &tmp, "scan", "kms");
    assert_eq!(s.code, Some(3), "partial: {}", s.stderr);
    let errs = s.report["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{errs:?}");
    let e = &errs[0];
    assert_eq!(e["code"], "UnparsablePolicy");
    assert_eq!(e["operation"], "GetKeyPolicy");
    let garbled = e["resource"].as_str().unwrap();
    let got = verdicts(&s.report, hostile, "VGL-KMS-002");
    let of_garbled: Vec<_> = got.iter().filter(|(id, _, _)| id == garbled).collect();
    assert_eq!(of_garbled.len(), 1, "{got:?}");
    let (_, status, message) = of_garbled[0];
    assert_eq!(status, "error", "{message}");
    assert!(message.contains("not valid JSON"), "{message}");
    // The other key of the account is judged as usual.
    assert!(got
        .iter()
        .any(|(id, status, _)| id != garbled && status == "fail"));
}

#[test]
fn a_permission_on_an_alias_only_makes_the_function_public() {
    // moto keeps one policy for every qualifier of a function, so the recorded GetPolicy
    // answers for `checkout` what AWS answers after `add-permission --qualifier live`: the
    // statement is in the alias's policy only (tests/data/recorded-qualified-policy).
    let (moto, seeded) = seeded();
    let hostile = seeded.id("hostile");
    let proxy = FaultProxy::start(
        &moto.endpoint,
        &["--recorded", "tests/data/recorded-qualified-policy"],
    );
    let tmp = TempDir::new("fail-closed-alias");
    let s = scan(&proxy.endpoint, &tmp, "scan", "lambda");
    assert_eq!(s.code, Some(1), "{}", s.stderr);
    let got = verdicts(&s.report, hostile, "VGL-LAMBDA-004");
    let checkout: Vec<_> = got.iter().filter(|(id, _, _)| id == "checkout").collect();
    assert!(!checkout.is_empty(), "{got:?}");
    assert!(
        checkout
            .iter()
            .all(|(_, status, m)| status == "fail" && m.contains("live")),
        "{checkout:?}"
    );
    // Its unqualified policy was read (and has nothing), and each qualifier's once.
    let stats = proxy.stats();
    assert!(FaultProxy::count(&stats, "lambda:GetPolicy", "recorded") >= 3);
    assert!(FaultProxy::count(&stats, "lambda:ListAliases", "requests") >= 1);
    assert!(FaultProxy::count(&stats, "lambda:ListVersionsByFunction", "requests") >= 1);
}
