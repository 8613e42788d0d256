//! Bad input, end to end: every case runs the real `vigil` binary and checks the contract of
//! the issue: "one clear line naming the problem, exit 2, no panic, no partial report file
//! left behind". Policies are rejected at load time with file and line; `--params` problems
//! name the key.
//!
//! Every command runs in a sandbox: the environment is cleared, HOME is a fresh temp dir, the
//! AWS config/credentials files point at files that do not exist, instance metadata is
//! disabled and AWS_ENDPOINT_URL points at a closed port on 127.0.0.1. Nothing here can reach
//! real AWS (or 169.254.169.254) or read the developer's ~/.aws, even if a validation is
//! missing in the binary: such a regression shows up as a wrong message, not a real call.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vigil");

/// `tests/data/<rel>` as an absolute path.
fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// A valid, empty snapshot (no accounts, no documents).
const MINIMAL_SNAPSHOT: &str = r#"{"schema":"vigil.snapshot/v1","org":{"id":"o-1","managementAccountId":"111111111111"},"accounts":[],"regions":["us-east-1"],"documents":[]}"#;

/// A fresh directory under the system temp dir, removed on drop. Holds `home/` (HOME of the
/// child) and `out/` (where reports are asked to go; it must stay empty on failure).
struct Sandbox {
    root: PathBuf,
    endpoint: String,
}

impl Sandbox {
    fn new(tag: &str) -> Sandbox {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let root = std::env::temp_dir().join(format!(
            "vigil-cli-errors-{}-{}-{}-{tag}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst),
            nanos
        ));
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::create_dir_all(root.join("out")).unwrap();
        Sandbox {
            root,
            endpoint: format!("http://127.0.0.1:{}", dead_port()),
        }
    }

    fn out(&self, name: &str) -> PathBuf {
        self.root.join("out").join(name)
    }

    /// Writes the minimal valid snapshot into the sandbox and returns its path.
    fn minimal_snapshot(&self) -> PathBuf {
        let p = self.root.join("snapshot.json");
        std::fs::write(&p, MINIMAL_SNAPSHOT).unwrap();
        p
    }

    /// `vigil` with a sealed environment and dummy static credentials.
    fn cmd(&self) -> Command {
        let mut c = self.cmd_without_credentials();
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        c
    }

    /// `vigil` with a sealed environment and no credentials anywhere in the chain.
    fn cmd_without_credentials(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root.join("home"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.root.join("no-such-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.root.join("no-such-aws-credentials"),
            )
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .current_dir(&self.root);
        c
    }

    /// The report directory must hold nothing: no report, no temporary file.
    fn assert_no_output(&self, out: &Output) {
        let left: Vec<_> = std::fs::read_dir(self.root.join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            left.is_empty(),
            "files left behind in the report directory: {left:?}\n{}",
            show(out)
        );
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn run(mut c: Command) -> Output {
    c.output().expect("run vigil")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "wrong exit code\n{}", show(o));
    assert!(!stderr(o).contains("panicked"), "panic\n{}", show(o));
}

/// A clap usage error: exit 2, the first stderr line is `error: ...` and names the problem.
fn assert_clap_error(o: &Output, needles: &[&str]) {
    assert_exit(o, 2);
    let err = stderr(o);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: "),
        "first stderr line is not an error\n{}",
        show(o)
    );
    for n in needles {
        assert!(
            first.contains(n),
            "first stderr line does not name {n:?}\n{}",
            show(o)
        );
    }
    assert!(
        o.stdout.is_empty(),
        "usage error but stdout not empty\n{}",
        show(o)
    );
}

/// A vigil error: exit 2, exactly one `vigil: error: ` line, which names every needle;
/// nothing on stdout (no partial report).
fn assert_vigil_error(o: &Output, needles: &[&str]) -> String {
    assert_exit(o, 2);
    let err = stderr(o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("vigil: error: "))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one `vigil: error:` line\n{}",
        show(o)
    );
    for n in needles {
        assert!(
            lines[0].contains(n),
            "the error line does not name {n:?}\n{}",
            show(o)
        );
    }
    assert!(
        o.stdout.is_empty(),
        "error but stdout not empty (partial report?)\n{}",
        show(o)
    );
    lines[0].to_string()
}

// ---------------------------------------------------------------------------------------
// Command line: clap-level validation (exit 2 before anything runs)
// ---------------------------------------------------------------------------------------

/// Runs `vigil scan <args> --format json --output out/r.json` and checks a clap error.
fn scan_clap_error(tag: &str, args: &[&str], needles: &[&str]) {
    let sb = Sandbox::new(tag);
    let mut c = sb.cmd();
    c.arg("scan")
        .args(args)
        .arg("--format")
        .arg("json")
        .arg("--output")
        .arg(sb.out("r.json"));
    let o = run(c);
    assert_clap_error(&o, needles);
    sb.assert_no_output(&o);
}

#[test]
fn scan_unknown_flag() {
    scan_clap_error("unknown-flag", &["--bogus"], &["--bogus"]);
}

#[test]
fn evaluate_unknown_flag() {
    let sb = Sandbox::new("eval-unknown-flag");
    let snap = sb.minimal_snapshot();
    let mut c = sb.cmd();
    c.arg("evaluate").arg(&snap).arg("--bogus");
    c.args(["--format", "json", "--output"])
        .arg(sb.out("r.json"));
    let o = run(c);
    assert_clap_error(&o, &["--bogus"]);
    sb.assert_no_output(&o);
}

#[test]
fn rules_unknown_subcommand() {
    let sb = Sandbox::new("rules-unknown-sub");
    let mut c = sb.cmd();
    c.args(["rules", "frobnicate"]);
    assert_clap_error(&run(c), &["frobnicate"]);
}

#[test]
fn scan_regions_with_empty_item() {
    scan_clap_error(
        "regions-empty",
        &["--regions", "us-east-1,,eu-west-1"],
        &["--regions", "empty region name"],
    );
}

#[test]
fn scan_regions_upper_case() {
    scan_clap_error(
        "regions-upper",
        &["--regions", "EU-WEST-1"],
        &["--regions", "EU-WEST-1"],
    );
}

#[test]
fn scan_regions_not_a_region() {
    scan_clap_error(
        "regions-garbage",
        &["--regions", "eu-west-1,europe"],
        &["--regions", "'europe'"],
    );
}

#[test]
fn scan_invalid_account_id() {
    scan_clap_error(
        "account-short",
        &["--accounts", "111122223333,12345"],
        &["--accounts", "'12345'", "12-digit"],
    );
}

#[test]
fn scan_invalid_excluded_account_id() {
    scan_clap_error(
        "exclude-letters",
        &["--exclude-accounts", "11112222333a"],
        &["--exclude-accounts", "'11112222333a'"],
    );
}

#[test]
fn scan_invalid_role_name() {
    scan_clap_error(
        "role-space",
        &["--role-name", "bad name"],
        &["--role-name", "'bad name'"],
    );
}

#[test]
fn scan_unknown_service() {
    scan_clap_error(
        "service-ec2",
        &["--services", "lambda,ec2"],
        &["--services", "unknown service 'ec2'"],
    );
}

#[test]
fn scan_concurrency_zero() {
    scan_clap_error(
        "concurrency-0",
        &["--concurrency", "0"],
        &["--concurrency", "'0'"],
    );
}

#[test]
fn scan_account_concurrency_zero() {
    scan_clap_error(
        "acct-concurrency-0",
        &["--account-concurrency", "0"],
        &["--account-concurrency", "'0'"],
    );
}

#[test]
fn scan_fail_on_unknown_severity() {
    scan_clap_error(
        "fail-on-urgent",
        &["--fail-on", "urgent"],
        &["--fail-on", "'urgent'"],
    );
}

#[test]
fn evaluate_fail_on_unknown_severity() {
    let sb = Sandbox::new("eval-fail-on");
    let snap = sb.minimal_snapshot();
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(&snap)
        .args(["--fail-on", "urgent", "--format", "json", "--output"]);
    c.arg(sb.out("r.json"));
    let o = run(c);
    assert_clap_error(&o, &["--fail-on", "'urgent'"]);
    sb.assert_no_output(&o);
}

#[test]
fn scan_unknown_format() {
    let sb = Sandbox::new("format-xml");
    let mut c = sb.cmd();
    c.args(["scan", "--format", "xml", "--output"])
        .arg(sb.out("r.xml"));
    let o = run(c);
    assert_clap_error(&o, &["--format", "'xml'"]);
    sb.assert_no_output(&o);
}

#[test]
fn scan_endpoint_url_not_http() {
    scan_clap_error(
        "endpoint-ftp",
        &["--endpoint-url", "ftp://127.0.0.1:21"],
        &["--endpoint-url", "ftp://127.0.0.1:21"],
    );
}

// ---------------------------------------------------------------------------------------
// Command line: report destinations and other checks vigil makes before any AWS call
// ---------------------------------------------------------------------------------------

/// Runs `vigil scan <args>` (the sandbox's dead endpoint and dummy credentials) and checks a
/// vigil error raised before any AWS call.
fn scan_vigil_error(sb: &Sandbox, args: &[&std::ffi::OsStr], needles: &[&str]) -> Output {
    let mut c = sb.cmd();
    c.arg("scan").args(args);
    let started = Instant::now();
    let o = run(c);
    let line = assert_vigil_error(&o, needles);
    assert!(
        !line.contains("cannot reach AWS"),
        "the problem should be found before any AWS call\n{}",
        show(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(20), "too slow");
    sb.assert_no_output(&o);
    o
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

#[test]
fn scan_output_in_missing_directory() {
    let sb = Sandbox::new("output-missing-dir");
    let target = sb.out("no-such-dir/r.json");
    let t = target.display().to_string();
    scan_vigil_error(
        &sb,
        &[os("--format"), os("json"), os("--output"), os(&target)],
        &["--output", &t, "does not exist"],
    );
    assert!(!target.exists());
}

#[test]
fn evaluate_output_in_missing_directory() {
    let sb = Sandbox::new("eval-output-missing-dir");
    let snap = sb.minimal_snapshot();
    let target = sb.out("no-such-dir/r.json");
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(&snap)
        .args(["--format", "json", "--output"])
        .arg(&target);
    let o = run(c);
    assert_vigil_error(
        &o,
        &["--output", &target.display().to_string(), "does not exist"],
    );
    sb.assert_no_output(&o);
}

#[test]
fn scan_output_is_a_directory() {
    let sb = Sandbox::new("output-is-dir");
    let dir = sb.root.join("home");
    let d = dir.display().to_string();
    scan_vigil_error(
        &sb,
        &[os("--format"), os("json"), os("--output"), os(&dir)],
        &["--output", &d, "is a directory"],
    );
}

#[test]
fn scan_two_formats_to_stdout() {
    let sb = Sandbox::new("two-stdout");
    scan_vigil_error(
        &sb,
        &[os("--format"), os("table"), os("--format"), os("json")],
        &["more than one --format", "stdout"],
    );
}

#[test]
fn evaluate_two_formats_to_stdout() {
    let sb = Sandbox::new("eval-two-stdout");
    let snap = sb.minimal_snapshot();
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(&snap)
        .args(["--format", "table", "--format", "json"]);
    let o = run(c);
    assert_vigil_error(&o, &["more than one --format", "stdout"]);
}

#[test]
fn scan_output_before_any_format() {
    let sb = Sandbox::new("output-before-format");
    let target = sb.out("r.json");
    let t = target.display().to_string();
    scan_vigil_error(
        &sb,
        &[os("--output"), os(&target), os("--format"), os("json")],
        &[&t, "before any --format"],
    );
}

#[test]
fn scan_two_outputs_for_one_format() {
    let sb = Sandbox::new("two-outputs-one-format");
    let (a, b) = (sb.out("a.json"), sb.out("b.json"));
    scan_vigil_error(
        &sb,
        &[
            os("--format"),
            os("json"),
            os("--output"),
            os(&a),
            os("--output"),
            os(&b),
        ],
        &["a.json", "b.json", "same --format"],
    );
}

#[test]
fn scan_several_outputs_without_format() {
    let sb = Sandbox::new("outputs-no-format");
    let (a, b) = (sb.out("a.txt"), sb.out("b.txt"));
    scan_vigil_error(
        &sb,
        &[os("--output"), os(&a), os("--output"), os(&b)],
        &["--output", "no --format"],
    );
}

#[test]
fn scan_same_output_twice() {
    let sb = Sandbox::new("same-output-twice");
    let a = sb.out("r.out");
    let t = a.display().to_string();
    scan_vigil_error(
        &sb,
        &[
            os("--format"),
            os("json"),
            os("--output"),
            os(&a),
            os("--format"),
            os("table"),
            os("--output"),
            os(&a),
        ],
        &[&t, "twice"],
    );
}

#[test]
fn scan_snapshot_out_in_missing_directory() {
    let sb = Sandbox::new("snapshot-out-missing");
    let snap = sb.out("no-such-dir/s.json");
    let report = sb.out("r.json");
    let s = snap.display().to_string();
    scan_vigil_error(
        &sb,
        &[
            os("--snapshot-out"),
            os(&snap),
            os("--format"),
            os("json"),
            os("--output"),
            os(&report),
        ],
        &["--snapshot-out", &s, "does not exist"],
    );
}

#[test]
fn scan_external_id_too_short() {
    let sb = Sandbox::new("external-id-short");
    let report = sb.out("r.json");
    scan_vigil_error(
        &sb,
        &[
            os("--external-id"),
            os("x"),
            os("--format"),
            os("json"),
            os("--output"),
            os(&report),
        ],
        &["--external-id"],
    );
}

// ---------------------------------------------------------------------------------------
// AWS: unreachable endpoint, no credentials
// ---------------------------------------------------------------------------------------

#[test]
fn scan_unreachable_endpoint() {
    let sb = Sandbox::new("unreachable");
    let port = dead_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let report = sb.out("r.json");
    let mut c = sb.cmd();
    c.args([
        "scan",
        "--endpoint-url",
        &endpoint,
        "--format",
        "json",
        "--output",
    ])
    .arg(&report)
    .arg("--snapshot-out")
    .arg(sb.out("snapshot.json"));
    let started = Instant::now();
    let o = run(c);
    let took = started.elapsed();
    assert_vigil_error(&o, &["cannot reach AWS", &format!("127.0.0.1:{port}")]);
    assert!(
        took < Duration::from_secs(30),
        "an unreachable endpoint took {took:?} to report"
    );
    sb.assert_no_output(&o);
}

#[test]
fn scan_without_credentials() {
    let sb = Sandbox::new("no-credentials");
    let endpoint = format!("http://127.0.0.1:{}", dead_port());
    let report = sb.out("r.json");
    let mut c = sb.cmd_without_credentials();
    c.args([
        "scan",
        "--endpoint-url",
        &endpoint,
        "--format",
        "json",
        "--output",
    ])
    .arg(&report)
    .arg("--snapshot-out")
    .arg(sb.out("snapshot.json"));
    let started = Instant::now();
    let o = run(c);
    let took = started.elapsed();
    assert_vigil_error(&o, &["no AWS credentials"]);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    sb.assert_no_output(&o);
}

/// `--quiet` is documented as "Only print errors on stderr": a failed scan prints its one
/// error line and nothing else (no log lines, no colour escapes).
#[test]
fn quiet_scan_failure_prints_only_the_error_line() {
    let sb = Sandbox::new("quiet-no-credentials");
    let endpoint = format!("http://127.0.0.1:{}", dead_port());
    let report = sb.out("r.json");
    let mut c = sb.cmd_without_credentials();
    c.args([
        "--quiet",
        "scan",
        "--endpoint-url",
        &endpoint,
        "--format",
        "json",
        "--output",
    ])
    .arg(&report);
    let o = run(c);
    assert_vigil_error(&o, &["no AWS credentials"]);
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "--quiet: stderr should be the error line only\n{}",
        show(&o)
    );
    assert!(
        !err.contains('\u{1b}'),
        "ANSI escapes on a non-terminal stderr\n{}",
        show(&o)
    );
    sb.assert_no_output(&o);
}

// ---------------------------------------------------------------------------------------
// Snapshots (`vigil evaluate`)
// ---------------------------------------------------------------------------------------

/// `vigil evaluate SNAPSHOT --format json --output out/r.json` must fail naming `needles`.
fn evaluate_error(tag: &str, snapshot: &Path, needles: &[&str]) {
    let sb = Sandbox::new(tag);
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(snapshot)
        .args(["--format", "json", "--output"])
        .arg(sb.out("r.json"));
    let o = run(c);
    assert_vigil_error(&o, needles);
    sb.assert_no_output(&o);
}

#[test]
fn evaluate_missing_snapshot() {
    let p = data("snapshots/does-not-exist.json");
    evaluate_error(
        "snap-missing",
        &p,
        &["cannot read snapshot", &p.display().to_string()],
    );
}

#[test]
fn evaluate_snapshot_is_a_directory() {
    let p = data("snapshots");
    evaluate_error(
        "snap-dir",
        &p,
        &["cannot read snapshot", &p.display().to_string()],
    );
}

#[test]
fn evaluate_unreadable_snapshot() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new("snap-unreadable");
    let p = sb.root.join("secret.json");
    std::fs::write(&p, MINIMAL_SNAPSHOT).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reads; the other cases cover the path.
        eprintln!("skipped: this user can read a mode-000 file");
        return;
    }
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(&p)
        .args(["--format", "json", "--output"])
        .arg(sb.out("r.json"));
    let o = run(c);
    assert_vigil_error(&o, &["cannot read snapshot", &p.display().to_string()]);
    sb.assert_no_output(&o);
}

#[test]
fn evaluate_snapshot_not_json() {
    let p = data("snapshots/not_json.json");
    // Line 3, column 60: the second comma of `111111111111,, }`.
    evaluate_error(
        "snap-not-json",
        &p,
        &[&format!("{}:3:60:", p.display()), "not valid JSON"],
    );
}

#[test]
fn evaluate_snapshot_truncated() {
    let p = data("snapshots/truncated.json");
    evaluate_error(
        "snap-truncated",
        &p,
        &[&format!("{}:5:", p.display()), "not valid JSON"],
    );
}

#[test]
fn evaluate_snapshot_without_schema() {
    let p = data("snapshots/no_schema.json");
    evaluate_error("snap-no-schema", &p, &[&p.display().to_string(), "schema"]);
}

#[test]
fn evaluate_snapshot_wrong_schema_version() {
    let p = data("snapshots/wrong_version.json");
    evaluate_error(
        "snap-v9",
        &p,
        &[
            &p.display().to_string(),
            "vigil.snapshot/v9",
            "vigil.snapshot/v1",
        ],
    );
}

#[test]
fn evaluate_snapshot_documents_not_a_list() {
    let p = data("snapshots/documents_not_a_list.json");
    // `"documents": {` is line 6; the map opens at column 15.
    evaluate_error(
        "snap-malformed",
        &p,
        &[&format!("{}:6:", p.display()), "malformed"],
    );
}

/// A document whose configuration vigil cannot read (null, a string, an array, missing) or
/// whose supplementaryConfiguration is not an object: rejected at load, naming the document,
/// never judged as it is (some rules passed it and others failed it).
#[test]
fn evaluate_snapshot_with_a_malformed_document() {
    let demo: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots/demo-org.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let cases: [(&str, &str, Option<serde_json::Value>, &str); 5] = [
        (
            "null",
            "configuration",
            Some(serde_json::Value::Null),
            "configuration must be a JSON object, found null",
        ),
        (
            "string",
            "configuration",
            Some(serde_json::json!("{}")),
            "configuration must be a JSON object, found a string",
        ),
        (
            "array",
            "configuration",
            Some(serde_json::json!([])),
            "configuration must be a JSON object, found an array",
        ),
        ("missing", "configuration", None, "configuration is missing"),
        (
            "supp",
            "supplementaryConfiguration",
            Some(serde_json::json!([1])),
            "supplementaryConfiguration must be a JSON object, found an array",
        ),
    ];
    for (tag, key, value, problem) in cases {
        let sb = Sandbox::new(&format!("snap-doc-{tag}"));
        let mut snap = demo.clone();
        let doc = &mut snap["documents"][3];
        let (kind, id) = (
            doc["resourceType"].as_str().unwrap().to_string(),
            doc["resourceId"].as_str().unwrap().to_string(),
        );
        match value {
            Some(v) => doc[key] = v,
            None => {
                doc.as_object_mut().unwrap().remove(key);
            }
        }
        let p = sb.root.join("snap.json");
        std::fs::write(&p, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
        evaluate_error(
            &format!("snap-doc-{tag}-run"),
            &p,
            &[
                &p.display().to_string(),
                "documents[3]",
                &kind,
                &id,
                problem,
            ],
        );
    }
}

#[test]
fn evaluate_minimal_snapshot_succeeds() {
    // Control for the cases above: the same command on a valid snapshot writes the report.
    let sb = Sandbox::new("snap-ok");
    let snap = sb.minimal_snapshot();
    let report = sb.out("r.json");
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(&snap)
        .args(["--format", "json", "--output"])
        .arg(&report);
    let o = run(c);
    assert_exit(&o, 0);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report written")).unwrap();
    assert_eq!(v["schema"], "vigil.report/v1", "{v}");
}

// ---------------------------------------------------------------------------------------
// Policy directories: rejected at load time with file and line, by every command
// ---------------------------------------------------------------------------------------

/// Loads `dir` as `--policies` through `rules list`, `evaluate` (valid snapshot, report to a
/// file) and `scan` (must stop before any AWS call); each must fail with one error line
/// naming every needle.
fn bad_policies(tag: &str, dir: &Path, needles: &[&str]) {
    let sb = Sandbox::new(tag);

    let mut c = sb.cmd();
    c.args(["rules", "list", "--policies"]).arg(dir);
    let o = run(c);
    assert_vigil_error(&o, needles);

    let snap = sb.minimal_snapshot();
    let mut c = sb.cmd();
    c.arg("evaluate").arg(&snap).arg("--policies").arg(dir);
    c.args(["--format", "json", "--output"])
        .arg(sb.out("r.json"));
    let o = run(c);
    assert_vigil_error(&o, needles);
    sb.assert_no_output(&o);

    let mut args = vec![
        os("--policies"),
        os(dir),
        os("--format"),
        os("json"),
        os("--output"),
    ];
    let report = sb.out("r.json");
    args.push(os(&report));
    scan_vigil_error(&sb, &args, needles);
}

#[test]
fn policy_syntax_error_names_file_and_line() {
    // broken.rego line 15: `sprintf("bad %s" [input.resource.resourceId])`.
    bad_policies(
        "pol-syntax",
        &data("bad_policies/syntax_error"),
        &["broken.rego:15"],
    );
}

#[test]
fn policy_missing_id() {
    // The METADATA block starts on line 1 and has no custom.id.
    bad_policies(
        "pol-no-id",
        &data("bad_policies/missing_id"),
        &["no_id.rego:1:", "custom.id"],
    );
}

#[test]
fn policy_misspelled_custom_key_names_file_and_line() {
    // typo.rego line 8: `remediaton:` under `custom:` is no key vigil knows.
    bad_policies(
        "pol-typo",
        &data("bad_policies/misspelled_custom_key"),
        &["typo.rego:8", "remediaton"],
    );
}

#[test]
fn a_report_that_cannot_be_written_after_the_run_exits_3_with_a_message() {
    // /dev/full accepts the open and fails the write: the run went through, the report did
    // not. Not exit 2 ("nothing was scanned"), not silent.
    let sb = Sandbox::new("report-full");
    let snap = sb.minimal_snapshot();
    let mut c = sb.cmd();
    c.arg("evaluate")
        .arg(&snap)
        .args(["--format", "json", "--output", "/dev/full"]);
    let o = run(c);
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains("vigil: error: cannot write --output /dev/full"),
        "{}",
        show(&o)
    );
}

#[test]
fn policy_duplicate_of_builtin_id() {
    // steals_builtin_id.rego line 5: `#   id: VGL-LAMBDA-001`.
    bad_policies(
        "pol-dup-builtin",
        &data("bad_policies/duplicate_builtin_id"),
        &["steals_builtin_id.rego:5", "VGL-LAMBDA-001", "no_vpc.rego"],
    );
}

#[test]
fn policy_duplicate_id_between_user_files() {
    // second.rego line 5: `#   id: VGL-CUSTOM-102`, already declared by first.rego.
    bad_policies(
        "pol-dup-user",
        &data("bad_policies/duplicate_user_id"),
        &["second.rego:5", "VGL-CUSTOM-102", "first.rego"],
    );
}

#[test]
fn policy_unknown_severity_names_its_line() {
    // urgent.rego line 7: `#   severity: urgent`.
    bad_policies(
        "pol-severity",
        &data("bad_policies/unknown_severity"),
        &["urgent.rego:7:", "'urgent'"],
    );
}

#[test]
fn policy_without_deny() {
    // no_deny.rego line 9 is the package line.
    bad_policies(
        "pol-no-deny",
        &data("bad_policies/no_deny"),
        &["no_deny.rego:9:", "VGL-CUSTOM-104", "'deny'"],
    );
}

#[test]
fn policy_unknown_resource_type() {
    // ec2.rego line 7: `#   resource_types: [AWS::EC2::Instance]`.
    bad_policies(
        "pol-type",
        &data("bad_policies/unknown_resource_type"),
        &["ec2.rego:7:", "AWS::EC2::Instance"],
    );
}

#[test]
fn policy_directory_does_not_exist() {
    let d = data("bad_policies/no-such-directory");
    bad_policies("pol-missing-dir", &d, &[&d.display().to_string()]);
}

#[test]
fn policy_directory_without_rego_files() {
    let d = data("bad_policies/empty");
    bad_policies("pol-empty-dir", &d, &[&d.display().to_string(), "no .rego"]);
}

#[test]
fn policy_directory_is_a_file() {
    let d = data("bad_policies/empty/README.txt");
    bad_policies(
        "pol-file",
        &d,
        &[&d.display().to_string(), "not a directory"],
    );
}

#[test]
fn good_user_policy_directory_loads() {
    let sb = Sandbox::new("pol-good");
    let dir = data("good_policies");
    let mut c = sb.cmd();
    c.args(["rules", "list", "--format", "json", "--policies"])
        .arg(&dir);
    let o = run(c);
    assert_exit(&o, 0);
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("rules list --format json is not JSON: {e}\n{}", show(&o)));
    let ids: Vec<&str> = rules
        .as_array()
        .expect("a list of rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"VGL-CUSTOM-001"), "{ids:?}");
    assert!(ids.contains(&"VGL-LAMBDA-001"), "built-ins kept: {ids:?}");

    // And it evaluates, writing the report.
    let snap = sb.minimal_snapshot();
    let report = sb.out("r.json");
    let mut c = sb.cmd();
    c.arg("evaluate").arg(&snap).arg("--policies").arg(&dir);
    c.args(["--format", "json", "--output"]).arg(&report);
    let o = run(c);
    assert_exit(&o, 0);
    assert!(report.is_file(), "{}", show(&o));
}

// ---------------------------------------------------------------------------------------
// --params
// ---------------------------------------------------------------------------------------

/// `--params FILE` through `rules list`, `evaluate` and `scan`; each must fail naming `needles`.
fn bad_params(tag: &str, file: &Path, needles: &[&str]) {
    let sb = Sandbox::new(tag);

    let mut c = sb.cmd();
    c.args(["rules", "list", "--params"]).arg(file);
    assert_vigil_error(&run(c), needles);

    let snap = sb.minimal_snapshot();
    let mut c = sb.cmd();
    c.arg("evaluate").arg(&snap).arg("--params").arg(file);
    c.args(["--format", "json", "--output"])
        .arg(sb.out("r.json"));
    let o = run(c);
    assert_vigil_error(&o, needles);
    sb.assert_no_output(&o);

    let report = sb.out("r.json");
    scan_vigil_error(
        &sb,
        &[
            os("--params"),
            os(file),
            os("--format"),
            os("json"),
            os("--output"),
            os(&report),
        ],
        needles,
    );
}

#[test]
fn params_unknown_key() {
    let p = data("params/unknown_key.json");
    bad_params(
        "params-unknown",
        &p,
        &[
            &p.display().to_string(),
            "params.lambda.vpc_polcy",
            "unknown",
        ],
    );
}

#[test]
fn params_wrong_type() {
    let p = data("params/wrong_type.json");
    bad_params(
        "params-type",
        &p,
        &[
            &p.display().to_string(),
            "params.allowed_services",
            "expected a list",
        ],
    );
}

#[test]
fn params_wrong_list_item_type() {
    let p = data("params/wrong_item_type.json");
    bad_params(
        "params-item-type",
        &p,
        &[&p.display().to_string(), "params.lambda.allowed_runtimes"],
    );
}

#[test]
fn params_not_json() {
    // Line 4, column 3: the `}` after a trailing comma.
    let p = data("params/not_json.json");
    bad_params(
        "params-not-json",
        &p,
        &[&format!("{}:4:3:", p.display()), "not valid JSON"],
    );
}

#[test]
fn params_not_an_object() {
    let p = data("params/not_an_object.json");
    bad_params("params-list", &p, &[&p.display().to_string(), "object"]);
}

#[test]
fn params_file_missing() {
    let p = data("params/does-not-exist.json");
    bad_params("params-missing", &p, &[&p.display().to_string(), "params"]);
}

// ---------------------------------------------------------------------------------------
// vigil rules show / test
// ---------------------------------------------------------------------------------------

#[test]
fn rules_show_unknown_id() {
    let sb = Sandbox::new("show-unknown");
    let mut c = sb.cmd();
    c.args(["rules", "show", "NOPE-1"]);
    assert_vigil_error(&run(c), &["NOPE-1"]);
}

#[test]
fn rules_test_reports_a_failing_test() {
    let sb = Sandbox::new("rules-test-fail");
    let mut c = sb.cmd();
    c.args(["rules", "test"]).arg(data("failing_rule_test"));
    let o = run(c);
    assert_exit(&o, 1);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    let fails: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(fails.len(), 1, "{}", show(&o));
    assert!(
        fails[0].contains("test_deliberately_wrong_expectation")
            && fails[0].contains("no_tracing_x_test.rego"),
        "{}",
        show(&o)
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("PASS ")).count(),
        2,
        "{}",
        show(&o)
    );
    assert_eq!(
        lines.last().copied(),
        Some("2 passed, 1 failed"),
        "{}",
        show(&o)
    );
}

#[test]
fn rules_test_missing_directory() {
    let sb = Sandbox::new("rules-test-missing");
    let d = data("no-such-rule-tests");
    let mut c = sb.cmd();
    c.args(["rules", "test"]).arg(&d);
    assert_vigil_error(&run(c), &[&d.display().to_string()]);
}

#[test]
fn rules_test_directory_without_tests() {
    let sb = Sandbox::new("rules-test-none");
    let d = data("good_policies");
    let mut c = sb.cmd();
    c.args(["rules", "test"]).arg(&d);
    assert_vigil_error(&run(c), &[&d.display().to_string(), "_test.rego"]);
}

#[test]
fn rules_test_directory_with_syntax_error() {
    let sb = Sandbox::new("rules-test-syntax");
    let mut c = sb.cmd();
    c.args(["rules", "test"])
        .arg(data("bad_policies/syntax_error"));
    assert_vigil_error(&run(c), &["broken.rego:15"]);
}
