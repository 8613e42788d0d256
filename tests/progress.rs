//! The progress display: drawn on stderr when it is a terminal (a real pseudo-terminal made by
//! util-linux `script`), never when stderr is piped or `CI` is set.

mod support;

use std::process::Command;
use support::{run, stderr, vigil, Moto, TempDir};

/// Runs `vigil scan` with stdout and stderr on a pseudo-terminal; returns what it drew.
fn on_terminal(moto: &Moto, tmp: &TempDir, env: &[(&str, &str)]) -> String {
    let cmdline = format!(
        "{} scan --endpoint-url {} --regions eu-west-1,us-east-1 --format json --output {}",
        env!("CARGO_BIN_EXE_vigil"),
        moto.endpoint,
        tmp.path("r.json").display()
    );
    // `vigil()`'s environment (fake credentials, no config files), run under `script`.
    let c = vigil();
    let mut s = Command::new("script");
    s.args(["-qefc", &cmdline, "/dev/null"]);
    s.env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            s.env(k, v);
        }
    }
    s.env("TERM", "xterm");
    for (k, v) in env {
        s.env(k, v);
    }
    let o = s.output().expect("running script(1)");
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let moto = Moto::start();
    moto.seed("fixtures/scenarios/lambda-org.json");
    let tmp = TempDir::new("progress");

    let drawn = on_terminal(&moto, &tmp, &[]);
    assert!(drawn.contains("accounts"), "{drawn}");
    assert!(drawn.contains("resources"), "{drawn}");
    assert!(drawn.contains("failing"), "{drawn}");
    assert!(tmp.path("r.json").exists());

    // CI set: nothing drawn, even on a terminal.
    let drawn = on_terminal(&moto, &tmp, &[("CI", "true")]);
    assert!(!drawn.contains("accounts ·"), "{drawn}");
    assert!(!drawn.contains("scanning ["), "{drawn}");

    // Piped: nothing drawn; --quiet: nothing at all on stderr.
    let o = run(vigil().args(["scan", "--endpoint-url", &moto.endpoint, "--format", "json"]));
    assert!(!stderr(&o).contains("scanning ["), "{}", stderr(&o));
    let o = run(vigil().args([
        "-q",
        "scan",
        "--endpoint-url",
        &moto.endpoint,
        "--format",
        "json",
    ]));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    // -v: tracing at info names the organization being scanned.
    let o = run(vigil().args([
        "-v",
        "scan",
        "--endpoint-url",
        &moto.endpoint,
        "--format",
        "json",
    ]));
    assert!(
        stderr(&o).contains("scanning organization o-"),
        "{}",
        stderr(&o)
    );
}
