//! End-to-end: `vigil scan --security-hub` against moto's Security Hub. The DynamoDB scenario's
//! failing findings are imported into each member account's own Security Hub (in the finding's
//! region), read back with `GetFindings` exactly; a finding fixed in moto is archived as
//! `PASSED` by the next run; an account-region without Security Hub enabled is an error naming
//! both, exit 3, and the JSON report is still written. `--format asff` writes the findings that
//! are imported. The Lambda mode does the same with `VIGIL_SECURITY_HUB=true`, through the
//! Runtime API emulator.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use support::{read_json, run, stderr, vigil, FaultProxy, Moto, Seeded, TempDir};

const SCENARIO: &str = "fixtures/scenarios/dynamodb-kms.json";
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const MEMBERS: [&str; 3] = ["payments", "analytics", "sandbox"];

struct Env {
    moto: Moto,
    seeded: Seeded,
    tmp: TempDir,
}

impl Env {
    fn start(tag: &str) -> Env {
        let moto = Moto::start();
        let tmp = TempDir::new(tag);
        std::fs::write(
            tmp.path("params.json"),
            r#"{"dynamodb": {"backup_plan_required": false}}"#,
        )
        .unwrap();
        let seeded = moto.seed(SCENARIO);
        Env { moto, seeded, tmp }
    }

    fn helper(&self, args: &[&str]) -> Value {
        support::python_json("notify_setup.py", &self.moto.endpoint, args)
    }

    fn enable(&self, account: &str, region: &str) {
        self.helper(&[
            "securityhub-enable",
            "--account-id",
            self.seeded.id(account),
            "--region",
            region,
        ]);
    }

    /// Every Security Hub finding of a member account and region.
    fn findings(&self, account: &str, region: &str) -> Vec<Value> {
        self.helper(&[
            "securityhub-findings",
            "--account-id",
            self.seeded.id(account),
            "--region",
            region,
        ])
        .as_array()
        .unwrap()
        .clone()
    }

    /// `vigil scan --security-hub` of the member accounts' tables; the output and the JSON
    /// report.
    fn scan(&self, tag: &str, extra: &[&str]) -> (Output, Value) {
        self.scan_via(&self.moto.endpoint, tag, extra)
    }

    /// [`Env::scan`] through `endpoint` (a fault proxy).
    fn scan_via(&self, endpoint: &str, tag: &str, extra: &[&str]) -> (Output, Value) {
        let report = self.tmp.path(&format!("{tag}.json"));
        let out = run(vigil()
            .args(["scan", "--endpoint-url", endpoint])
            .args(["--services", "dynamodb", "--regions", &REGIONS.join(",")])
            .args(["--exclude-accounts", self.seeded.id("management")])
            .arg("--params")
            .arg(self.tmp.path("params.json"))
            .arg("--security-hub")
            .args(extra)
            .args(["--format", "json", "--output"])
            .arg(&report));
        assert!(
            report.exists(),
            "the JSON report is written: {}",
            stderr(&out)
        );
        (out, read_json(&report))
    }
}

/// The report's failing findings of an account, by the ASFF `Id` they must have, with the
/// region they are imported to.
fn failing(report: &Value, account_id: &str) -> BTreeMap<String, (String, Value)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["account_id"] == account_id)
        .map(|f| {
            let id = format!(
                "vigil/{}/{}",
                f["rule_id"].as_str().unwrap(),
                f["fingerprint"].as_str().unwrap()
            );
            (id, (f["region"].as_str().unwrap().to_string(), f.clone()))
        })
        .collect()
}

fn by_id(findings: &[Value]) -> BTreeMap<String, Value> {
    findings
        .iter()
        .map(|f| (f["Id"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

fn severity_label(s: &str) -> &'static str {
    match s {
        "critical" => "CRITICAL",
        "high" => "HIGH",
        "medium" => "MEDIUM",
        "low" => "LOW",
        _ => "INFORMATIONAL",
    }
}

/// What Security Hub holds for `account` in `region` is exactly the report's failing findings
/// of that account and region, active, with their attributes; returns the active ids.
fn assert_imported(env: &Env, report: &Value, account: &str, region: &str) -> BTreeSet<String> {
    let account_id = env.seeded.id(account);
    let want: BTreeMap<String, Value> = failing(report, account_id)
        .into_iter()
        .filter(|(_, (r, _))| r == region)
        .map(|(id, (_, f))| (id, f))
        .collect();
    let held = by_id(&env.findings(account, region));
    let active: BTreeMap<&String, &Value> = held
        .iter()
        .filter(|(_, f)| f["RecordState"] == "ACTIVE")
        .collect();
    assert_eq!(
        active.keys().map(|k| k.as_str()).collect::<BTreeSet<_>>(),
        want.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "{account} {region}: the active findings are the failing ones"
    );
    for (id, f) in &want {
        let a = active[id];
        assert_eq!(a["AwsAccountId"], account_id);
        assert_eq!(
            a["ProductArn"],
            format!("arn:aws:securityhub:{region}:{account_id}:product/{account_id}/default")
        );
        assert_eq!(a["GeneratorId"], f["rule_id"]);
        assert_eq!(a["SchemaVersion"], "2018-10-08");
        assert_eq!(a["Compliance"]["Status"], "FAILED");
        assert_eq!(
            a["Severity"]["Label"],
            severity_label(f["severity"].as_str().unwrap())
        );
        assert_eq!(a["Resources"][0]["Type"], "AwsDynamoDbTable");
        assert_eq!(a["Resources"][0]["Id"], f["resource_arn"]);
        assert_eq!(a["Resources"][0]["Region"], region);
        assert_eq!(a["ProductFields"]["vigil/Fingerprint"], f["fingerprint"]);
        assert!(
            !a["Remediation"]["Recommendation"]["Text"]
                .as_str()
                .unwrap()
                .is_empty(),
            "{id} has a remediation"
        );
        if let Some(fsbp) = f["related"]["fsbp"].as_array().and_then(|l| l.first()) {
            assert_eq!(&a["Compliance"]["SecurityControlId"], fsbp);
        }
    }
    active.keys().map(|k| k.to_string()).collect()
}

#[test]
fn failing_findings_are_imported_per_account_fixed_ones_archived_and_a_disabled_hub_is_partial() {
    let env = Env::start("securityhub");
    // Security Hub everywhere but in analytics' eu-west-1.
    for account in MEMBERS {
        for region in REGIONS {
            if (account, region) != ("analytics", "eu-west-1") {
                env.enable(account, region);
            }
        }
    }

    // 1. One account-region without Security Hub: its findings are not imported, an error
    //    names it, exit 3; everything else is imported and the report is written.
    let (out, report) = env.scan("first", &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let disabled = env.seeded.id("analytics");
    let errors: Vec<&Value> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["service"] == "securityhub")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["account_id"], disabled);
    assert_eq!(errors[0]["region"], "eu-west-1");
    assert_eq!(errors[0]["operation"], "DescribeHub");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("Security Hub is not enabled")
            && msg.contains(disabled)
            && msg.contains("eu-west-1"),
        "{msg}"
    );
    assert!(
        err.contains("Security Hub") && err.contains(disabled) && err.contains("eu-west-1"),
        "{err}"
    );
    assert!(
        failing(&report, disabled)
            .values()
            .any(|(region, _)| region == "eu-west-1"),
        "analytics has failing tables in eu-west-1"
    );
    assert!(env.findings("analytics", "eu-west-1").is_empty());
    let mut imported = 0;
    for account in MEMBERS {
        for region in REGIONS {
            if (account, region) != ("analytics", "eu-west-1") {
                imported += assert_imported(&env, &report, account, region).len();
            }
        }
    }
    assert!(imported >= 3, "findings were imported: {imported}");
    assert!(
        err.contains(&format!("{imported} finding(s) imported, 0 archived")),
        "{err}"
    );

    // 2. Security Hub enabled there too: everything imported, nothing duplicated (the same Ids
    //    are updated), exit 1 for the failing findings.
    env.enable("analytics", "eu-west-1");
    let (out, report) = env.scan("second", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut before = BTreeMap::new();
    for account in MEMBERS {
        for region in REGIONS {
            let ids = assert_imported(&env, &report, account, region);
            assert_eq!(
                env.findings(account, region).len(),
                ids.len(),
                "{account} {region}: no duplicate, nothing else"
            );
            before.insert((account, region), ids);
        }
    }

    // 3. PITR on payments-sessions: its VGL-DDB-001 finding is archived as PASSED; the others
    //    stay active; nothing else changes.
    env.helper(&[
        "pitr",
        "--account-id",
        env.seeded.id("payments"),
        "--region",
        "eu-west-1",
        "--table-name",
        "payments-sessions",
    ]);
    let (out, report) = env.scan("third", &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let active = assert_imported(&env, &report, "payments", "eu-west-1");
    let closed: Vec<&String> = before[&("payments", "eu-west-1")]
        .difference(&active)
        .collect();
    assert_eq!(closed.len(), 1, "one finding fixed: {closed:?}");
    assert!(closed[0].starts_with("vigil/VGL-DDB-001/"), "{closed:?}");
    let held = by_id(&env.findings("payments", "eu-west-1"));
    let archived = &held[closed[0]];
    assert_eq!(archived["RecordState"], "ARCHIVED");
    assert_eq!(archived["Compliance"]["Status"], "PASSED");
    assert!(
        archived["UpdatedAt"].as_str().unwrap() > archived["CreatedAt"].as_str().unwrap(),
        "the archive is a newer update: {archived}"
    );
    assert!(err.contains(" 1 archived"), "{err}");
    for account in MEMBERS {
        for region in REGIONS {
            if (account, region) != ("payments", "eu-west-1") {
                assert_eq!(
                    assert_imported(&env, &report, account, region),
                    before[&(account, region)],
                    "{account} {region} unchanged"
                );
            }
        }
    }

    // 4. A run that does not assess DynamoDB (KMS only, in both regions) leaves the DynamoDB
    //    findings active everywhere: not assessed is not resolved.
    let report_path = env.tmp.path("fourth.json");
    let out = run(vigil()
        .args(["scan", "--endpoint-url", &env.moto.endpoint])
        .args(["--services", "kms", "--regions", &REGIONS.join(",")])
        .args(["--exclude-accounts", env.seeded.id("management")])
        .arg("--security-hub")
        .args(["--format", "json", "--output"])
        .arg(&report_path));
    let err = stderr(&out);
    // Exit 3: the scenario has a KMS key nobody may describe; Security Hub had no problem.
    assert_eq!(out.status.code(), Some(3), "{err}");
    let fourth = read_json(&report_path);
    assert!(
        !fourth["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["service"] == "securityhub"),
        "{err}"
    );
    assert!(err.contains(" 0 archived"), "{err}");
    for account in MEMBERS {
        for region in REGIONS {
            let still: BTreeSet<String> = env
                .findings(account, region)
                .iter()
                .filter(|f| f["RecordState"] == "ACTIVE")
                .map(|f| f["Id"].as_str().unwrap().to_string())
                .filter(|id| id.starts_with("vigil/VGL-DDB-"))
                .collect();
            let expected = if (account, region) == ("payments", "eu-west-1") {
                active.clone()
            } else {
                before[&(account, region)].clone()
            };
            assert_eq!(still, expected, "{account} {region} left as it was");
        }
    }
}

#[test]
fn format_asff_writes_the_findings_security_hub_would_get() {
    let tmp = TempDir::new("asff");
    let asff = tmp.path("findings.asff.json");
    let json = tmp.path("report.json");
    let out = run(vigil()
        .args(["evaluate", "fixtures/snapshots/demo-org.json"])
        .args(["--format", "asff", "--output"])
        .arg(&asff)
        .args(["--format", "json", "--output"])
        .arg(&json));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let findings = read_json(&asff);
    let report = read_json(&json);
    let failing: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .collect();
    let findings = findings.as_array().unwrap();
    // One ASFF finding per (rule, resource): the demo's REST API rules fail some APIs once per
    // stage, with one fingerprint.
    let ids: BTreeSet<&str> = findings.iter().map(|f| f["Id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), findings.len(), "ids are unique");
    let mut first: Vec<&Value> = Vec::new();
    for f in &failing {
        if !first
            .iter()
            .any(|g| g["rule_id"] == f["rule_id"] && g["fingerprint"] == f["fingerprint"])
        {
            first.push(f);
        }
    }
    assert!(first.len() < failing.len(), "the demo has such findings");
    assert_eq!(findings.len(), first.len());
    let merged = findings
        .iter()
        .find(|a| a["Description"].as_str().unwrap().contains('\n'))
        .expect("a merged finding lists its messages");
    assert!(merged["GeneratorId"]
        .as_str()
        .unwrap()
        .starts_with("VGL-APIGW-"));
    for (a, f) in findings.iter().zip(&first) {
        // Both in report order.
        assert_eq!(a["GeneratorId"], f["rule_id"]);
        assert_eq!(a["AwsAccountId"], f["account_id"]);
        assert_eq!(a["RecordState"], "ACTIVE");
        let account = f["account_id"].as_str().unwrap();
        assert!(a["ProductArn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{account}:product/{account}/default")));
        assert!(a["Title"].as_str().unwrap().chars().count() <= 256);
        assert!(a["Description"].as_str().unwrap().chars().count() <= 1024);
        let t = a["Resources"][0]["Type"].as_str().unwrap();
        assert!(
            [
                "AwsLambdaFunction",
                "AwsLambdaLayerVersion",
                "AwsApiGatewayRestApi",
                "AwsApiGatewayV2Api",
                "AwsDynamoDbTable",
                "AwsKmsKey",
                "AwsAccount",
                "Other"
            ]
            .contains(&t),
            "{t}"
        );
    }
}

#[test]
fn format_asff_snapshot() {
    let out = run(vigil().args([
        "evaluate",
        "fixtures/snapshots/demo-org.json",
        "--format",
        "asff",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut settings = insta::Settings::clone_current();
    // The tool's version changes with every release; times are the run's.
    settings.add_filter(
        r#""vigil/Version": "[^"]*""#,
        r#""vigil/Version": "[version]""#,
    );
    settings.add_filter(
        r#""(CreatedAt|UpdatedAt)": "[^"]*""#,
        r#""$1": "[timestamp]""#,
    );
    settings.bind(|| insta::assert_snapshot!("asff", text));
}

#[test]
fn the_lambda_imports_with_vigil_security_hub() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/lambda-org.json");
    let tmp = TempDir::new("securityhub-lambda");
    let helper = |args: &[&str]| support::python_json("notify_setup.py", &moto.endpoint, args);
    let regions = ["eu-west-1", "us-east-1"];
    // Every account of the organization, the management account (the caller) included.
    let mut accounts: Vec<Option<String>> = vec![None];
    let management = seeded.id("management").to_string();
    accounts.extend(
        seeded
            .accounts
            .values()
            .filter(|id| **id != management)
            .map(|id| Some(id.clone())),
    );
    let with_account = |cmd: &str, account: &Option<String>, region: &str| {
        let mut args = vec![cmd.to_string(), "--region".into(), region.to_string()];
        if let Some(a) = account {
            args.extend(["--account-id".into(), a.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        helper(&args)
    };
    for a in &accounts {
        for r in regions {
            with_account("securityhub-enable", a, r);
        }
    }
    let f = support::lambda::Function::start(
        &tmp,
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
            ("VIGIL_REGIONS", regions.join(",")),
            ("VIGIL_SECURITY_HUB", "true".into()),
        ],
    );
    let scheduled = json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-12-05T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/vigil-schedule"],
        "detail": {}
    });
    let (ok, r) = f.invoke(&tmp, &scheduled);
    assert!(ok, "{r}\n{}", f.log());
    assert!(r["summary"]["fail"].as_u64().unwrap() > 0, "{r}");
    let sh = &r["security_hub"];
    assert_eq!(sh["failed"], 0, "{r}\n{}", f.log());
    let imported = sh["imported"].as_u64().unwrap();
    assert!(imported > 0, "{r}");
    let mut active = 0;
    for a in &accounts {
        for region in regions {
            let held = with_account("securityhub-findings", a, region);
            for finding in held.as_array().unwrap() {
                assert_eq!(finding["RecordState"], "ACTIVE");
                if let Some(a) = a {
                    assert_eq!(&finding["AwsAccountId"], a, "imported from its own account");
                }
                active += 1;
            }
        }
    }
    assert_eq!(active, imported, "{r}");
}

#[test]
fn throttling_is_retried_and_a_rejected_finding_is_reported_then_imported_by_the_next_run() {
    let env = Env::start("securityhub-faults");
    for account in MEMBERS {
        for region in REGIONS {
            env.enable(account, region);
        }
    }
    // Which finding Security Hub will reject: one of payments' in eu-west-1 (from a scan that
    // imports nothing).
    let report = env.tmp.path("plain.json");
    let out = run(vigil()
        .args(["scan", "--endpoint-url", &env.moto.endpoint])
        .args(["--services", "dynamodb", "--regions", &REGIONS.join(",")])
        .args(["--exclude-accounts", env.seeded.id("management")])
        .arg("--params")
        .arg(env.tmp.path("params.json"))
        .args(["--format", "json", "--output"])
        .arg(&report));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let payments = env.seeded.id("payments");
    let (rejected, _) = failing(&read_json(&report), payments)
        .into_iter()
        .find(|(_, (region, _))| region == "eu-west-1")
        .expect("payments fails in eu-west-1");
    // Security Hub's answer for payments' eu-west-1 import: that finding rejected. Other
    // BatchImportFindings calls are forwarded to moto.
    let recorded = env.tmp.path("recorded/securityhub");
    std::fs::create_dir_all(&recorded).unwrap();
    let answer = json!({"variants": [{
        "match": {"region": "eu-west-1"},
        "status": 200,
        "body": {"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [{
            "Id": rejected, "ErrorCode": "InvalidInput",
            "ErrorMessage": "Finding does not adhere to Amazon Finding Format."}]}
    }]});
    std::fs::write(
        recorded.join("BatchImportFindings.json"),
        serde_json::to_vec(&answer).unwrap(),
    )
    .unwrap();
    let proxy = FaultProxy::start(
        &env.moto.endpoint,
        &[
            "--throttle-rate",
            "0.2",
            "--seed",
            "5",
            "--recorded",
            env.tmp.path("recorded").to_str().unwrap(),
        ],
    );
    // Only payments: the recording answers every eu-west-1 import it sees.
    let (out, report) = env.scan_via(&proxy.endpoint, "faulty", &["--accounts", payments]);
    let err = stderr(&out);
    let stats = proxy.stats();
    assert!(
        stats["total"]["throttled"].as_u64().unwrap() > 0,
        "throttled: {stats}"
    );
    assert!(
        FaultProxy::count(&stats, "securityhub:BatchImportFindings", "requests") > 0,
        "{stats}"
    );
    // The rejection is the one error: throttling was retried away.
    assert_eq!(out.status.code(), Some(3), "{err}");
    let errors: Vec<&Value> = report["errors"].as_array().unwrap().iter().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert_eq!(
        (
            e["service"].as_str(),
            e["operation"].as_str(),
            e["code"].as_str(),
            e["account_id"].as_str(),
            e["region"].as_str()
        ),
        (
            Some("securityhub"),
            Some("BatchImportFindings"),
            Some("InvalidInput"),
            Some(payments),
            Some("eu-west-1")
        )
    );
    assert!(e["message"].as_str().unwrap().contains(&rejected), "{e}");
    assert!(
        err.contains(&rejected) && err.contains(" 1 failed"),
        "{err}"
    );

    // The next run imports everything: nothing was lost.
    drop(proxy);
    let (out, report) = env.scan("after", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    for account in MEMBERS {
        for region in REGIONS {
            assert_imported(&env, &report, account, region);
        }
    }
    assert!(env
        .findings("payments", "eu-west-1")
        .iter()
        .any(|f| f["Id"] == rejected.as_str() && f["RecordState"] == "ACTIVE"));
}
