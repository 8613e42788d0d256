//! vigil.toml: `[params]` changes the evaluation, `--params` wins over it, and a malformed
//! file is a usage error naming file and line.

mod support;

use support::{run, stderr, vigil, TempDir};

fn failing_rules(out: &std::process::Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    v.dedup();
    v
}

#[test]
fn vigil_toml_params_apply_from_the_working_directory_and_params_file_wins() {
    let tmp = TempDir::new("config");
    let snapshot = support::root().join("fixtures/snapshots/demo-org.json");
    let base = run(vigil()
        .arg("evaluate")
        .arg(&snapshot)
        .args(["--format", "json"]));
    assert!(
        failing_rules(&base).contains(&"VGL-LAMBDA-001".to_string()),
        "{}",
        stderr(&base)
    );

    std::fs::write(
        tmp.path("vigil.toml"),
        "[params.lambda]\nvpc_policy = \"ignore\"\n",
    )
    .unwrap();
    let out = run(vigil()
        .current_dir(&tmp.0)
        .arg("evaluate")
        .arg(&snapshot)
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!failing_rules(&out).contains(&"VGL-LAMBDA-001".to_string()));

    // --params is applied after [params].
    std::fs::write(
        tmp.path("forbid.json"),
        r#"{"lambda": {"vpc_policy": "forbid"}}"#,
    )
    .unwrap();
    let out = run(vigil()
        .current_dir(&tmp.0)
        .arg("evaluate")
        .arg(&snapshot)
        .args(["--format", "json", "--params"])
        .arg(tmp.path("forbid.json")));
    assert!(
        failing_rules(&out).contains(&"VGL-LAMBDA-001".to_string()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_or_mistyped_config_is_exit_2_naming_file_and_line() {
    let tmp = TempDir::new("config-bad");
    let snapshot = support::root().join("fixtures/snapshots/demo-org.json");
    for (name, text, expect) in [
        (
            "syntax.toml",
            "[params]\nallowed_services = [\"lambda\"\n",
            "syntax.toml:",
        ),
        (
            "unknown.toml",
            "# comment\n\n[parms]\n",
            "unknown.toml:3: unknown field `parms`",
        ),
        (
            "type.toml",
            "[params]\nallowed_services = \"lambda\"\n",
            "params.allowed_services: expected a list",
        ),
    ] {
        std::fs::write(tmp.path(name), text).unwrap();
        let out = run(vigil()
            .arg("evaluate")
            .arg(&snapshot)
            .arg("--config")
            .arg(tmp.path(name))
            .args(["--format", "json"]));
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{name}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}
