//! `--format csv`: one row per finding (every status), for spreadsheets and ad-hoc analysis.
//!
//! Quoting is the `csv` crate's (RFC 4180: fields holding commas, quotes or line breaks are
//! quoted, quotes doubled). Cells are also guarded against CSV (formula) injection: resource
//! names, tags and messages come from the scanned accounts, and a spreadsheet application
//! would run a cell such as `=HYPERLINK(...)` as a formula. Following OWASP's guidance, a cell
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single
//! quote (`'`), which makes spreadsheets show it as text. Consumers that read the file as
//! data should strip that one leading quote from such cells.
//!
//! Control characters never reach the file as themselves: every cell goes through
//! [`crate::text::printable`] first (an account's `ESC ] 52 ; …` would otherwise drive the
//! terminal of whoever runs `cat` on the report; a line break becomes a visible `\n`, so one
//! record is one line). The exact text is in the JSON report.

use crate::{Reporter, ScanResult};
use std::io::Write;
use vigil_model::Finding;

/// The header row, in column order.
pub const COLUMNS: [&str; 15] = [
    "rule_id",
    "title",
    "severity",
    "status",
    "account_id",
    "account_name",
    "region",
    "resource_type",
    "resource_id",
    "resource_arn",
    "message",
    "remediation",
    "fingerprint",
    "change",
    "suppression_reason",
];

/// The CSV report.
pub struct CsvReporter;

/// A cell as written: control characters escaped ([`crate::text::printable`]), then
/// prefixed with `'` when a spreadsheet would read it as a formula.
pub fn cell(value: &str) -> String {
    guard_cell(&crate::text::printable(value)).into_owned()
}

/// `value` prefixed with `'` when a spreadsheet would read it as a formula.
pub fn guard_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

fn row(f: &Finding) -> [&str; 15] {
    [
        &f.rule_id,
        &f.title,
        f.severity.as_str(),
        f.status.as_str(),
        &f.account_id,
        &f.account_name,
        &f.region,
        &f.resource_type,
        &f.resource_id,
        &f.resource_arn,
        &f.message,
        &f.remediation,
        &f.fingerprint,
        f.change.map(|c| c.as_str()).unwrap_or(""),
        f.suppression
            .as_ref()
            .map(|s| s.reason.as_str())
            .unwrap_or(""),
    ]
}

impl Reporter for CsvReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        let mut w = ::csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        for f in &result.findings {
            w.write_record(row(f).iter().map(|c| cell(c)))?;
        }
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};
    use vigil_model::{Change, Severity, Status, SuppressionNote};

    fn render(r: &ScanResult) -> String {
        let mut buf = Vec::new();
        CsvReporter.write(r, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn formula_cells_are_prefixed_and_others_left_alone() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard_cell(bad), format!("'{bad}"));
        }
        for ok in ["orders-api", "", "a=b", " =x", "'quoted"] {
            assert_eq!(guard_cell(ok), ok);
        }
    }

    #[test]
    fn one_row_per_finding_with_quoting_and_guarding() {
        let mut fail = finding("VGL-LAMBDA-002", Status::Fail, Severity::High);
        fail.resource_id = "=HYPERLINK(\"http://x\",\"y\")".into();
        fail.message = "line one, with comma\nline \"two\"".into();
        fail.change = Some(Change::New);
        let mut muted = finding("VGL-LAMBDA-001", Status::Muted, Severity::Medium);
        muted.suppression = Some(SuppressionNote {
            reason: "-approved by CISO".into(),
            approved_by: None,
            expires: None,
        });
        let pass = finding("VGL-LAMBDA-003", Status::Pass, Severity::Medium);
        let text = render(&result_with(vec![fail.clone(), muted, pass]));

        let mut rd = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), COLUMNS);
        let rows: Vec<::csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][8], "'=HYPERLINK(\"http://x\",\"y\")");
        // The line break is shown, not written: one record per line.
        assert_eq!(&rows[0][10], "line one, with comma\\nline \"two\"");
        assert_eq!(text.lines().count(), 4, "{text}");
        assert_eq!(&rows[0][13], "new");
        assert_eq!(&rows[1][3], "muted");
        assert_eq!(&rows[1][14], "'-approved by CISO");
        assert_eq!(&rows[2][3], "pass");
        assert_eq!(&rows[2][13], "");
    }

    #[test]
    fn control_characters_are_escaped_and_formulas_still_guarded() {
        let mut evil = finding("VGL-APIGW-001", Status::Fail, Severity::High);
        evil.resource_id = "=cmd|'/c calc'!A0\u{1b}]0;t\u{7}".into();
        evil.message = "\u{1b}]52;c;cm0gLXJm\u{7}\u{9b}2J\r\nx".into();
        evil.account_name = "\tevil".into();
        let mut other = finding("VGL-LAMBDA-002", Status::Fail, Severity::High);
        other.account_id = "444455556666".into();
        other.resource_id = "card-ledger".into();
        let text = render(&result_with(vec![evil, other]));
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::text::needs_escape(c)),
            "raw control in {text:?}"
        );
        let mut rd = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<::csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][8], "'=cmd|'/c calc'!A0\\x1b]0;t\\x07");
        assert_eq!(&rows[0][10], "\\x1b]52;c;cm0gLXJm\\x07\\u{9b}2J\\r\\nx");
        // A leading tab is shown as `\t`: no longer a formula trigger, and visible.
        assert_eq!(&rows[0][5], "\\tevil");
        assert_eq!(&rows[1][8], "card-ledger");
        assert_eq!(&rows[1][4], "444455556666");
    }
}
