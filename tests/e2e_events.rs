//! End-to-end: re-evaluating single resources against a real moto organization (issue 15) —
//! `vigil scan --resource ARN` ("did my fix work?") and `vigil event FILE` replaying a real
//! CloudTrail event (fixtures/events, adapted to the seeded account and table), before and
//! after the fix is made in moto.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::{python_json, run, stderr, stdout, vigil, Moto, TempDir};

const SCENARIO: &str = "fixtures/scenarios/dynamodb-kms.json";
const TABLE: &str = "payments-sessions"; // seeded without point-in-time recovery
const REGION: &str = "eu-west-1";

fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("a JSON report ({e}); stderr: {}", stderr(out)))
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn status_of<'a>(report: &'a Value, rule: &str) -> &'a str {
    let f: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect();
    assert_eq!(f.len(), 1, "{rule}: {f:?}");
    f[0]["status"].as_str().unwrap()
}

/// The real UpdateTable event of the fixtures, recorded in the seeded account for the table.
fn update_table_event(account: &str, tmp: &TempDir) -> std::path::PathBuf {
    let ev = support::update_table_event(
        account,
        REGION,
        TABLE,
        "e2e-events-1",
        "2026-12-05T09:00:00Z",
    );
    let p = tmp.path("update-table.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&ev).unwrap()).unwrap();
    p
}

#[test]
fn resource_and_event_re_evaluate_one_table_before_and_after_the_fix() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let payments = seeded.id("payments").to_string();
    let arn = format!("arn:aws:dynamodb:{REGION}:{payments}:table/{TABLE}");
    let tmp = TempDir::new("events");
    let scan = |extra: &[&str]| {
        let out = run(vigil()
            .args(["scan", "--endpoint-url", &moto.endpoint, "--format", "json"])
            .args(["--fail-on", "high"])
            .args(extra));
        (out.status.code(), report(&out))
    };

    // The whole organization, for comparison: the same table's findings, many more calls.
    let (_, full) = scan(&["--regions", "eu-west-1,us-east-1"]);
    let (code, one) = scan(&["--resource", &arn]);
    assert_eq!(code, Some(1), "PITR off is high");
    let resources: BTreeSet<(&str, &str, &str)> = findings(&one)
        .iter()
        .map(|f| {
            (
                f["account_id"].as_str().unwrap(),
                f["region"].as_str().unwrap(),
                f["resource_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        resources,
        BTreeSet::from([(payments.as_str(), REGION, TABLE)])
    );
    let in_full: BTreeSet<String> = findings(&full)
        .iter()
        .filter(|f| f["resource_arn"] == arn.as_str())
        .map(|f| format!("{} {} {}", f["rule_id"], f["status"], f["message"]))
        .collect();
    let in_one: BTreeSet<String> = findings(&one)
        .iter()
        .map(|f| format!("{} {} {}", f["rule_id"], f["status"], f["message"]))
        .collect();
    assert_eq!(in_one, in_full, "the same verdicts as the whole scan");
    assert_eq!(status_of(&one, "VGL-DDB-001"), "fail");
    let (calls_one, calls_full) = (
        one["scan"]["api_calls"].as_u64().unwrap(),
        full["scan"]["api_calls"].as_u64().unwrap(),
    );
    assert!(
        calls_one * 4 < calls_full,
        "one table: {calls_one} calls; the organization: {calls_full}"
    );
    assert!(
        one["errors"].as_array().unwrap().is_empty(),
        "{}",
        one["errors"]
    );
    // Only that table is described (the region's other table is listed, not described).
    let ops = &one["scan"]["api_calls_by_operation"];
    assert_eq!(ops["DynamoDB:DescribeTable"], 1, "{ops}");
    assert_eq!(ops["DynamoDB:ListTables"], 1, "{ops}");
    assert!(
        full["scan"]["api_calls_by_operation"]["DynamoDB:DescribeTable"]
            .as_u64()
            .unwrap()
            > 1
    );

    // The event of a change to the table: replayed, it re-evaluates exactly that table.
    let event = update_table_event(&payments, &tmp);
    let out = run(vigil().args(["event", event.to_str().unwrap(), "--dry-run"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(
        plan.contains(&format!(
            "AWS::DynamoDB::Table {TABLE} in {payments} {REGION}"
        )),
        "{plan}"
    );
    assert!(plan.contains("1 change(s) to re-evaluate"), "{plan}");

    // The fix, then the same event again: the table passes.
    python_json(
        "notify_setup.py",
        &moto.endpoint,
        &[
            "pitr",
            "--account-id",
            &payments,
            "--region",
            REGION,
            "--table-name",
            TABLE,
        ],
    );
    let out = run(vigil()
        .args([
            "event",
            event.to_str().unwrap(),
            "--endpoint-url",
            &moto.endpoint,
        ])
        .args(["--format", "json", "--fail-on", "high"]));
    let after = report(&out);
    assert_eq!(status_of(&after, "VGL-DDB-001"), "pass", "{}", stderr(&out));
    assert!(findings(&after).iter().all(|f| f["resource_id"] == TABLE));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A resource that does not exist: vigil says it could not evaluate it (partial, exit 3).
    let gone = format!("arn:aws:dynamodb:{REGION}:{payments}:table/no-such-table");
    let (code, missing) = scan(&["--resource", &gone]);
    assert_eq!(code, Some(3));
    assert!(findings(&missing).is_empty());
    let errors = missing["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["code"], "ResourceNotFound");
    assert_eq!(errors[0]["resource"], "no-such-table");
}

/// Input vigil cannot understand stops `vigil event` before any AWS call, naming what is wrong.
#[test]
fn unreadable_events_are_usage_errors() {
    // The AWS documentation's SQS batch: its second body is "Test message.".
    let out = run(vigil().args(["event", "fixtures/events/sqs/batch.json", "--dry-run"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("2e1424d4-f796-459a-8184-9c92662be6da: message body is not JSON"),
        "{err}"
    );
    let tmp = TempDir::new("events-bad");
    let p = tmp.path("broken.json");
    std::fs::write(&p, "{\n  \"detail-type\": \n").unwrap();
    let out = run(vigil().args(["event", p.to_str().unwrap(), "--dry-run"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("broken.json:3:0: not JSON: EOF while parsing"),
        "{}",
        stderr(&out)
    );
    // A bad ARN names itself; --resource cannot notify or record (yet).
    let out = run(vigil().args([
        "scan",
        "--resource",
        "arn:aws:kms:eu-west-1:111122223333:alias/app",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("alias names no key"),
        "{}",
        stderr(&out)
    );
    let out = run(vigil().args([
        "scan",
        "--resource",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/t",
        "--state-table",
        "vigil-state",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
