//! The terminal table: failing findings grouped by severity then account, scopes that could
//! not be assessed, and a one-line summary.

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
        t.set_header(header.iter().map(Cell::new));
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
        failing.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| account(&a.account_id).cmp(&account(&b.account_id)))
                .then_with(|| a.region.cmp(&b.region))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.resource_id.cmp(&b.resource_id))
                .then_with(|| a.message.cmp(&b.message))
        });
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
                let mut sev_cell = Cell::new(sev);
                if self.color {
                    sev_cell = sev_cell.fg(severity_color(f.severity));
                }
                let mut row = vec![
                    sev_cell,
                    Cell::new(&f.rule_id),
                    Cell::new(account(&f.account_id)),
                    Cell::new(&f.region),
                    Cell::new(&f.resource_id),
                    Cell::new(&f.message),
                ];
                if with_change {
                    row.insert(0, Cell::new(f.change.map(|c| c.as_str()).unwrap_or("")));
                }
                t.add_row(row);
            }
            writeln!(out, "{t}")?;
        }
        if let Some(b) = &result.baseline {
            if result.resolved.is_empty() {
                writeln!(out, "\nNothing resolved since {b}.")?;
            } else {
                writeln!(out, "\nResolved since {b} ({}):", result.resolved.len())?;
                let mut t = self.new_table(&["Severity", "Rule", "Account", "Region", "Resource"]);
                for f in &result.resolved {
                    t.add_row(vec![
                        Cell::new(f.severity),
                        Cell::new(&f.rule_id),
                        Cell::new(account(&f.account_id)),
                        Cell::new(&f.region),
                        Cell::new(&f.resource_id),
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
                    Cell::new(&f.rule_id),
                    Cell::new(account(&f.account_id)),
                    Cell::new(&f.resource_id),
                    Cell::new(reason),
                    Cell::new(expires),
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
                    Cell::new(account(&e.account_id)),
                    Cell::new(&e.region),
                    Cell::new(&e.service),
                    Cell::new(&e.operation),
                    Cell::new(&e.code),
                    Cell::new(&e.message),
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
                    format!("{} ({}, {:?})", a.name, a.id, a.status)
                        .replace("Suspended", "suspended")
                        .replace("PendingClosure", "pending closure")
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
                .map(|r| format!("{} in {}", r.region, account(&r.account_id)))
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
            writeln!(out, "\nWarning: {w}")?;
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
