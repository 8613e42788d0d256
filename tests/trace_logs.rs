//! End-to-end: `VIGIL_LOG=trace` never prints what the collectors drop. A REST API stage
//! holds a variable whose value is a secret (the collector keeps only variable names); at
//! trace, the AWS SDK's HTTP layer used to log every raw response body and parsed output, the
//! value included. vigil caps every library at debug whatever `VIGIL_LOG` asks, so the value
//! appears nowhere, while trace and debug logging otherwise still work.

mod support;

use serde_json::{json, Value};
use support::{read_json, run, stderr, stdout, vigil, Moto, TempDir};

/// The value of the stage variable: it must never leave the account.
const SECRET: &str = "vigil-stage-secret-3f9c1d7e";
const VARIABLE: &str = "dbPassword";

fn scenario() -> Value {
    json!({
        "description": "one member account with a REST API whose stage has a secret variable",
        "accounts": [
            {"key": "payments", "name": "payments-prod", "email": "aws+payments@example.com"}
        ],
        "rest_apis": [{
            "account": "payments",
            "region": "us-east-1",
            "name": "orders-rest",
            "resources": [{"path": "/orders", "methods": [{"method": "GET", "auth": "NONE"}]}],
            "stages": [{"name": "prod", "variables": {VARIABLE: SECRET, "tier": "gold"}}]
        }]
    })
}

/// Markers of the SDK's wire logging at trace (raw response body, parsed output, signed
/// request headers): none may appear, whatever the filter asks.
const WIRE_MARKERS: [&str; 4] = [
    "read HTTP response body",
    "output_or_error",
    "received response from service",
    "x-amz-date:",
];

#[test]
fn trace_logging_never_prints_response_bodies() {
    let moto = Moto::start();
    let dir = TempDir::new("trace-logs");
    let scenario_path = dir.path("scenario.json");
    std::fs::write(&scenario_path, scenario().to_string()).unwrap();
    moto.seed(scenario_path.to_str().unwrap());

    // Plain trace, and a directive naming the very target that printed bodies.
    for filter in [
        "trace",
        "trace,aws_smithy_runtime::client::orchestrator::http=trace,aws_smithy_runtime=trace",
    ] {
        let report_path = dir.path("report.json");
        let snapshot_path = dir.path("snapshot.json");
        let out = run(vigil()
            .args(["scan", "--endpoint-url", &moto.endpoint])
            .args(["--regions", "us-east-1", "--services", "apigateway"])
            .args(["--format", "json", "--output"])
            .arg(&report_path)
            .arg("--snapshot-out")
            .arg(&snapshot_path)
            .env("VIGIL_LOG", filter));
        let (out_text, err_text) = (stdout(&out), stderr(&out));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "VIGIL_LOG={filter}: exit {:?}: {}",
            out.status.code(),
            err_text
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let report_text = read_json(&report_path).to_string();
        let snapshot_text = read_json(&snapshot_path).to_string();

        // The stage was collected (its variable names are in the snapshot) ...
        assert!(
            snapshot_text.contains(VARIABLE),
            "stage variables not collected"
        );
        // ... and its value is nowhere.
        for (what, text) in [
            ("stdout", &out_text),
            ("stderr", &err_text),
            ("report", &report_text),
            ("snapshot", &snapshot_text),
        ] {
            assert!(
                !text.contains(SECRET),
                "VIGIL_LOG={filter}: the stage variable's value is in {what}"
            );
        }
        for marker in WIRE_MARKERS {
            assert!(
                !err_text.contains(marker),
                "VIGIL_LOG={filter}: SDK wire logging ({marker}) on stderr"
            );
        }
        // Logging still works: vigil's own lines and the libraries' debug lines.
        assert!(
            err_text.contains("scanning organization"),
            "VIGIL_LOG={filter}: vigil's info line missing"
        );
        assert!(
            err_text.lines().any(|l| l.contains(" DEBUG ")),
            "VIGIL_LOG={filter}: no debug line at all"
        );
        assert!(
            err_text.contains("entering 'transmit' phase"),
            "VIGIL_LOG={filter}: the SDK's debug output is gone too"
        );
    }
}
