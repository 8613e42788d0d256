//! The terminal table: failing findings grouped by severity then account, scopes that could
//! not be assessed, and a one-line summary.
//!
//! Every cell and every line of text goes through [`crate::text`]: what the scanned accounts
//! name (resources, messages, account names) is shown with its control characters escaped, and
//! a cell longer than [`MAX_CELL_CHARS`] keeps its head and says how much was left out (the
//! JSON report holds the whole text). One hostile name can neither drive the reader's terminal
//! nor make the table unreadable (or slow to lay out) for every other account.

use crate::text::{printable, printable_clipped};
use crate::{Reporter, ScanResult};
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};
use std::collections::HashMap;
use std::io::Write;
use vigil_model::{Severity, Status};

/// The table report.
#[derive(Debug, Clone, Default)]
pub struct TableReporter {
    /// Colour severities (only when writing to a terminal).
    pub color: bool,
    /// Wrap to this width; with `None`, wrap to the terminal's width when `fit_terminal`.
    pub width: Option<u16>,
    /// Wrap long cells to fit the terminal (stdout is a terminal).
    pub fit_terminal: bool,
}

/// Longest text of a table cell, in characters; longer text is cut (see [`cell`]).
pub const MAX_CELL_CHARS: usize = 400;

/// A cell showing `text`: control characters escaped, at most [`MAX_CELL_CHARS`] characters
/// and a `… (N more characters)` marker. comfy-table wraps cells in time that grows faster
/// than their length (a 100,000-character name took seconds), and an unwrapped table pads every
/// row to its widest cell.
pub fn cell(text: &str) -> Cell {
    Cell::new(printable_clipped(text, MAX_CELL_CHARS))
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

impl TableReporter {
    fn new_table(&self, header: &[&str]) -> Table {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        if !self.color {
            t.force_no_tty();
        }
        match self.width {
            Some(w) => {
                t.set_content_arrangement(ContentArrangement::Dynamic);
                t.set_width(w);
            }
            None if self.fit_terminal => {
                t.set_content_arrangement(ContentArrangement::Dynamic);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        t.set_header(header.iter().map(|h| cell(h)));
        t
    }
}

impl Reporter for TableReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        let names: HashMap<&str, &str> = result
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.name.as_str()))
            .collect();
        let account = |id: &str| match names.get(id) {
            Some(n) if !n.is_empty() && *n != id => format!("{n} ({id})"),
            _ => id.to_string(),
        };
        let mut failing: Vec<_> = result
            .findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail || f.status == Status::Error && !f.resource_arn.is_empty()
            })
            .collect();
        // The order every report shares.
        failing.sort_by(|a, b| vigil_model::report_order(a, b));
        if failing.is_empty() {
            writeln!(out, "No failing findings.")?;
        } else {
            let with_change = result.baseline.is_some();
            let mut header = vec![
                "Severity", "Rule", "Account", "Region", "Resource", "Message",
            ];
            if with_change {
                header.insert(0, "Change");
            }
            let mut t = self.new_table(&header);
            for f in &failing {
                let sev = if f.status == Status::Error {
                    "error".to_string()
                } else {
                    f.severity.to_string()
                };
                let mut sev_cell = cell(&sev);
                if self.color {
                    sev_cell = sev_cell.fg(severity_color(f.severity));
                }
                let mut row = vec![
                    sev_cell,
                    cell(&f.rule_id),
                    cell(&account(&f.account_id)),
                    cell(&f.region),
                    cell(&f.resource_id),
                    cell(&f.message),
                ];
                if with_change {
                    row.insert(0, cell(f.change.map(|c| c.as_str()).unwrap_or("")));
                }
                t.add_row(row);
            }
            writeln!(out, "{t}")?;
        }
        if let Some(b) = &result.baseline {
            let b = printable(b);
            if result.resolved.is_empty() {
                writeln!(out, "\nNothing resolved since {b}.")?;
            } else {
                writeln!(out, "\nResolved since {b} ({}):", result.resolved.len())?;
                let mut t = self.new_table(&["Severity", "Rule", "Account", "Region", "Resource"]);
                for f in &result.resolved {
                    t.add_row(vec![
                        cell(f.severity.as_str()),
                        cell(&f.rule_id),
                        cell(&account(&f.account_id)),
                        cell(&f.region),
                        cell(&f.resource_id),
                    ]);
                }
                writeln!(out, "{t}")?;
            }
        }
        let muted: Vec<_> = result
            .findings
            .iter()
            .filter(|f| f.status == Status::Muted)
            .collect();
        if !muted.is_empty() {
            writeln!(out, "\nMuted by suppressions ({}):", muted.len())?;
            let mut t = self.new_table(&["Rule", "Account", "Resource", "Reason", "Expires"]);
            for f in muted {
                let (reason, expires) = f
                    .suppression
                    .as_ref()
                    .map(|s| (s.reason.as_str(), s.expires.as_deref().unwrap_or("")))
                    .unwrap_or(("", ""));
                t.add_row(vec![
                    cell(&f.rule_id),
                    cell(&account(&f.account_id)),
                    cell(&f.resource_id),
                    cell(reason),
                    cell(expires),
                ]);
            }
            writeln!(out, "{t}")?;
        }
        if !result.errors.is_empty() {
            writeln!(
                out,
                "\nNot assessed ({} scope{}):",
                result.errors.len(),
                plural(result.errors.len())
            )?;
            let mut t = self.new_table(&[
                "Account",
                "Region",
                "Service",
                "Operation",
                "Code",
                "Message",
            ]);
            for e in &result.errors {
                t.add_row(vec![
                    cell(&account(&e.account_id)),
                    cell(&e.region),
                    cell(&e.service),
                    cell(&e.operation),
                    cell(&e.code),
                    cell(&e.message),
                ]);
            }
            if let Some(c) = t.column_mut(5) {
                c.set_cell_alignment(CellAlignment::Left);
            }
            writeln!(out, "{t}")?;
        }
        if !result.skipped_accounts.is_empty() {
            let list: Vec<String> = result
                .skipped_accounts
                .iter()
                .map(|a| {
                    let status = format!("{:?}", a.status)
                        .replace("Suspended", "suspended")
                        .replace("PendingClosure", "pending closure");
                    format!(
                        "{} ({}, {status})",
                        printable_clipped(&a.name, MAX_CELL_CHARS),
                        printable_clipped(&a.id, MAX_CELL_CHARS)
                    )
                })
                .collect();
            writeln!(
                out,
                "\nSkipped {} account{}: {}",
                list.len(),
                plural(list.len()),
                list.join(", ")
            )?;
        }
        if !result.skipped_regions.is_empty() {
            let list: Vec<String> = result
                .skipped_regions
                .iter()
                .map(|r| {
                    format!(
                        "{} in {}",
                        printable_clipped(&r.region, MAX_CELL_CHARS),
                        printable_clipped(&account(&r.account_id), MAX_CELL_CHARS)
                    )
                })
                .collect();
            writeln!(
                out,
                "\nSkipped {} region{} not enabled: {}",
                list.len(),
                plural(list.len()),
                list.join(", ")
            )?;
        }
        for w in &result.warnings {
            writeln!(out, "\nWarning: {}", printable(w))?;
        }
        writeln!(out, "\n{}", summary_line(result))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `7 failing (1 critical, 3 high, 3 medium) · 30 passing · 0 errors · 0 muted — 4 accounts, 2 regions, 12 resources, 96 API calls`
pub fn summary_line(result: &ScanResult) -> String {
    let s = result.summary();
    let sev: Vec<String> = Severity::ALL_DESC
        .iter()
        .filter_map(|sv| {
            let n = s.by_severity.get(sv.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {sv}"))
        })
        .collect();
    let failing = if sev.is_empty() {
        format!("{} failing", s.fail)
    } else {
        format!("{} failing ({})", s.fail, sev.join(", "))
    };
    let mut line = format!(
        "{failing} · {} passing · {} error{} · {} muted — {} account{}, {} region{}, {} resource{}, {} API call{}",
        s.pass,
        s.error,
        plural(s.error as usize),
        s.muted,
        result.accounts.len(),
        plural(result.accounts.len()),
        result.regions.len(),
        plural(result.regions.len()),
        result.resources,
        plural(result.resources as usize),
        result.api_calls,
        plural(result.api_calls as usize),
    );
    if let Some(c) = &s.changes {
        line.push_str(&format!(
            " — since baseline: {} new, {} unchanged, {} resolved",
            c.new, c.unchanged, c.resolved
        ));
    }
    if !result.errors.is_empty() {
        line.push_str(&format!(
            " — partial: {} scope{} not assessed",
            result.errors.len(),
            plural(result.errors.len())
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};
    use vigil_model::{Account, AccountStatus, ScanError};

    /// Every attack of a hostile member account at once: OSC 0 (title), ED (erase), OSC 52
    /// (clipboard), a C1 CSI, a line break and a bidi override.
    const HOSTILE: &str =
        "api\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{9b}1K\nfake row\u{202e}";

    fn render(r: &ScanResult, width: Option<u16>) -> String {
        let mut buf = Vec::new();
        TableReporter {
            color: false,
            width,
            fit_terminal: false,
        }
        .write(r, &mut buf)
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// A failing finding of another account, which must survive whatever the first one does.
    fn other_account_finding() -> vigil_model::Finding {
        let mut f = finding("VGL-LAMBDA-002", Status::Fail, Severity::High);
        f.account_id = "444455556666".into();
        f.account_name = "cards-prod".into();
        f.resource_id = "card-ledger".into();
        f.message = "function card-ledger has environment variables but no CMK".into();
        f
    }

    fn hostile_result() -> ScanResult {
        let mut evil = finding("VGL-APIGW-001", Status::Fail, Severity::Critical);
        evil.resource_id = HOSTILE.into();
        evil.message = format!("REST API {HOSTILE}: method GET / has authorizationType NONE");
        let mut r = result_with(vec![evil, other_account_finding()]);
        r.accounts[0].name = format!("evil{HOSTILE}");
        r.accounts.push(Account {
            id: "444455556666".into(),
            name: "cards-prod".into(),
            email: String::new(),
            ou_path: "Root".into(),
            tags: Default::default(),
            status: AccountStatus::Active,
        });
        r.errors.push(ScanError {
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            service: "config".into(),
            operation: "DescribeConfigurationRecorders".into(),
            code: "AccessDenied".into(),
            message: format!("recorder {HOSTILE}"),
            resource: None,
        });
        r.skipped_accounts.push(Account {
            id: "777788889999".into(),
            name: format!("gone{HOSTILE}"),
            email: String::new(),
            ou_path: "Root".into(),
            tags: Default::default(),
            status: AccountStatus::Suspended,
        });
        r.warnings.push(format!("warned {HOSTILE}"));
        r
    }

    #[test]
    fn no_control_character_of_an_account_reaches_the_terminal() {
        // Wrapped to a width (a terminal) and unwrapped (a pipe).
        for width in [Some(100), None] {
            let text = render(&hostile_result(), width);
            let controls: Vec<char> = text
                .chars()
                .filter(|&c| c != '\n' && crate::text::needs_escape(c))
                .collect();
            assert!(controls.is_empty(), "raw controls {controls:?} in:\n{text}");
            // No forged line: every line of a table starts with a border.
            assert!(
                !text.lines().any(|l| l.starts_with("fake row")),
                "a line break in a name started a line:\n{text}"
            );
            assert!(text.contains("card-ledger"), "other account lost:\n{text}");
        }
        let text = render(&hostile_result(), None);
        for visible in [
            "api\\x1b]0;pwned\\x07\\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07\\u{9b}1K\\nfake row\\u{202e}",
            "evilapi\\x1b]0;",
            "recorder api\\x1b]0;",
            "Warning: warned api\\x1b]0;",
            "Skipped 1 account: goneapi\\x1b]0;",
            "(777788889999, suspended)",
            "cards-prod (444455556666)",
            "function card-ledger has environment variables but no CMK",
        ] {
            assert!(text.contains(visible), "{visible} not shown in:\n{text}");
        }
    }

    #[test]
    fn a_huge_name_is_cut_and_every_other_row_survives() {
        let mut huge = finding("VGL-APIGW-001", Status::Fail, Severity::Critical);
        huge.resource_id = "x".repeat(100_000).into();
        huge.message = format!(
            "REST API {}: method GET / has authorizationType NONE",
            "y".repeat(100_000)
        );
        let r = result_with(vec![huge, other_account_finding()]);
        // Unwrapped (a pipe): the cells end with the marker.
        let text = render(&r, None);
        assert!(
            text.contains(&format!(
                "{}… (99600 more characters)",
                "x".repeat(MAX_CELL_CHARS)
            )),
            "resource id not cut"
        );
        assert!(
            text.contains("y… (99650 more characters)"),
            "message not cut"
        );
        assert!(text.contains("function card-ledger has environment variables but no CMK"));
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(
            widest < 2 * MAX_CELL_CHARS + 200,
            "a line of {widest} characters"
        );
        // Wrapped to a width (a terminal): the same cut cells, wrapped.
        let text = render(&r, Some(120));
        assert_eq!(
            text.matches('x').count(),
            MAX_CELL_CHARS,
            "resource id not cut"
        );
        assert!(
            text.matches('y').count() < MAX_CELL_CHARS,
            "message not cut"
        );
        assert!(text.contains("card-ledger"), "other row lost");
        assert!(text.lines().all(|l| l.chars().count() <= 120));
    }
}
