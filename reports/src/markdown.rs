//! `--format markdown`: a GitHub-flavoured summary for `$GITHUB_STEP_SUMMARY` and pull-request
//! comments: counts by severity (new ones when a baseline or the state table decided), what
//! could not be assessed, and the most severe failing findings, as tables.
//!
//! GitHub accepts at most 1 MiB of step summary per step and 65,536 characters per comment:
//! the findings table stops at [`MarkdownReporter::max_rows`] rows or before the text would pass
//! [`MarkdownReporter::max_bytes`], and a last line says how many were left out and where they
//! are. Every account-controlled string (names, ids, messages) is escaped: control characters
//! made visible ([`crate::text::printable`]), HTML's `<`, `>` and `&` as entities (GitHub
//! renders inline HTML), Markdown's punctuation backslash-escaped so that a resource named
//! `| x | [link](…)` stays text in its cell.

use crate::{Reporter, ScanResult};
use std::fmt::Write as _;
use std::io::Write;
use vigil_model::{Change, Finding, Severity, Status};

/// GitHub's limit for one step's summary (1 MiB).
pub const GITHUB_STEP_SUMMARY_BYTES: usize = 1024 * 1024;

/// The Markdown summary.
pub struct MarkdownReporter {
    /// Failing findings listed at most.
    pub max_rows: usize,
    /// The whole text stays under this many bytes.
    pub max_bytes: usize,
}

impl Default for MarkdownReporter {
    fn default() -> Self {
        MarkdownReporter {
            max_rows: 100,
            // A margin below GitHub's limit for what a job appends to the same summary.
            max_bytes: GITHUB_STEP_SUMMARY_BYTES - 64 * 1024,
        }
    }
}

/// `s` as Markdown text that renders as itself, on one line.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::printable(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // Emphasis, code, links, table cells, strike-through; `:` and `.` so that no URL
            // or domain in a message becomes a link; `#` so that no `#123` links an issue.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | ':' | '.' | '#' => {
                out.push('\\');
                out.push(c);
            }
            // A zero-width space after `@`: no `@user` or `@org/team` mention pings anyone.
            '@' => out.push_str("@\u{200B}"),
            c => out.push(c),
        }
    }
    out
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🟥 critical",
        Severity::High => "🟧 high",
        Severity::Medium => "🟨 medium",
        Severity::Low => "🟦 low",
        Severity::Info => "⬜ info",
    }
}

fn row(f: &Finding) -> String {
    let account = if f.account_name.is_empty() || f.account_name == f.account_id {
        escape(&f.account_id)
    } else {
        format!("{} ({})", escape(&f.account_name), escape(&f.account_id))
    };
    let new = if f.change == Some(Change::New) {
        " 🆕"
    } else {
        ""
    };
    format!(
        "| {}{new} | {} | {} | {} | {} | {} |\n",
        severity_label(f.severity),
        escape(&f.rule_id),
        account,
        escape(&f.region),
        escape(&f.resource_id),
        escape(&f.message),
    )
}

impl MarkdownReporter {
    /// The summary as a string.
    pub fn render(&self, result: &ScanResult) -> String {
        let summary = result.summary();
        let mut s = String::new();
        let partial = result.is_partial();
        let _ = writeln!(
            s,
            "## vigil: {} failing finding{}{}\n",
            summary.fail,
            if summary.fail == 1 { "" } else { "s" },
            if partial {
                " (partial: some scopes not assessed)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            s,
            "Organization `{}` · {} account{} · {} resources · {} passing · {} errors · {} muted\n",
            escape(&result.org.id),
            result.accounts.len(),
            if result.accounts.len() == 1 { "" } else { "s" },
            result.resources,
            summary.pass,
            summary.error,
            summary.muted
        );
        let failing: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .collect();
        let decided = failing.iter().any(|f| f.change.is_some());
        s.push_str(if decided {
            "| severity | failing | new |\n|---|---:|---:|\n"
        } else {
            "| severity | failing |\n|---|---:|\n"
        });
        for sev in Severity::ALL_DESC {
            let n = failing.iter().filter(|f| f.severity == sev).count();
            if decided {
                let new = failing
                    .iter()
                    .filter(|f| f.severity == sev && f.change == Some(Change::New))
                    .count();
                let _ = writeln!(s, "| {} | {n} | {new} |", severity_label(sev));
            } else {
                let _ = writeln!(s, "| {} | {n} |", severity_label(sev));
            }
        }
        s.push('\n');
        if let Some(c) = &summary.changes {
            let _ = writeln!(
                s,
                "Against the baseline: **{} new**, {} unchanged, {} resolved.\n",
                c.new, c.unchanged, c.resolved
            );
        }
        if !result.errors.is_empty() {
            let _ = writeln!(
                s,
                "> [!WARNING]\n> {} scope{} could not be assessed (their findings are unknown, not passing). First: {}\n",
                result.errors.len(),
                if result.errors.len() == 1 { "" } else { "s" },
                result
                    .errors
                    .iter()
                    .take(3)
                    .map(|e| format!(
                        "{} {} {} {}: {}",
                        escape(&e.account_id),
                        escape(&e.region),
                        escape(&e.service),
                        escape(&e.operation),
                        escape(&e.code)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        if failing.is_empty() {
            s.push_str("No failing finding.\n");
            return s;
        }
        // The findings come in report order: most severe first.
        let header = "### Failing findings\n\n| severity | rule | account | region | resource | message |\n|---|---|---|---|---|---|\n";
        s.push_str(header);
        let closing_reserve = 512;
        let mut shown = 0;
        for f in &failing {
            if shown == self.max_rows {
                break;
            }
            let line = row(f);
            if s.len() + line.len() + closing_reserve > self.max_bytes {
                break;
            }
            s.push_str(&line);
            shown += 1;
        }
        if shown < failing.len() {
            let _ = writeln!(
                s,
                "\n_Showing the {shown} most severe of {} failing findings ({}); every finding is in the JSON, SARIF or CSV report._",
                failing.len(),
                if shown == self.max_rows {
                    "the list stops at 100 rows".to_string()
                } else {
                    "cut to stay under GitHub's 1 MiB step-summary limit".to_string()
                }
            );
        }
        s
    }
}

impl Reporter for MarkdownReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.render(result).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Account, AccountStatus};

    fn finding(i: usize, resource: &str, message: &str) -> Finding {
        Finding {
            rule_id: "VGL-DDB-001".into(),
            title: "PITR".into(),
            severity: if i.is_multiple_of(2) {
                Severity::High
            } else {
                Severity::Low
            },
            status: Status::Fail,
            account_id: "111122223333".into(),
            account_name: "payments".into(),
            region: "eu-west-1".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: resource.into(),
            resource_arn: format!("arn:aws:dynamodb:eu-west-1:111122223333:table/{resource}")
                .into(),
            message: message.into(),
            remediation: "".into(),
            fingerprint: format!("fp{i}"),
            change: None,
            suppression: None,
            related: Default::default(),
        }
    }

    fn result(findings: Vec<Finding>) -> ScanResult {
        ScanResult {
            accounts: vec![Account {
                id: "111122223333".into(),
                name: "payments".into(),
                email: String::new(),
                ou_path: String::new(),
                tags: Default::default(),
                status: AccountStatus::Active,
            }],
            findings,
            ..Default::default()
        }
    }

    #[test]
    fn hostile_names_stay_text() {
        let r = result(vec![finding(
            0,
            "<img src=x onerror=alert(1)>",
            "| injected | cell |\n[click](https://example.com) `code` **bold** @security",
        )]);
        let md = MarkdownReporter::default().render(&r);
        let line = md.lines().find(|l| l.contains("onerror")).unwrap();
        assert!(
            line.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{line}"
        );
        assert!(!line.contains('<'), "{line}");
        assert!(line.contains("\\[click\\](https"), "no link: {line}");
        // Six cells (seven unescaped pipes): the message's pipes are escaped, its line break
        // made visible; the URL is no link, the mention no mention.
        let b = line.as_bytes();
        let pipes = (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count();
        assert_eq!(pipes, 7, "{line}");
        assert!(line.contains("https\\://example\\.com"), "{line}");
        assert!(line.contains("@\u{200B}security"), "{line}");
        assert_eq!(md.lines().filter(|l| l.contains("onerror")).count(), 1);
    }

    #[test]
    fn large_results_stop_under_the_limit_with_a_note() {
        let long = "x".repeat(5_000);
        let many: Vec<Finding> = (0..2_000)
            .map(|i| finding(i, &format!("t{i}"), &long))
            .collect();
        let r = result(many);
        let md = MarkdownReporter::default().render(&r);
        assert!(md.len() < GITHUB_STEP_SUMMARY_BYTES, "{}", md.len());
        assert!(
            md.contains("of 2000 failing findings (the list stops at 100 rows)"),
            "{}",
            &md[md.len() - 300..]
        );
        let small = MarkdownReporter {
            max_rows: 100,
            max_bytes: 60_000,
        };
        let md = small.render(&r);
        assert!(md.len() <= 60_000, "{}", md.len());
        assert!(md.contains("cut to stay under GitHub's 1 MiB step-summary limit"));
        assert!(
            md.contains("| 🟧 high | 1000 |"),
            "counts cover every finding"
        );
    }
}
