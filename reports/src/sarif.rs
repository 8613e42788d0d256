//! `--format sarif`: a SARIF 2.1.0 log for GitHub code scanning and other SARIF consumers.
//!
//! One run. `tool.driver.rules` is the rule registry of the run; results are the `fail`
//! findings only (passing, muted and error findings are not alerts). Scopes that could not be
//! assessed are not silently dropped: each becomes a tool execution notification of the
//! invocation, and `executionSuccessful` is false.
//!
//! A cloud resource has no file, but GitHub code scanning rejects results without a physical
//! location, so every result carries both the resource ARN as a logical location and a
//! synthetic, stable relative URI (`aws/<account>/<region>/<Service>/<Type>/<resource id>`
//! under the uriBaseId [`URI_BASE_ID`]) with region line 1.

use crate::{Reporter, ScanResult};
use serde_json::{json, Value};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, ReportingDescriptorReference, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use vigil_model::{Change, Finding, RuleInfo, ScanError, Severity, Status};

/// `$schema` of the log: the SARIF 2.1.0 schema, as GitHub's documentation names it.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The uriBaseId of the synthetic artifact URIs (they name AWS resources, not files).
pub const URI_BASE_ID: &str = "AWS";

/// Key of the finding's fingerprint in `partialFingerprints`; bump the version if the
/// fingerprint's definition ever changes, so consumers do not match old and new values.
pub const FINGERPRINT_KEY: &str = "vigilFingerprint/v1";

/// The project's home page, when the package metadata names one (`repository`, else
/// `homepage`); SARIF's `tool.driver.informationUri`.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty())
}

/// The SARIF report.
pub struct SarifReporter;

/// SARIF level of a severity: critical/high → error, medium → warning, low/info → note.
pub fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// `properties.security-severity` of a rule, GitHub's convention (a number in a string):
/// over 9.0 is critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so that any resource id
/// (it may hold `/`, `:` or spaces) stays one path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The synthetic relative URI of a finding's resource:
/// `aws/<account>/<region>/<Service>/<Type>/<resource id>` (`AWS::Lambda::Function` →
/// `Lambda/Function`). It depends only on fields of the fingerprint's resource, so it is
/// stable across runs.
pub fn artifact_uri(f: &Finding) -> String {
    let mut parts = vec![
        "aws".to_string(),
        encode_segment(&f.account_id),
        encode_segment(&f.region),
    ];
    let type_path: Vec<&str> = f
        .resource_type
        .split("::")
        .filter(|p| !p.is_empty())
        .collect();
    let type_path = match type_path.split_first() {
        Some((&"AWS", rest)) if !rest.is_empty() => rest.to_vec(),
        _ => type_path,
    };
    parts.extend(type_path.iter().map(|p| encode_segment(p)));
    let id = if f.resource_id.is_empty() {
        f.fingerprint.as_str()
    } else {
        f.resource_id.as_str()
    };
    parts.push(encode_segment(id));
    parts.join("/")
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

fn message(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn property_bag(props: BTreeMap<String, Value>) -> PropertyBag {
    PropertyBag::builder().additional_properties(props).build()
}

fn rule_descriptor(r: &RuleInfo) -> ReportingDescriptor {
    let mut tags = vec!["security".to_string()];
    tags.extend(r.resource_types.iter().cloned());
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        json!(security_severity(r.severity)),
    );
    props.insert("severity".to_string(), json!(r.severity.as_str()));
    ReportingDescriptor::builder()
        .id(&r.id)
        .name(&r.title)
        .short_description(text(&r.title))
        .full_description(text(&r.description))
        .help(
            MultiformatMessageString::builder()
                .text(&r.remediation)
                .markdown(&r.remediation)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(r.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(props)
                .build(),
        )
        .build()
}

fn resource_location(f: &Finding) -> Location {
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(artifact_uri(f))
                        .uri_base_id(URI_BASE_ID)
                        .build(),
                )
                .region(Region::builder().start_line(1).build())
                .build(),
        )
        .logical_locations(vec![LogicalLocation::builder()
            .fully_qualified_name(f.resource_arn.as_str())
            .name(f.resource_id.as_str())
            .kind("resource")
            .build()])
        .build()
}

fn result_of(f: &Finding, rule_index: Option<usize>) -> SarifResult {
    let mut props = BTreeMap::new();
    for (k, v) in [
        ("account_id", &f.account_id),
        ("account_name", &f.account_name),
        ("region", &f.region),
        ("resource_type", &f.resource_type),
        ("resource_arn", &f.resource_arn),
    ] {
        props.insert(k.to_string(), json!(v));
    }
    props.insert("severity".to_string(), json!(f.severity.as_str()));
    if let Some(c) = f.change {
        props.insert("change".to_string(), json!(c.as_str()));
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    let mut r = SarifResult::builder()
        .rule_id(f.rule_id.as_str())
        .level(level(f.severity))
        .message(message(&f.message))
        .locations(vec![resource_location(f)])
        .partial_fingerprints(fingerprints)
        .properties(property_bag(props))
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    // SARIF's own comparison with a previous run, from `--baseline` / the state table.
    r.baseline_state = match f.change {
        Some(Change::New) => Some(json!("new")),
        Some(Change::Unchanged) => Some(json!("unchanged")),
        Some(Change::Resolved) => Some(json!("absent")),
        None => None,
    };
    r
}

/// A scope that could not be assessed, as an invocation notification.
fn scope_notification(e: &ScanError) -> Notification {
    let resource = e
        .resource
        .as_deref()
        .map(|r| format!(", resource {r}"))
        .unwrap_or_default();
    let text = format!(
        "not assessed: account {}, region {}, service {}{resource}: {} failed with {}: {}",
        e.account_id, e.region, e.service, e.operation, e.code, e.message
    );
    let mut props = BTreeMap::new();
    for (k, v) in [
        ("account_id", &e.account_id),
        ("region", &e.region),
        ("service", &e.service),
        ("operation", &e.operation),
        ("code", &e.code),
    ] {
        props.insert(k.to_string(), json!(v));
    }
    if let Some(r) = &e.resource {
        props.insert("resource".to_string(), json!(r));
    }
    Notification::builder()
        .level(json!("error"))
        .message(message(text))
        .properties(property_bag(props))
        .build()
}

/// A rule that could not be evaluated on one resource, as an invocation notification.
fn evaluation_notification(f: &Finding, rule_index: Option<usize>) -> Notification {
    let mut reference = ReportingDescriptorReference::builder()
        .id(f.rule_id.as_str())
        .build();
    reference.index = rule_index.map(|i| i as i64);
    let mut n = Notification::builder()
        .level(json!("error"))
        .message(message(format!(
            "{} on {}: {}",
            f.rule_id,
            if f.resource_arn.is_empty() {
                &f.resource_id
            } else {
                &f.resource_arn
            },
            f.message
        )))
        .associated_rule(reference)
        .build();
    if !f.resource_arn.is_empty() {
        n.locations = Some(vec![Location::builder()
            .logical_locations(vec![LogicalLocation::builder()
                .fully_qualified_name(f.resource_arn.as_str())
                .kind("resource")
                .build()])
            .build()]);
    }
    n
}

impl SarifReporter {
    /// The SARIF log.
    pub fn to_log(result: &ScanResult) -> Sarif {
        let index: HashMap<&str, usize> = result
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let idx = |id: &str| index.get(id).copied();

        let mut driver = ToolComponent::builder()
            .name("vigil")
            .version(&result.tool_version)
            .semantic_version(&result.tool_version)
            .rules(result.rules.iter().map(rule_descriptor).collect::<Vec<_>>())
            .build();
        driver.information_uri = information_uri().map(str::to_string);

        let results: Vec<SarifResult> = result
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| result_of(f, idx(&f.rule_id)))
            .collect();

        // Scope errors also appear as `error` findings (one per affected rule), which carry
        // no resource; the notification per scope says it once. Findings with a resource are
        // rule evaluation failures and get their own notification.
        let mut notifications: Vec<Notification> =
            result.errors.iter().map(scope_notification).collect();
        notifications.extend(
            result
                .findings
                .iter()
                .filter(|f| f.status == Status::Error && !f.resource_arn.is_empty())
                .map(|f| evaluation_notification(f, idx(&f.rule_id))),
        );
        let mut invocation = Invocation::builder()
            .execution_successful(notifications.is_empty())
            .build();
        invocation.start_time_utc = Some(result.started_at.clone()).filter(|s| !s.is_empty());
        invocation.end_time_utc = Some(result.finished_at.clone()).filter(|s| !s.is_empty());
        if !notifications.is_empty() {
            invocation.tool_execution_notifications = Some(notifications);
        }

        let run = Run::builder()
            .tool(Tool::builder().driver(driver).build())
            .invocations(vec![invocation])
            .results(results)
            .build();
        Sarif::builder()
            .schema(SCHEMA_URI)
            .version(json!("2.1.0"))
            .runs(vec![run])
            .build()
    }
}

impl Reporter for SarifReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Self::to_log(result))?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};
    use vigil_model::SkippedRegion;

    #[test]
    fn levels_and_security_severity_follow_the_convention() {
        assert_eq!(level(Severity::Critical), ResultLevel::Error);
        assert_eq!(level(Severity::High), ResultLevel::Error);
        assert_eq!(level(Severity::Medium), ResultLevel::Warning);
        assert_eq!(level(Severity::Low), ResultLevel::Note);
        assert_eq!(level(Severity::Info), ResultLevel::Note);
        for (s, v) in [
            (Severity::Critical, 9.5),
            (Severity::High, 8.0),
            (Severity::Medium, 5.5),
            (Severity::Low, 3.0),
            (Severity::Info, 0.0),
        ] {
            assert_eq!(security_severity(s).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn artifact_uri_is_relative_stable_and_one_segment_per_id() {
        let mut f = finding("VGL-CONFIG-001", Status::Fail, Severity::High);
        f.resource_type = "AWS::Config::Region".into();
        f.resource_id = "111122223333/eu-west-1".into();
        assert_eq!(
            artifact_uri(&f),
            "aws/111122223333/eu-west-1/Config/Region/111122223333%2Feu-west-1"
        );
        f.resource_type = "Custom".into();
        f.resource_id = "a b".into();
        assert_eq!(artifact_uri(&f), "aws/111122223333/eu-west-1/Custom/a%20b");
    }

    #[test]
    fn only_failures_become_results_and_errors_become_notifications() {
        let mut r = result_with(vec![
            finding("VGL-LAMBDA-002", Status::Fail, Severity::High),
            finding("VGL-LAMBDA-002", Status::Pass, Severity::High),
            finding("VGL-LAMBDA-002", Status::Muted, Severity::High),
            {
                let mut f = finding("VGL-LAMBDA-002", Status::Error, Severity::High);
                f.message = "rule evaluation failed: boom".into();
                f
            },
        ]);
        r.findings[0].change = Some(Change::New);
        r.errors.push(ScanError {
            account_id: "444455556666".into(),
            region: "eu-west-1".into(),
            service: "dynamodb".into(),
            operation: "ListTables".into(),
            code: "AccessDeniedException".into(),
            message: "no".into(),
            resource: None,
        });
        r.skipped_regions.push(SkippedRegion {
            account_id: "444455556666".into(),
            region: "ap-east-1".into(),
            reason: "not enabled".into(),
        });
        let v = serde_json::to_value(SarifReporter::to_log(&r)).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SCHEMA_URI);
        let run = &v["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        let res = &results[0];
        assert_eq!(res["ruleId"], "VGL-LAMBDA-002");
        assert_eq!(res["ruleIndex"], 0);
        assert_eq!(res["level"], "error");
        assert_eq!(res["baselineState"], "new");
        assert_eq!(res["properties"]["change"], "new");
        assert_eq!(
            res["partialFingerprints"][FINGERPRINT_KEY],
            r.findings[0].fingerprint.as_str()
        );
        let loc = &res["locations"][0];
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            r.findings[0].resource_arn.as_str()
        );
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "AWS"
        );
        assert_eq!(loc["physicalLocation"]["region"]["startLine"], 1);
        let rule = &run["tool"]["driver"]["rules"][0];
        assert_eq!(rule["properties"]["security-severity"], "8.0");
        assert_eq!(
            rule["properties"]["tags"],
            json!(["security", "AWS::Lambda::Function"])
        );
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        let inv = &run["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let notes = inv["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0]["level"], "error");
        let text = notes[0]["message"]["text"].as_str().unwrap();
        for part in [
            "444455556666",
            "eu-west-1",
            "dynamodb",
            "ListTables",
            "AccessDeniedException",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert_eq!(notes[1]["associatedRule"]["id"], "VGL-LAMBDA-002");
        assert!(notes[1]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("boom"));
    }

    #[test]
    fn a_clean_run_is_successful_with_no_results() {
        let r = result_with(vec![finding(
            "VGL-LAMBDA-002",
            Status::Pass,
            Severity::High,
        )]);
        let v = serde_json::to_value(SarifReporter::to_log(&r)).unwrap();
        assert_eq!(v["runs"][0]["results"], json!([]));
        assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], true);
        assert!(v["runs"][0]["invocations"][0]
            .get("toolExecutionNotifications")
            .is_none());
    }
}
