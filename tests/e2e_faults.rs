//! Fault isolation, end to end: vigil scans a moto organization through the fault-injecting
//! proxy (tests/support/fault_proxy.py), which throttles requests with each protocol's real
//! throttling error, denies sts:AssumeRole or single operations with the real AccessDenied
//! errors, and answers the operations moto lacks (account:ListRegions,
//! config:DescribeDeliveryChannelStatus, ...) from recorded responses (fixtures/recorded), so
//! every baseline goes through a proxy that answers them.
//! A failure must be reported for exactly its scope; every other scope's documents must equal
//! those of a fault-free run: nothing lost, nothing duplicated.
//!
//! Assertions are generic over collectors (documents are compared by
//! (resourceType, awsAccountId, awsRegion, resourceId) and full content), so they hold as
//! collectors for more services are added.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use support::{comparable, read_json, run, stderr, vigil, FaultProxy, Moto, TempDir};

/// An organization to scan, and which of its member accounts each fault targets.
struct Case {
    scenario: &'static str,
    /// Scenario key of the account whose audit role cannot be assumed.
    role_denied: &'static str,
    /// Scenario key of the account where lambda:ListFunctions is denied.
    lambda_denied: &'static str,
}

/// The Lambda organization of the requirement, and the demo organization, which has resources
/// of every collected service (so every protocol is throttled with documents at stake).
const CASES: &[Case] = &[
    Case {
        scenario: "fixtures/scenarios/lambda-org.json",
        role_denied: "analytics",
        lambda_denied: "payments",
    },
    Case {
        scenario: "fixtures/scenarios/demo-org.json",
        role_denied: "data-lake",
        lambda_denied: "payments-prod",
    },
];
const REGIONS: &str = "us-east-1,eu-west-1";
/// One item per list page: every list call of the scan pages (where the emulator honours the
/// limit), so throttling hits requests in the middle of paginations too.
const PAGE_SIZE: &str = "1";
const RECORDED: &str = "fixtures/recorded";

/// One scan's outcome: exit code, JSON report, snapshot.
struct Scan {
    code: Option<i32>,
    report: Value,
    snapshot: Value,
    stderr: String,
}

fn scan(endpoint: &str, regions: &str, tmp: &TempDir, tag: &str) -> Scan {
    let (report, snapshot) = (
        tmp.path(&format!("{tag}.report.json")),
        tmp.path(&format!("{tag}.snapshot.json")),
    );
    let out = run(vigil()
        .args(["scan", "--endpoint-url", endpoint, "--regions", regions])
        .args(["--page-size", PAGE_SIZE, "--format", "json", "--output"])
        .arg(&report)
        .arg("--snapshot-out")
        .arg(&snapshot));
    let err = stderr(&out);
    assert!(
        report.exists() && snapshot.exists(),
        "{tag}: scan wrote no report/snapshot (exit {:?}):\n{err}",
        out.status.code()
    );
    Scan {
        code: out.status.code(),
        report: read_json(&report),
        snapshot: read_json(&snapshot),
        stderr: err,
    }
}

/// The exit code of a scan that could assess every scope: 1 with failing findings at or above
/// the default `--fail-on low`, else 0.
fn complete_exit_code(report: &Value) -> i32 {
    let failing = findings(report)
        .iter()
        .any(|f| f["status"] == "fail" && f["severity"] != "info");
    i32::from(failing)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

fn errors(report: &Value) -> &Vec<Value> {
    report["errors"].as_array().expect("errors array")
}

/// A proxy that injects no fault and answers what moto lacks from the recordings.
fn clean_proxy(moto: &Moto) -> FaultProxy {
    FaultProxy::start(&moto.endpoint, &["--recorded", RECORDED])
}

/// Error records of operations moto lacks (those fixtures/recorded answers): what a scan
/// straight against moto cannot avoid.
fn is_moto_gap(e: &Value) -> bool {
    let (service, op) = (e["service"].as_str(), e["operation"].as_str());
    matches!((service, op), (Some(s), Some(o))
        if std::path::Path::new(&format!("{RECORDED}/{s}/{o}.json")).exists())
}

/// A scan straight against moto: complete but for the operations moto lacks, each an error
/// record for its scope (then exit 3, partial).
fn assert_complete_but_moto_gaps(s: &Scan, what: &str) {
    let errs = errors(&s.report);
    assert!(errs.iter().all(is_moto_gap), "{what}: errors {errs:#?}");
    let code = if errs.is_empty() {
        complete_exit_code(&s.report)
    } else {
        3
    };
    assert_eq!(s.code, Some(code), "{what}: stderr:\n{}", s.stderr);
    assert_eq!(
        s.report["scan"]["evaluated"], s.report["scan"]["resources"],
        "{what}: evaluated == collected"
    );
}

/// A fault-free scan: complete, no error records.
fn assert_complete(s: &Scan, what: &str) {
    assert_eq!(errors(&s.report), &Vec::<Value>::new(), "{what}: errors");
    assert_eq!(
        s.code,
        Some(complete_exit_code(&s.report)),
        "{what}: stderr:\n{}",
        s.stderr
    );
    assert_eq!(
        s.report["scan"]["evaluated"], s.report["scan"]["resources"],
        "{what}: evaluated == collected"
    );
    assert_eq!(
        s.report["scan"]["resources"],
        documents(&s.snapshot).len(),
        "{what}: every collected document is in the snapshot"
    );
}

fn documents(snapshot: &Value) -> &Vec<Value> {
    snapshot["documents"].as_array().expect("documents array")
}

/// JSON with object keys sorted at every level (array order is kept: it is content).
fn canonical(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sort(v)).unwrap()
}

/// (resourceType, awsAccountId, awsRegion, resourceId)
type DocKey = (String, String, String, String);

fn doc_key(d: &Value) -> DocKey {
    let s = |k: &str| {
        d[k].as_str()
            .unwrap_or_else(|| panic!("document without {k}: {d}"))
            .to_string()
    };
    (
        s("resourceType"),
        s("awsAccountId"),
        s("awsRegion"),
        s("resourceId"),
    )
}

/// Documents by key; panics on a key seen twice (a duplicated document).
fn by_key<'a>(docs: impl IntoIterator<Item = &'a Value>, what: &str) -> BTreeMap<DocKey, String> {
    let mut out = BTreeMap::new();
    for d in docs {
        if let Some(_dup) = out.insert(doc_key(d), canonical(d)) {
            panic!("{what}: document {:?} appears more than once", doc_key(d));
        }
    }
    out
}

/// The same documents, key for key and byte for byte (canonical JSON).
fn assert_same_documents<'a, 'b>(
    actual: impl IntoIterator<Item = &'a Value>,
    expected: impl IntoIterator<Item = &'b Value>,
    what: &str,
) {
    let (a, e) = (by_key(actual, what), by_key(expected, what));
    let missing: Vec<_> = e.keys().filter(|k| !a.contains_key(*k)).collect();
    let extra: Vec<_> = a.keys().filter(|k| !e.contains_key(*k)).collect();
    let differing: Vec<_> = e
        .iter()
        .filter(|(k, v)| a.get(*k).is_some_and(|x| x != *v))
        .map(|(k, v)| format!("{k:?}\n  expected {v}\n  actual   {}", a[k]))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differing.is_empty(),
        "{what}: documents differ\nmissing: {missing:?}\nextra: {extra:?}\ndiffering:\n{}",
        differing.join("\n")
    );
}

fn scanned_accounts(snapshot: &Value) -> BTreeSet<String> {
    snapshot["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// Ids of the catalogue's rules that assess a resource type of one of `services`.
fn rules_for(services: &[&str]) -> BTreeSet<String> {
    let out = run(vigil().args(["rules", "list", "--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["resource_types"].as_array().unwrap().iter().any(|t| {
                vigil_model::service_of_resource_type(t.as_str().unwrap())
                    .is_some_and(|s| services.contains(&s))
            })
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every request vigil counted went through the proxy, and the proxy saw nothing else.
fn assert_calls_match_proxy(s: &Scan, stats: &Value, what: &str) {
    assert_eq!(
        s.report["scan"]["api_calls"], stats["total"]["requests"],
        "{what}: vigil's API-call count (attempts, retries included) against the requests the proxy saw"
    );
}

#[test]
fn the_proxy_without_faults_is_transparent() {
    for Case { scenario, .. } in CASES {
        let moto = Moto::start();
        moto.seed(scenario);
        let tmp = TempDir::new("faults-transparent");
        let direct = scan(&moto.endpoint, REGIONS, &tmp, "direct");
        let proxy = FaultProxy::start(&moto.endpoint, &[]);
        let via = scan(&proxy.endpoint, REGIONS, &tmp, "proxied");
        let stats = proxy.stats();

        // Straight against moto, the operations moto lacks fail the same way both times.
        assert_complete_but_moto_gaps(&direct, "direct");
        assert_complete_but_moto_gaps(&via, "through the proxy");
        let scopes = |r: &Value| -> BTreeSet<String> {
            errors(r)
                .iter()
                .map(|e| {
                    format!(
                        "{}|{}|{}|{}|{}",
                        e["account_id"], e["region"], e["service"], e["operation"], e["code"]
                    )
                })
                .collect()
        };
        assert_eq!(scopes(&via.report), scopes(&direct.report));
        assert_same_documents(
            documents(&via.snapshot),
            documents(&direct.snapshot),
            scenario,
        );
        assert_eq!(
            comparable(findings(&via.report)),
            comparable(findings(&direct.report))
        );
        // Every scanned account contributed documents: the comparison is not vacuous.
        let with_docs: BTreeSet<String> = documents(&direct.snapshot)
            .iter()
            .map(|d| doc_key(d).1)
            .collect();
        assert_eq!(with_docs, scanned_accounts(&direct.snapshot), "{scenario}");

        let total = &stats["total"];
        assert!(total["requests"].as_u64().unwrap() > 0);
        assert_eq!(total["forwarded"], total["requests"], "{stats}");
        assert_eq!(total["throttled"], 0);
        assert_eq!(total["denied"], 0);
        assert_eq!(total["recorded"], 0);
        assert_calls_match_proxy(&via, &stats, scenario);
    }
}

#[test]
fn throttling_and_a_denied_role_lose_nothing_in_the_other_accounts() {
    for case in CASES {
        let scenario = case.scenario;
        let moto = Moto::start();
        let seeded = moto.seed(scenario);
        let denied = seeded.id(case.role_denied).to_string();
        let tmp = TempDir::new("faults-throttle");

        // 1. The fault-free baseline, through the proxy.
        let clean = clean_proxy(&moto);
        let base = scan(&clean.endpoint, REGIONS, &tmp, "base");
        assert_complete(&base, "baseline");
        let base_stats = clean.stats();
        drop(clean);

        // 2. About 20% of requests throttled, and one member account's audit role denied.
        let faulty = FaultProxy::start(
            &moto.endpoint,
            &[
                "--throttle-rate",
                "0.2",
                "--seed",
                "7",
                "--deny-assume-role",
                &denied,
                "--recorded",
                RECORDED,
            ],
        );
        let run = scan(&faulty.endpoint, REGIONS, &tmp, "faulty");
        let stats = faulty.stats();
        assert_eq!(run.code, Some(3), "partial scan: {}", run.stderr);

        // Exactly one error record: the denied role. Throttling left no trace.
        let errs = errors(&run.report);
        assert_eq!(errs.len(), 1, "errors: {errs:#?}");
        let e = &errs[0];
        assert_eq!(e["account_id"], denied.as_str());
        assert_eq!(e["region"], "*");
        assert_eq!(e["service"], "sts");
        assert_eq!(e["operation"], "AssumeRole");
        assert_eq!(e["code"], "AccessDenied");
        let msg = e["message"].as_str().unwrap();
        assert!(
            msg.contains("is not authorized to perform: sts:AssumeRole")
                && msg.contains(&format!("arn:aws:iam::{denied}:role/VigilAuditRole")),
            "{msg}"
        );

        // The denied account: one error finding per rule, nothing else.
        let denied_findings: Vec<&Value> = findings(&run.report)
            .iter()
            .filter(|f| f["account_id"] == denied.as_str())
            .collect();
        assert!(denied_findings
            .iter()
            .all(|f| f["status"] == "error" && f["region"] == "*"));
        let mut rule_ids: Vec<String> = denied_findings
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        rule_ids.sort();
        let all_services: Vec<&str> = run.snapshot["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(
            rule_ids,
            rules_for(&all_services).into_iter().collect::<Vec<_>>(),
            "one error finding per rule for {}",
            seeded.key_of(&denied)
        );
        assert!(findings(&run.report)
            .iter()
            .all(|f| f["status"] != "error" || f["account_id"] == denied.as_str()));

        // Every other account: exactly the baseline's documents and findings.
        let others = |d: &&Value| d["awsAccountId"] != denied.as_str();
        assert!(
            documents(&base.snapshot).iter().any(|d| !others(&d)),
            "the baseline has documents of the denied account"
        );
        assert_same_documents(
            documents(&run.snapshot),
            documents(&base.snapshot).iter().filter(others),
            &format!("{scenario}: throttled run vs baseline"),
        );
        assert_eq!(
            comparable(
                findings(&run.report)
                    .iter()
                    .filter(|f| f["status"] != "error")
            ),
            comparable(
                findings(&base.report)
                    .iter()
                    .filter(|f| f["account_id"] != denied.as_str())
            )
        );
        assert_eq!(
            run.report["scan"]["evaluated"],
            run.report["scan"]["resources"]
        );

        // Throttling really happened, at about the asked-for rate; the denial was not retried.
        let (requests, throttled) = (
            stats["total"]["requests"].as_u64().unwrap(),
            stats["total"]["throttled"].as_u64().unwrap(),
        );
        let rate = throttled as f64 / requests as f64;
        assert!(
            throttled > 0 && (0.1..=0.3).contains(&rate),
            "{throttled} of {requests} requests throttled: {stats}"
        );
        let denials = stats["denials"].as_array().unwrap();
        assert_eq!(denials.len(), 1, "{denials:?}");
        assert_eq!(denials[0]["service"], "sts");
        assert_eq!(denials[0]["operation"], "AssumeRole");
        assert_eq!(denials[0]["account"], denied.as_str());
        assert_calls_match_proxy(&run, &stats, scenario);
        // No retry storm and no work done twice: apart from one retry per throttled request,
        // no operation was sent more often than in the baseline.
        for (op, c) in stats["operations"].as_object().unwrap() {
            let forwarded = c["forwarded"].as_u64().unwrap();
            let base_requests = FaultProxy::count(&base_stats, op, "requests");
            assert!(
                forwarded <= base_requests,
                "{op}: {forwarded} requests reached moto, {base_requests} in the baseline"
            );
        }
    }
}

#[test]
fn access_denied_for_one_service_in_one_account_is_reported_for_that_scope_only() {
    for case in CASES {
        let scenario = case.scenario;
        let moto = Moto::start();
        let seeded = moto.seed(scenario);
        let target = seeded.id(case.lambda_denied).to_string();
        let tmp = TempDir::new("faults-deny");
        let base = scan(&clean_proxy(&moto).endpoint, REGIONS, &tmp, "base");
        assert_complete(&base, "baseline");

        let deny = format!("lambda:ListFunctions:{target}");
        let proxy = FaultProxy::start(&moto.endpoint, &["--deny", &deny, "--recorded", RECORDED]);
        let run = scan(&proxy.endpoint, REGIONS, &tmp, "denied");
        let stats = proxy.stats();
        assert_eq!(run.code, Some(3), "partial scan: {}", run.stderr);

        // One error record per region of the denied account, for that service only.
        let regions: Vec<&str> = REGIONS.split(',').collect();
        let got: BTreeSet<(String, String, String, String, String)> = errors(&run.report)
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap().to_string();
                (
                    s("account_id"),
                    s("region"),
                    s("service"),
                    s("operation"),
                    s("code"),
                )
            })
            .collect();
        let want: BTreeSet<_> = regions
            .iter()
            .map(|r| {
                (
                    target.clone(),
                    r.to_string(),
                    "lambda".to_string(),
                    "ListFunctions".to_string(),
                    // What Lambda answers (restJson1, x-amzn-ErrorType: AccessDeniedException).
                    "AccessDeniedException".to_string(),
                )
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            errors(&run.report).len(),
            regions.len(),
            "no duplicate records"
        );
        for e in errors(&run.report) {
            let msg = e["message"].as_str().unwrap();
            assert!(
                msg.contains("is not authorized to perform: lambda:ListFunctions"),
                "{msg}"
            );
            assert!(e.get("resource").is_none(), "a scope-wide error: {e}");
        }

        // Error findings: every Lambda rule, in each region of that account; nothing else.
        let lambda_rules = rules_for(&["lambda"]);
        let error_findings: BTreeSet<(String, String, String)> = findings(&run.report)
            .iter()
            .filter(|f| f["status"] == "error")
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap().to_string();
                (s("account_id"), s("region"), s("rule_id"))
            })
            .collect();
        let mut want_findings = BTreeSet::new();
        for r in &regions {
            for rule in &lambda_rules {
                want_findings.insert((target.clone(), r.to_string(), rule.clone()));
            }
        }
        assert_eq!(error_findings, want_findings);
        assert_eq!(
            findings(&run.report)
                .iter()
                .filter(|f| f["status"] == "error")
                .count(),
            want_findings.len()
        );

        // Everything else was collected: the baseline minus that account's Lambda functions.
        let lost = |d: &&Value| {
            d["awsAccountId"] == target.as_str() && d["resourceType"] == "AWS::Lambda::Function"
        };
        assert!(documents(&base.snapshot).iter().any(|d| lost(&d)));
        assert_same_documents(
            documents(&run.snapshot),
            documents(&base.snapshot).iter().filter(|d| !lost(d)),
            &format!("{scenario}: one service denied vs baseline"),
        );

        // One denial per region: AccessDenied is not retried.
        let denials = stats["denials"].as_array().unwrap();
        let denied_regions: BTreeSet<&str> = denials
            .iter()
            .map(|d| d["region"].as_str().unwrap())
            .collect();
        assert_eq!(denials.len(), regions.len(), "{denials:?}");
        assert_eq!(denied_regions, regions.iter().copied().collect());
        assert!(denials.iter().all(|d| d["account"] == target.as_str()
            && d["service"] == "lambda"
            && d["operation"] == "ListFunctions"));
        assert_calls_match_proxy(&run, &stats, scenario);
    }
}

/// Regions of the recorded account:ListRegions response that are enabled.
fn recorded_enabled_regions() -> BTreeSet<String> {
    let rec = read_json(
        &support::root()
            .join(RECORDED)
            .join("account/ListRegions.json"),
    );
    rec["body"]["Regions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            matches!(
                r["RegionOptStatus"].as_str(),
                Some("ENABLED" | "ENABLED_BY_DEFAULT")
            )
        })
        .map(|r| r["RegionName"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn regions_all_scans_exactly_the_regions_enabled_in_each_account() {
    let enabled = recorded_enabled_regions();
    // The recording has an opt-in region enabled and one disabled: the scan must follow the
    // recording, not vigil's fallback list of default regions.
    assert!(enabled.contains("eu-south-1") && !enabled.contains("ap-east-1"));
    for Case { scenario, .. } in CASES {
        let moto = Moto::start();
        moto.seed(scenario);
        let tmp = TempDir::new("faults-regions-all");
        let proxy = FaultProxy::start(&moto.endpoint, &["--recorded", RECORDED]);
        let all = scan(&proxy.endpoint, "all", &tmp, "all");
        let stats = proxy.stats();
        assert_complete(&all, "--regions all");
        let scanned: BTreeSet<String> = all.report["scan"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        assert_eq!(scanned, enabled);
        assert_eq!(all.report["scan"]["skipped_regions"], Value::Array(vec![]));

        // The same documents as a direct scan of those regions named one by one.
        let list = enabled.iter().cloned().collect::<Vec<_>>().join(",");
        let named = scan(&clean_proxy(&moto).endpoint, &list, &tmp, "named");
        assert_complete(&named, "regions named");
        assert_same_documents(
            documents(&all.snapshot),
            documents(&named.snapshot),
            &format!("{scenario}: --regions all vs named"),
        );

        // Every account's regions came from the recording, page by page (one region a page).
        let accounts = scanned_accounts(&all.snapshot).len() as u64;
        let pages = enabled.len() as u64; // PAGE_SIZE = 1
        assert_eq!(
            FaultProxy::count(&stats, "account:ListRegions", "recorded"),
            accounts * pages,
            "{stats}"
        );
        assert_eq!(
            FaultProxy::count(&stats, "account:ListRegions", "forwarded"),
            0
        );
        assert_calls_match_proxy(&all, &stats, scenario);
    }
}

#[test]
fn a_region_not_enabled_in_an_account_is_skipped_not_an_error() {
    for Case { scenario, .. } in CASES {
        let moto = Moto::start();
        moto.seed(scenario);
        let tmp = TempDir::new("faults-opt-in");
        let proxy = FaultProxy::start(&moto.endpoint, &["--recorded", RECORDED]);
        let s = scan(&proxy.endpoint, "us-east-1,ap-east-1", &tmp, "opt-in");
        assert_complete(&s, "with a disabled region");
        assert_ne!(s.code, Some(3));
        assert_eq!(
            s.report["scan"]["regions"],
            serde_json::json!(["us-east-1"])
        );

        let skipped: BTreeSet<(String, String)> = s.report["scan"]["skipped_regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert!(!r["reason"].as_str().unwrap().is_empty());
                (
                    r["account_id"].as_str().unwrap().to_string(),
                    r["region"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String)> = scanned_accounts(&s.snapshot)
            .into_iter()
            .map(|a| (a, "ap-east-1".to_string()))
            .collect();
        assert_eq!(skipped, want);
        assert_eq!(
            s.report["scan"]["skipped_regions"]
                .as_array()
                .unwrap()
                .len(),
            want.len()
        );
        assert_eq!(
            s.snapshot["skipped_regions"],
            s.report["scan"]["skipped_regions"]
        );

        // us-east-1 was scanned in full.
        let base = scan(&clean_proxy(&moto).endpoint, "us-east-1", &tmp, "us-east-1");
        assert_complete(&base, "us-east-1 only");
        assert_same_documents(
            documents(&s.snapshot),
            documents(&base.snapshot),
            &format!("{scenario}: us-east-1,ap-east-1 vs us-east-1"),
        );
        assert_calls_match_proxy(&s, &proxy.stats(), scenario);
    }
}

/// Calls one read operation of every service vigil collects with boto3 (no retries) and prints
/// `{service: [HTTP status, error code, message]}`: how an AWS SDK reads the proxy's answers.
const PROBE: &str = r#"
import json, sys, boto3, botocore
from botocore.config import Config
calls = [("dynamodb", "list_tables"), ("kms", "list_keys"), ("config", "describe_configuration_recorders"),
         ("organizations", "list_accounts"), ("lambda", "list_functions"), ("apigateway", "get_rest_apis"),
         ("apigatewayv2", "get_apis"), ("account", "list_regions"), ("sts", "get_caller_identity")]
out = {}
for service, op in calls:
    c = boto3.client(service, endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    try:
        getattr(c, op)()
        out[service] = [200, None, None]
    except botocore.exceptions.ClientError as e:
        out[service] = [e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"],
                        e.response["Error"]["Message"]]
json.dump(out, sys.stdout)
"#;

fn probe(endpoint: &str) -> BTreeMap<String, (u64, String, String)> {
    let out = std::process::Command::new(support::venv().join("bin/python"))
        .args(["-c", PROBE, endpoint])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("running the boto3 probe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    v.into_iter()
        .map(|(k, r)| {
            let s = |i: usize| r[i].as_str().unwrap_or_default().to_string();
            (k, (r[0].as_u64().unwrap(), s(1), s(2)))
        })
        .collect()
}

#[test]
fn the_proxy_answers_each_protocol_with_the_real_throttling_and_access_denied_errors() {
    let moto = Moto::start();
    let throttle = FaultProxy::start(&moto.endpoint, &["--throttle-rate", "1"]);
    let got = probe(&throttle.endpoint);
    // (HTTP status, error code) per service: awsJson 400, restJson 429, awsQuery 400.
    let want: BTreeMap<String, (u64, String)> = [
        ("dynamodb", 400, "ThrottlingException"),
        ("kms", 400, "ThrottlingException"),
        ("config", 400, "ThrottlingException"),
        ("organizations", 400, "TooManyRequestsException"),
        ("lambda", 429, "TooManyRequestsException"),
        ("apigateway", 429, "TooManyRequestsException"),
        ("apigatewayv2", 429, "TooManyRequestsException"),
        ("account", 429, "TooManyRequestsException"),
        ("sts", 400, "Throttling"),
    ]
    .into_iter()
    .map(|(s, st, c)| (s.to_string(), (st, c.to_string())))
    .collect();
    let codes: BTreeMap<String, (u64, String)> = got
        .iter()
        .map(|(s, (st, c, _))| (s.clone(), (*st, c.clone())))
        .collect();
    assert_eq!(codes, want);
    let stats = throttle.stats();
    assert_eq!(stats["total"]["throttled"], want.len());
    assert_eq!(stats["total"]["forwarded"], 0);

    let ops = [
        "dynamodb:ListTables",
        "kms:ListKeys",
        "config:DescribeConfigurationRecorders",
        "organizations:ListAccounts",
        "lambda:ListFunctions",
        "apigateway:GetRestApis",
        "apigatewayv2:GetApis",
        "account:ListRegions",
        "sts:GetCallerIdentity",
    ];
    let mut args = Vec::new();
    for op in ops {
        args.extend(["--deny", op]);
    }
    let deny = FaultProxy::start(&moto.endpoint, &args);
    let got = probe(&deny.endpoint);
    for (service, (status, code, message)) in &got {
        let (want_status, want_code) = match service.as_str() {
            "sts" => (403, "AccessDenied"),
            "dynamodb" | "kms" | "config" | "organizations" => (400, "AccessDeniedException"),
            _ => (403, "AccessDeniedException"),
        };
        assert_eq!(
            (*status, code.as_str()),
            (want_status, want_code),
            "{service}"
        );
        assert!(
            message.contains("is not authorized to perform: "),
            "{service}: {message}"
        );
    }
    assert_eq!(got.len(), ops.len());
    assert_eq!(deny.stats()["total"]["denied"], ops.len());
}
