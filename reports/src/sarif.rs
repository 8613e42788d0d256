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
//!
//! A run holds at most [`DEFAULT_MAX_RESULTS`] results (GitHub code scanning's limit, see
//! there): the most severe failures, and the run says how many were left out.

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

/// Results GitHub code scanning accepts in one run; a run with more is rejected whole
/// ("Analysis SARIF file rejected due to result limits"), so CI would lose every account's
/// results. GitHub Docs, "SARIF results exceed one or more limits"
/// (docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit),
/// table of limits: "Results per run | 25,000 | Only the top 5,000 results will be included,
/// prioritized by severity."
pub const GITHUB_MAX_RESULTS_PER_RUN: usize = 25_000;

/// Results of one run that GitHub code scanning stores and shows (same table: "Only the top
/// 5,000 results will be included, prioritized by severity"); the rest of an accepted run is
/// dropped ("Analysis SARIF file exceeded alert limits").
pub const GITHUB_KEPT_RESULTS_PER_RUN: usize = 5_000;

/// Results a run holds unless told otherwise: what GitHub keeps. vigil chooses which ones
/// (the most severe, see [`SarifReporter::to_log_with_limit`]) rather than leave the choice to
/// the upload: GitHub's own selection was reported not to follow severity as documented
/// (github/docs#38085: "Only the top 5,000 results will be included, prioritized by severity.
/// does not describe actual deployed behavior"). Every finding stays in the JSON and CSV
/// reports.
pub const DEFAULT_MAX_RESULTS: usize = GITHUB_KEPT_RESULTS_PER_RUN;

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
    // The controls of other frameworks: `fsbp/Lambda.1`, `cis/3.3`, ...
    tags.extend(r.related.tags());
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

/// The failing findings that become results, at most `max`: the most severe first, ties in
/// the order of `result.findings` (the reports' stable order once sorted). Also returns how
/// many failing findings there were.
fn kept_failures(result: &ScanResult, max: usize) -> (Vec<&Finding>, usize) {
    let mut failing: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    let total = failing.len();
    if total > max {
        // Stable: findings of one severity keep their order.
        failing.sort_by_key(|f| std::cmp::Reverse(f.severity));
        failing.truncate(max);
    }
    (failing, total)
}

/// What a run says when results were left out: run properties and a warning notification.
fn omitted_note(kept: &[&Finding], total: usize, max: usize) -> (PropertyBag, Notification) {
    let omitted = total - kept.len();
    let mut kept_by_severity: BTreeMap<&str, u64> = BTreeMap::new();
    for f in kept {
        *kept_by_severity.entry(f.severity.as_str()).or_default() += 1;
    }
    let mut props = BTreeMap::new();
    props.insert("failingFindings".to_string(), json!(total));
    props.insert("maxResults".to_string(), json!(max));
    props.insert("omittedResults".to_string(), json!(omitted));
    let lowest_kept = kept.last().map(|f| f.severity.as_str()).unwrap_or("none");
    let text = format!(
        "{omitted} of {total} failing findings were left out of this run's results: a run holds \
         at most {max} results (GitHub code scanning keeps {GITHUB_KEPT_RESULTS_PER_RUN} of a run \
         and rejects a run of more than {GITHUB_MAX_RESULTS_PER_RUN}), the most severe first \
         (down to {lowest_kept}). The JSON and CSV reports hold every finding."
    );
    let mut note_props = BTreeMap::new();
    note_props.insert("failingFindings".to_string(), json!(total));
    note_props.insert("omittedResults".to_string(), json!(omitted));
    note_props.insert("includedBySeverity".to_string(), json!(kept_by_severity));
    let note = Notification::builder()
        .level(json!("warning"))
        .message(message(text))
        .properties(property_bag(note_props))
        .build();
    (property_bag(props), note)
}

impl SarifReporter {
    /// The SARIF log, with at most [`DEFAULT_MAX_RESULTS`] results.
    pub fn to_log(result: &ScanResult) -> Sarif {
        Self::to_log_with_limit(result, DEFAULT_MAX_RESULTS)
    }

    /// The SARIF log with at most `max_results` results: the most severe failing findings
    /// (ties in the order of `result.findings`). When some are left out, `run.properties`
    /// (`failingFindings`, `maxResults`, `omittedResults`) and a warning notification of the
    /// invocation say how many.
    pub fn to_log_with_limit(result: &ScanResult, max_results: usize) -> Sarif {
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

        let (kept, failing) = kept_failures(result, max_results);
        let results: Vec<SarifResult> =
            kept.iter().map(|f| result_of(f, idx(&f.rule_id))).collect();
        let omitted = (kept.len() < failing).then(|| omitted_note(&kept, failing, max_results));

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
        let execution_successful = notifications.is_empty();
        let mut run_properties = None;
        if let Some((props, note)) = omitted {
            notifications.push(note);
            run_properties = Some(props);
        }
        let mut invocation = Invocation::builder()
            .execution_successful(execution_successful)
            .build();
        invocation.start_time_utc = Some(result.started_at.clone()).filter(|s| !s.is_empty());
        invocation.end_time_utc = Some(result.finished_at.clone()).filter(|s| !s.is_empty());
        if !notifications.is_empty() {
            invocation.tool_execution_notifications = Some(notifications);
        }

        let mut run = Run::builder()
            .tool(Tool::builder().driver(driver).build())
            .invocations(vec![invocation])
            .results(results)
            .build();
        run.properties = run_properties;
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
    fn rules_carry_their_related_controls_as_tags() {
        let mut r = result_with(vec![finding("VGL-KMS-001", Status::Fail, Severity::Medium)]);
        r.rules[0].related = vigil_model::Related {
            fsbp: vec!["KMS.4".into()],
            cis: vec!["3.6".into()],
            aws_config: vec!["cmk-backing-key-rotation-enabled".into()],
            prowler: vec!["kms_cmk_rotation_enabled".into()],
        };
        let v = serde_json::to_value(SarifReporter::to_log(&r)).unwrap();
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"],
            json!([
                "security",
                "AWS::Lambda::Function",
                "fsbp/KMS.4",
                "cis/3.6",
                "aws_config/cmk-backing-key-rotation-enabled",
                "prowler/kms_cmk_rotation_enabled"
            ])
        );
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

    /// `n` failing findings of each severity, interleaved (info, low, ..., critical, info, ...)
    /// so that a cap has to pick by severity, not by position.
    fn many_failures(n: usize) -> ScanResult {
        let mut findings = Vec::new();
        for i in 0..n {
            for sev in [
                Severity::Info,
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ] {
                let mut f = finding(&format!("VGL-T-{}", sev.as_str()), Status::Fail, sev);
                f.resource_id = format!("fn-{i:03}").into();
                f.resource_arn =
                    format!("arn:aws:lambda:eu-west-1:111122223333:function:fn-{i:03}").into();
                findings.push(f);
            }
        }
        findings.push(finding("VGL-LAMBDA-002", Status::Pass, Severity::High));
        result_with(findings)
    }

    #[test]
    fn results_are_capped_most_severe_first_and_the_run_says_how_many_were_left_out() {
        let r = many_failures(10); // 50 failing
        let v = serde_json::to_value(SarifReporter::to_log_with_limit(&r, 23)).unwrap();
        let run = &v["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 23);
        let ids: Vec<&str> = results
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        // 10 critical, 10 high, then the first 3 medium in their original order.
        assert!(ids[..10].iter().all(|i| *i == "VGL-T-critical"), "{ids:?}");
        assert!(ids[10..20].iter().all(|i| *i == "VGL-T-high"), "{ids:?}");
        assert!(ids[20..].iter().all(|i| *i == "VGL-T-medium"), "{ids:?}");
        let names: Vec<&str> = results[20..]
            .iter()
            .map(|r| {
                r["locations"][0]["logicalLocations"][0]["name"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(names, ["fn-000", "fn-001", "fn-002"]);
        assert_eq!(run["properties"]["omittedResults"], 27);
        assert_eq!(run["properties"]["failingFindings"], 50);
        assert_eq!(run["properties"]["maxResults"], 23);
        let inv = &run["invocations"][0];
        assert_eq!(
            inv["executionSuccessful"], true,
            "leaving results out is no failure"
        );
        let notes = inv["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0]["level"], "warning");
        let text = notes[0]["message"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("27 of 50 failing findings were left out"),
            "{text}"
        );
        assert!(text.contains("down to medium"), "{text}");
        assert_eq!(notes[0]["properties"]["omittedResults"], 27);
        assert_eq!(
            notes[0]["properties"]["includedBySeverity"],
            json!({"critical": 10, "high": 10, "medium": 3})
        );
    }

    #[test]
    fn the_default_cap_is_what_github_keeps_and_a_run_under_it_is_unchanged() {
        assert_eq!(DEFAULT_MAX_RESULTS, 5_000);
        const { assert!(DEFAULT_MAX_RESULTS <= GITHUB_MAX_RESULTS_PER_RUN) };
        let r = many_failures(1_001); // 5,005 failing
        let v = serde_json::to_value(SarifReporter::to_log(&r)).unwrap();
        let run = &v["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), 5_000);
        assert_eq!(run["properties"]["omittedResults"], 5);
        assert_eq!(run["results"][4_999]["ruleId"], "VGL-T-info");

        let small = many_failures(2);
        let v = serde_json::to_value(SarifReporter::to_log(&small)).unwrap();
        let run = &v["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), 10);
        assert!(run.get("properties").is_none());
        assert!(run["invocations"][0]
            .get("toolExecutionNotifications")
            .is_none());
        // Exactly at the cap: nothing is left out, nothing is said.
        let v = serde_json::to_value(SarifReporter::to_log_with_limit(&small, 10)).unwrap();
        assert!(v["runs"][0].get("properties").is_none());
    }
}
