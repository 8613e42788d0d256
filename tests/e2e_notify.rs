//! End-to-end: notifications of new and resolved findings through SNS, state in DynamoDB and
//! the run lock, against a real moto server. The topic fans out to SQS queues (raw delivery
//! off, so each SNS envelope carries Subject and MessageAttributes; one queue subscribes with
//! a filter policy on the attributes), which the tests read back exactly. Resources change in
//! moto between runs; publishes and AssumeRole are denied through the fault proxy.
//!
//! The notifications are those of VGL-DDB-001/002/003 on the DynamoDB scenario: the tables
//! are seeded with deletion protection and without resource policies, and backup plans are
//! not required (`--params`), so the rules added since (VGL-DDB-004/005/006) pass and the
//! expected messages stay those of the three rules.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Output, Stdio};
use support::{read_json, run, stderr, vigil, FaultProxy, Moto, Seeded, TempDir};

const SCENARIO: &str = "fixtures/scenarios/dynamodb-kms.json";
const TABLE: &str = "vigil-state";
/// The filter policy of the second queue: what a CISO subscription would use.
const FILTER: &str = r#"{"severity":["critical","high"],"change":["new"]}"#;
const JSON_SEPARATOR: &str = "--- findings (JSON) ---\n";

/// (account key, region, resource id, rule id).
type Key = (String, String, String, String);

/// One SNS notification as a subscriber's queue receives it.
#[derive(Debug, Clone)]
struct Notification {
    subject: String,
    body: String,
    attributes: BTreeMap<String, String>,
}

impl Notification {
    /// The findings of the JSON part.
    fn findings(&self) -> Vec<Value> {
        let (_, json) = self
            .body
            .split_once(JSON_SEPARATOR)
            .unwrap_or_else(|| panic!("no JSON part in:\n{}", self.body));
        serde_json::from_str::<Value>(json)
            .expect("the JSON part parses")
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A moto organization with a topic, two subscribed queues and the state table.
struct Env {
    moto: Moto,
    seeded: Seeded,
    topic_arn: String,
    queue_url: String,
    filtered_queue_url: String,
    tmp: TempDir,
}

/// Runs tests/support/notify_setup.py and returns its JSON.
fn helper(endpoint: &str, args: &[&str]) -> Value {
    support::python_json("notify_setup.py", endpoint, args)
}

impl Env {
    fn start(tag: &str) -> Env {
        let moto = Moto::start();
        let tmp = TempDir::new(tag);
        let mut scenario = read_json(&support::root().join(SCENARIO));
        for t in scenario["dynamodb_tables"].as_array_mut().unwrap() {
            let t = t.as_object_mut().unwrap();
            t.insert("deletion_protection".into(), Value::Bool(true));
            t.remove("resource_policy");
        }
        let path = tmp.path("scenario.json");
        std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
        std::fs::write(
            tmp.path("params.json"),
            r#"{"dynamodb": {"backup_plan_required": false}}"#,
        )
        .unwrap();
        let seeded = moto.seed(path.to_str().unwrap());
        let v = helper(
            &moto.endpoint,
            &["setup", "--table", TABLE, "--filter-policy", FILTER],
        );
        let s = |k: &str| v[k].as_str().unwrap().to_string();
        Env {
            topic_arn: s("topic_arn"),
            queue_url: s("queue_url"),
            filtered_queue_url: s("filtered_queue_url"),
            moto,
            seeded,
            tmp,
        }
    }

    fn helper(&self, args: &[&str]) -> Value {
        helper(&self.moto.endpoint, args)
    }

    /// `vigil scan` of the DynamoDB tables of the member accounts (the management account,
    /// where the state table lives, is left out), through `endpoint`; returns the output and
    /// the JSON report when one was written.
    fn scan(&self, endpoint: &str, extra: &[&str], tag: &str) -> (Output, Option<Value>) {
        let report = self.tmp.path(&format!("{tag}.json"));
        let out = run(vigil()
            .args(["scan", "--endpoint-url", endpoint, "--services", "dynamodb"])
            .args(["--regions", "us-east-1,eu-west-1"])
            .args(["--exclude-accounts", self.seeded.id("management")])
            .arg("--params")
            .arg(self.tmp.path("params.json"))
            .args(extra)
            .args(["--format", "json", "--output"])
            .arg(&report));
        let parsed = report.exists().then(|| read_json(&report));
        (out, parsed)
    }

    /// A scan that notifies to the topic and records in the state table.
    fn notify_scan(&self, endpoint: &str, extra: &[&str], tag: &str) -> (Output, Option<Value>) {
        let mut args = vec!["--sns-topic-arn", &self.topic_arn, "--state-table", TABLE];
        args.extend_from_slice(extra);
        self.scan(endpoint, &args, tag)
    }

    fn drain_queue(&self, url: &str) -> Vec<Notification> {
        self.helper(&["drain", "--queue-url", url])
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let attributes = m["attributes"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| {
                        assert_eq!(v["type"], "String", "attribute {k}");
                        (k.clone(), v["value"].as_str().unwrap().to_string())
                    })
                    .collect();
                Notification {
                    subject: m["subject"].as_str().unwrap_or_default().to_string(),
                    body: m["message"].as_str().unwrap().to_string(),
                    attributes,
                }
            })
            .collect()
    }

    /// Every notification on the unfiltered queue since the last drain.
    fn drain(&self) -> Vec<Notification> {
        self.drain_queue(&self.queue_url)
    }

    fn drain_filtered(&self) -> Vec<Notification> {
        self.drain_queue(&self.filtered_queue_url)
    }

    /// Every item of the state table, by partition key.
    fn items(&self) -> BTreeMap<String, Value> {
        self.helper(&["items", "--table", TABLE])
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["pk"].as_str().unwrap().to_string(), i.clone()))
            .collect()
    }

    /// The finding items of the state table as keys.
    fn recorded(&self) -> BTreeSet<Key> {
        self.items()
            .values()
            .filter(|i| i["pk"].as_str().unwrap().starts_with("finding#"))
            // A resolved failure stays as a record of its resolution (status resolved).
            .filter(|i| i["status"] != "resolved")
            .map(|i| {
                let s = |k: &str| i[k].as_str().unwrap().to_string();
                (
                    self.seeded.key_of(&s("account_id")),
                    s("region"),
                    s("resource_id"),
                    s("rule_id"),
                )
            })
            .collect()
    }

    fn key(&self, f: &Value) -> Key {
        let s = |k: &str| f[k].as_str().unwrap().to_string();
        (
            self.seeded.key_of(&s("account_id")),
            s("region"),
            s("resource_id"),
            s("rule_id"),
        )
    }

    /// Each notification as (subject, attributes, keys of its findings with their `change`),
    /// after checking that its text part has one line per finding of its JSON part and that
    /// every finding matches the message's attributes.
    fn summarize(&self, ns: &[Notification]) -> BTreeSet<Summary> {
        ns.iter()
            .filter(|n| n.attributes.get("change").map(String::as_str) != Some("summary"))
            .map(|n| {
                let findings = n.findings();
                let (text, _) = n.body.split_once(JSON_SEPARATOR).unwrap();
                let lines = text.lines().filter(|l| l.starts_with("- [")).count();
                assert_eq!(
                    lines,
                    findings.len(),
                    "one text line per finding:\n{}",
                    n.body
                );
                for f in &findings {
                    for attr in ["severity", "account_id", "rule_id", "change"] {
                        assert_eq!(
                            f[attr].as_str(),
                            n.attributes.get(attr).map(String::as_str),
                            "{attr} of a finding in \"{}\"",
                            n.subject
                        );
                    }
                }
                let keys = findings.iter().map(|f| self.key(f)).collect();
                (
                    n.subject.clone(),
                    n.attributes.clone().into_iter().collect(),
                    keys,
                )
            })
            .collect()
    }

    /// The expected summary of a message with the findings `keys` (same account, rule,
    /// change and severity).
    fn expect(&self, change: &str, severity: &str, keys: &[Key]) -> Summary {
        let (account, rule) = (self.seeded.id(&keys[0].0).to_string(), keys[0].3.clone());
        (
            format!(
                "vigil: {} {change} {severity} {rule} in {account}",
                keys.len()
            ),
            vec![
                ("account_id".to_string(), account),
                ("change".to_string(), change.to_string()),
                ("rule_id".to_string(), rule),
                ("severity".to_string(), severity.to_string()),
                ("trigger".to_string(), "schedule".to_string()),
            ],
            keys.iter().cloned().collect(),
        )
    }
}

/// (subject, attributes, findings) of one notification.
type Summary = (String, Vec<(String, String)>, BTreeSet<Key>);

fn key(account: &str, region: &str, resource: &str, rule: &str) -> Key {
    (account.into(), region.into(), resource.into(), rule.into())
}

/// The scenario's DynamoDB failures in the member accounts.
fn seeded_failures() -> BTreeSet<Key> {
    let sc = read_json(&support::root().join(SCENARIO));
    sc["expected_failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            ["VGL-DDB-001", "VGL-DDB-002", "VGL-DDB-003"].contains(&e["rule"].as_str().unwrap())
        })
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("account"), s("region"), s("resource"), s("rule"))
        })
        .collect()
}

/// Each finding's `change` in a report, by key (failing and passing findings).
fn changes(env: &Env, report: &Value) -> BTreeMap<Key, (String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("change").is_some())
        .map(|f| {
            (
                env.key(f),
                (
                    f["status"].as_str().unwrap().to_string(),
                    f["change"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// Fixes one failure and adds three: PITR on payments-sessions (resolves VGL-DDB-001 there)
/// and a provisioned table with the AWS-owned key and no PITR in analytics (new VGL-DDB-001,
/// 002 and 003).
fn change_resources(env: &Env) {
    env.helper(&[
        "pitr",
        "--account-id",
        env.seeded.id("payments"),
        "--region",
        "eu-west-1",
        "--table-name",
        "payments-sessions",
    ]);
    env.helper(&[
        "create-table",
        "--account-id",
        env.seeded.id("analytics"),
        "--region",
        "us-east-1",
        "--table-name",
        "analytics-new",
    ]);
}

/// What [`change_resources`] makes a run notify.
fn expected_changes(env: &Env) -> BTreeSet<Summary> {
    let new = |rule: &str| key("analytics", "us-east-1", "analytics-new", rule);
    [
        env.expect("new", "high", &[new("VGL-DDB-001")]),
        env.expect("new", "medium", &[new("VGL-DDB-002")]),
        env.expect("new", "low", &[new("VGL-DDB-003")]),
        env.expect(
            "resolved",
            "high",
            &[key(
                "payments",
                "eu-west-1",
                "payments-sessions",
                "VGL-DDB-001",
            )],
        ),
    ]
    .into_iter()
    .collect()
}

fn after_changes() -> BTreeSet<Key> {
    let mut s = seeded_failures();
    s.remove(&key(
        "payments",
        "eu-west-1",
        "payments-sessions",
        "VGL-DDB-001",
    ));
    for rule in ["VGL-DDB-001", "VGL-DDB-002", "VGL-DDB-003"] {
        s.insert(key("analytics", "us-east-1", "analytics-new", rule));
    }
    s
}

#[test]
fn first_run_sends_a_summary_and_capped_failures_then_exactly_the_changes() {
    let env = Env::start("notify-first-run");
    let failures = seeded_failures();
    assert_eq!(failures.len(), 6, "the scenario's DynamoDB failures");

    // Run 1: a first run. A summary, then the 4 most severe failures (2 high, 2 medium).
    let (out, report) = env.notify_scan(&env.moto.endpoint, &["--first-run-cap", "4"], "run1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(
        err.contains("vigil: first run: notified a summary and 4 of 6 failing findings in 5 messages; state table vigil-state: 6 recorded, 0 removed"),
        "{err}"
    );
    let ns = env.drain();
    assert_eq!(ns.len(), 5, "{ns:#?}");
    let summary = &ns[0];
    assert_eq!(
        summary.subject,
        "vigil: first run, 6 failing findings recorded"
    );
    assert_eq!(
        summary.attributes,
        BTreeMap::from([
            ("change".to_string(), "summary".to_string()),
            ("severity".to_string(), "high".to_string()),
            ("trigger".to_string(), "schedule".to_string())
        ])
    );
    assert!(
        summary
            .body
            .contains("\nshowing 4 of 6; the rest are recorded\n"),
        "{}",
        summary.body
    );
    assert!(summary.body.contains("  high: 2\n  medium: 2\n  low: 2\n"));
    assert!(summary.body.contains(&format!(
        "  {} (payments-prod): 4\n",
        env.seeded.id("payments")
    )));
    let shown: BTreeSet<Summary> = [
        (
            "payments",
            "eu-west-1",
            "payments-sessions",
            "VGL-DDB-001",
            "high",
        ),
        (
            "analytics",
            "eu-west-1",
            "analytics-events",
            "VGL-DDB-001",
            "high",
        ),
        (
            "payments",
            "eu-west-1",
            "payments-sessions",
            "VGL-DDB-002",
            "medium",
        ),
        (
            "analytics",
            "us-east-1",
            "analytics-raw",
            "VGL-DDB-002",
            "medium",
        ),
    ]
    .into_iter()
    .map(|(a, r, res, rule, sev)| env.expect("new", sev, &[key(a, r, res, rule)]))
    .collect();
    assert_eq!(env.summarize(&ns), shown);
    // A new message's text: header, then severity, resource, message and remediation.
    let high = ns
        .iter()
        .find(|n| {
            n.subject
                .ends_with(&format!("VGL-DDB-001 in {}", env.seeded.id("payments")))
        })
        .unwrap();
    assert!(high.body.starts_with(&format!(
        "1 new high finding of VGL-DDB-001: DynamoDB table has point-in-time recovery disabled\nAccount: {} (payments-prod)\n\n- [high] arn:aws:dynamodb:eu-west-1:{}:table/payments-sessions (eu-west-1): table payments-sessions has point-in-time recovery disabled",
        env.seeded.id("payments"),
        env.seeded.id("payments")
    )), "{}", high.body);
    assert!(high
        .body
        .contains(" | Remediation: Enable point-in-time recovery"));
    // The filtered subscription got the two high new findings only.
    let filtered: BTreeSet<String> = env
        .drain_filtered()
        .into_iter()
        .map(|n| n.subject)
        .collect();
    assert_eq!(
        filtered,
        shown
            .iter()
            .filter(|s| s.0.contains(" high "))
            .map(|s| s.0.clone())
            .collect()
    );
    // Everything recorded, the marker written, the lock released.
    assert_eq!(env.recorded(), failures);
    let items = env.items();
    assert!(items.contains_key("meta#initialized"));
    assert!(!items.contains_key("lock#scan"), "lock released");
    let report = report.expect("a report");
    assert!(changes(&env, &report)
        .values()
        .all(|c| c == &("fail".to_string(), "new".to_string())));
    assert_eq!(changes(&env, &report).len(), 6);
    let first_seen: BTreeMap<String, Value> = items
        .iter()
        .filter(|(k, _)| k.starts_with("finding#"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    // Run 2, after one fix and a new non-compliant table: exactly those changes.
    change_resources(&env);
    let (out, report) = env.notify_scan(&env.moto.endpoint, &[], "run2");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(
        err.contains("vigil: notified 3 new and 1 resolved findings in 4 messages; state table vigil-state: 8 recorded, 1 removed"),
        "{err}"
    );
    let ns = env.drain();
    assert_eq!(env.summarize(&ns), expected_changes(&env));
    let resolved = ns
        .iter()
        .find(|n| n.attributes["change"] == "resolved")
        .unwrap();
    assert!(resolved.body.contains("(eu-west-1): resolved; it failed with: table payments-sessions has point-in-time recovery disabled"), "{}", resolved.body);
    assert_eq!(resolved.findings()[0]["status"], "pass");
    let filtered: Vec<String> = env
        .drain_filtered()
        .into_iter()
        .map(|n| n.subject)
        .collect();
    assert_eq!(
        filtered,
        [format!(
            "vigil: 1 new high VGL-DDB-001 in {}",
            env.seeded.id("analytics")
        )]
    );
    assert_eq!(env.recorded(), after_changes());
    // Unchanged items keep first_seen; last_seen moves on.
    let items = env.items();
    for (pk, before) in &first_seen {
        if let Some(now) = items.get(pk) {
            assert_eq!(now["first_seen"], before["first_seen"], "{pk}");
            assert_ne!(now["last_seen"], before["last_seen"], "{pk}");
        }
    }
    // The report marks every finding's change.
    let report = report.expect("a report");
    let marked = changes(&env, &report);
    for k in after_changes() {
        let want = if k.2 == "analytics-new" {
            "new"
        } else {
            "unchanged"
        };
        assert_eq!(marked[&k], ("fail".to_string(), want.to_string()), "{k:?}");
    }
    assert_eq!(
        marked[&key("payments", "eu-west-1", "payments-sessions", "VGL-DDB-001")],
        ("pass".to_string(), "resolved".to_string())
    );
    assert_eq!(marked.len(), after_changes().len() + 1);

    // Run 3, nothing changed: nothing notified.
    let (out, _) = env.notify_scan(&env.moto.endpoint, &[], "run3");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("vigil: notified 0 new and 0 resolved findings in 0 messages"));
    assert!(env.drain().is_empty());
    assert_eq!(env.recorded(), after_changes());
}

#[test]
fn a_run_while_the_lock_is_held_does_nothing_and_an_expired_lock_is_taken_over() {
    let env = Env::start("notify-lock");
    let held = env.helper(&["put-lock", "--owner", "other-run", "--expires-in", "600"]);
    let until = time::OffsetDateTime::from_unix_timestamp(
        held["expires_at"].as_str().unwrap().parse().unwrap(),
    )
    .unwrap()
    .format(&time::format_description::well_known::Rfc3339)
    .unwrap();

    let (out, report) = env.notify_scan(&env.moto.endpoint, &[], "held");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{err}");
    assert!(
        err.contains(&format!(
            "vigil: another run holds the lock of state table vigil-state: other-run since {}, until {until}; nothing was scanned, notified or recorded",
            held["acquired_at"].as_str().unwrap()
        )),
        "{err}"
    );
    assert!(report.is_none(), "nothing scanned, no report");
    assert!(env.drain().is_empty(), "nothing notified");
    assert_eq!(
        env.items(),
        BTreeMap::from([("lock#scan".to_string(), held)]),
        "state untouched"
    );

    // A crashed run's lease (expired): taken over, and the run goes on as a first run.
    env.helper(&["put-lock", "--owner", "crashed-run", "--expires-in", "-5"]);
    let (out, _) = env.notify_scan(&env.moto.endpoint, &[], "takeover");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(
        err.contains("vigil: took over the expired run lock of crashed-run (expired "),
        "{err}"
    );
    let ns = env.drain();
    assert_eq!(ns[0].attributes["change"], "summary");
    assert!(ns[0].body.contains("\nshowing all 6\n"), "{}", ns[0].body);
    let payments = |res: &str, rule: &str| key("payments", "eu-west-1", res, rule);
    let analytics = |r: &str, res: &str, rule: &str| key("analytics", r, res, rule);
    let expected: BTreeSet<Summary> = [
        env.expect(
            "new",
            "high",
            &[payments("payments-sessions", "VGL-DDB-001")],
        ),
        env.expect(
            "new",
            "medium",
            &[payments("payments-sessions", "VGL-DDB-002")],
        ),
        env.expect(
            "new",
            "low",
            &[
                payments("payments-sessions", "VGL-DDB-003"),
                key("payments", "us-east-1", "payments-rates", "VGL-DDB-003"),
            ],
        ),
        env.expect(
            "new",
            "high",
            &[analytics("eu-west-1", "analytics-events", "VGL-DDB-001")],
        ),
        env.expect(
            "new",
            "medium",
            &[analytics("us-east-1", "analytics-raw", "VGL-DDB-002")],
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(env.summarize(&ns), expected);
    assert_eq!(ns.len(), 6);
    assert_eq!(env.recorded(), seeded_failures());
    assert!(!env.items().contains_key("lock#scan"), "lock released");
}

#[test]
fn a_failed_publish_records_nothing_and_the_next_run_notifies_again() {
    let env = Env::start("notify-publish-fails");
    let (out, _) = env.notify_scan(&env.moto.endpoint, &[], "run1");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    env.drain();
    change_resources(&env);

    // Run 2: every sns:Publish denied. Exit 3; the new findings are not recorded, the
    // resolved one stays recorded.
    let proxy = FaultProxy::start(&env.moto.endpoint, &["--deny", "sns:Publish"]);
    let (out, report) = env.notify_scan(&proxy.endpoint, &[], "denied");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{err}");
    assert!(
        err.contains(&format!(
            "vigil: error: 4 of 4 SNS messages could not be published to {} (first: \"vigil: 1 new high VGL-DDB-001 in {}\": AccessDenied: ",
            env.topic_arn,
            env.seeded.id("analytics")
        )),
        "{err}"
    );
    assert!(
        err.contains("after 1 attempts); 3 new findings were not recorded and will be notified by the next run; 1 resolved findings stay recorded"),
        "{err}"
    );
    // A denial is permanent: no application-level retry.
    assert_eq!(
        FaultProxy::count(&proxy.stats(), "sns:Publish", "denied"),
        4
    );
    assert!(env.drain().is_empty());
    assert_eq!(env.recorded(), seeded_failures(), "state as after run 1");
    assert!(!env.items().contains_key("lock#scan"), "lock released");
    assert!(report.is_some(), "the report is still written");

    // Run 3, publishes allowed again: the same changes are notified now.
    let (out, _) = env.notify_scan(&env.moto.endpoint, &[], "run3");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(
        err.contains("vigil: notified 3 new and 1 resolved findings in 4 messages"),
        "{err}"
    );
    assert_eq!(env.summarize(&env.drain()), expected_changes(&env));
    assert_eq!(env.recorded(), after_changes());
}

#[test]
fn an_account_whose_role_cannot_be_assumed_keeps_its_recorded_findings() {
    let env = Env::start("notify-assume-role");
    let (out, _) = env.notify_scan(&env.moto.endpoint, &[], "run1");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    env.drain();
    // Fix one failure in each account.
    for (acct, table) in [
        ("payments", "payments-sessions"),
        ("analytics", "analytics-events"),
    ] {
        env.helper(&[
            "pitr",
            "--account-id",
            env.seeded.id(acct),
            "--region",
            "eu-west-1",
            "--table-name",
            table,
        ]);
    }

    // Run 2: analytics cannot be assessed. Only the payments fix is resolved.
    let proxy = FaultProxy::start(
        &env.moto.endpoint,
        &["--deny-assume-role", env.seeded.id("analytics")],
    );
    let (out, report) = env.notify_scan(&proxy.endpoint, &[], "denied");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "partial scan; stderr:\n{err}");
    assert_eq!(report.unwrap()["errors"][0]["service"], "sts");
    assert!(
        err.contains("vigil: notified 0 new and 1 resolved findings in 1 message; state table vigil-state: 3 recorded, 1 removed; 2 recorded findings kept as they were (their scope was not assessed in this run)"),
        "{err}"
    );
    let fixed_payments = key("payments", "eu-west-1", "payments-sessions", "VGL-DDB-001");
    assert_eq!(
        env.summarize(&env.drain()),
        BTreeSet::from([env.expect("resolved", "high", std::slice::from_ref(&fixed_payments))])
    );
    let mut expected = seeded_failures();
    expected.remove(&fixed_payments);
    assert_eq!(env.recorded(), expected, "analytics' findings kept");

    // Run 3, analytics reachable again: its fix is resolved now.
    let fixed_analytics = key("analytics", "eu-west-1", "analytics-events", "VGL-DDB-001");
    let (out, _) = env.notify_scan(&env.moto.endpoint, &[], "run3");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        env.summarize(&env.drain()),
        BTreeSet::from([env.expect("resolved", "high", std::slice::from_ref(&fixed_analytics))])
    );
    expected.remove(&fixed_analytics);
    assert_eq!(env.recorded(), expected);
}

#[test]
fn a_lease_lost_during_the_run_notifies_and_records_nothing() {
    let env = Env::start("notify-lease-lost");
    // Another run takes the lock over as soon as this one holds it.
    let thief = support::python_command("notify_setup.py", &env.moto.endpoint)
        .args(["steal-lock", "--table", TABLE])
        .args(["--owner", "thief", "--timeout", "120"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the lock thief");
    // One request at a time, one item per page: the scan outlasts the takeover.
    let (out, report) = env.notify_scan(
        &env.moto.endpoint,
        &["--concurrency", "1", "--page-size", "1"],
        "lost",
    );
    let stolen: Value = serde_json::from_slice(&thief.wait_with_output().unwrap().stdout).unwrap();
    let from = stolen["stolen_from"]
        .as_str()
        .expect("the lock was taken over");
    assert!(from.starts_with("vigil-cli/"), "{from}");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{err}");
    assert!(
        err.contains(
            "vigil: error: lost the run lock of state table vigil-state: now held by thief (since "
        ),
        "{err}"
    );
    assert!(err.contains(": nothing notified or recorded"), "{err}");
    assert!(report.is_some(), "the report is still written");
    assert!(env.drain().is_empty(), "nothing notified");
    let items = env.items();
    assert_eq!(
        items.keys().collect::<Vec<_>>(),
        ["lock#scan"],
        "nothing recorded"
    );
    assert_eq!(
        items["lock#scan"]["owner"], "thief",
        "the new holder keeps the lock"
    );
}

#[test]
fn without_a_state_table_every_failure_is_notified_on_every_run() {
    let env = Env::start("notify-stateless");
    let payments = |res: &str, rule: &str| key("payments", "eu-west-1", res, rule);
    let expected: BTreeSet<Summary> = [
        env.expect(
            "new",
            "high",
            &[payments("payments-sessions", "VGL-DDB-001")],
        ),
        env.expect(
            "new",
            "medium",
            &[payments("payments-sessions", "VGL-DDB-002")],
        ),
        env.expect(
            "new",
            "low",
            &[
                payments("payments-sessions", "VGL-DDB-003"),
                key("payments", "us-east-1", "payments-rates", "VGL-DDB-003"),
            ],
        ),
        env.expect(
            "new",
            "high",
            &[key(
                "analytics",
                "eu-west-1",
                "analytics-events",
                "VGL-DDB-001",
            )],
        ),
        env.expect(
            "new",
            "medium",
            &[key(
                "analytics",
                "us-east-1",
                "analytics-raw",
                "VGL-DDB-002",
            )],
        ),
    ]
    .into_iter()
    .collect();
    for tag in ["once", "twice"] {
        let (out, report) = env.scan(
            &env.moto.endpoint,
            &["--sns-topic-arn", &env.topic_arn],
            tag,
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
        assert!(err.contains("vigil: notified 6 failing findings as new in 5 messages (no --state-table: every failing finding is notified on every run)"), "{err}");
        let ns = env.drain();
        assert_eq!(ns.len(), 5);
        assert_eq!(env.summarize(&ns), expected);
        assert!(
            report.unwrap()["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f.get("change").is_none()),
            "no state, no change field"
        );
    }
    assert!(env.items().is_empty(), "the state table is not used");

    // A topic that does not exist: the scan's report is written, the exit code is 3.
    let missing = env.topic_arn.replace("vigil-findings", "no-such-topic");
    let (out, report) = env.scan(
        &env.moto.endpoint,
        &["--sns-topic-arn", &missing],
        "missing",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{err}");
    assert!(
        err.contains(&format!(
            "vigil: error: 5 of 5 SNS messages could not be published to {missing} (first: "
        )),
        "{err}"
    );
    assert!(err.contains("NotFound"), "{err}");
    assert!(report.is_some());

    // A state table that does not exist: a usage error before anything is scanned.
    let (out, report) = env.scan(
        &env.moto.endpoint,
        &["--state-table", "no-such-table"],
        "no-table",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains("--state-table: ") && err.contains("ResourceNotFoundException"),
        "{err}"
    );
    assert!(
        err.contains("create it with a String partition key `pk`"),
        "{err}"
    );
    assert!(report.is_none());
}

#[test]
fn notification_flags_are_checked_before_anything_is_scanned() {
    for (args, msg) in [
        (
            vec!["--sns-topic-arn", "vigil-findings"],
            "is not an SNS topic ARN",
        ),
        (
            vec![
                "--sns-topic-arn",
                "arn:aws:sns:us-east-1:123456789012:t.fifo",
            ],
            "FIFO topics are not supported",
        ),
        (vec!["--state-table", "a b"], "is not a DynamoDB table name"),
        (vec!["--first-run-cap", "5"], "--state-table"),
    ] {
        let out = run(vigil()
            .args(["scan", "--endpoint-url", "http://127.0.0.1:9"])
            .args(&args));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}
