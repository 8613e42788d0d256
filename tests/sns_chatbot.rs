//! `--sns-format chatbot`: the SNS messages of a real scan (moto: topic, SQS subscribers) are
//! AWS Chatbot custom notifications — each body validated against the documented event format
//! (tests/data/schemas/chatbot-custom-notification.schema.json, written from the AWS
//! documentation; checked with the venv's `jsonschema`) — and keep their subject and message
//! attributes, so a filter policy still selects them.

mod support;

use serde_json::Value;
use support::{python_json, run, stderr, vigil, Moto, TempDir};

#[test]
fn chatbot_messages_follow_the_documented_format_and_keep_their_attributes() {
    let moto = Moto::start();
    let seeded = moto.seed("fixtures/scenarios/dynamodb-kms.json");
    let setup = python_json(
        "notify_setup.py",
        &moto.endpoint,
        &[
            "setup",
            "--filter-policy",
            r#"{"severity": ["high"], "change": ["new"]}"#,
        ],
    );
    let topic = setup["topic_arn"].as_str().unwrap();
    let out = run(vigil()
        .args([
            "scan",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "eu-west-1,us-east-1",
        ])
        .args([
            "--services",
            "dynamodb",
            "--sns-topic-arn",
            topic,
            "--sns-format",
            "chatbot",
        ])
        .args([
            "--format",
            "json",
            "--output",
            "/dev/null",
            "--fail-on",
            "none",
        ]));
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
    let drain = |q: &str| {
        python_json(
            "notify_setup.py",
            &moto.endpoint,
            &["drain", "--queue-url", q],
        )
    };
    let all = drain(setup["queue_url"].as_str().unwrap());
    let all = all.as_array().unwrap();
    assert!(!all.is_empty());

    // Every body is a custom notification of the documented format.
    let tmp = TempDir::new("chatbot");
    let bodies: Vec<Value> = all
        .iter()
        .map(|m| serde_json::from_str(m["message"].as_str().unwrap()).expect("a JSON body"))
        .collect();
    let file = tmp.path("bodies.json");
    std::fs::write(&file, serde_json::to_vec(&bodies).unwrap()).unwrap();
    let schema = support::root().join("tests/data/schemas/chatbot-custom-notification.schema.json");
    let check = std::process::Command::new(support::venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(schema)\n\
             v = jsonschema.Draft202012Validator(schema)\n\
             errors = [f'{i}: {e.message}' for i, b in enumerate(json.load(open(sys.argv[2]))) for e in v.iter_errors(b)]\n\
             print('\\n'.join(errors)); sys.exit(1 if errors else 0)",
        ])
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("python");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    let payments = seeded.id("payments");
    for (m, b) in all.iter().zip(&bodies) {
        let attr = |k: &str| {
            m["attributes"][k]["value"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            b["content"]["title"], m["subject"],
            "the title is the subject"
        );
        assert_eq!(attr("trigger"), "schedule");
        assert_eq!(
            b["metadata"]["eventType"],
            format!("vigil:{}", attr("change")).as_str()
        );
        assert_eq!(
            b["metadata"]["additionalContext"]["severity"],
            attr("severity").as_str()
        );
        let description = b["content"]["description"].as_str().unwrap();
        assert!(!description.contains("findings (JSON)"), "{description}");
        for arn in b["metadata"]["relatedResources"].as_array().unwrap() {
            let arn = arn.as_str().unwrap();
            assert!(arn.starts_with("arn:aws:dynamodb:"), "{arn}");
            let table = arn.rsplit('/').next().unwrap();
            assert!(
                description.contains(table),
                "{table} named in:\n{description}"
            );
        }
    }
    assert!(
        bodies.iter().any(|b| b["metadata"]["relatedResources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a
                .as_str()
                .unwrap()
                .contains(&format!(":{payments}:table/payments-sessions")))),
        "payments-sessions (PITR off) is notified"
    );
    // The filter policy on the attributes still selects: only new high messages.
    let high = drain(setup["filtered_queue_url"].as_str().unwrap());
    let high = high.as_array().unwrap();
    let expected = all
        .iter()
        .filter(|m| {
            m["attributes"]["severity"]["value"] == "high"
                && m["attributes"]["change"]["value"] == "new"
        })
        .count();
    assert!(expected > 0);
    assert_eq!(high.len(), expected);
}
