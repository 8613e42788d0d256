//! `--format ocsf`: OCSF 1.1.0 Compliance Finding events, for Amazon Security Lake and other
//! OCSF consumers.
//!
//! A JSON array with one event (class `compliance_finding`, class_uid 2003) per evaluated
//! (rule, resource) pair: every finding of the result, whatever its status, so a consumer sees
//! what passed as well as what failed. OCSF 1.1.0 is the version Amazon Security Lake
//! documents for its sources (Security Lake user guide, "Open Cybersecurity Schema Framework
//! (OCSF) in Security Lake", source identification version 2: every source, Security Hub's
//! Compliance Finding events among them, has `metadata.version` 1.1.0).
//!
//! Security Lake itself stores Parquet; this array is what a custom-source pipeline converts.
//! The events declare the `cloud` profile and validate against the JSON Schema of that class
//! and profile derived from OCSF's schema repository (tests/data/schemas/, docs/ocsf.md has
//! the field mapping).

use crate::{Reporter, ScanResult};
use chrono::DateTime;
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::{json, Map, Value};
use std::io::Write;
use vigil_model::{Finding, Framework, RegionScope, Severity, Status};

/// The OCSF schema version of the events (`metadata.version`).
pub const OCSF_VERSION: &str = "1.1.0";

/// OCSF `class_uid` of Compliance Finding (category 2, Findings; class 3 of it).
pub const CLASS_UID: u32 = 2003;
const CLASS_NAME: &str = "Compliance Finding";
const CATEGORY_UID: u32 = 2;
const CATEGORY_NAME: &str = "Findings";
/// Every event reports a finding as vigil produced it: activity Create.
const ACTIVITY_ID: u32 = 1;
const ACTIVITY_NAME: &str = "Create";

/// The profiles whose attributes the events use (`cloud`, `account` of `cloud`, a resource's
/// `region` and `cloud_partition`).
pub const PROFILES: [&str; 1] = ["cloud"];

/// `metadata.product.name` and `vendor_name`: vigil is its own vendor.
const PRODUCT: &str = "vigil";

/// `compliance.standards` always names vigil's own rule catalogue, the standard whose control
/// (`compliance.control`, the rule id) was evaluated; the frameworks the rule maps to follow.
const VIGIL_STANDARD: &str = "vigil rules";

/// OCSF `account.type_id` 10, "AWS Account".
const AWS_ACCOUNT_TYPE_ID: u32 = 10;

/// The OCSF report.
#[derive(Default)]
pub struct OcsfReporter;

/// OCSF `severity_id` and its caption.
pub fn severity(s: Severity) -> (u32, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// The finding's workflow status (`status_id`, `status`). A failure is New; a muted one was
/// reviewed and suppressed; a pass needs no action, which Security Hub also records as
/// Resolved for a passed control check. An error is New: someone has to look at why the
/// resource could not be judged.
pub fn workflow_status(s: Status) -> (u32, &'static str) {
    match s {
        Status::Fail | Status::Error => (1, "New"),
        Status::Muted => (3, "Suppressed"),
        Status::Pass => (4, "Resolved"),
    }
}

/// The result of the check (`compliance.status_id`, `compliance.status`). A muted finding still
/// failed the check (suppressions only mute failures); an error yielded no result for want of
/// information, OCSF's Warning.
pub fn compliance_status(s: Status) -> (u32, &'static str) {
    match s {
        Status::Pass => (1, "Pass"),
        Status::Error => (2, "Warning"),
        Status::Fail | Status::Muted => (3, "Fail"),
    }
}

/// The ARN's partition (`aws`, `aws-cn`, `aws-us-gov`), if the string is an ARN.
fn partition(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(p), Some(_)) if !p.is_empty() => Some(p),
        _ => None,
    }
}

/// A real AWS region: not vigil's `global` (account-level resources) nor `*` (every region).
fn aws_region(region: &str) -> Option<&str> {
    let scope = [
        RegionScope::Global.as_str(),
        RegionScope::AllRegions.as_str(),
    ];
    (!region.is_empty() && !scope.contains(&region)).then_some(region)
}

/// Inserts `value` under `key` unless it is an empty string: OCSF leaves unknown attributes
/// out rather than writing them empty.
fn put(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.into(), json!(value));
    }
}

/// The event time: milliseconds since the epoch of the end of the scan (else its start).
fn event_time(result: &ScanResult) -> Result<i64, String> {
    let stamp = [&result.finished_at, &result.started_at]
        .into_iter()
        .find(|s| !s.is_empty())
        .ok_or("the scan has neither a finish nor a start time (an old snapshot?)")?;
    DateTime::parse_from_rfc3339(stamp)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("scan time {stamp:?} is not an RFC 3339 time: {e}"))
}

/// What the events share: the scan's time, metadata and organization.
struct Context<'a> {
    time: i64,
    metadata: Value,
    org_id: &'a str,
}

impl<'a> Context<'a> {
    fn new(result: &'a ScanResult) -> Result<Self, String> {
        Ok(Context {
            time: event_time(result)?,
            metadata: json!({
                "version": OCSF_VERSION,
                "profiles": PROFILES,
                "product": {
                    "name": PRODUCT,
                    "vendor_name": PRODUCT,
                    "version": result.tool_version,
                },
            }),
            org_id: &result.org.id,
        })
    }

    /// The Compliance Finding event of one finding.
    fn event(&self, f: &Finding) -> Value {
        let (severity_id, severity) = severity(f.severity);
        let (status_id, status) = workflow_status(f.status);
        let region = aws_region(&f.region);

        let mut account = Map::new();
        put(&mut account, "uid", &f.account_id);
        put(&mut account, "name", &f.account_name);
        account.insert("type_id".into(), json!(AWS_ACCOUNT_TYPE_ID));
        account.insert("type".into(), json!("AWS Account"));
        let mut cloud = Map::new();
        cloud.insert("provider".into(), json!("AWS"));
        cloud.insert("account".into(), Value::Object(account));
        if let Some(r) = region {
            cloud.insert("region".into(), json!(r));
        }
        if !self.org_id.is_empty() {
            cloud.insert("org".into(), json!({ "uid": self.org_id }));
        }

        // The resource; a scope that could not be assessed has no ARN, only the type the rule
        // would have judged there.
        let mut resource = Map::new();
        put(&mut resource, "uid", &f.resource_arn);
        put(&mut resource, "name", &f.resource_id);
        put(&mut resource, "type", &f.resource_type);
        if let Some(r) = region {
            resource.insert("region".into(), json!(r));
        }
        if let Some(p) = partition(&f.resource_arn) {
            resource.insert("cloud_partition".into(), json!(p));
        }

        // The rule as the analytic; its description stays in the catalogue (`vigil rules
        // show`): repeated in every event it would outweigh the finding.
        let mut analytic = Map::new();
        analytic.insert("type_id".into(), json!(1));
        analytic.insert("type".into(), json!("Rule"));
        put(&mut analytic, "uid", &f.rule_id);
        put(&mut analytic, "name", &f.title);
        let mut finding_info = Map::new();
        finding_info.insert("uid".into(), json!(f.fingerprint));
        finding_info.insert("title".into(), json!(f.title));
        put(&mut finding_info, "desc", &f.message);
        finding_info.insert("types".into(), json!(["Software and Configuration Checks"]));
        finding_info.insert("created_time".into(), json!(self.time));
        finding_info.insert("analytic".into(), Value::Object(analytic));

        let mut event = Map::new();
        for (k, v) in [
            ("activity_id", json!(ACTIVITY_ID)),
            ("activity_name", json!(ACTIVITY_NAME)),
            ("category_uid", json!(CATEGORY_UID)),
            ("category_name", json!(CATEGORY_NAME)),
            ("class_uid", json!(CLASS_UID)),
            ("class_name", json!(CLASS_NAME)),
            ("type_uid", json!(CLASS_UID * 100 + ACTIVITY_ID)),
            ("type_name", json!(format!("{CLASS_NAME}: {ACTIVITY_NAME}"))),
            ("time", json!(self.time)),
            ("severity_id", json!(severity_id)),
            ("severity", json!(severity)),
            ("status_id", json!(status_id)),
            ("status", json!(status)),
            ("metadata", self.metadata.clone()),
            ("cloud", Value::Object(cloud)),
            ("finding_info", Value::Object(finding_info)),
            ("compliance", compliance(f)),
            ("resource", Value::Object(resource)),
        ] {
            event.insert(k.into(), v);
        }
        if !f.remediation.is_empty() {
            event.insert("remediation".into(), json!({ "desc": f.remediation }));
        }
        event.insert("unmapped".into(), unmapped(f));
        Value::Object(event)
    }
}

/// `compliance`: the rule is the control; the standards are vigil's catalogue and the
/// frameworks whose controls the rule corresponds to (FSBP, CIS), the requirements those
/// controls as `<standard>/<id>` (the form of Security Hub's RelatedRequirements).
fn compliance(f: &Finding) -> Value {
    let (status_id, status) = compliance_status(f.status);
    let mut standards = vec![VIGIL_STANDARD.to_string()];
    let mut requirements = Vec::new();
    for fw in [Framework::Fsbp, Framework::Cis] {
        let ids = f.related.get(fw);
        if !ids.is_empty() {
            standards.push(fw.title().to_string());
            requirements.extend(ids.iter().map(|id| format!("{}/{id}", fw.title())));
        }
    }
    let mut c = Map::new();
    c.insert("control".into(), json!(f.rule_id));
    c.insert("standards".into(), json!(standards));
    if !requirements.is_empty() {
        c.insert("requirements".into(), json!(requirements));
    }
    c.insert("status_id".into(), json!(status_id));
    c.insert("status".into(), json!(status));
    // vigil's own word for the result; for an error, why there is none (a failure's message
    // is the finding's description, `finding_info.desc`).
    c.insert("status_code".into(), json!(f.status.as_str()));
    if f.status == Status::Error {
        put(&mut c, "status_detail", &f.message);
    }
    Value::Object(c)
}

/// What OCSF has no attribute for: vigil's status and region scope, the comparison with the
/// previous run, the suppression that muted the finding, and the equivalent checks of other
/// tools (AWS Config managed rules, Prowler).
fn unmapped(f: &Finding) -> Value {
    let mut u = Map::new();
    u.insert("vigil_status".into(), json!(f.status.as_str()));
    if aws_region(&f.region).is_none() {
        put(&mut u, "region", &f.region);
    }
    if let Some(c) = f.change {
        u.insert("change".into(), json!(c.as_str()));
    }
    if let Some(s) = &f.suppression {
        u.insert("suppression".into(), json!(s));
    }
    let mut checks = Map::new();
    for fw in [Framework::AwsConfig, Framework::Prowler] {
        let ids = f.related.get(fw);
        if !ids.is_empty() {
            checks.insert(fw.key().into(), json!(ids));
        }
    }
    if !checks.is_empty() {
        u.insert("related_checks".into(), Value::Object(checks));
    }
    Value::Object(u)
}

/// The events of a result, serialized one at a time (no copy of every finding as a JSON
/// value at once).
struct Events<'a>(&'a ScanResult);

impl Serialize for Events<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cx = Context::new(self.0).map_err(S::Error::custom)?;
        s.collect_seq(self.0.findings.iter().map(|f| cx.event(f)))
    }
}

impl Reporter for OcsfReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Events(result)).map_err(|e| {
            if e.is_io() {
                std::io::Error::from(e)
            } else {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("--format ocsf: {e}"),
                )
            }
        })?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};
    use std::sync::Arc;
    use vigil_model::{Change, Related, SuppressionNote};

    fn events(result: &ScanResult) -> Vec<Value> {
        let mut out = Vec::new();
        OcsfReporter.write(result, &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).expect("the report is JSON");
        v.as_array().expect("a JSON array").clone()
    }

    #[test]
    fn one_event_per_finding_of_every_status() {
        let statuses = [Status::Fail, Status::Pass, Status::Muted, Status::Error];
        let result = result_with(
            statuses
                .iter()
                .enumerate()
                .map(|(i, s)| finding(&format!("VGL-T-00{i}"), *s, Severity::High))
                .collect(),
        );
        let ev = events(&result);
        assert_eq!(ev.len(), 4);
        let got: Vec<(u64, u64, &str)> = ev
            .iter()
            .map(|e| {
                (
                    e["status_id"].as_u64().unwrap(),
                    e["compliance"]["status_id"].as_u64().unwrap(),
                    e["unmapped"]["vigil_status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 3, "fail"),
                (4, 1, "pass"),
                (3, 3, "muted"),
                (1, 2, "error"),
            ]
        );
        assert_eq!(ev[0]["status"], "New");
        assert_eq!(ev[1]["compliance"]["status"], "Pass");
        assert_eq!(ev[2]["status"], "Suppressed");
        assert_eq!(ev[3]["compliance"]["status"], "Warning");
    }

    #[test]
    fn classification_time_and_metadata() {
        let result = result_with(vec![finding("VGL-T-001", Status::Fail, Severity::Medium)]);
        let e = &events(&result)[0];
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["class_name"], "Compliance Finding");
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["category_name"], "Findings");
        assert_eq!(e["activity_id"], 1);
        assert_eq!(e["type_uid"], 200301);
        assert_eq!(e["type_name"], "Compliance Finding: Create");
        // finished_at 2026-01-02T03:04:09Z, in milliseconds.
        assert_eq!(e["time"], 1_767_323_049_000_i64);
        assert_eq!(e["finding_info"]["created_time"], e["time"]);
        assert_eq!(e["severity_id"], 3);
        assert_eq!(e["severity"], "Medium");
        assert_eq!(e["metadata"]["version"], "1.1.0");
        assert_eq!(e["metadata"]["profiles"], json!(["cloud"]));
        assert_eq!(e["metadata"]["product"]["name"], "vigil");
        assert_eq!(e["metadata"]["product"]["version"], "0.0.0-test");
    }

    #[test]
    fn severities_map_to_ocsf_ids() {
        let ids: Vec<u32> = Severity::ALL_DESC.iter().map(|s| severity(*s).0).collect();
        assert_eq!(ids, vec![5, 4, 3, 2, 1]);
    }

    #[test]
    fn cloud_resource_finding_info_and_remediation() {
        let mut result = result_with(vec![finding("VGL-T-001", Status::Fail, Severity::High)]);
        let f = &result.findings[0];
        let fp = f.fingerprint.clone();
        let e = &events(&result)[0];
        assert_eq!(
            e["cloud"],
            json!({
                "provider": "AWS",
                "region": "eu-west-1",
                "org": {"uid": "o-test"},
                "account": {"uid": "111122223333", "name": "payments-prod", "type_id": 10, "type": "AWS Account"},
            })
        );
        assert_eq!(
            e["resource"],
            json!({
                "uid": "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
                "name": "orders-api",
                "type": "AWS::Lambda::Function",
                "region": "eu-west-1",
                "cloud_partition": "aws",
            })
        );
        assert_eq!(e["finding_info"]["uid"], fp.as_str());
        assert_eq!(e["finding_info"]["title"], "title of VGL-T-001");
        assert_eq!(
            e["finding_info"]["desc"],
            "function orders-api has environment variables but no CMK"
        );
        assert_eq!(
            e["finding_info"]["analytic"],
            json!({"type_id": 1, "type": "Rule", "uid": "VGL-T-001", "name": "title of VGL-T-001"})
        );
        assert_eq!(e["remediation"], json!({"desc": "Set KmsKeyArn."}));

        // No organization id, no remediation: left out rather than written empty.
        result.org.id.clear();
        result.findings[0].remediation = "".into();
        let e = &events(&result)[0];
        assert!(e["cloud"].get("org").is_none());
        assert!(e.get("remediation").is_none());
    }

    #[test]
    fn global_and_scope_findings_carry_no_region_or_arn() {
        let mut global = finding("VGL-T-001", Status::Pass, Severity::Low);
        global.region = "global".into();
        global.resource_arn =
            "arn:aws:organizations::111122223333:account/o-test/111122223333".into();
        let mut scope = finding("VGL-T-002", Status::Error, Severity::Low);
        scope.region = "*".into();
        scope.resource_arn = "".into();
        scope.resource_id = "".into();
        scope.message = "not assessed: AssumeRole failed: AccessDenied: no".into();
        let ev = events(&result_with(vec![global, scope]));
        for e in &ev {
            assert!(e["cloud"].get("region").is_none(), "{e}");
            assert!(e["resource"].get("region").is_none(), "{e}");
        }
        assert_eq!(ev[0]["unmapped"]["region"], "global");
        assert_eq!(ev[0]["resource"]["cloud_partition"], "aws");
        assert_eq!(ev[1]["unmapped"]["region"], "*");
        assert_eq!(
            ev[1]["resource"],
            json!({"type": "AWS::Lambda::Function"}),
            "a scope error names the resource type only"
        );
        assert_eq!(
            ev[1]["compliance"]["status_detail"],
            "not assessed: AssumeRole failed: AccessDenied: no"
        );
    }

    #[test]
    fn compliance_names_the_frameworks_of_the_rule() {
        let mut f = finding("VGL-T-001", Status::Fail, Severity::High);
        f.related = Arc::new(Related {
            fsbp: vec!["Lambda.1".into()],
            cis: vec!["3.3".into(), "3.4".into()],
            aws_config: vec!["lambda-function-public-access-prohibited".into()],
            prowler: vec![],
        });
        let e = &events(&result_with(vec![f]))[0];
        assert_eq!(
            e["compliance"],
            json!({
                "control": "VGL-T-001",
                "standards": [
                    "vigil rules",
                    "AWS Foundational Security Best Practices",
                    "CIS AWS Foundations Benchmark v3.0.0",
                ],
                "requirements": [
                    "AWS Foundational Security Best Practices/Lambda.1",
                    "CIS AWS Foundations Benchmark v3.0.0/3.3",
                    "CIS AWS Foundations Benchmark v3.0.0/3.4",
                ],
                "status_id": 3,
                "status": "Fail",
                "status_code": "fail",
            })
        );
        assert_eq!(
            e["unmapped"]["related_checks"],
            json!({"aws_config": ["lambda-function-public-access-prohibited"]})
        );

        // A rule of no framework is still a control of vigil's own catalogue.
        let e = &events(&result_with(vec![finding(
            "VGL-T-002",
            Status::Pass,
            Severity::Low,
        )]))[0];
        assert_eq!(e["compliance"]["standards"], json!(["vigil rules"]));
        assert!(e["compliance"].get("requirements").is_none());
        assert!(e["compliance"].get("status_detail").is_none());
    }

    #[test]
    fn change_and_suppression_are_kept_unmapped() {
        let mut f = finding("VGL-T-001", Status::Muted, Severity::High);
        f.change = Some(Change::New);
        f.suppression = Some(SuppressionNote {
            reason: "accepted risk".into(),
            approved_by: Some("ciso".into()),
            expires: Some("2027-01-31".into()),
        });
        let e = &events(&result_with(vec![f]))[0];
        assert_eq!(
            e["unmapped"],
            json!({
                "vigil_status": "muted",
                "change": "new",
                "suppression": {"reason": "accepted risk", "approved_by": "ciso", "expires": "2027-01-31"},
            })
        );
    }

    #[test]
    fn the_time_falls_back_to_the_start_and_is_required() {
        let mut result = result_with(vec![finding("VGL-T-001", Status::Fail, Severity::High)]);
        result.finished_at.clear();
        // started_at 2026-01-02T03:04:05.678Z
        assert_eq!(events(&result)[0]["time"], 1_767_323_045_678_i64);
        result.started_at.clear();
        let err = OcsfReporter.write(&result, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .contains("neither a finish nor a start time"),
            "{err}"
        );
        result.started_at = "yesterday".into();
        let err = OcsfReporter.write(&result, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("not an RFC 3339 time"), "{err}");
    }

    #[test]
    fn no_findings_is_an_empty_array() {
        let mut out = Vec::new();
        OcsfReporter
            .write(&result_with(Vec::new()), &mut out)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }
}
