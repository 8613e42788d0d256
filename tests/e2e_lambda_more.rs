//! End-to-end: the Lambda checks that need what moto cannot answer in AWS's form (event invoke
//! configs with destinations, code signing configs, layer version policies with account or
//! organization grants). fixtures/scenarios/lambda-more.json is seeded into moto and scanned
//! through the fault proxy, which answers those calls from fixtures/recorded/lambda; layer
//! versions of lambda-org.json are scanned straight from moto.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::{
    findings_with_status, read_json, run, stderr, vigil, FaultProxy, Moto, Seeded, TempDir,
};

const SCENARIO: &str = "fixtures/scenarios/lambda-more.json";
const RECORDED: &str = "fixtures/recorded";
const SERVICES: &str = "lambda,lambda-layers";
const NEW_RULES: [&str; 5] = [
    "VGL-LAMBDA-006",
    "VGL-LAMBDA-007",
    "VGL-LAMBDA-008",
    "VGL-LAMBDA-009",
    "VGL-LAMBDA-010",
];

type Key = (String, String, String, String);

struct Scan {
    code: Option<i32>,
    report: Value,
    snapshot: Value,
    stderr: String,
}

fn scan(endpoint: &str, tmp: &TempDir, tag: &str, services: &str, extra: &[&str]) -> Scan {
    let (report, snapshot) = (
        tmp.path(&format!("{tag}.json")),
        tmp.path(&format!("{tag}.snap.json")),
    );
    let out = run(vigil()
        .args([
            "scan",
            "--endpoint-url",
            endpoint,
            "--regions",
            "us-east-1,eu-west-1",
        ])
        .args(["--services", services, "--format", "json", "--output"])
        .arg(&report)
        .arg("--snapshot-out")
        .arg(&snapshot)
        .args(extra));
    Scan {
        code: out.status.code(),
        report: read_json(&report),
        snapshot: read_json(&snapshot),
        stderr: stderr(&out),
    }
}

fn expected(scenario: &str, rules: &[&str]) -> BTreeSet<Key> {
    read_json(&support::root().join(scenario))["expected_failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| rules.contains(&e["rule"].as_str().unwrap()))
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("account"), s("region"), s("resource"), s("rule"))
        })
        .collect()
}

fn only(set: BTreeSet<Key>, rules: &[&str]) -> BTreeSet<Key> {
    set.into_iter()
        .filter(|k| rules.contains(&k.3.as_str()))
        .collect()
}

fn doc<'a>(snap: &'a Value, id: &str) -> &'a Value {
    snap["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["resourceId"] == id)
        .unwrap_or_else(|| panic!("no document {id}"))
}

/// `params.lambda.code_signing_required_for` naming the management account.
fn params(tmp: &TempDir, seeded: &Seeded) -> std::path::PathBuf {
    let p = tmp.path("params.json");
    let v = json!({"lambda": {"code_signing_required_for": [seeded.id("management")]}});
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

#[test]
fn recorded_destinations_code_signing_and_layer_policies_give_exactly_the_seeded_findings() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    assert_eq!(
        seeded.id("management"),
        "123456789012",
        "the recordings name moto's management account"
    );
    let tmp = TempDir::new("e2e-lambda-more");
    let proxy = FaultProxy::start(&moto.endpoint, &["--recorded", RECORDED]);
    let p = params(&tmp, &seeded);
    let s = scan(
        &proxy.endpoint,
        &tmp,
        "more",
        SERVICES,
        &["--params", p.to_str().unwrap()],
    );
    assert_eq!(s.code, Some(1), "stderr: {}", s.stderr);
    assert_eq!(s.report["errors"], json!([]), "{}", s.stderr);

    let want = expected(SCENARIO, &NEW_RULES);
    let fails = only(findings_with_status(&s.report, &seeded, "fail"), &NEW_RULES);
    assert_eq!(fails, want);
    assert_eq!(
        findings_with_status(&s.report, &seeded, "error"),
        BTreeSet::new()
    );

    // Every layer version that exists has a document and a verdict, not only the newest.
    let layer_verdicts: BTreeSet<String> = s.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "VGL-LAMBDA-010")
        .map(|f| {
            format!(
                "{} {}",
                f["resource_id"].as_str().unwrap(),
                f["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        layer_verdicts,
        BTreeSet::from(
            [
                "internal-sdk:1 pass",
                "internal-sdk:2 fail",
                "mgmt-shared-sdk:1 pass",
                "org-sdk:1 fail",
                "partner-sdk:1 fail",
                "sandbox-tools:1 pass",
            ]
            .map(String::from)
        )
    );
    let messages: BTreeSet<&str> = s.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["rule_id"] == "VGL-LAMBDA-010")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        BTreeSet::from([
            "layer internal-sdk version 2: policy statement public lets anyone (*) fetch it (lambda:GetLayerVersion)",
            "layer org-sdk version 1: policy statement other-org lets organization o-a1b2c3d4e5 fetch it (lambda:GetLayerVersion)",
            "layer partner-sdk version 1: policy statement partner lets account 999988887777 fetch it (lambda:GetLayerVersion)",
        ])
    );

    // Documents: the configs as the collector shapes them.
    let snap = &s.snapshot;
    let orders = doc(snap, "orders-async");
    assert_eq!(
        orders["supplementaryConfiguration"]["eventInvokeConfigs"],
        json!([
            {"qualifier": null, "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:orders-async",
             "lastModified": "2025-12-04T10:00:00Z", "maximumRetryAttempts": 1, "maximumEventAgeInSeconds": 600,
             "destinationConfig": {"onSuccess": {"destination": null},
                                   "onFailure": {"destination": "arn:aws:sqs:eu-west-1:123456789012:orders-async-failures"}}},
            {"qualifier": "live", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:orders-async:live",
             "lastModified": "2025-12-04T10:00:00Z", "maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 3600,
             "destinationConfig": {"onSuccess": {"destination": null},
                                   "onFailure": {"destination": "arn:aws:sns:eu-west-1:123456789012:orders-live-failures"}}},
        ])
    );
    assert_eq!(
        orders["supplementaryConfiguration"]["codeSigningConfig"]["codeSigningPolicies"],
        json!({"untrustedArtifactOnDeployment": "Enforce"})
    );
    assert_eq!(
        doc(snap, "payments-warn-only")["supplementaryConfiguration"]["codeSigningConfig"]
            ["codeSigningConfigId"],
        "csc-1b2c3d4e5f6a7b8c9"
    );
    assert!(doc(snap, "payments-unsigned")["supplementaryConfiguration"]
        .get("codeSigningConfig")
        .is_none());
    let layer = doc(snap, "internal-sdk:2");
    assert_eq!(layer["resourceType"], "AWS::Lambda::LayerVersion");
    assert_eq!(
        layer["arn"],
        "arn:aws:lambda:eu-west-1:123456789012:layer:internal-sdk:2"
    );
    assert_eq!(layer["configuration"]["version"], 2);
    assert_eq!(
        doc(snap, "internal-sdk:1")["supplementaryConfiguration"]["policy"],
        Value::Null
    );

    // Two functions share csc-0a1b...: each code signing config is read once per scope.
    let stats = proxy.stats();
    assert_eq!(
        FaultProxy::count(&stats, "lambda:GetCodeSigningConfig", "requests"),
        2,
        "{stats}"
    );
    // Only functions with a config arn ask for one (moto has none: sandbox-unsigned must not).
    assert_eq!(
        FaultProxy::count(&stats, "lambda:GetCodeSigningConfig", "recorded"),
        2
    );

    // Without the parameter, code signing is required nowhere.
    let s = scan(&proxy.endpoint, &tmp, "default-params", SERVICES, &[]);
    assert_eq!(s.code, Some(1), "stderr: {}", s.stderr);
    assert_eq!(
        only(
            findings_with_status(&s.report, &seeded, "fail"),
            &["VGL-LAMBDA-009"]
        ),
        BTreeSet::new()
    );
}

#[test]
fn unreadable_configs_and_layer_policies_are_errors_for_their_rules_only() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let tmp = TempDir::new("e2e-lambda-more-deny");
    let management = seeded.id("management").to_string();
    let deny = [
        format!("lambda:ListFunctionEventInvokeConfigs:{management}"),
        format!("lambda:GetCodeSigningConfig:{management}"),
        format!("lambda:GetLayerVersionPolicy:{management}"),
    ];
    let mut args = vec!["--recorded", RECORDED];
    for d in &deny {
        args.extend(["--deny", d.as_str()]);
    }
    let proxy = FaultProxy::start(&moto.endpoint, &args);
    let p = params(&tmp, &seeded);
    let s = scan(
        &proxy.endpoint,
        &tmp,
        "denied",
        SERVICES,
        &["--params", p.to_str().unwrap()],
    );
    assert_eq!(s.code, Some(3), "partial: {}", s.stderr);

    let errors = findings_with_status(&s.report, &seeded, "error");
    let mut want = BTreeSet::new();
    let m = |r: &str, rule: &str| {
        (
            "management".to_string(),
            "eu-west-1".to_string(),
            r.to_string(),
            rule.to_string(),
        )
    };
    for f in [
        "orders-async",
        "payments-signed",
        "payments-warn-only",
        "payments-unsigned",
    ] {
        want.insert(m(f, "VGL-LAMBDA-008"));
    }
    // Code signing: an error where a config was named; payments-unsigned names none and fails.
    for f in ["orders-async", "payments-signed", "payments-warn-only"] {
        want.insert(m(f, "VGL-LAMBDA-009"));
    }
    for l in [
        "partner-sdk:1",
        "org-sdk:1",
        "mgmt-shared-sdk:1",
        "internal-sdk:1",
        "internal-sdk:2",
    ] {
        want.insert(m(l, "VGL-LAMBDA-010"));
    }
    assert_eq!(errors, want);
    let fails = only(findings_with_status(&s.report, &seeded, "fail"), &NEW_RULES);
    assert_eq!(
        fails,
        BTreeSet::from([
            m("payments-unsigned", "VGL-LAMBDA-009"),
            (
                "sandbox".to_string(),
                "eu-west-1".to_string(),
                "sandbox-unsigned".to_string(),
                "VGL-LAMBDA-008".to_string()
            ),
        ])
    );
    // Each denied read is an error record for its resource, not for the scope.
    assert!(s.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["account_id"] == management.as_str() && e.get("resource").is_some()));
    let doc = doc(&s.snapshot, "payments-signed");
    assert_eq!(
        doc["collectionErrors"]["supplementaryConfiguration.codeSigningConfig"]["operation"],
        "GetCodeSigningConfig"
    );
    // The shared config is asked for once, and its failure given to both functions.
    let stats = proxy.stats();
    assert_eq!(
        FaultProxy::count(&stats, "lambda:GetCodeSigningConfig", "denied"),
        2,
        "{stats}"
    );
}

#[test]
fn layer_versions_of_the_lambda_org_straight_from_moto() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/lambda-org.json");
    let tmp = TempDir::new("e2e-lambda-layers");
    let s = scan(&moto.endpoint, &tmp, "layers", "lambda-layers", &[]);
    assert_eq!(s.code, Some(1), "stderr: {}", s.stderr);
    assert_eq!(s.report["errors"], json!([]));
    let verdicts: BTreeSet<Key> = s.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                seeded.key_of(f["account_id"].as_str().unwrap()),
                f["region"].as_str().unwrap().to_string(),
                f["resource_id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let k = |a: &str, r: &str, id: &str, st: &str| {
        (a.to_string(), r.to_string(), id.to_string(), st.to_string())
    };
    assert_eq!(
        verdicts,
        BTreeSet::from([
            k("payments", "eu-west-1", "ledger-common:1", "fail"),
            k("payments", "eu-west-1", "ledger-common:2", "pass"),
            k("sandbox", "us-east-1", "sandbox-tools:1", "pass"),
        ])
    );
    assert_eq!(
        findings_with_status(&s.report, &seeded, "fail"),
        expected("fixtures/scenarios/lambda-org.json", &["VGL-LAMBDA-010"])
    );
    assert_eq!(s.report["scan"]["resources"], 3);
}
