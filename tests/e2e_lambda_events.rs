//! The continuous mode end to end (issue 15): SQS batches of real CloudTrail events
//! (fixtures/events, adapted to the seeded accounts) delivered to the vigil function through the
//! Lambda Runtime API emulator, against a moto organization behind the fault proxy (one member
//! account's audit role denied). Notifications are read back from the SQS queue subscribed to
//! the topic, the state from the DynamoDB table.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use support::lambda::Function;
use support::{sqs_batch, update_table_event, FaultProxy, Moto, TempDir};

const REGION: &str = "eu-west-1";

fn helper(endpoint: &str, args: &[&str]) -> Value {
    support::python_json("notify_setup.py", endpoint, args)
}

fn scheduled() -> Value {
    json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-12-05T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/vigil-schedule"],
        "detail": {}
    })
}

/// (change, trigger, rule, resource) of each finding of each drained notification.
fn drained(endpoint: &str, queue: &str) -> Vec<(String, String, String, String)> {
    let messages = helper(endpoint, &["drain", "--queue-url", queue]);
    let mut out = Vec::new();
    for m in messages.as_array().unwrap() {
        let attr = |k: &str| {
            m["attributes"][k]["value"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let text = m["message"].as_str().unwrap();
        let Some((_, json)) = text.split_once("--- findings (JSON) ---\n") else {
            // A summary message: no findings.
            out.push((
                attr("change"),
                attr("trigger"),
                String::new(),
                String::new(),
            ));
            continue;
        };
        let findings: Value = serde_json::from_str(json).expect("the JSON part parses");
        for f in findings.as_array().unwrap() {
            out.push((
                attr("change"),
                attr("trigger"),
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["resource_id"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// Finding items of the state table: pk → (status, resource_id, rule_id).
fn state(endpoint: &str) -> BTreeMap<String, (String, String, String)> {
    helper(endpoint, &["items"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["pk"].as_str().unwrap().starts_with("finding#"))
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            (s("pk"), (s("status"), s("resource_id"), s("rule_id")))
        })
        .collect()
}

fn failing_for(state: &BTreeMap<String, (String, String, String)>, table: &str) -> Vec<String> {
    state
        .values()
        .filter(|(st, r, _)| r == table && st != "resolved")
        .map(|(_, _, rule)| rule.clone())
        .collect()
}

fn failures(response: &Value) -> Vec<String> {
    response["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("not a batch response: {response}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect()
}

fn body(ev: &Value) -> String {
    serde_json::to_string(ev).unwrap()
}

#[test]
fn change_events_notify_once_resolve_once_and_return_what_they_cannot_read() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/dynamodb-kms.json");
    let payments = seeded.id("payments").to_string();
    let analytics = seeded.id("analytics").to_string();
    let setup = helper(&moto.endpoint, &["setup"]);
    let topic = setup["topic_arn"].as_str().unwrap().to_string();
    let queue = setup["queue_url"].as_str().unwrap().to_string();
    // The analytics account's audit role is denied; moto's gaps answered from recordings.
    let proxy = FaultProxy::start(
        &moto.endpoint,
        &[
            "--deny-assume-role",
            &analytics,
            "--recorded",
            "fixtures/recorded",
        ],
    );
    let tmp = TempDir::new("lambda-events");
    let f = Function::start(
        &tmp,
        &[
            ("AWS_ENDPOINT_URL", proxy.endpoint.clone()),
            ("VIGIL_REGIONS", "eu-west-1,us-east-1".into()),
            ("VIGIL_SERVICES", "dynamodb".into()),
            ("VIGIL_SNS_TOPIC_ARN", topic.clone()),
            ("VIGIL_STATE_TABLE", "vigil-state".into()),
        ],
    );
    let invoke = |event: &Value| {
        let (ok, r) = f.invoke(&tmp, event);
        assert!(ok, "{r}\n{}", f.log());
        r
    };
    let table_event = |acct: &str, table: &str, id: &str, time: &str| {
        body(&update_table_event(acct, REGION, table, id, time))
    };

    // The first scheduled run records the organization (a first-run summary).
    invoke(&scheduled());
    drained(&moto.endpoint, &queue);
    assert!(failing_for(&state(&moto.endpoint), "payments-ledger")
        .iter()
        .all(|r| r != "VGL-DDB-001"));

    // PITR turned off on payments-ledger; its event arrives: exactly one `new`, from the event.
    helper(
        &moto.endpoint,
        &[
            "pitr",
            "--off",
            "--account-id",
            &payments,
            "--region",
            REGION,
            "--table-name",
            "payments-ledger",
        ],
    );
    let off = table_event(
        &payments,
        "payments-ledger",
        "11111111-0000-4000-8000-000000000001",
        "2026-12-05T09:05:00Z",
    );
    let r = invoke(&sqs_batch(&[("m-off", off.clone())]));
    assert_eq!(failures(&r), Vec::<String>::new(), "{}", f.log());
    assert_eq!(
        drained(&moto.endpoint, &queue),
        [(
            "new".into(),
            "event".into(),
            "VGL-DDB-001".into(),
            "payments-ledger".into()
        )]
    );
    assert!(
        failing_for(&state(&moto.endpoint), "payments-ledger").contains(&"VGL-DDB-001".to_string())
    );

    // The same event delivered again: nothing.
    let r = invoke(&sqs_batch(&[("m-off-again", off)]));
    assert_eq!(failures(&r), Vec::<String>::new());
    assert_eq!(drained(&moto.endpoint, &queue), []);

    // Fixed; its event: exactly one `resolved`; delivered twice in one batch and again: once.
    helper(
        &moto.endpoint,
        &[
            "pitr",
            "--account-id",
            &payments,
            "--region",
            REGION,
            "--table-name",
            "payments-ledger",
        ],
    );
    let on = table_event(
        &payments,
        "payments-ledger",
        "11111111-0000-4000-8000-000000000002",
        "2026-12-05T09:20:00Z",
    );
    let r = invoke(&sqs_batch(&[
        ("m-on", on.clone()),
        ("m-on-dup", on.clone()),
    ]));
    assert_eq!(failures(&r), Vec::<String>::new());
    assert_eq!(
        drained(&moto.endpoint, &queue),
        [(
            "resolved".into(),
            "event".into(),
            "VGL-DDB-001".into(),
            "payments-ledger".into()
        )]
    );
    let r = invoke(&sqs_batch(&[("m-on-again", on.clone())]));
    assert_eq!(failures(&r), Vec::<String>::new());
    assert_eq!(drained(&moto.endpoint, &queue), []);

    // An event of the denied account is returned for redelivery and records nothing; the
    // other message of the batch is handled; an unreadable body is returned too (its reason
    // logged); an event vigil does not map is counted, not returned.
    let before = state(&moto.endpoint);
    let denied = table_event(
        &analytics,
        "analytics-events",
        "11111111-0000-4000-8000-000000000003",
        "2026-12-05T09:30:00Z",
    );
    let describe = support::read_json(
        &support::root().join("fixtures/events/cloudtrail/dynamodb/DescribeTable.json"),
    );
    // An account outside the organization and an EventBridge event that is not CloudTrail's
    // are returned too, each with a log line.
    let unknown = table_event(
        "999999999999",
        "payments-ledger",
        "11111111-0000-4000-8000-000000000004",
        "2026-12-05T09:31:00Z",
    );
    let scheduled_rule = support::read_json(
        &support::root().join("fixtures/events/eventbridge/ScheduledEvent.json"),
    );
    let r = invoke(&sqs_batch(&[
        ("m-denied", denied),
        ("m-ok", on),
        ("m-bad", "Test message.".into()),
        ("m-read-only", body(&describe)),
        ("m-unknown-account", unknown),
        ("m-not-cloudtrail", body(&scheduled_rule)),
    ]));
    assert_eq!(
        failures(&r),
        ["m-denied", "m-bad", "m-unknown-account", "m-not-cloudtrail"],
        "{}",
        f.log()
    );
    assert_eq!(drained(&moto.endpoint, &queue), []);
    assert_eq!(state(&moto.endpoint), before, "nothing recorded");
    let log = f.log();
    assert!(
        log.contains("m-bad") && log.contains("message body is not JSON"),
        "{log}"
    );
    assert!(log.contains("AccessDenied"), "{log}");
    assert!(
        log.contains("999999999999") && log.contains("AccountNotFound"),
        "{log}"
    );
    assert!(
        log.contains("m-not-cloudtrail") && log.contains("not a CloudTrail event"),
        "{log}"
    );

    // A scheduled run and an event run at the same time (the CLI with the same state table
    // and topic, the function with the event): exactly one `new`, then exactly one `resolved`.
    for (pitr_on, expected) in [(false, "new"), (true, "resolved")] {
        let mut args = vec![
            "pitr",
            "--account-id",
            &payments,
            "--region",
            "us-east-1",
            "--table-name",
            "payments-orders",
        ];
        if !pitr_on {
            args.push("--off");
        }
        helper(&moto.endpoint, &args);
        let mut cli = support::vigil();
        cli.args([
            "scan",
            "--endpoint-url",
            &proxy.endpoint,
            "--regions",
            "eu-west-1,us-east-1",
        ])
        .args([
            "--services",
            "dynamodb",
            "--state-table",
            "vigil-state",
            "--sns-topic-arn",
            &topic,
        ])
        .args(["--format", "json", "--output", "/dev/null", "--quiet"]);
        let cli = std::thread::spawn(move || cli.output().unwrap());
        let id = format!("11111111-0000-4000-8000-00000000001{}", pitr_on as u8);
        let ev = update_table_event(
            &payments,
            "us-east-1",
            "payments-orders",
            &id,
            "2026-12-05T09:40:00Z",
        );
        let r = invoke(&sqs_batch(&[("m-orders", body(&ev))]));
        assert_eq!(failures(&r), Vec::<String>::new());
        let out = cli.join().unwrap();
        assert_eq!(out.status.code(), Some(3), "partial: analytics is denied");
        let orders: Vec<_> = drained(&moto.endpoint, &queue)
            .into_iter()
            .filter(|(_, _, rule, res)| res == "payments-orders" && rule == "VGL-DDB-001")
            .collect();
        assert_eq!(orders.len(), 1, "{expected}: {orders:?}");
        assert_eq!(orders[0].0, expected);
    }
}
