//! `--format html`, end to end: `vigil evaluate` through the real binary.
//!
//! - The demo's page is snapshotted (a change to the page is a reviewed diff).
//! - A real headless Chromium renders it: a screenshot (a non-trivial PNG of the window's
//!   size), and the DOM after the page's script ran (`--dump-dom` with a virtual time
//!   budget), whose counts must be the JSON report's: the summary, the heatmap's failing
//!   numbers, the table's matches and rows for two filters given in the address's fragment.
//!   The script only runs if the Content-Security-Policy's hash matches it, so these counts
//!   also prove the CSP lets the page's own script through.
//! - Hostile account and resource names (`<img src=x onerror=…>`, `</script><script>…`) stay
//!   text: in the file, and in the DOM Chromium builds (no `img` element, no extra script).
//!
//! Chromium is `$VIGIL_CHROMIUM`, else /usr/bin/chromium (tests/run.sh installs Debian's
//! `chromium` and sets the variable). Without it the browser checks are skipped with a
//! message, except on CI (`CI` set), where its absence is a failure.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{run, stderr, stdout, vigil, TempDir};

const DEMO: &str = "fixtures/snapshots/demo-org.json";
const HOSTILE: &str = "tests/data/snapshots/hostile-names.json";

/// `vigil evaluate <snapshot> --format <format>` on stdout, with the exit code expected.
fn evaluate(snapshot: &str, format: &str, code: i32) -> String {
    let out = run(vigil().args(["evaluate", snapshot, "--format", format]));
    assert_eq!(
        out.status.code(),
        Some(code),
        "{snapshot} --format {format}: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// The text of the element whose `id` is `id` (up to its first child or end tag).
fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let key = format!("id=\"{id}\">");
    let from = html
        .find(&key)
        .unwrap_or_else(|| panic!("no element #{id}"))
        + key.len();
    &html[from..from + html[from..].find('<').unwrap()]
}

fn count_of(html: &str, id: &str) -> u64 {
    let t = text_of(html, id);
    t.parse()
        .unwrap_or_else(|_| panic!("#{id} holds {t:?}, not a number"))
}

/// The findings table's body in a dumped DOM.
fn table_body(dom: &str) -> &str {
    let from = dom.find("<tbody id=\"rows\">").expect("findings table");
    &dom[from..from + dom[from..].find("</tbody>").unwrap()]
}

/// Rows of the findings table whose class starts with `class` (`s0` failing … `s3` muted;
/// `""` for every row).
fn rows(body: &str, class: &str) -> u64 {
    body.matches(&format!("<tr class=\"{class}")).count() as u64
}

/// Sum of the failing numbers in the heatmap's account rows (not the OU rows, which
/// aggregate them), and the number of account rows.
fn heatmap_failing(html: &str) -> (u64, usize) {
    let mut sum = 0;
    let mut rows = 0;
    for row in html.split("<tr class=\"acct").skip(1) {
        rows += 1;
        let row = &row[..row.find("</tr>").unwrap()];
        for cell in row.split("<td class=\"c ").skip(1) {
            let text = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
            if !text.is_empty() {
                sum += text.parse::<u64>().unwrap();
            }
        }
    }
    (sum, rows)
}

/// Run-specific values (tool version, times) replaced by placeholders.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
        "[timestamp]",
    );
    s.add_filter(
        &format!("vigil {}", env!("CARGO_PKG_VERSION").replace('.', r"\.")),
        "vigil [version]",
    );
    s
}

#[test]
fn html_snapshot() {
    let html = evaluate(DEMO, "html", 1);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(
        html.matches("http-equiv=\"Content-Security-Policy\"")
            .count(),
        1
    );
    settings().bind(|| insta::assert_snapshot!("html", html));
}

/// The demo's JSON report: summary and findings.
fn demo_json() -> Value {
    serde_json::from_str(&evaluate(DEMO, "json", 1)).unwrap()
}

#[test]
fn the_file_holds_the_json_reports_counts() {
    let report = demo_json();
    let html = evaluate(DEMO, "html", 1);
    let summary = &report["summary"];
    for status in ["fail", "pass", "error", "muted"] {
        assert_eq!(
            count_of(&html, &format!("count-{status}")),
            summary[status].as_u64().unwrap(),
            "{status}"
        );
    }
    for (sev, n) in summary["by_severity"].as_object().unwrap() {
        assert_eq!(count_of(&html, &format!("fail-{sev}")), n.as_u64().unwrap());
    }
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(count_of(&html, "total-count"), findings.len() as u64);
    let (failing, rows) = heatmap_failing(&html);
    assert_eq!(failing, summary["fail"].as_u64().unwrap(), "heatmap cells");
    assert_eq!(
        rows as u64,
        report["scan"]["accounts"].as_u64().unwrap()
            + report["scan"]["skipped_accounts"].as_array().unwrap().len() as u64,
        "every account has a row, skipped ones too"
    );
    // The table is the script's: before it runs, no count and no row.
    assert_eq!(text_of(&html, "match-count"), "–");
    assert!(!table_body(&html).contains("<tr"));
}

/// Headless Chromium, or None (a skip, with a message) when it is not installed; on CI its
/// absence fails the test.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("VIGIL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "{} not found: on CI the browser checks must run (tests/run.sh installs Debian's chromium and sets VIGIL_CHROMIUM)",
        path.display()
    );
    eprintln!(
        "skipped: {} not found (tests/run.sh installs chromium; or set VIGIL_CHROMIUM)",
        path.display()
    );
    None
}

/// Runs headless Chromium on `page` (a file, with an optional `#fragment`) with `args`, its
/// own fresh profile, and nothing that reaches the network; returns its stdout. Killed after
/// two minutes.
fn headless(chromium: &Path, dir: &TempDir, page: &Path, fragment: &str, args: &[&str]) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let profile = dir.path(&format!("profile-{n}"));
    let out_path = dir.path(&format!("stdout-{n}"));
    let err_path = dir.path(&format!("stderr-{n}"));
    let url = format!("file://{}{fragment}", page.display());
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", chromium.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in 2 minutes: {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(status.success(), "chromium {args:?} {url}: {status}\n{err}");
    std::fs::read_to_string(&out_path).unwrap()
}

/// The DOM after the page's script ran.
fn dump_dom(chromium: &Path, dir: &TempDir, page: &Path, fragment: &str) -> String {
    let dom = headless(
        chromium,
        dir,
        page,
        fragment,
        &["--virtual-time-budget=10000", "--dump-dom"],
    );
    assert!(
        dom.contains("id=\"vigil-data\""),
        "not the report: {dom:.300}"
    );
    dom
}

#[test]
fn chromium_renders_the_demo_with_the_json_reports_counts() {
    let Some(chromium) = chromium() else {
        return;
    };
    let report = demo_json();
    let summary = &report["summary"];
    let findings = report["findings"].as_array().unwrap();
    let dir = TempDir::new("report-html");
    let page = dir.path("demo.html");
    std::fs::write(&page, evaluate(DEMO, "html", 1)).unwrap();

    // A screenshot: a PNG of the window's size, and not a blank one (a blank 1280×1800 page
    // compresses to a few KB; the demo's is hundreds).
    let shot = dir.path("demo.png");
    headless(
        &chromium,
        &dir,
        &page,
        "",
        &[
            "--window-size=1280,1800",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 1800));
    assert!(
        png.len() > 50_000,
        "a near-empty screenshot: {} bytes",
        png.len()
    );

    // As opened: failing findings, most severe first, every one on the first page (77 < 200).
    let dom = dump_dom(&chromium, &dir, &page, "");
    let fail = summary["fail"].as_u64().unwrap();
    assert_eq!(count_of(&dom, "count-fail"), fail);
    assert_eq!(count_of(&dom, "match-count"), fail, "the script ran");
    assert_eq!(count_of(&dom, "shown-count"), fail.min(200));
    let body = table_body(&dom);
    assert_eq!(rows(body, ""), fail.min(200));
    assert_eq!(rows(body, "s0"), fail.min(200), "all failing");
    assert_eq!(
        body.matches("<td class=\"st st-fail\">fail</td>").count() as u64,
        fail.min(200)
    );
    assert!(
        body.starts_with("<tbody id=\"rows\"><tr class=\"s0\"><td class=\"sev f0\">critical</td>"),
        "{body:.200}"
    );
    // The severity filter's labels are counted by the script from the embedded findings.
    for (sev, n) in summary["by_severity"].as_object().unwrap() {
        assert!(
            dom.contains(&format!(
                "<option value=\"{sev}\">{sev} ({n} failing)</option>"
            )),
            "{sev}: {n}"
        );
        assert_eq!(count_of(&dom, &format!("fail-{sev}")), n.as_u64().unwrap());
    }
    let (failing, _) = heatmap_failing(&dom);
    assert_eq!(failing, fail);

    // Every finding (381 in the demo): the first page of 200 and a "show more" button.
    let dom = dump_dom(&chromium, &dir, &page, "#status=all");
    let total = findings.len() as u64;
    assert!(total > 200, "the demo needs more than one page: {total}");
    assert_eq!(count_of(&dom, "match-count"), total);
    assert_eq!(count_of(&dom, "shown-count"), 200);
    assert_eq!(rows(table_body(&dom), ""), 200);
    let left = total - 200;
    let label = if left > 200 {
        format!("Show 200 more ({left} not shown)")
    } else {
        format!("Show the remaining {left}")
    };
    assert!(
        dom.contains(&format!(
            "<button type=\"button\" id=\"more\">{label}</button>"
        )),
        "show more: {label}"
    );

    // Passing findings of high rules of one account: the JSON report's count.
    let account = findings[0]["account_id"].as_str().unwrap();
    let want = findings
        .iter()
        .filter(|f| f["status"] == "pass" && f["severity"] == "high" && f["account_id"] == account)
        .count() as u64;
    assert!(want > 0);
    let dom = dump_dom(
        &chromium,
        &dir,
        &page,
        &format!("#status=pass&severity=high&account={account}"),
    );
    assert_eq!(count_of(&dom, "match-count"), want);
    assert_eq!(rows(table_body(&dom), "s1"), want, "all passing");
}

#[test]
fn hostile_names_stay_text_in_the_file() {
    let html = evaluate(HOSTILE, "html", 3);
    assert!(!html.contains("<img"), "no img tag");
    assert!(!html.contains("<svg") && !html.contains("<iframe"));
    assert_eq!(
        html.matches("<script").count(),
        2,
        "the data and the script"
    );
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "account name"
    );
    assert!(
        html.contains("title=\"Root/&lt;iframe src=javascript:alert(4)&gt;\">"),
        "OU path"
    );
    assert!(html.contains("owner=&lt;svg onload=alert(2)&gt;"), "tags");
    assert!(
        html.contains("&lt;img src=x onerror=alert(3)&gt; is not authorized"),
        "error message"
    );
    assert!(
        html.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"),
        "resource id in the data"
    );
    assert!(
        html.contains("<strong>Partial run:</strong> 1 scope could not be assessed"),
        "partial-run notice"
    );
}

#[test]
fn hostile_names_stay_text_in_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let report: Value = serde_json::from_str(&evaluate(HOSTILE, "json", 3)).unwrap();
    let total = report["findings"].as_array().unwrap().len() as u64;
    let dir = TempDir::new("report-html-hostile");
    let page = dir.path("hostile.html");
    std::fs::write(&page, evaluate(HOSTILE, "html", 3)).unwrap();
    let dom = dump_dom(&chromium, &dir, &page, "#status=all");
    // The script ran and built every row (so no name stopped it), and nothing became markup.
    assert_eq!(count_of(&dom, "match-count"), total);
    let body = table_body(&dom);
    assert_eq!(rows(body, ""), total);
    assert!(!dom.contains("<img") && !dom.contains("<svg") && !dom.contains("<iframe"));
    assert_eq!(dom.matches("<script").count(), 2, "no extra script");
    let resource = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
    assert!(
        body.contains(&format!(
            "<td class=\"res\" title=\"AWS::DynamoDB::Table\">{resource}</td>"
        )),
        "{body:.600}"
    );
    assert!(body.contains("&lt;img src=x onerror=alert(1)&gt; (111122223333)"));
    assert!(body.contains("&lt;img src=x onerror=alert(3)&gt; is not authorized"));
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;<span class=\"id\">111122223333</span>")
    );
}
