//! End-to-end: a real moto organization seeded from fixtures/scenarios/lambda-org.json,
//! scanned by the vigil binary across accounts and regions.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::{
    closed_accounts, comparable_findings as comparable, findings_with_status, read_json, run,
    stderr, stdout, vigil, Moto, TempDir,
};

const SCENARIO: &str = "fixtures/scenarios/lambda-org.json";
/// The rules of `AWS::Lambda::Function` (VGL-LAMBDA-010 judges layer versions, another service).
const LAMBDA_RULES: [&str; 9] = [
    "VGL-LAMBDA-001",
    "VGL-LAMBDA-002",
    "VGL-LAMBDA-003",
    "VGL-LAMBDA-004",
    "VGL-LAMBDA-005",
    "VGL-LAMBDA-006",
    "VGL-LAMBDA-007",
    "VGL-LAMBDA-008",
    "VGL-LAMBDA-009",
];

fn scenario() -> Value {
    read_json(&support::root().join(SCENARIO))
}

/// Functions the scan must see: those of accounts that are not closed.
fn scanned_functions(sc: &Value) -> Vec<(String, String, String)> {
    let closed = closed_accounts(sc);
    sc["lambda_functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !closed.contains(f["account"].as_str().unwrap()))
        .map(|f| {
            (
                f["account"].as_str().unwrap().to_string(),
                f["region"].as_str().unwrap().to_string(),
                f["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn scan_finds_exactly_the_seeded_lambda_violations_across_accounts_and_regions() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-lambda");
    let (report_path, snap_path) = (tmp.path("report.json"), tmp.path("snap.json"));

    let out = run(vigil()
        .args([
            "scan",
            "--services",
            "lambda",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "us-east-1,eu-west-1",
        ])
        .args(["--format", "table", "--format", "json", "--output"])
        .arg(&report_path)
        .arg("--snapshot-out")
        .arg(&snap_path));
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let table = stdout(&out);
    let report = read_json(&report_path);

    // Exactly the seeded failures, no more, no less (layer versions are another service,
    // tests/e2e_lambda_more.rs scans them).
    let expected: BTreeSet<_> = sc["expected_failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"] != "VGL-LAMBDA-010")
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("account"), s("region"), s("resource"), s("rule"))
        })
        .collect();
    assert_eq!(findings_with_status(&report, &seeded, "fail"), expected);

    // Every other (function, rule) pair passes: each function got each Lambda rule once.
    let functions = scanned_functions(&sc);
    let mut all_pairs = BTreeSet::new();
    for (acct, region, name) in &functions {
        for rule in LAMBDA_RULES {
            all_pairs.insert((acct.clone(), region.clone(), name.clone(), rule.to_string()));
        }
    }
    let passing = findings_with_status(&report, &seeded, "pass");
    assert_eq!(
        passing,
        all_pairs
            .difference(&expected)
            .cloned()
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        all_pairs.len(),
        "one finding per rule × function"
    );

    // Counts: evaluated == collected == seeded functions of active accounts.
    assert_eq!(report["schema"], "vigil.report/v1");
    assert_eq!(report["scan"]["resources"], functions.len());
    assert_eq!(report["scan"]["evaluated"], report["scan"]["resources"]);
    assert_eq!(report["scan"]["organization_id"], seeded.org_id.as_str());
    assert_eq!(
        report["scan"]["accounts"], 4,
        "management + 3 active members"
    );
    assert_eq!(
        report["scan"]["skipped_accounts"][0]["id"],
        seeded.id("retired")
    );
    assert_eq!(report["scan"]["skipped_accounts"][0]["status"], "SUSPENDED");
    assert!(report["scan"]["api_calls"].as_u64().unwrap() > 0);
    assert_eq!(report["errors"], Value::Array(vec![]));
    assert_eq!(report["summary"]["fail"], expected.len());
    assert_eq!(report["summary"]["by_severity"]["critical"], 1);

    // The table: failing findings, most severe first, and the summary line.
    let crit = table
        .find("VGL-LAMBDA-004")
        .expect("critical finding in table");
    let medium = table
        .find("VGL-LAMBDA-001")
        .expect("medium finding in table");
    assert!(crit < medium, "critical before medium:\n{table}");
    assert!(
        table.contains("analytics-dev (") && table.contains("payments-prod ("),
        "{table}"
    );
    assert!(
        table.contains("14 failing (1 critical, 3 high, 2 medium, 8 low)"),
        "{table}"
    );
    assert!(table.contains("Skipped 1 account: retired-app"), "{table}");

    // Secrets never leave the account, and the closed account was never scanned.
    let snapshot_text = std::fs::read_to_string(&snap_path).unwrap();
    let report_text = std::fs::read_to_string(&report_path).unwrap();
    for text in [&snapshot_text, &report_text, &table, &stderr(&out)] {
        assert!(
            !text.contains("s3cr3t-never-in-output"),
            "environment value leaked"
        );
        assert!(
            !text.contains("ledger.internal"),
            "environment value leaked"
        );
        assert!(!text.contains("should-not-be-scanned"));
    }

    // Snapshot content: org context and documents in the DESIGN.md shape.
    let snap = read_json(&snap_path);
    assert_eq!(snap["schema"], "vigil.snapshot/v1");
    let payments = snap["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == seeded.id("payments"))
        .unwrap();
    assert_eq!(payments["ouPath"], "Root/Workloads/Prod");
    assert_eq!(payments["tags"]["owner"], "payments");
    assert_eq!(payments["name"], "payments-prod");
    let doc = |name: &str| -> Value {
        snap["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["resourceId"] == name)
            .unwrap()
            .clone()
    };
    let ledger = doc("ledger-sync");
    assert_eq!(ledger["resourceType"], "AWS::Lambda::Function");
    assert_eq!(ledger["awsAccountId"], seeded.id("payments"));
    assert_eq!(ledger["awsRegion"], "eu-west-1");
    assert_eq!(
        ledger["arn"],
        format!(
            "arn:aws:lambda:eu-west-1:{}:function:ledger-sync",
            seeded.id("payments")
        )
    );
    assert_eq!(
        ledger["configuration"]["environment"]["variableNames"],
        serde_json::json!(["DB_HOST", "DB_PASSWORD"])
    );
    assert_eq!(
        ledger["configuration"]["vpcConfig"]["subnetIds"],
        serde_json::json!(["subnet-0a1b2c3d"])
    );
    let hook = doc("public-hook");
    assert_eq!(
        hook["supplementaryConfiguration"]["functionUrlConfigs"][0]["authType"],
        "NONE"
    );
    assert_eq!(
        hook["supplementaryConfiguration"]["policy"]["Statement"][0]["Sid"],
        "public"
    );
    assert_eq!(
        hook["supplementaryConfiguration"]["functionUrlConfigs"][0]["cors"]["allowOrigins"],
        serde_json::json!(["*"])
    );
    assert_eq!(
        hook["supplementaryConfiguration"]["eventInvokeConfigs"],
        serde_json::json!([])
    );
    assert_eq!(ledger["configuration"]["tracingConfig"]["mode"], "Active");
    assert_eq!(
        doc("etl-legacy")["configuration"]["tracingConfig"]["mode"],
        "PassThrough"
    );
    // No function has a code signing config: none is fetched.
    assert!(snap["documents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["supplementaryConfiguration"]
            .get("codeSigningConfig")
            .is_none()));
    let iam_url = doc("iam-url");
    assert_eq!(
        iam_url["supplementaryConfiguration"]["functionUrlConfigs"][0]["authType"],
        "AWS_IAM"
    );
    assert_eq!(
        doc("orders-api")["configuration"]["kmsKeyArn"]
            .as_str()
            .map(|s| s.starts_with("arn:aws:kms:")),
        Some(true)
    );
    assert_eq!(
        doc("org-billing-export")["supplementaryConfiguration"]["policy"],
        Value::Null
    );

    // Offline evaluation of the snapshot gives the same findings and exit code.
    let ev_path = tmp.path("evaluate.json");
    let ev = run(vigil()
        .arg("evaluate")
        .arg(&snap_path)
        .args(["--format", "json", "--output"])
        .arg(&ev_path));
    assert_eq!(ev.status.code(), Some(1), "stderr: {}", stderr(&ev));
    let ev_report = read_json(&ev_path);
    assert_eq!(comparable(&ev_report), comparable(&report));
    assert_eq!(ev_report["scan"]["resources"], report["scan"]["resources"]);
}

#[test]
fn account_filters_and_fail_on_threshold() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let tmp = TempDir::new("e2e-filters");

    // payments-prod has high and medium failures only: --fail-on critical is clean there.
    let r1 = tmp.path("payments.json");
    let out = run(vigil()
        .args([
            "scan",
            "--services",
            "lambda",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "us-east-1,eu-west-1",
        ])
        .args([
            "--accounts",
            seeded.id("payments"),
            "--fail-on",
            "critical",
            "--format",
            "json",
            "--output",
        ])
        .arg(&r1));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report = read_json(&r1);
    assert_eq!(report["scan"]["accounts"], 1);
    let accounts: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["account_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        accounts,
        BTreeSet::from([seeded.id("payments").to_string()])
    );
    assert_eq!(report["summary"]["fail"], 4);

    // --fail-on high does fail on the same account.
    let out = run(vigil()
        .args([
            "scan",
            "--services",
            "lambda",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "eu-west-1",
        ])
        .args([
            "--accounts",
            seeded.id("payments"),
            "--fail-on",
            "high",
            "--format",
            "json",
        ]));
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));

    // Excluding the account with the critical finding; one region only.
    let r2 = tmp.path("excl.json");
    let out = run(vigil()
        .args([
            "scan",
            "--services",
            "lambda",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "eu-west-1",
        ])
        .args([
            "--exclude-accounts",
            seeded.id("analytics"),
            "--fail-on",
            "none",
            "--format",
            "json",
            "--output",
        ])
        .arg(&r2));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report = read_json(&r2);
    assert_eq!(report["scan"]["regions"], serde_json::json!(["eu-west-1"]));
    assert_eq!(report["scan"]["accounts"], 3);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["account_id"] != seeded.id("analytics")));
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["region"] == "eu-west-1"));
    let fails = findings_with_status(&report, &seeded, "fail");
    assert_eq!(
        fails,
        BTreeSet::from([
            (
                "payments".into(),
                "eu-west-1".into(),
                "ledger-sync".into(),
                "VGL-LAMBDA-001".into()
            ),
            (
                "payments".into(),
                "eu-west-1".into(),
                "ledger-sync".into(),
                "VGL-LAMBDA-002".into()
            ),
            (
                "payments".into(),
                "eu-west-1".into(),
                "ledger-sync".into(),
                "VGL-LAMBDA-008".into()
            ),
            (
                "sandbox".into(),
                "eu-west-1".into(),
                "iam-url".into(),
                "VGL-LAMBDA-008".into()
            ),
        ])
    );

    // An account id that is not in the organization is reported, and the scan is partial.
    let out = run(vigil()
        .args([
            "scan",
            "--services",
            "lambda",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "us-east-1",
        ])
        .args(["--accounts", "999999999999", "--format", "json"]));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["code"], "AccountNotFound");
    assert_eq!(report["errors"][0]["account_id"], "999999999999");
}
