//! End-to-end: `vigil plan` → `vigil scan --shard` (run in parallel) → `vigil evaluate`
//! merge, against a moto organization (fixtures/scenarios/demo-org.json) through the fault
//! proxy answering what moto lacks from fixtures/recorded. The merged report equals a single
//! scan's apart from timing and API-call counts; shard scans make no Organizations call; a
//! missing, repeated or foreign shard is refused with exit 2.

mod support;
use serde_json::Value;
use support::{read_json, run, stderr, vigil, FaultProxy, Moto, TempDir};

const SCENARIO: &str = "fixtures/scenarios/demo-org.json";
const REGIONS: &str = "us-east-1,eu-west-1";

/// A JSON report without what differs between one process and several: timing, API calls.
fn comparable(mut report: Value) -> Value {
    let scan = report["scan"].as_object_mut().unwrap();
    for k in [
        "started_at",
        "finished_at",
        "api_calls",
        "api_calls_by_operation",
    ] {
        scan.remove(k);
    }
    report
}

#[test]
fn plan_shards_and_merge_report_what_a_single_scan_reports() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let proxy = FaultProxy::start(&moto.endpoint, &["--recorded", "fixtures/recorded"]);
    let ep = proxy.endpoint.as_str();
    let tmp = TempDir::new("shards");

    let single = tmp.path("single.json");
    let out = run(vigil()
        .args([
            "scan",
            "--endpoint-url",
            ep,
            "--regions",
            REGIONS,
            "--format",
            "json",
        ])
        .arg("--output")
        .arg(&single));
    let single_code = out.status.code();
    assert!(matches!(single_code, Some(1 | 3)), "{}", stderr(&out));
    let single = read_json(&single);
    assert!(single["findings"].as_array().unwrap().len() > 50);

    for n in [1u32, 3, 4] {
        let dir = tmp.path(&format!("plan-{n}"));
        let out = run(vigil()
            .args(["plan", "--endpoint-url", ep, "--shards", &n.to_string()])
            .arg("--output-dir")
            .arg(&dir));
        assert_eq!(out.status.code(), Some(0), "plan: {}", stderr(&out));
        let shard_files: Vec<_> = (1..=n)
            .map(|i| dir.join(format!("shard-{i:04}.json")))
            .collect();
        let shards: Vec<Value> = shard_files.iter().map(|p| read_json(p)).collect();
        // Every scanned account in exactly one shard, sizes within one of each other, each
        // with its SCP chain from the plan.
        let mut ids: Vec<String> = shards
            .iter()
            .flat_map(|s| s["accounts"].as_array().unwrap().iter())
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| s["accounts"].as_array().unwrap().len())
            .collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
        let mut want: Vec<String> = single["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["resource_type"] == "AWS::Organizations::Account")
            .map(|f| f["account_id"].as_str().unwrap().to_string())
            .collect();
        want.sort();
        want.dedup();
        ids.sort();
        assert_eq!(ids, want, "{n} shards");
        for s in &shards {
            assert_eq!(s["schema"], "vigil.shard/v1");
            assert_eq!(s["org"]["id"], seeded.org_id.as_str());
            for d in s["documents"].as_array().unwrap() {
                assert_eq!(d["resourceType"], "AWS::Organizations::Account");
                assert!(
                    d["supplementaryConfiguration"]["scpChain"]
                        .as_array()
                        .unwrap()
                        .len()
                        >= 2
                );
            }
            assert_eq!(
                s["documents"].as_array().unwrap().len(),
                s["accounts"].as_array().unwrap().len()
            );
        }

        // The shard scans, in parallel.
        let outs: Vec<_> = (1..=n)
            .map(|i| tmp.path(&format!("plan-{n}-out-{i}.json")))
            .collect();
        let children: Vec<_> = shard_files
            .iter()
            .zip(&outs)
            .map(|(shard, out)| {
                vigil()
                    .args(["scan", "--endpoint-url", ep, "--regions", REGIONS, "-q"])
                    .arg("--shard")
                    .arg(shard)
                    .arg("--snapshot-out")
                    .arg(out)
                    .args(["--format", "json", "--output", "/dev/null"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for (i, c) in children.into_iter().enumerate() {
            let o = c.wait_with_output().unwrap();
            assert!(
                matches!(o.status.code(), Some(0 | 1 | 3)),
                "shard {}: {}",
                i + 1,
                stderr(&o)
            );
        }
        for (i, o) in outs.iter().enumerate() {
            let snap = read_json(o);
            assert_eq!(snap["shard"]["shard"], i as u64 + 1);
            // Only the first shard carries the plan's calls: the others made no
            // Organizations call at all.
            if i > 0 {
                let ops = snap["api_calls_by_operation"].as_object().unwrap();
                assert!(
                    !ops.keys().any(|k| k.starts_with("Organizations:")),
                    "shard {} called Organizations: {ops:?}",
                    i + 1
                );
            }
        }

        let merged = tmp.path(&format!("plan-{n}-merged.json"));
        let out = run(vigil()
            .arg("evaluate")
            .args(outs.iter().rev())
            .args(["--format", "json", "--output"])
            .arg(&merged));
        assert_eq!(out.status.code(), single_code, "merge: {}", stderr(&out));
        assert_eq!(
            comparable(read_json(&merged)),
            comparable(single.clone()),
            "{n} shards merged vs one scan"
        );

        if n >= 3 {
            // A missing shard, a shard twice, a shard of another plan: exit 2, nothing written.
            let out = run(vigil().arg("evaluate").args(&outs[..n as usize - 1]));
            assert_eq!(out.status.code(), Some(2));
            assert!(
                stderr(&out).contains(&format!("shard {n} is missing")),
                "{}",
                stderr(&out)
            );
            let out = run(vigil().arg("evaluate").args(&outs).arg(&outs[1]));
            assert_eq!(out.status.code(), Some(2));
            assert!(stderr(&out).contains("shard 2 of plan"), "{}", stderr(&out));
            assert!(
                stderr(&out).contains("cannot merge a shard twice"),
                "{}",
                stderr(&out)
            );
            // With the plan, a shard whose worker failed is not assessed, for exactly its
            // accounts; everything else is as in the single scan.
            let failed: Vec<String> = shards[1]["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string())
                .collect();
            assert!(!failed.is_empty());
            let partial = tmp.path(&format!("plan-{n}-partial.json"));
            let out = run(vigil()
                .arg("evaluate")
                .arg(&outs[0])
                .args(&outs[2..])
                .arg("--plan")
                .arg(&dir)
                .args(["--format", "json", "--output"])
                .arg(&partial));
            assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
            let partial = read_json(&partial);
            let not_scanned: Vec<&str> = partial["errors"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["code"] == "ShardNotScanned")
                .map(|e| e["account_id"].as_str().unwrap())
                .collect();
            assert_eq!(not_scanned, failed);
            let of = |r: &Value, mine: bool| -> Vec<Value> {
                r["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| failed.iter().any(|a| f["account_id"] == a.as_str()) == mine)
                    .cloned()
                    .collect()
            };
            assert_eq!(of(&partial, false), of(&single, false));
            let lost = of(&partial, true);
            assert!(!lost.is_empty());
            assert!(lost.iter().all(|f| f["status"] == "error"), "{lost:?}");
            let earlier = tmp.path("plan-1-out-1.json");
            let out = run(vigil().arg("evaluate").args(&outs).arg(&earlier));
            assert_eq!(out.status.code(), Some(2));
            assert!(
                stderr(&out).contains("cannot merge shards of different plans"),
                "{}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn a_shard_file_of_another_schema_is_refused() {
    let tmp = TempDir::new("shard-bad");
    let f = tmp.path("shard.json");
    std::fs::write(&f, r#"{"schema":"vigil.shard/v9","accounts":[]}"#).unwrap();
    let out = run(vigil()
        .args(["scan", "--endpoint-url", "http://127.0.0.1:9", "--shard"])
        .arg(&f));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "{}: shard schema is 'vigil.shard/v9', this vigil reads 'vigil.shard/v1'",
            f.display()
        )),
        "{}",
        stderr(&out)
    );
    let out = run(vigil()
        .args(["scan", "--shard"])
        .arg(&f)
        .args(["--accounts", "111122223333"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}
