//! Test support: a real moto server on a free 127.0.0.1 port, scenario seeding, and running
//! the vigil binary with an isolated AWS environment. Nothing here talks to anything but
//! 127.0.0.1.
#![allow(dead_code)]

pub mod lambda;

use serde_json::Value;
use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python virtualenv with moto (created by tests/run.sh).
pub fn venv() -> PathBuf {
    std::env::var_os("VIGIL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv"))
}

fn venv_bin(name: &str) -> PathBuf {
    let p = venv().join("bin").join(name);
    assert!(
        p.exists(),
        "{} not found: run tests/run.sh (it creates the .venv with pinned moto), or set VIGIL_VENV",
        p.display()
    );
    p
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh, unique temporary directory (removed on drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("vigil-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running moto server, stopped on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    pub log: PathBuf,
}

impl Moto {
    pub fn start() -> Moto {
        let bin = venv_bin("moto_server");
        for _attempt in 0..3 {
            let port = free_port();
            let log =
                std::env::temp_dir().join(format!("vigil-moto-{}-{port}.log", std::process::id()));
            let logf = std::fs::File::create(&log).unwrap();
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::from(logf.try_clone().unwrap()))
                .stderr(Stdio::from(logf))
                .spawn()
                .expect("starting moto_server");
            let mut moto = Moto {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
                log,
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = moto.child.try_wait() {
                    break; // exited: port taken, try another
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return moto;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = moto.child.kill();
        }
        panic!("moto_server did not start");
    }

    /// Seeds a scenario file; returns the seeder's JSON (`org_id`, `accounts`).
    pub fn seed(&self, scenario: &str) -> Seeded {
        let scenario = root().join(scenario);
        let v = python_json(
            "seed.py",
            &self.endpoint,
            &[scenario.to_str().expect("a UTF-8 path")],
        );
        Seeded {
            org_id: v["org_id"].as_str().unwrap().to_string(),
            accounts: v["accounts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect(),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A Python helper of tests/support (`seed.py`, `notify_setup.py`) run by the venv's
/// interpreter against the moto server at `endpoint`, with no AWS configuration of the machine.
pub fn python_command(script: &str, endpoint: &str) -> Command {
    let mut c = Command::new(venv_bin("python"));
    c.arg(root().join("tests/support").join(script))
        .args(["--endpoint", endpoint])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

/// Runs a Python helper (see [`python_command`]) and returns the JSON it prints.
pub fn python_json(script: &str, endpoint: &str, args: &[&str]) -> Value {
    let out = python_command(script, endpoint)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} prints JSON: {e}"))
}

/// What the seeder created.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub org_id: String,
    /// Scenario key (`payments`, `management`, ...) → account id.
    pub accounts: HashMap<String, String>,
}

impl Seeded {
    pub fn id(&self, key: &str) -> &str {
        self.accounts
            .get(key)
            .unwrap_or_else(|| panic!("no account '{key}' in scenario"))
    }
    pub fn key_of(&self, id: &str) -> String {
        self.accounts
            .iter()
            .find(|(_, v)| v.as_str() == id)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

/// The vigil binary with an environment holding only fake static credentials: no profile,
/// no config files, no instance metadata.
pub fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/vigil-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/vigil-test-credentials",
        )
        .current_dir(root());
    c
}

/// The demo organization's snapshot.
pub const DEMO: &str = "fixtures/snapshots/demo-org.json";

/// `vigil evaluate <demo> --format <format>` on stdout; the demo has failures, so exit 1.
pub fn evaluate_demo(format: &str) -> String {
    let out = run(vigil().args(["evaluate", DEMO, "--format", format]));
    assert_eq!(
        out.status.code(),
        Some(1),
        "--format {format}: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// Runs a command and returns its output, printing stderr on failure to help debugging.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("running vigil")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Reads a JSON file.
pub fn read_json(p: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

/// The fault-injecting proxy (tests/support/fault_proxy.py) in front of an upstream emulator,
/// on a free 127.0.0.1 port; stopped on drop.
pub struct FaultProxy {
    child: Child,
    pub endpoint: String,
    log: PathBuf,
}

impl FaultProxy {
    /// Starts the proxy forwarding to `upstream` with the given fault options
    /// (`--throttle-rate`, `--seed`, `--deny-assume-role`, `--deny`, `--recorded`).
    pub fn start(upstream: &str, args: &[&str]) -> FaultProxy {
        use std::io::BufRead;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let log =
            std::env::temp_dir().join(format!("vigil-fault-proxy-{}-{n}.log", std::process::id()));
        let mut child = Command::new(venv_bin("python"))
            .arg(root().join("tests/support/fault_proxy.py"))
            .args(["--upstream", upstream])
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .expect("starting fault_proxy.py");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Ok(port) = line.trim().parse::<u16>() else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "fault_proxy.py did not start:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        FaultProxy {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// The proxy's counters: `total` and `operations["service:Operation"]`, each with
    /// `requests`, `forwarded`, `throttled`, `denied`, `recorded`; `denials` lists every
    /// denied request (`service`, `operation`, `account`, `region`).
    pub fn stats(&self) -> Value {
        use std::io::{Read, Write};
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connecting to the fault proxy");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET /__proxy/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "stats: {head}");
        serde_json::from_str(body).expect("stats are JSON")
    }

    /// `operations["service:Operation"][counter]`, 0 when the operation was never seen.
    pub fn count(stats: &Value, op: &str, counter: &str) -> u64 {
        stats["operations"][op][counter].as_u64().unwrap_or(0)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Findings as comparable lines (rule, status, account, region, ARN, message, fingerprint),
/// sorted: two sets with the same lines found the same things.
pub fn comparable<'a>(findings: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut v: Vec<String> = findings
        .into_iter()
        .map(|f| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}",
                f["rule_id"],
                f["status"],
                f["account_id"],
                f["region"],
                f["resource_arn"],
                f["message"],
                f["fingerprint"]
            )
        })
        .collect();
    v.sort();
    v
}

/// Every finding of a report as a comparable line; see [`comparable`].
pub fn comparable_findings(report: &Value) -> Vec<String> {
    comparable(report["findings"].as_array().unwrap())
}

/// (account key, region, resource id, rule) of every finding with `status`.
pub fn findings_with_status(
    report: &Value,
    seeded: &Seeded,
    status: &str,
) -> std::collections::BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| {
            (
                seeded.key_of(f["account_id"].as_str().unwrap()),
                f["region"].as_str().unwrap().to_string(),
                f["resource_id"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Keys of the scenario's accounts that the seeder closes (never scanned).
pub fn closed_accounts(scenario: &Value) -> std::collections::BTreeSet<String> {
    scenario["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["close"].as_bool().unwrap_or(false))
        .map(|a| a["key"].as_str().unwrap().to_string())
        .collect()
}

/// The real UpdateTable event of fixtures/events (an EventBridge envelope), as recorded in
/// `account`/`region` for `table`, with its own `eventID` and `eventTime`.
pub fn update_table_event(
    account: &str,
    region: &str,
    table: &str,
    event_id: &str,
    time: &str,
) -> Value {
    let mut ev = read_json(&root().join("fixtures/events/cloudtrail/dynamodb/UpdateTable.json"));
    ev["account"] = account.into();
    ev["region"] = region.into();
    ev["time"] = time.into();
    let d = &mut ev["detail"];
    d["recipientAccountId"] = account.into();
    d["awsRegion"] = region.into();
    d["eventID"] = event_id.into();
    d["eventTime"] = time.into();
    d["requestParameters"]["tableName"] = table.into();
    if d["responseElements"]["tableDescription"].is_object() {
        let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{table}");
        d["responseElements"]["tableDescription"]["tableName"] = table.into();
        d["responseElements"]["tableDescription"]["tableArn"] = arn.into();
    }
    ev
}

/// A Lambda SQS event shaped like the AWS documentation's (fixtures/events/sqs/batch.json),
/// with one record per (message id, body).
pub fn sqs_batch(messages: &[(&str, String)]) -> Value {
    let doc = read_json(&root().join("fixtures/events/sqs/batch.json"));
    let template = doc["Records"][0].clone();
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            let mut r = template.clone();
            r["messageId"] = (*id).into();
            r["body"] = body.clone().into();
            if let Some(o) = r.as_object_mut() {
                o.remove("md5OfBody");
            }
            r
        })
        .collect();
    serde_json::json!({ "Records": records })
}
