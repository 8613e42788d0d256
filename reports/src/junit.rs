//! `--format junit`: JUnit XML, so that CI systems list every failing rule × resource as a
//! failed test case.
//!
//! One `<testsuite>` per rule (name `<rule id> <title>`), one `<testcase>` per finding
//! (classname = rule id, name = `<account>/<region>/<resource id>`): `fail` → `<failure>`,
//! `error` → `<error>`, `muted` → `<skipped>`, `pass` → a plain test case. Evaluations are not
//! timed, so `time` is 0; `timestamp` is the start of the scan. XML escaping (`<`, `&`, `"`)
//! is quick-junit's.
//!
//! Every text and attribute goes through [`crate::text::printable`] first: XML 1.0 cannot hold
//! the C0 controls (but tab, line feed and carriage return) nor U+FFFE and U+FFFF, and one such
//! character in a single API name made the whole file not well-formed, so CI lost the results
//! of every account. quick-junit drops the C0 controls and ANSI sequences but lets U+FFFE and
//! U+FFFF through; with `printable` every one of them is shown as a visible escape (`\x01`,
//! `\u{fffe}`) instead, as in the terminal table. Line breaks that vigil itself puts between
//! the parts of a failure's details stay line breaks.

use crate::text::printable;

use crate::{Reporter, ScanResult};
use chrono::DateTime;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;
use vigil_model::{Finding, Status};

/// The JUnit report.
pub struct JunitReporter;

/// Test case name of a finding: `<account>/<region>/<resource id>`; a scope that could not
/// be assessed has no resource, its resource type stands in.
pub fn case_name(f: &Finding) -> String {
    let what = if f.resource_id.is_empty() {
        &f.resource_type
    } else {
        &f.resource_id
    };
    format!("{}/{}/{}", f.account_id, f.region, what)
}

/// Text as written to the XML: see the module documentation.
fn xml(s: &str) -> String {
    printable(s).into_owned()
}

fn details(f: &Finding) -> String {
    let mut d = xml(&f.message);
    if !f.resource_arn.is_empty() {
        d.push_str(&format!("\nresource: {}", printable(&f.resource_arn)));
    }
    if !f.remediation.is_empty() {
        d.push_str(&format!("\nremediation: {}", printable(&f.remediation)));
    }
    d
}

fn test_case(f: &Finding) -> TestCase {
    let status = match f.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail | Status::Error => {
            let kind = if f.status == Status::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(xml(&f.message))
                .set_type(f.severity.as_str())
                .set_description(details(f));
            s
        }
        Status::Muted => {
            let mut s = TestCaseStatus::skipped();
            match &f.suppression {
                Some(note) => {
                    s.set_message(xml(&note.reason));
                    let mut d = Vec::new();
                    if let Some(by) = &note.approved_by {
                        d.push(format!("approved by: {}", printable(by)));
                    }
                    if let Some(exp) = &note.expires {
                        d.push(format!("expires: {}", printable(exp)));
                    }
                    if !d.is_empty() {
                        s.set_description(d.join("\n"));
                    }
                }
                None => {
                    s.set_message("muted");
                }
            }
            s
        }
    };
    let mut tc = TestCase::new(xml(&case_name(f)), status);
    tc.set_classname(xml(&f.rule_id)).set_time(Duration::ZERO);
    tc
}

impl JunitReporter {
    /// The report as quick-junit's model.
    pub fn to_report(result: &ScanResult) -> Report {
        let timestamp = DateTime::parse_from_rfc3339(&result.started_at).ok();
        // Every rule of the run gets a suite (empty when it had nothing to evaluate); a
        // finding of a rule missing from the registry still gets one, titled by the finding.
        let mut suites: BTreeMap<&str, (String, Vec<&Finding>)> = result
            .rules
            .iter()
            .map(|r| (r.id.as_str(), (r.title.clone(), Vec::new())))
            .collect();
        for f in &result.findings {
            suites
                .entry(f.rule_id.as_str())
                .or_insert_with(|| (f.title.to_string(), Vec::new()))
                .1
                .push(f);
        }
        let mut report = Report::new("vigil");
        report.set_time(Duration::ZERO);
        if let Some(ts) = timestamp {
            report.set_timestamp(ts);
        }
        for (id, (title, mut findings)) in suites {
            // The order every report shares.
            findings.sort_by(|a, b| vigil_model::report_order(a, b));
            let mut suite = TestSuite::new(xml(&format!("{id} {title}")));
            suite.set_time(Duration::ZERO);
            if let Some(ts) = timestamp {
                suite.set_timestamp(ts);
            }
            suite.add_test_cases(findings.into_iter().map(test_case));
            report.add_test_suite(suite);
        }
        report
    }
}

impl Reporter for JunitReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        Self::to_report(result)
            .serialize(&mut *out)
            .map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};
    use vigil_model::{Severity, SuppressionNote};

    fn render(r: &ScanResult) -> String {
        let mut buf = Vec::new();
        JunitReporter.write(r, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn statuses_map_to_failure_error_skipped_and_pass() {
        let mut fail = finding("VGL-LAMBDA-002", Status::Fail, Severity::High);
        fail.message = "env <vars> & \"no\" CMK\u{1b}[31m".into();
        let mut err = finding("VGL-LAMBDA-002", Status::Error, Severity::High);
        err.resource_id = "other-fn".into();
        err.message = "rule evaluation failed".into();
        let mut muted = finding("VGL-LAMBDA-001", Status::Muted, Severity::Medium);
        muted.suppression = Some(SuppressionNote {
            reason: "legacy VPC".into(),
            approved_by: Some("ciso".into()),
            expires: Some("2027-01-01".into()),
        });
        let pass = finding("VGL-LAMBDA-003", Status::Pass, Severity::Medium);
        let r = result_with(vec![fail, err, muted, pass]);
        let report = JunitReporter::to_report(&r);
        assert_eq!(
            (report.tests, report.failures, report.errors, report.skipped),
            (4, 1, 1, 1)
        );
        assert_eq!(report.test_suites.len(), 3);
        assert_eq!(
            report.test_suites[0].name.as_str(),
            "VGL-LAMBDA-001 title of VGL-LAMBDA-001"
        );

        let xml = render(&r);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains(
            "<testcase name=\"111122223333/eu-west-1/orders-api\" classname=\"VGL-LAMBDA-002\""
        ));
        // Escaped, and the terminal escape sequence is shown, not written.
        assert!(xml.contains(
            "<failure message=\"env &lt;vars&gt; &amp; &quot;no&quot; CMK\\x1b[31m\" type=\"high\">"
        ));
        assert!(!xml.contains('\u{1b}'));
        assert!(xml.contains("remediation: Set KmsKeyArn."));
        assert!(xml.contains("<error message=\"rule evaluation failed\" type=\"high\">"));
        assert!(xml.contains("<skipped message=\"legacy VPC\">"));
        assert!(xml.contains("approved by: ciso"));
        assert!(xml.contains("timestamp=\"2026-01-02T03:04:05.678+00:00\""));
        assert!(xml.contains("time=\"0.000\""));
    }

    #[test]
    fn scope_errors_name_the_resource_type() {
        let mut e = finding("VGL-DDB-001", Status::Error, Severity::High);
        e.resource_id = "".into();
        e.resource_arn = "".into();
        e.resource_type = "AWS::DynamoDB::Table".into();
        assert_eq!(case_name(&e), "111122223333/eu-west-1/AWS::DynamoDB::Table");
    }

    /// Whether XML 1.0 can hold `c` (its `Char` production).
    fn xml_char(c: char) -> bool {
        matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..)
    }

    #[test]
    fn characters_xml_forbids_never_reach_the_file() {
        let hostile = "api\u{fffe}\u{ffff}\u{1}\u{1b}]0;t\u{7}\u{9b}2J";
        let mut evil = finding("VGL-APIGW-001", Status::Fail, Severity::High);
        evil.resource_id = hostile.into();
        evil.message = format!("REST API {hostile}: method GET / has authorizationType NONE");
        evil.resource_arn = format!("arn:aws:apigateway:eu-west-1::/restapis/{hostile}").into();
        let mut muted = finding("VGL-LAMBDA-001", Status::Muted, Severity::Medium);
        muted.resource_id = hostile.into();
        muted.suppression = Some(SuppressionNote {
            reason: hostile.into(),
            approved_by: Some(hostile.into()),
            expires: None,
        });
        let mut other = finding("VGL-LAMBDA-002", Status::Fail, Severity::High);
        other.account_id = "444455556666".into();
        other.resource_id = "card-ledger".into();
        let xml = render(&result_with(vec![evil, muted, other]));
        let bad: Vec<char> = xml.chars().filter(|&c| !xml_char(c)).collect();
        assert!(bad.is_empty(), "XML 1.0 forbids {bad:?}");
        assert!(xml.contains(
            "name=\"111122223333/eu-west-1/api\\u{fffe}\\u{ffff}\\x01\\x1b]0;t\\x07\\u{9b}2J\""
        ));
        assert!(xml.contains("<testcase name=\"444455556666/eu-west-1/card-ledger\""));
        assert_eq!(xml.matches("<failure ").count(), 2);
    }
}
