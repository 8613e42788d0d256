//! The Lambda mode through a real Lambda Runtime API emulator: `cargo lambda watch
//! --only-lambda-apis` (PyPI cargo-lambda, pinned in the venv) serves the Runtime API on
//! 127.0.0.1, the vigil binary runs as the function against it (as the Lambda service would
//! start `bootstrap`), and `cargo lambda invoke` sends a scheduled event. The function scans
//! the moto organization, notifies SNS (read back from a subscribed SQS queue) and records
//! state in DynamoDB; a second invocation while the lock is held does nothing; a bad override
//! is a non-retryable error.

mod support;

use serde_json::Value;
use support::lambda::Function;
use support::{Moto, TempDir};

fn notify_helper(endpoint: &str, args: &[&str]) -> Value {
    support::python_json("notify_setup.py", endpoint, args)
}

fn scheduled() -> Value {
    serde_json::json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-28T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/vigil-schedule"],
        "detail": {}
    })
}

#[test]
fn scheduled_invocations_scan_notify_record_and_respect_the_lock() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/lambda-org.json");
    let tmp = TempDir::new("lambda-mode");
    let setup = notify_helper(&moto.endpoint, &["setup"]);
    let topic = setup["topic_arn"].as_str().unwrap().to_string();
    let queue = setup["queue_url"].as_str().unwrap().to_string();

    let f = Function::start(
        &tmp,
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
            ("VIGIL_REGIONS", "eu-west-1,us-east-1".into()),
            ("VIGIL_SNS_TOPIC_ARN", topic.clone()),
            ("VIGIL_STATE_TABLE", "vigil-state".into()),
            ("VIGIL_EXTERNAL_ID", "do-not-print-me-1234".into()),
        ],
    );

    // First scheduled run: the whole organization is scanned, a first-run summary is
    // published, every failure is recorded.
    let (ok, r) = f.invoke(&tmp, &scheduled());
    assert!(ok, "{r}\n{}", f.log());
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["organization_id"], seeded.org_id.as_str());
    assert_eq!(r["accounts"], 4, "management + 3 active members: {r}");
    assert_eq!(r["regions"], serde_json::json!(["eu-west-1", "us-east-1"]));
    let fail = r["summary"]["fail"].as_u64().unwrap();
    assert!(fail > 0, "{r}");
    assert_eq!(r["notifications"]["first_run"], true, "{r}");
    let messages = notify_helper(&moto.endpoint, &["drain", "--queue-url", &queue]);
    let messages = messages.as_array().unwrap();
    assert_eq!(
        r["notifications"]["messages_sent"].as_u64().unwrap() as usize,
        messages.len()
    );
    assert!(
        messages.iter().any(|m| m.to_string().contains("summary")),
        "a first-run summary message: {messages:?}"
    );
    let items = notify_helper(&moto.endpoint, &["items"]);
    let recorded = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["pk"].as_str().unwrap_or_default().starts_with("finding#"))
        .count() as u64;
    assert_eq!(recorded, fail, "every failing finding is recorded");

    // Second run, nothing changed: nothing new, nothing resolved, nothing published.
    let (ok, r2) = f.invoke(&tmp, &scheduled());
    assert!(ok, "{r2}");
    assert_eq!(r2["notifications"]["first_run"], false);
    assert_eq!(r2["notifications"]["new"], 0, "{r2}");
    assert_eq!(r2["notifications"]["resolved"], 0, "{r2}");
    assert_eq!(r2["notifications"]["unchanged"], fail);
    let again = notify_helper(&moto.endpoint, &["drain", "--queue-url", &queue]);
    assert_eq!(again.as_array().unwrap().len(), 0, "{again}");

    // Another run holds the lock: the invocation answers `locked`, scans and sends nothing.
    notify_helper(
        &moto.endpoint,
        &[
            "put-lock",
            "--owner",
            "lambda/other/req-1",
            "--expires-in",
            "600",
        ],
    );
    let (ok, r3) = f.invoke(&tmp, &scheduled());
    assert!(ok, "{r3}");
    assert_eq!(r3["status"], "locked", "{r3}");
    assert_eq!(r3["lock_holder"]["owner"], "lambda/other/req-1");
    assert_eq!(r3["resources"], 0);
    assert_eq!(
        notify_helper(&moto.endpoint, &["drain", "--queue-url", &queue])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // A bad override is a configuration error: not retryable, named in the error.
    let (ok, err) = f.invoke(&tmp, &serde_json::json!({"acounts": ["111122223333"]}));
    assert!(!ok);
    let err = err.as_str().unwrap().to_string();
    assert!(err.contains("Vigil.Configuration"), "{err}");
    assert!(err.contains("acounts"), "{err}");

    // The function is still serving, and never printed the ExternalId.
    let log = f.log();
    assert!(!log.contains("do-not-print-me-1234"), "{log}");
    let mut function = f;
    assert!(
        function.function.0.try_wait().unwrap().is_none(),
        "{}",
        function.log()
    );
}

#[test]
fn an_override_narrows_the_scan_and_a_bad_environment_is_reported_per_invocation() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/lambda-org.json");
    let tmp = TempDir::new("lambda-override");
    let payments = seeded.id("payments").to_string();
    let f = Function::start(
        &tmp,
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
            ("VIGIL_REGIONS", "eu-west-1".into()),
        ],
    );
    let (ok, r) = f.invoke(
        &tmp,
        &serde_json::json!({"accounts": [payments], "regions": ["us-east-1"], "services": ["lambda"]}),
    );
    assert!(ok, "{r}\n{}", f.log());
    assert_eq!(r["accounts"], 1, "{r}");
    assert_eq!(r["regions"], serde_json::json!(["us-east-1"]));
    assert!(r.get("notifications").is_none(), "no topic, no table: {r}");
    drop(f);

    // A bad variable: the runtime still starts and every invocation says what is wrong.
    let tmp2 = TempDir::new("lambda-badenv");
    let f = Function::start(
        &tmp2,
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
            ("VIGIL_CONCURRENCY", "zero".into()),
        ],
    );
    let (ok, err) = f.invoke(&tmp2, &scheduled());
    assert!(!ok);
    let err = err.as_str().unwrap();
    assert!(
        err.contains("Vigil.Configuration") && err.contains("VIGIL_CONCURRENCY"),
        "{err}"
    );
}

/// The summary and error records of a run, as the CLI's JSON report and the Lambda's response
/// both give them: `(fail, pass, error, muted)` and `account region service operation: code`.
type Comparable = ((u64, u64, u64, u64), std::collections::BTreeSet<String>);

fn comparable(summary: &Value, errors: Vec<String>) -> Comparable {
    let n = |k: &str| summary[k].as_u64().unwrap();
    (
        (n("fail"), n("pass"), n("error"), n("muted")),
        errors.into_iter().collect(),
    )
}

#[test]
fn the_cli_and_the_lambda_give_the_same_outcome_for_the_same_org_and_faults() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/lambda-org.json");
    let regions = "eu-west-1,us-east-1";
    let denied_role = seeded.id("analytics").to_string();
    let denied_lambda = format!("lambda:ListFunctions:{}", seeded.id("payments"));
    for (tag, faults) in [
        ("clean", vec![]),
        (
            "faulty",
            vec!["--deny-assume-role", &denied_role, "--deny", &denied_lambda],
        ),
    ] {
        let tmp = TempDir::new(&format!("modes-{tag}"));
        let proxy = support::FaultProxy::start(&moto.endpoint, &faults);

        // The CLI: exit code and JSON report.
        let report = tmp.path("report.json");
        let out = support::run(
            support::vigil()
                .args([
                    "scan",
                    "--endpoint-url",
                    &proxy.endpoint,
                    "--regions",
                    regions,
                ])
                .args(["--fail-on", "none", "--format", "json", "--output"])
                .arg(&report),
        );
        let r = support::read_json(&report);
        let cli_errors = r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap().to_string();
                format!(
                    "{} {} {} {}: {}",
                    s("account_id"),
                    s("region"),
                    s("service"),
                    s("operation"),
                    s("code")
                )
            })
            .collect();
        let cli = comparable(&r["summary"], cli_errors);

        // The Lambda: the same organization through the same proxy.
        let f = Function::start(
            &tmp,
            &[
                ("AWS_ENDPOINT_URL", proxy.endpoint.clone()),
                ("VIGIL_REGIONS", regions.into()),
            ],
        );
        let (ok, l) = f.invoke(&tmp, &scheduled());
        assert!(ok, "{l}\n{}", f.log());
        let lambda_errors = l["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect();
        let lambda = comparable(&l["summary"], lambda_errors);

        assert_eq!(cli, lambda, "{tag}: same findings and errors");
        let partial = tag == "faulty";
        assert_eq!(
            out.status.code(),
            Some(if partial { 3 } else { 0 }),
            "{tag}: {}",
            support::stderr(&out)
        );
        assert_eq!(
            l["status"],
            if partial { "partial" } else { "completed" },
            "{tag}: {l}"
        );
        assert_eq!(cli.0 .2 > 0, partial, "{tag}: error findings iff faults");
    }
}

#[test]
fn each_run_writes_its_reports_to_the_bucket_and_its_messages_link_to_them() {
    let moto = Moto::start();
    moto.seed("fixtures/scenarios/lambda-org.json");
    let tmp = TempDir::new("lambda-reports");
    let setup = notify_helper(&moto.endpoint, &["setup"]);
    let topic = setup["topic_arn"].as_str().unwrap().to_string();
    let queue = setup["queue_url"].as_str().unwrap().to_string();
    let bucket = notify_helper(
        &moto.endpoint,
        &["report-bucket", "--bucket", "vigil-reports"],
    );
    let key_arn = bucket["key_arn"].as_str().unwrap().to_string();
    let env = |bucket: &str| {
        vec![
            ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
            ("VIGIL_REGIONS", "eu-west-1,us-east-1".to_string()),
            ("VIGIL_SNS_TOPIC_ARN", topic.clone()),
            ("VIGIL_STATE_TABLE", "vigil-state".to_string()),
            ("VIGIL_REPORT_BUCKET", bucket.to_string()),
            ("VIGIL_REPORT_KMS_KEY", key_arn.clone()),
        ]
    };
    let f = Function::start(&tmp, &env("vigil-reports"));
    let (ok, r) = f.invoke(&tmp, &scheduled());
    assert!(ok, "{r}\n{}", f.log());
    assert_eq!(r["status"], "completed", "{r}");
    let json_uri = r["reports"]["json"]
        .as_str()
        .expect("report URIs")
        .to_string();
    let html_uri = r["reports"]["html"].as_str().unwrap().to_string();
    let prefix = json_uri.strip_suffix("report.json").unwrap();
    assert!(
        prefix.starts_with("s3://vigil-reports/reports/")
            && html_uri == format!("{prefix}report.html"),
        "{r}"
    );

    // Both objects, encrypted with the key; the JSON report is the run's.
    let objects = notify_helper(&moto.endpoint, &["objects", "--bucket", "vigil-reports"]);
    let objects = objects.as_array().unwrap();
    assert_eq!(objects.len(), 2, "{objects:?}");
    let object = |uri: &str| {
        objects
            .iter()
            .find(|o| format!("s3://vigil-reports/{}", o["key"].as_str().unwrap()) == uri)
            .unwrap_or_else(|| panic!("no object {uri}"))
    };
    for o in objects {
        assert_eq!(o["sse"], "aws:kms", "{}", o["key"]);
        assert_eq!(o["sse_kms_key_id"], key_arn.as_str(), "{}", o["key"]);
    }
    let json = object(&json_uri);
    assert_eq!(json["content_type"], "application/json");
    let report: Value = serde_json::from_str(json["body"].as_str().unwrap()).unwrap();
    assert_eq!(report["schema"], "vigil.report/v1");
    assert_eq!(report["summary"], r["summary"]);
    let html = object(&html_uri);
    assert_eq!(html["content_type"], "text/html; charset=utf-8");
    let page = html["body"].as_str().unwrap();
    assert!(
        page.contains("Content-Security-Policy"),
        "a self-contained report"
    );

    // Every message names the reports (first run: the summary and the most severe findings).
    let messages = notify_helper(&moto.endpoint, &["drain", "--queue-url", &queue]);
    let messages = messages.as_array().unwrap();
    assert!(!messages.is_empty());
    for m in messages {
        let body = m["message"].as_str().unwrap();
        assert!(
            body.contains(&html_uri)
                && body.contains(&json_uri)
                && body.contains("console.aws.amazon.com/s3/object/vigil-reports"),
            "{m}"
        );
    }
    drop(f);

    // A bucket that does not exist: the run is partial and says why; its notifications and
    // state are as usual.
    let tmp2 = TempDir::new("lambda-reports-missing");
    let f = Function::start(&tmp2, &env("no-such-bucket"));
    let (ok, r) = f.invoke(&tmp2, &scheduled());
    assert!(ok, "{r}\n{}", f.log());
    assert_eq!(r["status"], "partial", "{r}");
    assert!(r.get("reports").is_none(), "{r}");
    let errors = r["errors"].to_string();
    assert!(
        errors.contains("s3://no-such-bucket/reports/") && errors.contains("NoSuchBucket"),
        "{r}"
    );
    assert_eq!(r["notifications"]["first_run"], false, "{r}");
}
