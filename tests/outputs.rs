//! `--output` writes where the path points, end to end with the real binary on the embedded
//! demo snapshot: a regular file is replaced atomically (a new inode, the old one untouched); a
//! symlink stays a symlink and its target gets the report; a FIFO, `/dev/null`, the standard
//! output and a process substitution's `/dev/fd/N` are written in place and never replaced; a
//! directory or a socket is refused with exit 2 before anything is evaluated.
#![cfg(unix)]

mod support;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::{run, stderr, vigil, TempDir};

fn demo() -> PathBuf {
    support::root().join("fixtures/snapshots/demo-org.json")
}

/// `vigil evaluate <demo> --format json --output <out>`.
fn evaluate_to(out: &Path) -> Command {
    let mut c = vigil();
    c.arg("evaluate")
        .arg(demo())
        .args(["--format", "json", "--output"])
        .arg(out);
    c
}

/// The demo has failing findings: exit 1 is a complete run.
fn assert_ran(o: &Output) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
}

/// A whole JSON report of the demo.
fn assert_report(bytes: &[u8], what: &str) {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "{what}: not a whole JSON report ({e}), {} bytes",
            bytes.len()
        )
    });
    assert_eq!(v["schema"], "vigil.report/v1", "{what}");
    assert!(
        v["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "{what}"
    );
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_regular_file_is_replaced_atomically() {
    let tmp = TempDir::new("out-regular");
    let dest = tmp.path("r.json");
    std::fs::write(&dest, "previous").unwrap();
    // A second name for the old inode: whatever vigil does, it must not write into it.
    std::fs::hard_link(&dest, tmp.path("old.json")).unwrap();
    let before = std::fs::metadata(&dest).unwrap().ino();

    let o = run(&mut evaluate_to(&dest));
    assert_ran(&o);
    assert_report(&std::fs::read(&dest).unwrap(), "r.json");
    assert_ne!(
        std::fs::metadata(&dest).unwrap().ino(),
        before,
        "replaced, not rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path("old.json")).unwrap(),
        "previous"
    );
    assert_eq!(
        names(&tmp.0),
        ["old.json", "r.json"],
        "no temporary file left"
    );
}

#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new("out-mode");
    let dest = tmp.path("r.json");
    std::fs::write(&dest, "previous").unwrap();
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_ran(&run(&mut evaluate_to(&dest)));
    let m = std::fs::metadata(&dest).unwrap();
    assert_eq!(m.permissions().mode() & 0o777, 0o600);
    assert_report(&std::fs::read(&dest).unwrap(), "r.json");
}

#[test]
fn symlinks_stay_and_their_targets_get_the_report() {
    let tmp = TempDir::new("out-symlink");
    std::fs::create_dir(tmp.path("real")).unwrap();
    let target = tmp.path("real/target.json");
    std::fs::write(&target, "stale").unwrap();
    let cases = [
        // (link name, link text, where the report must land)
        (
            "abs.json",
            target.to_str().unwrap().to_string(),
            target.clone(),
        ),
        ("rel.json", "real/target.json".to_string(), target.clone()),
        (
            "dangling.json",
            "real/new.json".to_string(),
            tmp.path("real/new.json"),
        ),
        ("chain.json", "rel.json".to_string(), target.clone()),
    ];
    for (name, text, lands) in &cases {
        let link = tmp.path(name);
        std::os::unix::fs::symlink(text, &link).unwrap();
        std::fs::write(&target, "stale").ok();
        let o = run(&mut evaluate_to(&link));
        assert_ran(&o);
        let m = std::fs::symlink_metadata(&link).unwrap();
        assert!(m.file_type().is_symlink(), "{name} is still a symlink");
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new(text),
            "{name}"
        );
        assert_report(&std::fs::read(lands).unwrap(), name);
    }
    // The relative links are resolved from their own directory, not vigil's working directory
    // (the repository root); nothing was created beside the links but the links.
    assert_eq!(
        names(&tmp.0),
        [
            "abs.json",
            "chain.json",
            "dangling.json",
            "real",
            "rel.json"
        ]
    );
    assert_eq!(names(&tmp.path("real")), ["new.json", "target.json"]);
}

#[test]
fn a_fifo_gets_the_whole_report_and_stays_a_fifo() {
    let tmp = TempDir::new("out-fifo");
    let fifo = tmp.path("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());

    // A second name for the FIFO, outside the report directory: it reaches the FIFO whatever
    // vigil does to `report.fifo` (the old vigil renamed a regular file over it).
    std::fs::create_dir(tmp.path("keep")).unwrap();
    std::fs::hard_link(&fifo, tmp.path("keep/fifo")).unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || {
        // Blocks until vigil opens the FIFO for writing; reads to its close.
        let got = std::fs::read(&reader_path);
        let _ = tx.send(());
        got
    });
    let o = run_within(&mut evaluate_to(&fifo));
    if rx.recv_timeout(Duration::from_secs(10)).is_err() {
        // vigil exited without writing into the FIFO: release the reader (it then reads
        // nothing) rather than hang.
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .open(tmp.path("keep/fifo")),
        );
    }
    let got = reader.join().unwrap().unwrap();
    assert_ran(&o);
    assert_report(&got, "the FIFO's reader");
    let m = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(m.file_type().is_fifo(), "still a FIFO");
    assert_eq!(
        names(&tmp.0),
        ["keep", "report.fifo"],
        "no temporary file left"
    );
}

#[test]
fn dev_null_stays_a_character_device() {
    let before = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(before.file_type().is_char_device());
    let o = run(&mut evaluate_to(Path::new("/dev/null")));
    let after = std::fs::symlink_metadata("/dev/null").unwrap();
    if !after.file_type().is_char_device() {
        // A vigil that renames over its output, run as root (as CI is), has just replaced the
        // machine's /dev/null with a regular file: put the device back before failing.
        let restored = Command::new("sh")
            .args([
                "-c",
                "mknod -m 666 /dev/.null.vigil-test c 1 3 && mv -f /dev/.null.vigil-test /dev/null",
            ])
            .status()
            .is_ok_and(|s| s.success());
        panic!("--output /dev/null replaced the device with a regular file (restored: {restored})");
    }
    assert_ran(&o);
    assert_eq!(
        (after.ino(), after.rdev()),
        (before.ino(), before.rdev()),
        "the same node"
    );
}

// The standard output is named `/dev/fd/1` here, not `/dev/stdout`: the same descriptor path
// to vigil, but a vigil that renames over its output cannot replace it (the rename into /proc
// fails), while as root it would replace the machine's /dev/stdout symlink with a file.

#[test]
fn the_standard_output_as_a_path_is_the_descriptor() {
    let o = run(evaluate_to(Path::new("/dev/fd/1")).stdout(Stdio::piped()));
    assert_ran(&o);
    assert_report(&o.stdout, "stdout");
}

/// Runs `c` to its end, or kills it (its process group: bash and what it started) after a
/// minute and fails, rather than hanging the test run on a pipe nobody closes.
fn run_within(c: &mut Command) -> Output {
    use std::os::unix::process::CommandExt;
    let child = c
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            panic!("still running after 60 s: killed");
        }
    }
}

/// `bash -c SCRIPT` with vigil's test environment, `$VIGIL` (the binary) and `$DEMO` (the
/// demo snapshot) set, in the repository root.
fn bash(script: &str) -> Command {
    let v = vigil();
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(script)
        .env_clear()
        .envs(
            v.get_envs()
                .filter_map(|(k, val)| val.map(|val| (k.to_owned(), val.to_owned()))),
        )
        .env("VIGIL", v.get_program())
        .env("DEMO", demo())
        .current_dir(support::root());
    c
}

#[test]
fn the_standard_output_redirected_to_a_file_is_appended_to_as_the_shell_opened_it() {
    let tmp = TempDir::new("out-append");
    let log = tmp.path("log.txt");
    std::fs::write(&log, "before\n").unwrap();
    let o = run_within(
        bash(r#""$VIGIL" evaluate "$DEMO" --format json --output /dev/fd/1 >> "$LOG""#)
            .env("LOG", &log),
    );
    assert_ran(&o);
    let text = std::fs::read(&log).unwrap();
    assert!(text.starts_with(b"before\n"), "what was there is kept");
    assert_report(&text[b"before\n".len()..], "the appended report");
    assert!(std::fs::symlink_metadata(&log).unwrap().is_file());
}

#[test]
fn process_substitution_dev_fd() {
    let tmp = TempDir::new("out-procsub");
    let got = tmp.path("got.json");
    let probe = tmp.path("path.txt");
    // `vigil ... --output >(cat > got.json)`: bash hands vigil /dev/fd/N, a pipe to cat.
    // `wait $!` waits for cat, so the file is complete when bash exits. The path bash gives a
    // process substitution is recorded to show that it really is a /dev/fd path here.
    // One line: bash 5.2 keeps a process substitution's pipe open to the end of the line in a
    // `bash -c` script, so on separate lines `wait` would wait for a cat that waits for bash.
    let o = run_within(
        bash(concat!(
            r#""$VIGIL" evaluate "$DEMO" --format json --output >(cat > "$GOT"); rc=$?; "#,
            r#"wait $!; echo >(true) > "$PROBE"; exit $rc"#
        ))
        .env("GOT", &got)
        .env("PROBE", &probe),
    );
    assert_ran(&o);
    let p = std::fs::read_to_string(&probe).unwrap();
    assert!(p.starts_with("/dev/fd/") || p.starts_with("/proc/"), "{p}");
    assert_report(
        &std::fs::read(&got).unwrap(),
        "the process substitution's reader",
    );
}

/// Exit 2 (nothing evaluated) with one error line naming the flag, the path and the problem,
/// and nothing on stdout.
fn assert_refused(o: &Output, path: &Path, problem: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    let line = err
        .lines()
        .find(|l| l.starts_with("vigil: error: "))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    for needle in ["--output", &path.display().to_string(), problem] {
        assert!(line.contains(needle), "{needle:?} not in {line:?}");
    }
    assert!(o.stdout.is_empty());
}

#[test]
fn a_directory_or_a_socket_is_refused_before_evaluating() {
    let tmp = TempDir::new("out-refused");
    let dir = tmp.path("reports");
    std::fs::create_dir(&dir).unwrap();
    let o = run(&mut evaluate_to(&dir));
    assert_refused(&o, &dir, "is a directory");
    assert!(names(&dir).is_empty(), "nothing written into the directory");

    let link = tmp.path("to-dir");
    std::os::unix::fs::symlink("reports", &link).unwrap();
    assert_refused(&run(&mut evaluate_to(&link)), &link, "is a directory");

    let sock = tmp.path("s.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    assert_refused(&run(&mut evaluate_to(&sock)), &sock, "is a socket");
    assert!(std::fs::symlink_metadata(&sock)
        .unwrap()
        .file_type()
        .is_socket());

    let closed = Path::new("/dev/fd/987");
    assert_refused(
        &run(&mut evaluate_to(closed)),
        closed,
        "not an open file descriptor",
    );
    assert_eq!(names(&tmp.0), ["reports", "s.sock", "to-dir"]);
}
