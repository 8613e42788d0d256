//! `--format csv`: one row per finding (every status), for spreadsheets and ad-hoc analysis.
//!
//! Quoting is the `csv` crate's (RFC 4180: fields holding commas, quotes or line breaks are
//! quoted, quotes doubled). Cells are also guarded against CSV (formula) injection: resource
//! names, tags and messages come from the scanned accounts, and a spreadsheet application
//! would run a cell such as `=HYPERLINK(...)` as a formula. Following OWASP's guidance, a cell
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single
//! quote (`'`), which makes spreadsheets show it as text. Consumers that read the file as
//! data should strip that one leading quote from such cells.

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

/// A cell as written: prefixed with `'` when a spreadsheet would read it as a formula.
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
            w.write_record(row(f).iter().map(|c| guard_cell(c).into_owned()))?;
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
        assert_eq!(&rows[0][10], fail.message.as_str());
        assert_eq!(&rows[0][13], "new");
        assert_eq!(&rows[1][3], "muted");
        assert_eq!(&rows[1][14], "'-approved by CISO");
        assert_eq!(&rows[2][3], "pass");
        assert_eq!(&rows[2][13], "");
    }
}
