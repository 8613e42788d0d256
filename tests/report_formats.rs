//! Every report format, end to end: `vigil evaluate` of the demo snapshot through the real
//! binary, once per `--format`. Each output is snapshotted (a change to a report is a
//! reviewed diff) and parsed back (SARIF is JSON of version 2.1.0, CSV has one row per
//! finding, JUnit has one failure per failing finding). The SARIF output also goes through
//! Microsoft's SARIF multitool validator when `VIGIL_SARIF_MULTITOOL` names it (tests/run.sh
//! installs it and sets it; on CI its absence is a failure, not a skip).

mod support;

use serde_json::Value;
use std::path::Path;
use support::{evaluate_demo as evaluate, run, stderr, stdout, vigil, TempDir, DEMO};

/// The demo's findings, from the JSON report: (total, failing).
fn finding_counts() -> (usize, usize) {
    let report: Value = serde_json::from_str(&evaluate("json")).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let failing = findings.iter().filter(|f| f["status"] == "fail").count();
    assert!(
        failing > 0 && failing < findings.len(),
        "demo has fail and pass"
    );
    (findings.len(), failing)
}

/// Run-specific values of the reports (tool version, times) replaced by placeholders. The
/// demo snapshot's times are fixed, but evaluate may one day stamp its own.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r#"(timestamp|startTimeUtc|endTimeUtc|started_at|finished_at)(="|": ")[^"]*""#,
        "$1$2[timestamp]\"",
    );
    s.add_filter(
        &format!(r#""{}""#, regex_escape(env!("CARGO_PKG_VERSION"))),
        "\"[version]\"",
    );
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

#[test]
fn table_snapshot() {
    // Not a terminal: no colour and no wrapping, whatever COLUMNS says.
    let out = run(vigil()
        .args(["evaluate", DEMO, "--format", "table"])
        .env("COLUMNS", "40"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains('\u{1b}'), "no ANSI escapes off a terminal");
    settings().bind(|| insta::assert_snapshot!("table", text));
}

#[test]
fn json_snapshot() {
    let text = evaluate("json");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["schema"], "vigil.report/v1");
    settings().bind(|| insta::assert_snapshot!("json", text));
}

#[test]
fn sarif_snapshot_and_shape() {
    let (_, failing) = finding_counts();
    let text = evaluate("sarif");
    let log: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "vigil");
    assert_eq!(
        run["tool"]["driver"]["version"],
        env!("CARGO_PKG_VERSION"),
        "driver version is vigil's"
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), failing, "one result per failing finding");
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "ruleIndex points at ruleId");
        let loc = &r["locations"][0];
        assert!(loc["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("aws/"));
        assert!(loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:"));
        assert_eq!(
            r["partialFingerprints"]["vigilFingerprint/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
    }
    for rule in rules {
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    settings().bind(|| insta::assert_snapshot!("sarif", text));
}

/// Records of an RFC 4180 document (quoted fields may hold commas, quotes and newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field");
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

#[test]
fn csv_snapshot_and_shape() {
    let (total, failing) = finding_counts();
    let text = evaluate("csv");
    let records = parse_csv(&text);
    assert_eq!(records.len(), total + 1, "header + one row per finding");
    assert_eq!(
        records[0].join(","),
        "rule_id,title,severity,status,account_id,account_name,region,resource_type,resource_id,resource_arn,message,remediation,fingerprint,change,suppression_reason"
    );
    assert!(
        records.iter().all(|r| r.len() == 15),
        "15 columns everywhere"
    );
    assert_eq!(records.iter().filter(|r| r[3] == "fail").count(), failing);
    for r in &records {
        for cell in r {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unguarded cell {cell:?}"
            );
        }
    }
    settings().bind(|| insta::assert_snapshot!("csv", text));
}

/// `--format markdown`: the counts are the JSON report's, every failing finding of the demo
/// is listed (77, under the 100-row cap), most severe first.
#[test]
fn markdown_snapshot_and_counts() {
    let (_, failing) = finding_counts();
    let text = evaluate("markdown");
    assert!(
        text.starts_with(&format!("## vigil: {failing} failing findings")),
        "{}",
        &text[..200.min(text.len())]
    );
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("### Failing findings"))
        .filter(|l| {
            l.starts_with("| 🟥")
                || l.starts_with("| 🟧")
                || l.starts_with("| 🟨")
                || l.starts_with("| 🟦")
                || l.starts_with("| ⬜")
        })
        .collect();
    assert_eq!(rows.len(), failing);
    assert!(rows[0].starts_with("| 🟥 critical"), "{}", rows[0]);
    assert!(!text.contains("Showing the"), "nothing left out");
    settings().bind(|| insta::assert_snapshot!("markdown", text));
}

/// The value of `attr="..."` in the first element `tag` of `xml`.
fn attr<'a>(xml: &'a str, tag: &str, attr: &str) -> &'a str {
    let start = xml.find(&format!("<{tag} ")).expect(tag);
    let elem = &xml[start..start + xml[start..].find('>').unwrap()];
    let key = format!(" {attr}=\"");
    let from = elem.find(&key).expect(attr) + key.len();
    &elem[from..from + elem[from..].find('"').unwrap()]
}

#[test]
fn junit_snapshot_and_shape() {
    let (total, failing) = finding_counts();
    let text = evaluate("junit");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert_eq!(attr(&text, "testsuites", "tests"), total.to_string());
    assert_eq!(attr(&text, "testsuites", "failures"), failing.to_string());
    assert_eq!(text.matches("<failure ").count(), failing);
    assert_eq!(text.matches("<testcase ").count(), total);
    assert_eq!(
        text.matches("<testsuite ").count(),
        run_rule_count(),
        "one suite per rule"
    );
    assert!(text.trim_end().ends_with("</testsuites>"));
    settings().bind(|| insta::assert_snapshot!("junit", text));
}

fn run_rule_count() -> usize {
    let log: Value = serde_json::from_str(&evaluate("sarif")).unwrap();
    log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .len()
}

/// Effective level of a validator result: its own, else its rule's default, else warning.
fn level_of(result: &Value, rules: &[Value]) -> String {
    result["level"]
        .as_str()
        .or_else(|| {
            let i = result["ruleIndex"].as_u64()? as usize;
            rules.get(i)?["defaultConfiguration"]["level"].as_str()
        })
        .unwrap_or("warning")
        .to_string()
}

/// Runs `sarif-multitool validate` on `files` with the SARIF, GitHub and GitHub Advanced
/// Security rule sets; returns (file name, level, text) of every problem reported.
fn multitool_validate(
    tool: &Path,
    files: &[&Path],
    dir: &TempDir,
) -> Vec<(String, String, String)> {
    let log = dir.path("validation.sarif");
    let out = std::process::Command::new(tool)
        .arg("validate")
        .args(files)
        .arg("--output")
        .arg(&log)
        .args(["--log", "ForceOverwrite", "--rule-kind", "Sarif;Gh;Ghas"])
        // The .NET runtime then needs no ICU library on the host.
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()));
    let console = format!("{}{}", stdout(&out), stderr(&out));
    eprintln!("{console}");
    assert!(out.status.success(), "sarif-multitool failed: {console}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let run = &v["runs"][0];
    assert_eq!(
        run["invocations"][0]["executionSuccessful"], true,
        "validator run: {}",
        run["invocations"]
    );
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    run["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let text = format!("{} {} {}", r["ruleId"], r["message"]["id"], r["message"]);
            (uri, level_of(r, &rules), text)
        })
        .collect()
}

#[test]
fn sarif_passes_the_sarif_multitool_validator() {
    let Some(tool) = std::env::var_os("VIGIL_SARIF_MULTITOOL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "VIGIL_SARIF_MULTITOOL is not set: on CI the SARIF validation must run (tests/run.sh installs @microsoft/sarif-multitool and sets it)"
        );
        eprintln!("skipped: VIGIL_SARIF_MULTITOOL not set (tests/run.sh sets it)");
        return;
    };
    let tool = Path::new(&tool);
    assert!(
        tool.is_file(),
        "VIGIL_SARIF_MULTITOOL={} is not a file",
        tool.display()
    );
    let dir = TempDir::new("sarif-multitool");
    let good = dir.path("vigil.sarif");
    let out = run(vigil()
        .args(["evaluate", DEMO, "--format", "sarif", "--output"])
        .arg(&good));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // A copy with a result that lost its required message: proves the validator looks.
    let mut broken: Value = serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    let bad = dir.path("broken.sarif");
    std::fs::write(&bad, serde_json::to_vec_pretty(&broken).unwrap()).unwrap();

    let problems = multitool_validate(tool, &[&good, &bad], &dir);
    let errors_in = |name: &str| -> Vec<&(String, String, String)> {
        problems
            .iter()
            .filter(|(f, level, _)| f == name && level == "error")
            .collect()
    };
    assert!(
        !errors_in("broken.sarif").is_empty(),
        "the validator did not flag a result without a message: {problems:?}"
    );
    assert!(
        errors_in("vigil.sarif").is_empty(),
        "vigil's SARIF has validation errors: {:?}",
        errors_in("vigil.sarif")
    );
}

/// The demo snapshot with `copies` more copies of each of three failing DynamoDB tables
/// (`payments-dev` fails a high rule, `ingest-checkpoints` a medium one, `card-velocity` a low
/// one), each copy a table of its own name.
fn demo_with_table_copies(dir: &TempDir, copies: usize) -> std::path::PathBuf {
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(support::root().join(DEMO)).unwrap())
            .unwrap();
    let docs = snap["documents"].as_array_mut().unwrap();
    let originals: Vec<Value> = docs
        .iter()
        .filter(|d| {
            d["resourceType"] == "AWS::DynamoDB::Table"
                && ["payments-dev", "ingest-checkpoints", "card-velocity"]
                    .contains(&d["resourceId"].as_str().unwrap())
        })
        .cloned()
        .collect();
    assert_eq!(originals.len(), 3);
    for d in &originals {
        let name = d["resourceId"].as_str().unwrap();
        for i in 0..copies {
            let copy_name = format!("{name}-{i:05}");
            let text = serde_json::to_string(d)
                .unwrap()
                .replace(&format!("table/{name}\""), &format!("table/{copy_name}\""))
                .replace(&format!("\"{name}\""), &format!("\"{copy_name}\""));
            docs.push(serde_json::from_str(&text).unwrap());
        }
    }
    let path = dir.path("many-failures.json");
    std::fs::write(&path, serde_json::to_vec(&snap).unwrap()).unwrap();
    path
}

/// GitHub code scanning keeps 5,000 results of a run (and rejects a run of more than 25,000):
/// the run holds the 5,000 most severe failures, says how many were left out, and still
/// passes the SARIF multitool validator.
#[test]
fn sarif_holds_the_5000_most_severe_results_and_says_how_many_were_left_out() {
    let dir = TempDir::new("sarif-cap");
    let snap = demo_with_table_copies(&dir, 2_100);
    let sarif_path = dir.path("capped.sarif");
    let json_path = dir.path("capped.json");
    let out = run(vigil()
        .args(["evaluate"])
        .arg(&snap)
        .args(["--format", "sarif", "--output"])
        .arg(&sarif_path)
        .args(["--format", "json", "--output"])
        .arg(&json_path));
    assert!(matches!(out.status.code(), Some(1 | 3)), "{}", stderr(&out));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let rank = |s: &str| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let mut failing: Vec<usize> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| rank(f["severity"].as_str().unwrap()))
        .collect();
    assert!(failing.len() > 6_300, "{} failing", failing.len());
    failing.sort_by(|a, b| b.cmp(a));

    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let run0 = &log["runs"][0];
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 5_000);
    let shown: Vec<usize> = results
        .iter()
        .map(|r| rank(r["properties"]["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        shown,
        failing[..5_000],
        "the 5,000 most severe, most severe first"
    );
    let omitted = failing.len() - 5_000;
    assert_eq!(run0["properties"]["omittedResults"], omitted);
    assert_eq!(run0["properties"]["failingFindings"], failing.len());
    assert_eq!(run0["properties"]["maxResults"], 5_000);
    let notes = run0["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let note = notes.last().unwrap();
    assert_eq!(note["level"], "warning");
    assert!(note["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with(&format!(
            "{omitted} of {} failing findings were left out",
            failing.len()
        )));
    // The JSON report still has every finding.
    assert_eq!(
        report["summary"]["fail"].as_u64().unwrap() as usize,
        failing.len()
    );

    let Some(tool) = std::env::var_os("VIGIL_SARIF_MULTITOOL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "VIGIL_SARIF_MULTITOOL is not set: on CI the SARIF validation must run"
        );
        eprintln!("validation skipped: VIGIL_SARIF_MULTITOOL not set (tests/run.sh sets it)");
        return;
    };
    let problems = multitool_validate(Path::new(&tool), &[&sarif_path], &dir);
    let errors: Vec<_> = problems.iter().filter(|(_, l, _)| l == "error").collect();
    assert!(
        errors.is_empty(),
        "capped SARIF has validation errors: {errors:?}"
    );
}

/// What a hostile member account names its API: OSC 0 (retitle the terminal), ED (erase
/// it), OSC 52 (overwrite the clipboard), a C1 CSI, a line break, a C0 control and the two
/// characters XML 1.0 forbids.
const HOSTILE_NAME: &str = "payments-api\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}]52;c;cm0gLXJmIH4K\u{7}\u{9b}1K\nfake\u{1}\u{fffe}\u{ffff}";
/// The demo snapshot where payments-dev's REST API `payments-api` (and the account itself)
/// carry [`HOSTILE_NAME`] and sandbox-innovation's HTTP API `genai-playground` a name of
/// 100,000 characters. Returns the file and the ids of those two accounts.
fn hostile_demo(dir: &TempDir) -> (std::path::PathBuf, String, String) {
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(support::root().join(DEMO)).unwrap())
            .unwrap();
    let id_of = |name: &str| -> String {
        snap["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no account {name} in the demo"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (hostile, huge) = (id_of("payments-dev"), id_of("sandbox-innovation"));
    let mut renamed = 0;
    for d in snap["documents"].as_array_mut().unwrap() {
        let account = d["awsAccountId"].as_str().unwrap().to_string();
        let name = &mut d["configuration"]["name"];
        if account == hostile && *name == "payments-api" {
            *name = HOSTILE_NAME.into();
        } else if account == huge && *name == "genai-playground" {
            *name = format!("{}-end", "A".repeat(100_000)).into();
        } else {
            continue;
        }
        renamed += 1;
    }
    assert_eq!(renamed, 2);
    for a in snap["accounts"].as_array_mut().unwrap() {
        if a["id"] == hostile.as_str() {
            a["name"] = format!("payments-dev{HOSTILE_NAME}").into();
        }
    }
    let path = dir.path("hostile.json");
    std::fs::write(&path, serde_json::to_vec(&snap).unwrap()).unwrap();
    (path, hostile, huge)
}

/// `vigil evaluate <snapshot> --format <format>` on stdout (exit 1: the demo fails; 3 when a
/// rule could not judge some resource of it).
fn evaluate_file(snapshot: &Path, format: &str) -> String {
    let out = run(vigil()
        .arg("evaluate")
        .arg(snapshot)
        .args(["--format", format]));
    assert!(
        matches!(out.status.code(), Some(1 | 3)),
        "--format {format}: exit {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains(['\u{1b}', '\u{9b}', '\u{7}']),
        "--format {format}: a control character on stderr"
    );
    stdout(&out)
}

/// Findings of the JSON report as comparable lines, those of `accounts` only.
fn findings_of(report: &Value, accounts: &[&str]) -> Vec<String> {
    support::comparable(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| accounts.contains(&f["account_id"].as_str().unwrap())),
    )
}

/// Characters that must never be written as themselves to a terminal or an XML file.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            c != '\n'
                && (c.is_control()
                    || matches!(c, '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}'))
        })
        .collect()
}

/// A member account controls the names of its resources and its account name: whatever they
/// hold, no control character reaches the table, CSV or JUnit output, JUnit stays well-formed
/// XML (checked with Python's parser), a 100,000-character name is cut in the table, and every
/// other account's findings come through every format unchanged.
#[test]
fn hostile_names_neither_drive_the_terminal_nor_break_any_format() {
    let dir = TempDir::new("hostile-names");
    let (snap, hostile, huge) = hostile_demo(&dir);
    let demo: Value =
        serde_json::from_str(&evaluate_file(&support::root().join(DEMO), "json")).unwrap();
    let others: Vec<String> = demo["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["account_id"].as_str().unwrap().to_string())
        .filter(|a| *a != hostile && *a != huge)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    assert!(others.len() >= 3);

    // JSON: exact text, and every other account's findings as without the attack.
    let report: Value = serde_json::from_str(&evaluate_file(&snap, "json")).unwrap();
    assert_eq!(findings_of(&report, &others), findings_of(&demo, &others));
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        demo["findings"].as_array().unwrap().len()
    );
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["message"].as_str().unwrap().contains(HOSTILE_NAME)));
    let failing: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .collect();

    // Table: escapes shown, nothing raw, the huge name cut, every failing row there.
    let table = evaluate_file(&snap, "table");
    assert_eq!(
        raw_controls(&table),
        Vec::<char>::new(),
        "raw controls in the table"
    );
    assert!(
        !table.lines().any(|l| l.starts_with("fake")),
        "a name forged a line"
    );
    assert!(
        table.contains("payments-api\\x1b]0;owned\\x07\\x1b[2J\\x1b]52;c;cm0gLXJmIH4K\\x07\\u{9b}1K\\nfake\\x01\\u{fffe}\\u{ffff}"),
        "hostile name not shown escaped:\n{table}"
    );
    assert!(
        table.contains("more characters)"),
        "100,000-character name not cut"
    );
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 2_000, "a table line of {widest} characters");
    for f in &failing {
        let (rule, id) = (
            f["rule_id"].as_str().unwrap(),
            f["resource_id"].as_str().unwrap(),
        );
        if f["account_id"] == hostile.as_str() || f["account_id"] == huge.as_str() {
            continue;
        }
        assert!(
            table.lines().any(|l| l.contains(rule) && l.contains(id)),
            "{rule} on {id} missing from the table"
        );
    }
    let rows = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" || f["status"] == "error" && f["resource_arn"] != "")
        .count();
    assert_eq!(
        table.lines().filter(|l| l.contains("VGL-")).count(),
        rows,
        "one table row per failing finding (and rule error on a resource)"
    );

    // CSV: one row per finding, nothing raw, formula guard kept.
    let csv = evaluate_file(&snap, "csv");
    assert_eq!(
        raw_controls(&csv),
        Vec::<char>::new(),
        "raw controls in the CSV"
    );
    let records = parse_csv(&csv);
    assert_eq!(
        records.len(),
        report["findings"].as_array().unwrap().len() + 1
    );
    assert_eq!(csv.lines().count(), records.len(), "one record per line");
    for r in &records {
        assert!(r
            .iter()
            .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])));
    }
    let other_rows = records
        .iter()
        .filter(|r| others.contains(&r[4].as_str()))
        .count();
    assert_eq!(other_rows, findings_of(&demo, &others).len());

    // JUnit: well-formed for a real XML parser, every test case there.
    let junit_path = dir.path("junit.xml");
    std::fs::write(&junit_path, evaluate_file(&snap, "junit")).unwrap();
    let parsed = xml_summary(&junit_path);
    assert_eq!(
        parsed["tests"],
        report["findings"].as_array().unwrap().len()
    );
    assert_eq!(parsed["failures"], failing.len());
    let names: Vec<&str> = parsed["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for f in &failing {
        let case = format!(
            "{}/{}/{}",
            f["account_id"].as_str().unwrap(),
            f["region"].as_str().unwrap(),
            f["resource_id"].as_str().unwrap()
        );
        assert!(names.contains(&case.as_str()), "test case {case} missing");
    }

    // SARIF: JSON, one result per failure, other accounts' results all there.
    let sarif_path = dir.path("hostile.sarif");
    std::fs::write(&sarif_path, evaluate_file(&snap, "sarif")).unwrap();
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), failing.len());
    if let Some(tool) = std::env::var_os("VIGIL_SARIF_MULTITOOL") {
        let problems = multitool_validate(Path::new(&tool), &[&sarif_path], &dir);
        let errors: Vec<_> = problems.iter().filter(|(_, l, _)| l == "error").collect();
        assert!(
            errors.is_empty(),
            "hostile SARIF has validation errors: {errors:?}"
        );
    }
}

/// Parses a JUnit file with Python's XML parser (expat, strict about well-formedness):
/// `{"tests", "failures", "names"}` of its test cases.
fn xml_summary(path: &Path) -> Value {
    const SCRIPT: &str = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.iter("testcase")
names, failures = [], 0
for c in cases:
    names.append(c.get("name"))
    failures += len(c.findall("failure"))
print(json.dumps({"tests": len(names), "failures": failures, "names": names}))
"#;
    let python = support::venv().join("bin").join("python");
    let python = if python.exists() {
        python
    } else {
        "python3".into()
    };
    let out = std::process::Command::new(python)
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "JUnit XML is not well-formed: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
