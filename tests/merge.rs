//! `vigil evaluate PART...`: snapshot parts of one organization (shards scanned separately)
//! merge into one report identical, apart from timing, to the single snapshot's; parts of
//! another organization or overlapping parts are refused with exit 2, naming both files.

mod support;
use serde_json::{json, Value};
use support::{read_json, run, stderr, stdout, vigil, TempDir, DEMO};

/// An error of the organization walk (every shard's walk sees it) and one account's error.
fn with_errors(mut snap: Value, account_error_in: &str) -> Value {
    let walk = json!({"account_id": snap["org"]["managementAccountId"], "region": "global",
        "service": "organizations", "operation": "ListTagsForResource", "code": "AccessDenied",
        "message": "denied by test"});
    let account = json!({"account_id": account_error_in, "region": "eu-west-1",
        "service": "kms", "operation": "ListKeys", "code": "ThrottlingException",
        "message": "rate exceeded"});
    snap["errors"] = json!([walk, account]);
    snap
}

/// The demo split into `n` parts by account (round robin), each with its documents, a share
/// of the API calls, the organization walk's error and (in the part holding it) the account
/// error; its timing shifted so the merge must pick the earliest start and the latest end.
fn split(demo: &Value, n: usize, account_error_in: &str) -> Vec<Value> {
    let accounts = demo["accounts"].as_array().unwrap();
    (0..n)
        .map(|i| {
            let mine: Vec<Value> = accounts.iter().skip(i).step_by(n).cloned().collect();
            let ids: Vec<&str> = mine.iter().map(|a| a["id"].as_str().unwrap()).collect();
            let mut part = demo.clone();
            part["documents"] = demo["documents"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| ids.contains(&d["awsAccountId"].as_str().unwrap()))
                .cloned()
                .collect();
            let share = |total: u64| total / n as u64 + u64::from(i == 0) * (total % n as u64);
            part["api_calls"] = json!(share(demo["api_calls"].as_u64().unwrap()));
            for (_, v) in part["api_calls_by_operation"].as_object_mut().unwrap() {
                *v = json!(share(v.as_u64().unwrap()));
            }
            let mut part = with_errors(part, account_error_in);
            if !ids.contains(&account_error_in) {
                part["errors"].as_array_mut().unwrap().pop();
            }
            part["accounts"] = json!(mine);
            part["started_at"] = json!(format!("2026-12-05T10:00:0{i}Z"));
            part["finished_at"] = json!(format!("2026-12-05T10:05:0{i}Z"));
            part
        })
        .collect()
}

fn report(files: &[std::path::PathBuf]) -> Value {
    let out = run(vigil()
        .arg("evaluate")
        .args(files)
        .args(["--format", "json"]));
    // The account error leaves a scope not assessed: partial.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let mut v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    for k in ["started_at", "finished_at"] {
        v["scan"].as_object_mut().unwrap().remove(k);
    }
    v
}

#[test]
fn merged_parts_report_exactly_what_the_whole_snapshot_reports() {
    let dir = TempDir::new("merge");
    let demo = read_json(&support::root().join(DEMO));
    let account_error_in = demo["accounts"][1]["id"].as_str().unwrap().to_string();
    let whole = dir.path("whole.json");
    std::fs::write(
        &whole,
        with_errors(demo.clone(), &account_error_in).to_string(),
    )
    .unwrap();
    let single = report(&[whole]);
    assert!(single["findings"].as_array().unwrap().len() > 100);
    for n in [2, 3, 6] {
        let files: Vec<_> = split(&demo, n, &account_error_in)
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let f = dir.path(&format!("part-{n}-{i}.json"));
                std::fs::write(&f, p.to_string()).unwrap();
                f
            })
            .collect();
        let merged = report(&files);
        assert_eq!(merged, single, "{n} parts");
        // The order of the parts does not matter.
        let reversed: Vec<_> = files.iter().rev().cloned().collect();
        assert_eq!(report(&reversed), single, "{n} parts, reversed");
    }
}

#[test]
fn merged_timing_spans_the_parts() {
    let dir = TempDir::new("merge-timing");
    let demo = read_json(&support::root().join(DEMO));
    let files: Vec<_> = split(&demo, 3, "none")
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let f = dir.path(&format!("part-{i}.json"));
            std::fs::write(&f, p.to_string()).unwrap();
            f
        })
        .collect();
    let out = run(vigil()
        .arg("evaluate")
        .args(files.iter().rev())
        .args(["--format", "json"]));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["scan"]["started_at"], "2026-12-05T10:00:00Z");
    assert_eq!(v["scan"]["finished_at"], "2026-12-05T10:05:02Z");
    assert_eq!(v["scan"]["api_calls"], demo["api_calls"]);
}

#[test]
fn parts_of_another_organization_or_overlapping_parts_are_refused() {
    let dir = TempDir::new("merge-bad");
    let demo = read_json(&support::root().join(DEMO));
    let parts = split(&demo, 2, "none");
    let (a, b) = (dir.path("a.json"), dir.path("b.json"));
    std::fs::write(&a, parts[0].to_string()).unwrap();
    let mut other = parts[1].clone();
    other["org"]["id"] = json!("o-another0000");
    std::fs::write(&b, other.to_string()).unwrap();
    let out = run(vigil().args(["evaluate"]).arg(&a).arg(&b));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: snapshot of organization o-another0000",
            b.display()
        )) && err.contains(&a.display().to_string())
            && err.contains("cannot merge"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    // The same part twice: every account overlaps.
    let out = run(vigil().args(["evaluate"]).arg(&a).arg(&a));
    assert_eq!(out.status.code(), Some(2));
    let first = demo["accounts"][0]["id"].as_str().unwrap();
    assert!(
        stderr(&out).contains(&format!("account {first} is also in {}", a.display())),
        "{}",
        stderr(&out)
    );
}
