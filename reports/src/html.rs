//! `--format html`: one self-contained HTML page, the posture of the organization at a glance.
//!
//! The page has three parts:
//! - a summary: failing findings per severity, passing/error/muted counts, the comparison with
//!   a baseline, and, when the run is partial, the scopes that were not assessed;
//! - a heatmap of the organization: the OU tree (from `Account::ou_path`) with its accounts as
//!   rows and services as columns; each cell is coloured by the worst failing severity of that
//!   account's findings of that service, green when assessed and nothing fails, grey (hatched)
//!   when not assessed ([`Cell::state`]). OU rows aggregate their accounts ([`OuCell`]);
//! - a findings table, filterable by status, severity, rule, service, account and text, built
//!   by the page's script from the findings embedded as JSON, 200 rows at a time.
//!
//! Self-contained: no request leaves the page. The CSS and the script are inline, and a
//! Content-Security-Policy `<meta>` allows exactly them by hash (`'sha256-…'` of their bytes),
//! nothing else (no other script, no inline event handler, no style attribute, no fetch);
//! images only as `data:` URIs. The summary and the heatmap are plain HTML (readable without
//! JavaScript); the table needs the script.
//!
//! Every account-controlled string (account and OU names, tags, resource ids, messages, error
//! texts) is escaped: in HTML text and attributes by [`escape`] (control and bidi characters
//! made visible by [`crate::text::printable`], then `& < > " '` as entities); in the embedded
//! JSON by [`script_json`] (`<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes, so that no
//! `</script>` or `<!--` can end or change the data block), and the script only ever writes
//! them with `textContent` or as attribute values, never as markup.
//!
//! Size for a large organization: findings are embedded as arrays of small indices into
//! tables of rules, accounts, regions and resource types; the heatmap starts with its OUs
//! folded below the first level when there are more than [`HtmlReporter::fold_over`] accounts.

use crate::text::printable;
use crate::{Reporter, ScanResult};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use vigil_model::{
    service_of_resource_type, Account, AccountStatus, Change, ServiceScope, Severity, Status,
};

/// The HTML report.
pub struct HtmlReporter {
    /// Rows the findings table shows at first and adds per "show more".
    pub page_size: usize,
    /// With more accounts than this, the heatmap starts with OUs below the first level folded.
    pub fold_over: usize,
    /// Error records listed in the partial-run notice (the rest are counted).
    pub max_errors_listed: usize,
}

impl Default for HtmlReporter {
    fn default() -> Self {
        HtmlReporter {
            page_size: 200,
            fold_over: 100,
            max_errors_listed: 100,
        }
    }
}

/// `s` as HTML text or a quoted attribute value that shows as itself: controls and bidi
/// characters made visible ([`printable`]), then `&`, `<`, `>`, `"` and `'` as entities.
pub fn escape(s: &str) -> String {
    let s = printable(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` as JSON that is safe as the text of a `<script type="application/json">` element:
/// `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026` (no `</script>`, `<!--` or `<script`
/// can appear), and U+2028 / U+2029 as `\u2028` / `\u2029`. These characters only occur
/// inside JSON strings, where the escapes mean the same characters.
pub fn script_json(value: &Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), for the CSP hashes.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A CSP hash source (`'sha256-…'`) for an inline element whose text is `text`.
pub fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// The Content-Security-Policy of the page: nothing but the page's own style and script.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// The service of a resource type: vigil's own name for the types it collects
/// (`AWS::Lambda::Function` → `lambda`), else the type's service segment in lower case.
pub fn service_of(resource_type: &str) -> String {
    service_of_resource_type(resource_type)
        .map(str::to_string)
        .unwrap_or_else(|| {
            resource_type
                .split("::")
                .nth(1)
                .unwrap_or(resource_type)
                .to_ascii_lowercase()
        })
}

/// Index of a severity in [`Severity::ALL_DESC`] (0 = critical), as the page encodes it.
fn sev_index(s: Severity) -> usize {
    Severity::ALL_DESC.iter().position(|&x| x == s).unwrap_or(4)
}

/// What one account's findings of one service say (a heatmap cell).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// Failing findings per severity, most severe first (as [`Severity::ALL_DESC`]).
    pub fail: [u64; 5],
    pub pass: u64,
    pub muted: u64,
    /// `error` findings: scopes or resources a rule could not judge.
    pub error: u64,
    /// Why (part of) this scope was not assessed: error records covering it, a skipped
    /// account. At most [`Cell::MAX_GAPS`] are kept, `gap_count` counts them all.
    pub gaps: Vec<String>,
    pub gap_count: u64,
}

/// What a heatmap cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Something fails: the worst failing severity.
    Fail(Severity),
    /// Nothing fails, but (part of) the scope was not assessed: unknown, not passing.
    NotAssessed,
    /// Assessed, and every finding passes (or is muted).
    Pass,
    /// Assessed, and there was nothing to evaluate.
    Empty,
}

impl Cell {
    /// Gap reasons kept per cell (for its tooltip).
    pub const MAX_GAPS: usize = 3;

    fn gap(&mut self, reason: String) {
        if self.gaps.len() < Self::MAX_GAPS && !self.gaps.contains(&reason) {
            self.gaps.push(reason);
        }
        self.gap_count += 1;
    }

    /// Failing findings.
    pub fn failing(&self) -> u64 {
        self.fail.iter().sum()
    }

    /// A known failure wins (it is a fact whatever else was not assessed); otherwise any gap
    /// or `error` finding makes the cell not assessed, since "nothing fails" would be a claim
    /// about resources nobody looked at.
    pub fn state(&self) -> CellState {
        if let Some(i) = self.fail.iter().position(|&n| n > 0) {
            CellState::Fail(Severity::ALL_DESC[i])
        } else if self.gap_count > 0 || self.error > 0 {
            CellState::NotAssessed
        } else if self.pass + self.muted > 0 {
            CellState::Pass
        } else {
            CellState::Empty
        }
    }

    /// A failing cell whose scope was also partly not assessed.
    pub fn partial(&self) -> bool {
        matches!(self.state(), CellState::Fail(_)) && (self.gap_count > 0 || self.error > 0)
    }

    /// The cell's tooltip: its counts and what was not assessed.
    fn title(&self, service: &str) -> String {
        let mut t = format!("{service}: ");
        let failing = self.failing();
        if failing > 0 {
            let by: Vec<String> = Severity::ALL_DESC
                .iter()
                .zip(self.fail)
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| format!("{n} {s}"))
                .collect();
            let _ = write!(t, "{failing} failing ({}), ", by.join(", "));
        }
        let _ = write!(t, "{} passing", self.pass);
        if self.muted > 0 {
            let _ = write!(t, ", {} muted", self.muted);
        }
        if self.error > 0 {
            let _ = write!(t, ", {} not judged (error)", self.error);
        }
        if self.gap_count > 0 {
            let _ = write!(t, "; not assessed: {}", self.gaps.join("; "));
            let more = self.gap_count.saturating_sub(self.gaps.len() as u64);
            if more > 0 {
                let _ = write!(t, " and {more} more");
            }
        } else if failing + self.pass + self.muted + self.error == 0 {
            t.push_str(" (nothing to evaluate)");
        }
        t
    }
}

/// An OU's cell for one service: its accounts' cells, counted by state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OuCell {
    /// The worst failing severity of any account.
    pub worst: Option<Severity>,
    /// Failing findings of all its accounts.
    pub failing: u64,
    /// Accounts whose cell fails, is not assessed, passes, is empty.
    pub failing_accounts: u64,
    pub not_assessed_accounts: u64,
    pub passing_accounts: u64,
    pub empty_accounts: u64,
}

impl OuCell {
    fn add(&mut self, c: &Cell) {
        self.failing += c.failing();
        match c.state() {
            CellState::Fail(s) => {
                self.worst = self.worst.max(Some(s));
                self.failing_accounts += 1;
            }
            CellState::NotAssessed => self.not_assessed_accounts += 1,
            CellState::Pass => self.passing_accounts += 1,
            CellState::Empty => self.empty_accounts += 1,
        }
    }

    /// Like [`Cell::state`]: a failure anywhere below wins, then any account not assessed.
    pub fn state(&self) -> CellState {
        if let Some(s) = self.worst {
            CellState::Fail(s)
        } else if self.not_assessed_accounts > 0 {
            CellState::NotAssessed
        } else if self.passing_accounts > 0 {
            CellState::Pass
        } else {
            CellState::Empty
        }
    }

    fn title(&self, ou: &str, service: &str) -> String {
        let mut parts = Vec::new();
        if self.failing_accounts > 0 {
            parts.push(format!(
                "{} failing ({} findings, worst {})",
                self.failing_accounts,
                self.failing,
                self.worst.map(Severity::as_str).unwrap_or("")
            ));
        }
        for (n, what) in [
            (self.not_assessed_accounts, "not assessed"),
            (self.passing_accounts, "passing"),
            (self.empty_accounts, "with nothing to evaluate"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        format!("{ou} · {service}: accounts {}", parts.join(", "))
    }
}

/// One heatmap row: an account and its cells (one per column of [`Heatmap::services`]).
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub account: Account,
    /// Found but not scanned (suspended, closing): every cell is not assessed.
    pub skipped: bool,
    pub cells: Vec<Cell>,
}

/// The organization as a grid: accounts × services.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// Columns: the services of the run, then any other service a finding or error names.
    pub services: Vec<String>,
    /// Rows: the scanned accounts, the skipped ones, then any account only a finding names.
    pub rows: Vec<AccountRow>,
}

impl Heatmap {
    /// Counts every finding into its account × service cell and marks what was not
    /// assessed: skipped accounts, scope errors (an account-wide one covers every service),
    /// and per-resource errors (that resource was not fully read).
    pub fn build(result: &ScanResult) -> Heatmap {
        let mut services: Vec<String> = result.services.clone();
        let mut extra: Vec<String> = result
            .findings
            .iter()
            .map(|f| service_of(&f.resource_type))
            .chain(
                result
                    .errors
                    .iter()
                    .filter(|e| !e.is_account_wide() && is_cell_error(e))
                    .map(|e| e.service.clone()),
            )
            .filter(|s| !services.contains(s))
            .collect();
        extra.sort();
        extra.dedup();
        services.extend(extra);

        let mut rows: Vec<AccountRow> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let blank = vec![Cell::default(); services.len()];
        for (a, skipped) in result
            .accounts
            .iter()
            .map(|a| (a, false))
            .chain(result.skipped_accounts.iter().map(|a| (a, true)))
        {
            if index.contains_key(&a.id) {
                continue;
            }
            index.insert(a.id.clone(), rows.len());
            rows.push(AccountRow {
                account: a.clone(),
                skipped,
                cells: blank.clone(),
            });
        }
        let column: HashMap<&str, usize> = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        for f in &result.findings {
            let row = *index.entry(f.account_id.to_string()).or_insert_with(|| {
                rows.push(AccountRow {
                    account: Account {
                        id: f.account_id.to_string(),
                        name: f.account_name.to_string(),
                        email: String::new(),
                        ou_path: String::new(),
                        tags: Default::default(),
                        status: AccountStatus::Active,
                    },
                    skipped: false,
                    cells: blank.clone(),
                });
                rows.len() - 1
            });
            let cell = &mut rows[row].cells[column[service_of(&f.resource_type).as_str()]];
            match f.status {
                Status::Fail => cell.fail[sev_index(f.severity)] += 1,
                Status::Pass => cell.pass += 1,
                Status::Muted => cell.muted += 1,
                Status::Error => cell.error += 1,
            }
        }
        for r in rows.iter_mut().filter(|r| r.skipped) {
            let reason = format!("account skipped ({})", status_name(r.account.status));
            for c in &mut r.cells {
                c.gap(reason.clone());
            }
        }
        for e in result.errors.iter().filter(|e| is_cell_error(e)) {
            let Some(&row) = index.get(&e.account_id) else {
                continue;
            };
            let reason = match &e.resource {
                Some(res) => format!("{} in {}: {} ({})", res, e.region, e.code, e.operation),
                None => format!("{}: {} ({})", e.region, e.code, e.operation),
            };
            let cells = &mut rows[row].cells;
            if e.is_account_wide() {
                for c in cells.iter_mut() {
                    c.gap(reason.clone());
                }
            } else if let Some(&i) = column.get(e.service.as_str()) {
                cells[i].gap(reason);
            }
        }
        Heatmap { services, rows }
    }
}

/// An error record that says something about one account's cells: a scope error or one
/// resource's, not an error of the organization walk (listed in the summary only).
fn is_cell_error(e: &vigil_model::ScanError) -> bool {
    e.service != ServiceScope::Organization.as_str() || e.resource.is_some()
}

fn status_name(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "ACTIVE",
        AccountStatus::Suspended => "SUSPENDED",
        AccountStatus::PendingClosure => "PENDING_CLOSURE",
    }
}

/// A cell's failing count, short enough for a heatmap cell (`1.2k`, `12k`); empty for 0.
fn cell_count(n: u64) -> String {
    match n {
        0 => String::new(),
        1..=999 => n.to_string(),
        1_000..=9_999 => format!("{}.{}k", n / 1000, n % 1000 / 100),
        _ => format!("{}k", n / 1000),
    }
}

/// The CSS class of a cell state: `f0`…`f4` failing (critical…info), `na`, `ok`, `nil`.
fn state_class(s: CellState) -> String {
    match s {
        CellState::Fail(sev) => format!("f{}", sev_index(sev)),
        CellState::NotAssessed => "na".into(),
        CellState::Pass => "ok".into(),
        CellState::Empty => "nil".into(),
    }
}

/// A node of the OU tree: its name, child OUs by name, accounts (heatmap row indices), and
/// the aggregate of every account below it per service.
struct OuNode {
    name: String,
    path: String,
    depth: usize,
    children: BTreeMap<String, usize>,
    accounts: Vec<usize>,
    cells: Vec<OuCell>,
    total_accounts: usize,
}

/// The OU tree of the heatmap's accounts: node 0 is an unnamed top above the paths' first
/// segments (usually just `Root`). An account without an OU path sits in `(no OU path)`.
fn ou_tree(map: &Heatmap) -> Vec<OuNode> {
    let node = |name: &str, path: String, depth: usize| OuNode {
        name: name.to_string(),
        path,
        depth,
        children: BTreeMap::new(),
        accounts: Vec::new(),
        cells: vec![OuCell::default(); map.services.len()],
        total_accounts: 0,
    };
    let mut nodes = vec![node("", String::new(), 0)];
    for (i, row) in map.rows.iter().enumerate() {
        let path = if row.account.ou_path.is_empty() {
            "(no OU path)"
        } else {
            row.account.ou_path.as_str()
        };
        let mut at = 0;
        for seg in path.split('/') {
            let next = match nodes[at].children.get(seg) {
                Some(&n) => n,
                None => {
                    let p = if nodes[at].path.is_empty() {
                        seg.to_string()
                    } else {
                        format!("{}/{seg}", nodes[at].path)
                    };
                    let n = nodes.len();
                    let depth = nodes[at].depth + 1;
                    nodes.push(node(seg, p, depth));
                    nodes[at].children.insert(seg.to_string(), n);
                    n
                }
            };
            at = next;
            nodes[at].total_accounts += 1;
            for (agg, c) in nodes[at].cells.iter_mut().zip(&row.cells) {
                agg.add(c);
            }
        }
        nodes[at].accounts.push(i);
    }
    for n in &mut nodes {
        let rows = &map.rows;
        n.accounts.sort_by(|&a, &b| {
            (&rows[a].account.name, &rows[a].account.id)
                .cmp(&(&rows[b].account.name, &rows[b].account.id))
        });
    }
    nodes
}

fn tags_text(a: &Account) -> String {
    a.tags
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl HtmlReporter {
    /// Error records shown unfolded (more are folded under their counts).
    const OPEN_ERRORS: usize = 10;
    /// Skipped accounts named in the summary (the heatmap has them all).
    const SKIPPED_LISTED: usize = 10;

    /// The page as a string.
    pub fn render(&self, result: &ScanResult) -> String {
        let map = Heatmap::build(result);
        let mut s = String::with_capacity(64 * 1024 + result.findings.len() * 96);
        let title = format!("vigil report: {}", result.org.id);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"vigil {}\">\n\
             <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            content_security_policy(),
            escape(&result.tool_version),
            escape(&title),
        );
        self.header(result, &mut s);
        s.push_str("<main>\n");
        self.summary(result, &mut s);
        self.heatmap(&map, &mut s);
        self.findings(result, &map, &mut s);
        s.push_str("</main>\n<script type=\"application/json\" id=\"vigil-data\">");
        s.push_str(&script_json(&self.data(result, &map)));
        let _ = write!(
            s,
            "</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
        );
        s
    }

    fn header(&self, result: &ScanResult, s: &mut String) {
        let skipped = if result.skipped_accounts.is_empty() {
            String::new()
        } else {
            format!(", {} not scanned", result.skipped_accounts.len())
        };
        // A snapshot from an older vigil may carry no times.
        let when = if result.started_at.is_empty() && result.finished_at.is_empty() {
            String::new()
        } else {
            format!(
                " · scanned {} – {}",
                escape(&result.started_at),
                escape(&result.finished_at)
            )
        };
        let _ = writeln!(
            s,
            "<header>\n<h1>vigil compliance report</h1>\n<p class=\"meta\">Organization <code>{}</code> · \
             {} account{}{skipped} · {} region{} · {} resources{when} · vigil {}</p>\n</header>",
            escape(&result.org.id),
            result.accounts.len(),
            if result.accounts.len() == 1 { "" } else { "s" },
            result.regions.len(),
            if result.regions.len() == 1 { "" } else { "s" },
            result.resources,
            escape(&result.tool_version),
        );
    }

    fn summary(&self, result: &ScanResult, s: &mut String) {
        let summary = result.summary();
        s.push_str(
            "<section id=\"summary\" aria-labelledby=\"h-summary\">\n<h2 id=\"h-summary\">Summary</h2>\n<div class=\"cards\">\n",
        );
        for (i, sev) in Severity::ALL_DESC.iter().enumerate() {
            let n = summary.by_severity.get(sev.as_str()).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "<div class=\"card f{i}{}\"><span class=\"n\" id=\"fail-{sev}\">{n}</span><span class=\"l\">{sev}</span></div>",
                if n == 0 { " zero" } else { "" }
            );
        }
        let _ = writeln!(
            s,
            "</div>\n<dl class=\"statuses\">\n<div><dt>failing</dt><dd id=\"count-fail\">{}</dd></div>\n\
             <div><dt>passing</dt><dd id=\"count-pass\">{}</dd></div>\n\
             <div><dt>error</dt><dd id=\"count-error\">{}</dd></div>\n\
             <div><dt>muted</dt><dd id=\"count-muted\">{}</dd></div>\n</dl>",
            summary.fail, summary.pass, summary.error, summary.muted
        );
        if let (Some(c), Some(file)) = (&summary.changes, &result.baseline) {
            let _ = writeln!(
                s,
                "<p class=\"baseline\">Against the baseline <code>{}</code>: <strong>{} new</strong>, {} unchanged, {} resolved.</p>",
                escape(file),
                c.new,
                c.unchanged,
                c.resolved
            );
        }
        if result.is_partial() {
            self.partial_notice(result, summary.error, s);
        }
        if !result.skipped_accounts.is_empty() {
            let names: Vec<String> = result
                .skipped_accounts
                .iter()
                .take(Self::SKIPPED_LISTED)
                .map(|a| {
                    format!(
                        "{} ({}, {})",
                        escape(&a.name),
                        escape(&a.id),
                        status_name(a.status)
                    )
                })
                .collect();
            let more = result
                .skipped_accounts
                .len()
                .saturating_sub(Self::SKIPPED_LISTED);
            let _ = writeln!(
                s,
                "<p class=\"skipped\">Not scanned (found, not active): {}{}.</p>",
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        if !result.warnings.is_empty() {
            s.push_str("<ul class=\"warnings\">\n");
            for w in &result.warnings {
                let _ = writeln!(s, "<li>{}</li>", escape(w));
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</section>\n");
    }

    /// What was not assessed: the error records (the first [`Self::max_errors_listed`]), and
    /// how many rules could not judge their resource.
    fn partial_notice(&self, result: &ScanResult, error_findings: u64, s: &mut String) {
        let n = result.errors.len();
        let _ = writeln!(
            s,
            "<div class=\"notice\" id=\"partial\" role=\"note\">\n<p><strong>Partial run:</strong> \
             {n} scope{} could not be assessed; {error_findings} finding{} with status error. \
             Their findings are unknown, not passing.</p>",
            if n == 1 { "" } else { "s" },
            if error_findings == 1 { "" } else { "s" },
        );
        if n > 0 {
            // A large organization can have hundreds: a line by service and code, and the
            // records themselves folded away unless there are few.
            let mut by: BTreeMap<(&str, &str), u64> = BTreeMap::new();
            for e in &result.errors {
                *by.entry((e.service.as_str(), e.code.as_str())).or_default() += 1;
            }
            let mut by: Vec<_> = by.into_iter().collect();
            by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let _ = writeln!(
                s,
                "<details{}><summary>Error records by service and code: {}</summary>",
                if n <= Self::OPEN_ERRORS { " open" } else { "" },
                by.iter()
                    .map(|((svc, code), k)| format!("{} {} × {k}", escape(svc), escape(code)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            s.push_str(
                "<table class=\"errors\"><thead><tr><th>account</th><th>region</th><th>service</th><th>resource</th>\
                 <th>operation</th><th>code</th><th>message</th></tr></thead>\n<tbody>\n",
            );
            let names: HashMap<&str, &str> = result
                .accounts
                .iter()
                .chain(&result.skipped_accounts)
                .map(|a| (a.id.as_str(), a.name.as_str()))
                .collect();
            for e in result.errors.iter().take(self.max_errors_listed) {
                let account = match names.get(e.account_id.as_str()) {
                    Some(name) if !name.is_empty() => {
                        format!("{} ({})", escape(name), escape(&e.account_id))
                    }
                    _ => escape(&e.account_id),
                };
                let _ = writeln!(
                    s,
                    "<tr><td>{account}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&e.region),
                    escape(&e.service),
                    escape(e.resource.as_deref().unwrap_or("")),
                    escape(&e.operation),
                    escape(&e.code),
                    escape(&e.message),
                );
            }
            s.push_str("</tbody></table>\n");
            if n > self.max_errors_listed {
                let _ = writeln!(
                    s,
                    "<p>… and {} more error records (every one is in the JSON report).</p>",
                    n - self.max_errors_listed
                );
            }
            s.push_str("</details>\n");
        }
        s.push_str("</div>\n");
    }

    fn heatmap(&self, map: &Heatmap, s: &mut String) {
        s.push_str(
            "<section id=\"heatmap\" aria-labelledby=\"h-heatmap\">\n<h2 id=\"h-heatmap\">Organization heatmap</h2>\n\
             <p class=\"legend\">Accounts by OU (rows) × services (columns); a cell shows the worst failing severity \
             and the number of failing findings: \
             <span class=\"c f0\"></span>critical <span class=\"c f1\"></span>high <span class=\"c f2\"></span>medium \
             <span class=\"c f3\"></span>low <span class=\"c f4\"></span>info \
             <span class=\"c ok\"></span>assessed, nothing fails <span class=\"c nil\"></span>nothing to evaluate \
             <span class=\"c na\"></span>not assessed. An OU row aggregates its accounts. \
             Hover a cell for its counts; click an OU to fold it, a cell to list its findings.</p>\n\
             <p class=\"tools\" hidden><button type=\"button\" id=\"hm-expand\">Unfold all</button> \
             <button type=\"button\" id=\"hm-collapse\">Fold all</button></p>\n\
             <div class=\"hm-wrap\"><table class=\"hm\" id=\"hm\">\n<thead><tr><th class=\"corner\">OU / account</th>",
        );
        for svc in &map.services {
            let _ = write!(s, "<th class=\"svc\"><span>{}</span></th>", escape(svc));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        let nodes = ou_tree(map);
        let mut anc: Vec<usize> = Vec::new();
        for &child in nodes[0].children.values() {
            self.heatmap_node(map, &nodes, child, &mut anc, s);
        }
        let _ = writeln!(
            s,
            "</tbody></table></div>\n<p class=\"hm-foot\">{} account rows, {} services.</p>\n</section>",
            map.rows.len(),
            map.services.len()
        );
    }

    /// One OU row, then its child OUs, then its accounts (depth first, as the console lists
    /// them). `anc` holds the node ids above, which the script uses to fold.
    fn heatmap_node(
        &self,
        map: &Heatmap,
        nodes: &[OuNode],
        n: usize,
        anc: &mut Vec<usize>,
        s: &mut String,
    ) {
        let node = &nodes[n];
        let depth = node.depth.min(8);
        let anc_attr = anc
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            s,
            "<tr class=\"ou\" data-node=\"{n}\" data-depth=\"{}\" data-anc=\"{anc_attr}\"><th class=\"d{depth}\" title=\"{}\">\
             <button type=\"button\" aria-expanded=\"true\">{}</button> <span class=\"cnt\">{}</span></th>",
            node.depth,
            escape(&node.path),
            escape(&node.name),
            node.total_accounts,
        );
        for (svc, c) in map.services.iter().zip(&node.cells) {
            let _ = write!(
                s,
                "<td class=\"c {}\" title=\"{}\">{}</td>",
                state_class(c.state()),
                escape(&c.title(&node.path, svc)),
                cell_count(c.failing)
            );
        }
        s.push_str("</tr>\n");
        anc.push(n);
        for &child in node.children.values() {
            self.heatmap_node(map, nodes, child, anc, s);
        }
        let anc_attr = anc
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let depth = (node.depth + 1).min(8);
        for &r in &node.accounts {
            let row = &map.rows[r];
            let a = &row.account;
            let mut tip = format!("{} · {}", a.id, node.path);
            if !a.email.is_empty() {
                let _ = write!(tip, " · {}", a.email);
            }
            if row.skipped {
                let _ = write!(tip, " · not scanned ({})", status_name(a.status));
            }
            let tags = tags_text(a);
            if !tags.is_empty() {
                let _ = write!(tip, " · tags: {tags}");
            }
            let _ = write!(
                s,
                "<tr class=\"acct{}\" data-a=\"{r}\" data-anc=\"{anc_attr}\"><th class=\"d{depth}\" title=\"{}\">{}<span class=\"id\">{}</span></th>",
                if row.skipped { " skipped" } else { "" },
                escape(&tip),
                escape(if a.name.is_empty() { &a.id } else { &a.name }),
                escape(&a.id),
            );
            for (svc, c) in map.services.iter().zip(&row.cells) {
                let _ = write!(
                    s,
                    "<td class=\"c {}{}\" title=\"{}\">{}</td>",
                    state_class(c.state()),
                    if c.partial() { " part" } else { "" },
                    escape(&c.title(svc)),
                    cell_count(c.failing())
                );
            }
            s.push_str("</tr>\n");
        }
        anc.pop();
    }

    fn findings(&self, result: &ScanResult, map: &Heatmap, s: &mut String) {
        s.push_str(
            "<section id=\"findings\" aria-labelledby=\"h-findings\">\n<h2 id=\"h-findings\">Findings</h2>\n\
             <form id=\"filters\" class=\"filters\">\n\
             <label>Status <select id=\"f-status\"><option value=\"fail\">failing</option><option value=\"error\">error</option>\
             <option value=\"muted\">muted</option><option value=\"pass\">passing</option><option value=\"all\">all</option></select></label>\n\
             <label>Severity <select id=\"f-severity\"><option value=\"all\">all</option>",
        );
        for sev in Severity::ALL_DESC {
            let _ = write!(s, "<option value=\"{sev}\">{sev}</option>");
        }
        s.push_str(
            "</select></label>\n<label>Rule <select id=\"f-rule\"><option value=\"all\">all rules</option>",
        );
        for (i, r) in result.rules.iter().enumerate() {
            let _ = write!(
                s,
                "<option value=\"{i}\">{} · {}</option>",
                escape(&r.id),
                escape(&r.title)
            );
        }
        s.push_str("</select></label>\n<label>Service <select id=\"f-service\"><option value=\"all\">all</option>");
        for svc in &map.services {
            let _ = write!(s, "<option value=\"{0}\">{0}</option>", escape(svc));
        }
        s.push_str(
            "</select></label>\n<label>Account <input id=\"f-account\" type=\"search\" list=\"accounts-list\" \
             placeholder=\"id or name\" autocomplete=\"off\"></label>\n\
             <label>Text <input id=\"f-text\" type=\"search\" placeholder=\"resource or message\" autocomplete=\"off\"></label>\n\
             <button type=\"reset\" id=\"f-reset\">Reset</button>\n</form>\n<datalist id=\"accounts-list\">",
        );
        for row in &map.rows {
            let _ = write!(
                s,
                "<option value=\"{}\">{}</option>",
                escape(&row.account.id),
                escape(&row.account.name)
            );
        }
        let _ = writeln!(
            s,
            "</datalist>\n<p class=\"count\" aria-live=\"polite\">Showing <span id=\"shown-count\">–</span> of \
             <span id=\"match-count\">–</span> matching findings (<span id=\"total-count\">{}</span> in all).</p>\n\
             <noscript><p class=\"notice\">The findings table is built by the page's script: enable JavaScript \
             to see it. The summary and the heatmap above need none; every finding is also in the JSON, CSV \
             and SARIF reports.</p></noscript>\n\
             <table class=\"findings\"><thead><tr><th>severity</th><th>status</th><th>rule</th><th>account</th>\
             <th>region</th><th>resource</th><th>message</th></tr></thead>\n<tbody id=\"rows\"></tbody></table>\n\
             <p><button type=\"button\" id=\"more\" hidden>Show more</button></p>\n</section>",
            result.findings.len()
        );
    }

    /// The findings and the tables their indices point into, for the script:
    /// - `accounts[i]` = `[id, name, OU path]`, in heatmap row order;
    /// - `rules[i]` = `[id, title, remediation]`; `regions[i]`; `types[i]` = `[type, service]`;
    /// - `resources[i]` = `[account, region, type, resource id]` (a resource has a finding
    ///   per rule: written once);
    /// - `findings[i]` = `[severity (0 = critical … 4 = info), status (0 fail, 1 pass,
    ///   2 error, 3 muted), rule, resource, message, change (0 none, 1 new, 2 unchanged,
    ///   3 resolved), suppression reason]`, trailing empty values left out (a passing
    ///   finding is four numbers).
    fn data(&self, result: &ScanResult, map: &Heatmap) -> Value {
        let text = |s: &str| printable(s).into_owned();
        let mut accounts: Vec<Value> = Vec::new();
        let mut account_index: HashMap<&str, usize> = HashMap::new();
        for row in &map.rows {
            let a = &row.account;
            account_index.insert(a.id.as_str(), accounts.len());
            accounts.push(json!([text(&a.id), text(&a.name), text(&a.ou_path)]));
        }
        let mut rules: Vec<Value> = Vec::new();
        let mut rule_index: HashMap<&str, usize> = HashMap::new();
        for r in &result.rules {
            rule_index.insert(r.id.as_str(), rules.len());
            rules.push(json!([text(&r.id), text(&r.title), text(&r.remediation)]));
        }
        let mut regions: Vec<String> = Vec::new();
        let mut region_index: HashMap<&str, usize> = HashMap::new();
        let mut types: Vec<Value> = Vec::new();
        let mut type_index: HashMap<&str, usize> = HashMap::new();
        let mut resources: Vec<Value> = Vec::new();
        let mut resource_index: HashMap<(&str, &str, &str, &str), usize> = HashMap::new();
        let mut findings = Vec::with_capacity(result.findings.len());
        for f in &result.findings {
            // A finding of a rule the registry does not list (none today) still shows.
            let rule = *rule_index.entry(f.rule_id.as_str()).or_insert_with(|| {
                rules.push(json!([
                    text(&f.rule_id),
                    text(&f.title),
                    text(&f.remediation)
                ]));
                rules.len() - 1
            });
            let key = (
                f.account_id.as_str(),
                f.region.as_str(),
                f.resource_type.as_str(),
                f.resource_id.as_str(),
            );
            let resource = match resource_index.get(&key) {
                Some(&i) => i,
                None => {
                    let region = *region_index.entry(key.1).or_insert_with(|| {
                        regions.push(text(key.1));
                        regions.len() - 1
                    });
                    let ty = *type_index.entry(key.2).or_insert_with(|| {
                        types.push(json!([text(key.2), service_of(key.2)]));
                        types.len() - 1
                    });
                    resources.push(json!([account_index[key.0], region, ty, text(key.3)]));
                    resource_index.insert(key, resources.len() - 1);
                    resources.len() - 1
                }
            };
            let status = match f.status {
                Status::Fail => 0,
                Status::Pass => 1,
                Status::Error => 2,
                Status::Muted => 3,
            };
            let change = match f.change {
                None => 0,
                Some(Change::New) => 1,
                Some(Change::Unchanged) => 2,
                Some(Change::Resolved) => 3,
            };
            let mut row = vec![
                json!(sev_index(f.severity)),
                json!(status),
                json!(rule),
                json!(resource),
                json!(text(&f.message)),
                json!(change),
            ];
            match &f.suppression {
                Some(note) => row.push(json!(text(&note.reason))),
                None => {
                    // Leave out trailing defaults: no change, then no message.
                    if change == 0 {
                        row.pop();
                        if f.message.is_empty() {
                            row.pop();
                        }
                    }
                }
            }
            findings.push(Value::Array(row));
        }
        json!({
            "page": self.page_size,
            "fold": map.rows.len() > self.fold_over,
            "services": map.services,
            "accounts": accounts,
            "rules": rules,
            "regions": regions,
            "types": types,
            "resources": resources,
            "findings": findings,
        })
    }
}

impl Reporter for HtmlReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.render(result).as_bytes())
    }
}

/// The page's style sheet (allowed by its hash in the CSP: no `style` attribute anywhere).
const STYLE: &str = r#"
:root{--f0:#b91c1c;--f1:#ea580c;--f2:#eab308;--f3:#2563eb;--f4:#93c5fd;--ok:#16a34a;--na:#9ca3af;--line:#e5e7eb;--muted:#6b7280}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f9fafb}
header{padding:16px 24px;background:#111827;color:#f9fafb}
header h1{margin:0;font-size:20px}
header .meta{margin:4px 0 0;color:#d1d5db}
header code{color:#fff}
main{padding:8px 24px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:16px 0}
h2{font-size:17px;margin:4px 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{min-width:110px;padding:8px 12px;border-radius:6px;color:#fff;display:flex;flex-direction:column}
.card .n{font-size:26px;font-weight:700}
.card.zero{opacity:.45}
.card.f2,.card.f4{color:#111827}
.f0{background:var(--f0)}.f1{background:var(--f1)}.f2{background:var(--f2)}.f3{background:var(--f3)}.f4{background:var(--f4)}
.ok{background:var(--ok)}.nil{background:#fff;box-shadow:inset 0 0 0 1px #d1d5db}
.na{background:repeating-linear-gradient(135deg,#d1d5db 0 3px,#9ca3af 3px 5px)}
.statuses{display:flex;gap:24px;margin:12px 0 4px}
.statuses div{display:flex;gap:6px;align-items:baseline}
.statuses dt{color:var(--muted)}.statuses dd{margin:0;font-weight:700;font-size:18px}
.notice{border-left:4px solid var(--f1);background:#fff7ed;padding:8px 12px;margin:12px 0;overflow-x:auto}
.notice p{margin:4px 0}
.notice summary{cursor:pointer;margin:4px 0}
table{border-collapse:collapse}
.errors td,.errors th{border-bottom:1px solid var(--line);padding:2px 8px;text-align:left;font-size:12px;vertical-align:top}
.skipped,.baseline{color:#374151}
.warnings{color:#92400e}
.legend{color:#374151}
.legend .c{display:inline-block;width:14px;height:14px;border-radius:2px;margin:0 3px 0 8px;vertical-align:middle}
.hm-wrap{max-height:75vh;overflow:auto;border:1px solid var(--line)}
.hm{font-size:11px}
.hm thead th{position:sticky;top:0;background:#fff;z-index:2}
.hm th.corner{z-index:3;left:0;text-align:left;vertical-align:bottom;padding:4px 8px}
.hm th.svc{vertical-align:bottom;padding:4px 1px;font-weight:600}
.hm th.svc span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.hm tbody th{position:sticky;left:0;background:#fff;z-index:1;text-align:left;font-weight:400;white-space:nowrap;max-width:300px;overflow:hidden;text-overflow:ellipsis;padding:1px 8px 1px 0}
.hm tr.ou th{font-weight:600}
.hm tr.ou th button{font:inherit;border:0;background:none;padding:0 0 0 14px;cursor:pointer;position:relative}
.hm tr.ou th button::before{content:"\25BE";position:absolute;left:2px}
.hm tr.ou th button[aria-expanded=false]::before{content:"\25B8"}
.hm .cnt,.hm .id{color:var(--muted);font-size:10px;margin-left:4px}
.hm tr.skipped th{color:var(--muted);text-decoration:line-through}
.d0{padding-left:4px!important}.d1{padding-left:6px!important}.d2{padding-left:18px!important}.d3{padding-left:30px!important}.d4{padding-left:42px!important}.d5{padding-left:54px!important}.d6{padding-left:66px!important}.d7{padding-left:78px!important}.d8{padding-left:90px!important}
.hm td.c{width:22px;min-width:22px;height:16px;text-align:center;color:#fff;font-size:10px;border:1px solid #fff;padding:0;cursor:pointer}
.hm td.f2,.hm td.f4,.hm td.na{color:#111827}
.hm tr.ou td.c{border-bottom:2px solid #fff;opacity:.9}
.hm td.part{outline:2px dashed #4b5563;outline-offset:-3px}
.hm tbody tr:hover th{background:#eef2ff}
.hm-foot{color:var(--muted);font-size:12px}
.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;margin-bottom:8px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:#374151}
.filters select{max-width:320px}
.count{color:#374151}
.findings{width:100%;font-size:12px}
.findings th{position:sticky;top:0;background:#f3f4f6;text-align:left;padding:4px 6px}
.findings td{border-bottom:1px solid var(--line);padding:3px 6px;vertical-align:top}
.findings td.sev{color:#fff;font-weight:600;white-space:nowrap}
.findings td.f2,.findings td.f4{color:#111827}
.findings tr.s1 td.sev,.findings tr.s3 td.sev{opacity:.4}
.findings td.msg{word-break:break-word;max-width:520px}
.findings td.rule,.findings td.reg,.findings td.st{white-space:nowrap}
.findings td.res{word-break:break-all;max-width:260px}
.st-pass{color:var(--ok)}.st-error{color:#92400e}.st-muted{color:var(--muted)}.st-fail{color:var(--f0)}
button{cursor:pointer}
"#;

/// The page's script (allowed by its hash in the CSP). It reads the embedded findings and
/// only ever writes account-controlled text with `textContent` or as attribute values.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vigil-data").textContent);
  var SEV = ["critical", "high", "medium", "low", "info"];
  var STATUS = ["fail", "pass", "error", "muted"];
  var CHANGE = ["", "new", "unchanged", "resolved"];
  var KEYS = ["status", "severity", "rule", "service", "account", "text"];
  function $(id) { return document.getElementById(id); }
  var ui = {status: $("f-status"), severity: $("f-severity"), rule: $("f-rule"),
            service: $("f-service"), account: $("f-account"), text: $("f-text")};
  var body = $("rows"), more = $("more");
  var matches = [], shown = 0;
  var accountText = data.accounts.map(function (a) { return (a[0] + " " + a[1]).toLowerCase(); });
  var ruleIndex = {};
  data.rules.forEach(function (r, i) { ruleIndex[r[0]] = i; });

  // Failing findings per severity, counted here from the data (the option labels).
  var bySev = [0, 0, 0, 0, 0];
  data.findings.forEach(function (f) { if (f[1] === 0) bySev[f[0]]++; });
  Array.prototype.forEach.call(ui.severity.options, function (o) {
    var i = SEV.indexOf(o.value);
    if (i >= 0) o.textContent = o.value + " (" + bySev[i] + " failing)";
  });

  function td(tr, text, cls, title) {
    var c = document.createElement("td");
    c.textContent = text;
    if (cls) c.className = cls;
    if (title) c.title = title;
    tr.appendChild(c);
  }

  function row(f) {
    var tr = document.createElement("tr");
    tr.className = "s" + f[1];
    var res = data.resources[f[3]], rule = data.rules[f[2]];
    var acct = data.accounts[res[0]], type = data.types[res[2]], change = f[5] || 0;
    td(tr, SEV[f[0]], "sev f" + f[0]);
    td(tr, STATUS[f[1]] + (change ? " (" + CHANGE[change] + ")" : ""), "st st-" + STATUS[f[1]]);
    td(tr, rule[0], "rule", rule[1]);
    td(tr, acct[1] && acct[1] !== acct[0] ? acct[1] + " (" + acct[0] + ")" : acct[0], "acct", acct[2]);
    td(tr, data.regions[res[1]], "reg");
    td(tr, res[3] || "(whole scope)", "res", type[0]);
    td(tr, (f[4] || "") + (f.length > 6 ? " [muted: " + f[6] + "]" : ""), "msg",
       rule[2] ? "Remediation: " + rule[2] : "");
    return tr;
  }

  function page() {
    var end = Math.min(matches.length, shown + data.page);
    var frag = document.createDocumentFragment();
    for (; shown < end; shown++) frag.appendChild(row(data.findings[matches[shown]]));
    body.appendChild(frag);
    $("shown-count").textContent = String(shown);
    var left = matches.length - shown;
    more.hidden = left === 0;
    more.textContent = left > data.page ? "Show " + data.page + " more (" + left + " not shown)"
                                        : "Show the remaining " + left;
  }

  function filter() {
    var st = ui.status.value, sev = SEV.indexOf(ui.severity.value), rule = ui.rule.value;
    var svc = ui.service.value, acct = ui.account.value.trim().toLowerCase();
    var text = ui.text.value.trim().toLowerCase();
    var stI = STATUS.indexOf(st), ruleI = rule === "all" ? -1 : Number(rule);
    matches = [];
    for (var i = 0; i < data.findings.length; i++) {
      var f = data.findings[i];
      if (stI >= 0 && f[1] !== stI) continue;
      if (sev >= 0 && f[0] !== sev) continue;
      if (ruleI >= 0 && f[2] !== ruleI) continue;
      var res = data.resources[f[3]];
      if (svc !== "all" && data.types[res[2]][1] !== svc) continue;
      if (acct && accountText[res[0]].indexOf(acct) < 0) continue;
      if (text && (res[3] + " " + (f[4] || "")).toLowerCase().indexOf(text) < 0) continue;
      matches.push(i);
    }
    body.textContent = "";
    shown = 0;
    $("match-count").textContent = String(matches.length);
    page();
    saveHash();
  }

  // The filters live in the address's fragment (#status=all&severity=high&rule=VGL-…), so a
  // filtered view can be bookmarked or shared with the file.
  function saveHash() {
    var parts = [];
    KEYS.forEach(function (k) {
      var v = ui[k].value.trim();
      if (k === "rule" && v !== "all") v = data.rules[Number(v)][0];
      if (v && v !== "all" && !(k === "status" && v === "fail")) parts.push(k + "=" + encodeURIComponent(v));
    });
    var h = parts.length ? "#" + parts.join("&") : " ";
    try { history.replaceState(null, "", h === " " ? location.pathname + location.search : h); } catch (e) { /* opaque origin */ }
  }

  function setValue(el, v) {
    if (el.tagName !== "SELECT") { el.value = v; return; }
    for (var i = 0; i < el.options.length; i++) if (el.options[i].value === v) { el.value = v; return; }
  }

  function readHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    KEYS.forEach(function (k) {
      if (!p.has(k)) return;
      var v = p.get(k);
      if (k === "rule") { if (!(v in ruleIndex)) return; v = String(ruleIndex[v]); }
      setValue(ui[k], v);
    });
  }

  // Heatmap: fold OUs (a row is hidden when any OU above it is folded); a cell lists its
  // findings in the table.
  var hm = $("hm"), folded = {};
  function applyFold() {
    var trs = hm.tBodies[0].rows;
    for (var i = 0; i < trs.length; i++) {
      var anc = trs[i].getAttribute("data-anc").split(" "), hide = false;
      for (var j = 0; j < anc.length; j++) if (anc[j] && folded[anc[j]]) { hide = true; break; }
      trs[i].hidden = hide;
      var n = trs[i].getAttribute("data-node");
      if (n !== null) trs[i].querySelector("button").setAttribute("aria-expanded", folded[n] ? "false" : "true");
    }
  }
  function foldAll(minDepth) {
    folded = {};
    Array.prototype.forEach.call(hm.querySelectorAll("tr.ou"), function (tr) {
      if (Number(tr.getAttribute("data-depth")) >= minDepth) folded[tr.getAttribute("data-node")] = true;
    });
    applyFold();
  }
  hm.addEventListener("click", function (ev) {
    var t = ev.target, tr = t.closest("tr");
    if (!tr || !tr.parentNode || tr.parentNode.tagName !== "TBODY") return;
    if (t.closest("button") && tr.hasAttribute("data-node")) {
      var n = tr.getAttribute("data-node");
      folded[n] = !folded[n];
      applyFold();
      return;
    }
    var cell = t.closest("td");
    if (!cell || !tr.hasAttribute("data-a")) return;
    var acct = data.accounts[Number(tr.getAttribute("data-a"))];
    ui.account.value = acct[0];
    ui.service.value = data.services[cell.cellIndex - 1];
    ui.status.value = /\bf\d\b/.test(cell.className) ? "fail" : "all";
    ui.severity.value = "all"; ui.rule.value = "all"; ui.text.value = "";
    filter();
    $("findings").scrollIntoView();
  });
  $("hm-expand").addEventListener("click", function () { folded = {}; applyFold(); });
  $("hm-collapse").addEventListener("click", function () { foldAll(2); });
  document.querySelector("#heatmap .tools").hidden = false;
  if (data.fold) foldAll(2);

  more.addEventListener("click", page);
  $("filters").addEventListener("input", filter);
  $("filters").addEventListener("reset", function () { setTimeout(filter, 0); });
  window.addEventListener("hashchange", function () { readHash(); filter(); });
  readHash();
  filter();
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};
    use vigil_model::ScanError;

    fn scan_error(account: &str, service: &str, resource: Option<&str>) -> ScanError {
        ScanError {
            account_id: account.into(),
            region: "eu-west-1".into(),
            service: service.into(),
            operation: "ListFunctions".into(),
            code: "AccessDenied".into(),
            message: "denied".into(),
            resource: resource.map(str::to_string),
        }
    }

    /// The text between `open` and the next `close` after it.
    fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
        let from = s.find(open).unwrap_or_else(|| panic!("{open}")) + open.len();
        &s[from..from + s[from..].find(close).unwrap()]
    }

    #[test]
    fn cell_counts_stay_short() {
        let shown: Vec<String> = [0, 7, 999, 1000, 1_960, 9_999, 11_882, 250_000]
            .into_iter()
            .map(cell_count)
            .collect();
        assert_eq!(
            shown,
            ["", "7", "999", "1.0k", "1.9k", "9.9k", "11k", "250k"]
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
        // SHA-256 of "" as CSP writes it.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    #[test]
    fn escape_makes_markup_and_controls_text() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert(1)">&'"#),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;"
        );
        // Line breaks and bidi overrides become visible escapes.
        assert_eq!(escape("a\nb\u{202e}c"), "a\\nb\\u{202e}c");
    }

    #[test]
    fn script_json_cannot_end_the_data_block() {
        let v = json!({"name": "</script><script>alert(1)</script><!-- & \u{2028}\u{2029}"});
        let text = script_json(&v);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert!(!text.contains('\u{2028}') && !text.contains('\u{2029}'));
        assert!(text.contains("\\u003c/script\\u003e"), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v, "the escapes mean the same string");
    }

    #[test]
    fn csp_hashes_are_those_of_the_inline_style_and_script() {
        let html = HtmlReporter::default().render(&result_with(vec![finding(
            "VGL-LAMBDA-002",
            Status::Fail,
            Severity::High,
        )]));
        let csp = between(
            &html,
            "http-equiv=\"Content-Security-Policy\" content=\"",
            "\"",
        );
        let style = between(&html, "<style>", "</style>");
        let script = between(&html, "\n<script>", "</script>");
        assert!(csp.starts_with("default-src 'none'; "), "{csp}");
        assert!(
            csp.contains(&format!("style-src {};", csp_hash(style))),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("script-src {};", csp_hash(script))),
            "{csp}"
        );
        assert_eq!(html.matches("<style").count(), 1);
        assert_eq!(
            html.matches("<script").count(),
            2,
            "the data block and the script"
        );
        assert!(
            !html.contains(" style=\""),
            "no style attribute (the CSP blocks them)"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing remote"
        );
    }

    #[test]
    fn hostile_names_are_text_everywhere() {
        let mut f = finding("VGL-LAMBDA-002", Status::Fail, Severity::High);
        f.resource_id = "</script><script>alert(1)</script>".into();
        f.message = "<img src=x onerror=alert(1)> fails".into();
        f.account_name = "<img src=x onerror=alert(2)>".into();
        let mut r = result_with(vec![f]);
        r.accounts[0].name = "<img src=x onerror=alert(2)>".into();
        r.accounts[0].ou_path = "Root/<b>ou</b>\"'".into();
        r.accounts[0]
            .tags
            .insert("owner".into(), json!("<i>x</i>\u{202e}"));
        r.errors.push(ScanError {
            message: "<script>alert(3)</script>".into(),
            ..scan_error("111122223333", "kms", None)
        });
        let html = HtmlReporter::default().render(&r);
        assert!(!html.contains("<img"), "no img element anywhere");
        assert!(!html.contains("<b>") && !html.contains("<i>"));
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(
            html.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "account row"
        );
        assert!(
            html.contains("Root/&lt;b&gt;ou&lt;/b&gt;&quot;&#39;"),
            "OU title"
        );
        assert!(html.contains("owner=&lt;i&gt;x&lt;/i&gt;\\u{202e}"), "tags");
        assert!(
            html.contains("&lt;script&gt;alert(3)&lt;/script&gt;"),
            "error message"
        );
        let data = between(&html, "id=\"vigil-data\">", "</script>");
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["resources"][0][3], "</script><script>alert(1)</script>");
        assert_eq!(v["accounts"][0][1], "<img src=x onerror=alert(2)>");
    }

    #[test]
    fn cells_take_the_worst_failure_then_gaps_then_passes() {
        let mut kms = finding("VGL-KMS-001", Status::Pass, Severity::Medium);
        kms.resource_type = "AWS::KMS::Key".into();
        let mut r = result_with(vec![
            finding("VGL-LAMBDA-001", Status::Fail, Severity::Medium),
            finding("VGL-LAMBDA-004", Status::Fail, Severity::Critical),
            finding("VGL-LAMBDA-002", Status::Pass, Severity::High),
            kms,
        ]);
        r.services = vec!["lambda".into(), "kms".into(), "dynamodb".into()];
        let map = Heatmap::build(&r);
        assert_eq!(map.services, ["lambda", "kms", "dynamodb"]);
        let cells = &map.rows[0].cells;
        assert_eq!(cells[0].state(), CellState::Fail(Severity::Critical));
        assert_eq!(cells[0].fail, [1, 0, 1, 0, 0]);
        assert_eq!(cells[0].pass, 1);
        assert_eq!(cells[1].state(), CellState::Pass);
        assert_eq!(cells[2].state(), CellState::Empty, "assessed, no table");

        // An error record of a service greys its cell, unless something there fails.
        r.errors = vec![
            scan_error("111122223333", "kms", None),
            scan_error("111122223333", "lambda", None),
        ];
        let map = Heatmap::build(&r);
        let cells = &map.rows[0].cells;
        assert_eq!(cells[1].state(), CellState::NotAssessed);
        assert!(cells[1]
            .title("kms")
            .contains("not assessed: eu-west-1: AccessDenied (ListFunctions)"));
        assert_eq!(cells[0].state(), CellState::Fail(Severity::Critical));
        assert!(cells[0].partial());
        assert_eq!(cells[2].state(), CellState::Empty);

        // A whole-account error (the role could not be assumed) greys every service.
        r.errors = vec![ScanError::account_wide(
            "111122223333",
            "AssumeRole",
            "AccessDenied",
            "no",
        )];
        r.findings.retain(|f| f.status != Status::Fail);
        let map = Heatmap::build(&r);
        assert!(map.rows[0]
            .cells
            .iter()
            .all(|c| c.state() == CellState::NotAssessed));

        // A per-resource error or an `error` finding: not fully assessed either.
        r.errors = vec![scan_error("111122223333", "kms", Some("key-1"))];
        r.findings
            .push(finding("VGL-LAMBDA-005", Status::Error, Severity::High));
        let map = Heatmap::build(&r);
        let cells = &map.rows[0].cells;
        assert_eq!(cells[0].state(), CellState::NotAssessed, "error finding");
        assert_eq!(cells[1].state(), CellState::NotAssessed, "resource error");
        assert_eq!(cells[2].state(), CellState::Empty);

        // Organization-walk errors are listed in the summary, not put in a cell.
        r.errors = vec![ScanError::org_walk(
            "111122223333",
            "ListParents",
            "AccessDenied",
            "no".into(),
        )];
        r.services.push("organizations".into());
        let map = Heatmap::build(&r);
        assert_eq!(map.rows[0].cells[3].state(), CellState::Empty);
    }

    #[test]
    fn skipped_accounts_are_grey_rows_and_ous_aggregate() {
        let mut other = finding("VGL-LAMBDA-002", Status::Pass, Severity::High);
        other.account_id = "444455556666".into();
        let mut r = result_with(vec![
            finding("VGL-LAMBDA-002", Status::Fail, Severity::High),
            other,
        ]);
        r.services = vec!["lambda".into()];
        r.accounts[0].ou_path = "Root/Workloads/Prod".into();
        r.accounts.push(Account {
            id: "444455556666".into(),
            name: "payments-dev".into(),
            email: String::new(),
            ou_path: "Root/Workloads/Dev".into(),
            tags: Default::default(),
            status: AccountStatus::Active,
        });
        r.skipped_accounts.push(Account {
            id: "777788889999".into(),
            name: "legacy".into(),
            email: String::new(),
            ou_path: "Root/Workloads/Dev".into(),
            tags: Default::default(),
            status: AccountStatus::Suspended,
        });
        let map = Heatmap::build(&r);
        assert_eq!(map.rows.len(), 3);
        assert!(map.rows[2].skipped);
        assert_eq!(map.rows[2].cells[0].state(), CellState::NotAssessed);
        assert!(map.rows[2].cells[0]
            .title("lambda")
            .contains("account skipped (SUSPENDED)"));

        let nodes = ou_tree(&map);
        let by_path = |p: &str| nodes.iter().find(|n| n.path == p).unwrap();
        let dev = &by_path("Root/Workloads/Dev").cells[0];
        assert_eq!(
            dev.state(),
            CellState::NotAssessed,
            "one passes, one skipped"
        );
        assert_eq!((dev.passing_accounts, dev.not_assessed_accounts), (1, 1));
        let workloads = &by_path("Root/Workloads").cells[0];
        assert_eq!(workloads.state(), CellState::Fail(Severity::High));
        assert_eq!(workloads.failing, 1);
        assert_eq!(by_path("Root").total_accounts, 3);
        assert_eq!(
            by_path("Root/Workloads/Prod").cells[0].state(),
            CellState::Fail(Severity::High)
        );

        // In the page: every row is there, skipped accounts marked, OU rows before accounts.
        let html = HtmlReporter::default().render(&r);
        assert_eq!(html.matches("<tr class=\"ou\"").count(), 4);
        assert_eq!(html.matches("<tr class=\"acct").count(), 3);
        assert_eq!(html.matches("<tr class=\"acct skipped\"").count(), 1);
        assert!(
            html.contains("class=\"c f1\" title=\"lambda: 1 failing (1 high), 0 passing\">1</td>")
        );
    }

    #[test]
    fn data_writes_each_resource_once_and_drops_trailing_defaults() {
        let mut muted = finding("VGL-LAMBDA-005", Status::Muted, Severity::High);
        muted.suppression = Some(vigil_model::SuppressionNote {
            reason: "accepted risk".into(),
            approved_by: None,
            expires: None,
        });
        let mut new = finding("VGL-LAMBDA-001", Status::Fail, Severity::Medium);
        new.change = Some(Change::New);
        let r = result_with(vec![
            finding("VGL-LAMBDA-002", Status::Fail, Severity::High),
            finding("VGL-LAMBDA-003", Status::Pass, Severity::Medium),
            muted,
            new,
        ]);
        let map = Heatmap::build(&r);
        let v = HtmlReporter::default().data(&r, &map);
        assert_eq!(
            v["resources"],
            json!([[0, 0, 0, "orders-api"]]),
            "one function, four findings"
        );
        assert_eq!(v["types"], json!([["AWS::Lambda::Function", "lambda"]]));
        let msg = "function orders-api has environment variables but no CMK";
        assert_eq!(
            v["findings"],
            json!([
                [1, 0, 0, 0, msg],
                [2, 1, 1, 0],
                [1, 3, 2, 0, "", 0, "accepted risk"],
                [2, 0, 3, 0, msg, 1]
            ])
        );
    }

    #[test]
    fn large_organizations_start_folded() {
        let r = result_with(vec![finding(
            "VGL-LAMBDA-002",
            Status::Fail,
            Severity::High,
        )]);
        let small = HtmlReporter::default().render(&r);
        assert!(small.contains("\"fold\":false"));
        let tiny = HtmlReporter {
            fold_over: 0,
            ..Default::default()
        };
        assert!(tiny.render(&r).contains("\"fold\":true"));
    }
}
