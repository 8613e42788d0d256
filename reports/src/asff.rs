//! `--format asff`: failing findings in the AWS Security Finding Format (ASFF), exactly the
//! findings that `--security-hub` imports with `BatchImportFindings`, as one JSON array.
//!
//! Security Hub accepts a custom integration's finding only from the account it is about
//! (`AwsAccountId` = the calling account, `ProductArn` = that account's `default` product in
//! the region it is imported to), so each finding names its own account and region; a finding
//! of a global resource (an account's SCP chain) goes to the run's home region.
//!
//! Field limits are Security Hub's (`Title` 256 characters, `Description` 1,024,
//! `Recommendation.Text` 512, `ProductFields` values 2,048): longer texts are cut with `…`.
//! vigil's own keys in `ProductFields` (`vigil/RuleId`, `vigil/Fingerprint`, …) let a later
//! run recognise its findings when it reads them back, to archive the ones that pass.

use crate::{Reporter, ScanResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use vigil_model::{Finding, Severity, Status, GLOBAL};

/// The ASFF schema version every finding declares.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `ProductName` and `CompanyName` of vigil's findings (a custom integration may set them).
pub const PRODUCT_NAME: &str = "vigil";
/// `Id` prefix of vigil's findings: `vigil/<rule id>/<fingerprint>`.
pub const ID_PREFIX: &str = "vigil/";

/// `ProductFields` keys vigil writes and reads back.
pub mod fields {
    pub const RULE_ID: &str = "vigil/RuleId";
    pub const FINGERPRINT: &str = "vigil/Fingerprint";
    /// The finding's own region (`global` for global resources).
    pub const REGION: &str = "vigil/Region";
    /// The CloudFormation resource type (`AWS::Lambda::Function`).
    pub const RESOURCE_TYPE: &str = "vigil/ResourceType";
    pub const RESOURCE_ID: &str = "vigil/ResourceId";
    pub const VERSION: &str = "vigil/Version";
    /// Set on an archived finding that a vigil.toml suppression muted.
    pub const SUPPRESSED: &str = "vigil/Suppressed";
}

/// One ASFF finding: the attributes vigil sets (names as in the ASFF JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: String,
    pub id: String,
    pub product_arn: String,
    pub product_name: String,
    pub company_name: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: AsffSeverity,
    pub title: String,
    pub description: String,
    pub remediation: AsffRemediation,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<AsffResource>,
    pub compliance: AsffCompliance,
    /// `ACTIVE` or `ARCHIVED`.
    pub record_state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity {
    /// `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    pub label: String,
    /// vigil's own severity word.
    pub original: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRemediation {
    pub recommendation: AsffRecommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRecommendation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// An ASFF resource type (`AwsLambdaFunction`, …, `Other`).
    #[serde(rename = "Type")]
    pub kind: String,
    pub id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffCompliance {
    /// `PASSED` or `FAILED` (vigil imports no `WARNING` or `NOT_AVAILABLE`).
    pub status: String,
    /// The rule's FSBP control id, where it maps to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_control_id: Option<String>,
    /// `<framework title>/<control id>` of every control the rule maps to (at most 32).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_requirements: Vec<String>,
}

/// Security Hub's ASFF resource type for a CloudFormation resource type; `Other` when ASFF
/// has none (API Gateway custom domain names, AWS Config's organization-level settings).
pub fn resource_type(cfn_type: &str) -> &'static str {
    match cfn_type {
        "AWS::Lambda::Function" => "AwsLambdaFunction",
        "AWS::Lambda::LayerVersion" => "AwsLambdaLayerVersion",
        "AWS::ApiGateway::RestApi" => "AwsApiGatewayRestApi",
        "AWS::ApiGatewayV2::Api" => "AwsApiGatewayV2Api",
        "AWS::DynamoDB::Table" => "AwsDynamoDbTable",
        "AWS::KMS::Key" => "AwsKmsKey",
        "AWS::EC2::Instance" => "AwsEc2Instance",
        "AWS::Organizations::Account" | "AWS::Config::Account" => "AwsAccount",
        _ => "Other",
    }
}

/// `INFORMATIONAL` … `CRITICAL`.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// The stable finding `Id`: the same (rule, account, region, resource) is the same finding in
/// every run, so a re-import updates it instead of adding one.
pub fn finding_id(f: &Finding) -> String {
    format!("{ID_PREFIX}{}/{}", f.rule_id, f.fingerprint)
}

/// The region a finding is imported to: its own, or `home` for a global resource.
pub fn import_region<'a>(f: &'a Finding, home: &'a str) -> &'a str {
    if f.region == GLOBAL || f.region.is_empty() {
        home
    } else {
        &f.region
    }
}

/// The partition of an ARN (`aws` when it is not one).
pub fn partition_of(arn: &str) -> &str {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The account's `default` product: where a custom integration imports its own findings.
pub fn product_arn(partition: &str, region: &str, account_id: &str) -> String {
    format!("arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default")
}

/// `s` cut to at most `max` characters, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Security Hub's documentation page of an FSBP control (`Lambda.1` →
/// `…/lambda-controls.html#lambda-1`).
fn control_url(control: &str) -> Option<String> {
    let (service, _) = control.split_once('.')?;
    Some(format!(
        "https://docs.aws.amazon.com/securityhub/latest/userguide/{}-controls.html#{}",
        service.to_ascii_lowercase(),
        control.to_ascii_lowercase().replace('.', "-")
    ))
}

/// An RFC 3339 time as ASFF writes them: UTC, milliseconds (`2026-12-05T10:00:00.000Z`);
/// a value that is not RFC 3339 is kept as it is.
pub fn asff_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        })
        .unwrap_or_else(|_| t.to_string())
}

/// What every finding of one run shares.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Where findings of global resources are imported.
    pub home_region: &'a str,
    /// `CreatedAt`/`UpdatedAt` (RFC 3339).
    pub observed_at: &'a str,
    pub tool_version: &'a str,
}

impl<'a> Context<'a> {
    /// The context of a result: its first region as home (else us-east-1), its finish time.
    pub fn of(result: &'a ScanResult) -> Self {
        Context {
            home_region: result
                .regions
                .first()
                .map(String::as_str)
                .unwrap_or("us-east-1"),
            observed_at: if result.finished_at.is_empty() {
                &result.started_at
            } else {
                &result.finished_at
            },
            tool_version: &result.tool_version,
        }
    }
}

/// The ASFF finding of a vigil finding: `ACTIVE` and `FAILED` for a failing one.
pub fn to_asff(f: &Finding, ctx: &Context<'_>) -> AsffFinding {
    let region = import_region(f, ctx.home_region).to_string();
    let partition = partition_of(&f.resource_arn).to_string();
    let fsbp = f.related.fsbp.first().cloned();
    let types = if fsbp.is_some() {
        "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"
    } else {
        "Software and Configuration Checks/AWS Security Best Practices"
    };
    let related_requirements: Vec<String> = vigil_model::Framework::ALL
        .iter()
        .flat_map(|fw| {
            f.related
                .get(*fw)
                .iter()
                .map(move |id| format!("{}/{id}", fw.title()))
        })
        .take(32)
        .collect();
    let resource_id = if !f.resource_arn.is_empty() {
        f.resource_arn.to_string()
    } else if resource_type(&f.resource_type) == "AwsAccount" {
        // Security Hub's own notation for an account resource.
        format!("AWS::::Account:{}", f.account_id)
    } else {
        f.resource_id.to_string()
    };
    let mut product_fields = BTreeMap::new();
    for (k, v) in [
        (fields::RULE_ID, f.rule_id.as_str()),
        (fields::FINGERPRINT, f.fingerprint.as_str()),
        (fields::REGION, f.region.as_str()),
        (fields::RESOURCE_TYPE, f.resource_type.as_str()),
        (fields::RESOURCE_ID, f.resource_id.as_str()),
        (fields::VERSION, ctx.tool_version),
    ] {
        product_fields.insert(k.to_string(), truncate(v, 2048));
    }
    let description = if f.message.is_empty() {
        f.title.to_string()
    } else {
        f.message.clone()
    };
    AsffFinding {
        schema_version: SCHEMA_VERSION.into(),
        id: finding_id(f),
        product_arn: product_arn(&partition, &region, &f.account_id),
        product_name: PRODUCT_NAME.into(),
        company_name: PRODUCT_NAME.into(),
        generator_id: f.rule_id.to_string(),
        aws_account_id: f.account_id.to_string(),
        region: region.clone(),
        types: vec![types.into()],
        created_at: asff_time(ctx.observed_at),
        updated_at: asff_time(ctx.observed_at),
        severity: AsffSeverity {
            label: severity_label(f.severity).into(),
            original: f.severity.as_str().into(),
        },
        title: truncate(&format!("{} {}", f.rule_id, f.title), 256),
        description: truncate(&description, 1024),
        remediation: AsffRemediation {
            recommendation: AsffRecommendation {
                text: truncate(
                    if f.remediation.is_empty() {
                        "See the rule's documentation (vigil rules list)."
                    } else {
                        &f.remediation
                    },
                    512,
                ),
                url: fsbp.as_deref().and_then(control_url),
            },
        },
        product_fields,
        resources: vec![AsffResource {
            kind: resource_type(&f.resource_type).into(),
            id: resource_id,
            partition,
            region,
        }],
        compliance: AsffCompliance {
            status: "FAILED".into(),
            security_control_id: fsbp,
            related_requirements,
        },
        record_state: "ACTIVE".into(),
    }
}

impl AsffFinding {
    /// This finding, closed: compliance `PASSED` (or still `FAILED` when a suppression muted
    /// it, with the reason in `ProductFields`) and record state `ARCHIVED`, updated at `at`.
    /// Security Hub then moves its workflow status to `RESOLVED`.
    pub fn archived(mut self, at: &str, suppressed: Option<&str>) -> Self {
        self.record_state = "ARCHIVED".into();
        self.updated_at = asff_time(at);
        match suppressed {
            Some(reason) => {
                self.product_fields
                    .insert(fields::SUPPRESSED.into(), truncate(reason, 2048));
            }
            None => self.compliance.status = "PASSED".into(),
        }
        self
    }
}

/// The ASFF findings of failing findings, one per `Id`: a rule that fails one resource for
/// several reasons (one per REST API stage, say) makes findings with the same fingerprint,
/// and Security Hub keeps one finding per `Id`, so they become one whose description lists
/// every message, with the highest severity. First-seen order.
pub fn merged<'f>(
    failing: impl IntoIterator<Item = &'f Finding>,
    ctx: &Context<'_>,
) -> Vec<AsffFinding> {
    let mut out: Vec<AsffFinding> = Vec::new();
    let mut index: std::collections::HashMap<String, (usize, Severity, Vec<String>)> =
        std::collections::HashMap::new();
    for f in failing {
        let id = finding_id(f);
        match index.get_mut(&id) {
            None => {
                index.insert(id, (out.len(), f.severity, vec![f.message.clone()]));
                out.push(to_asff(f, ctx));
            }
            Some((i, severity, messages)) => {
                if f.severity > *severity {
                    *severity = f.severity;
                    out[*i].severity = AsffSeverity {
                        label: severity_label(f.severity).into(),
                        original: f.severity.as_str().into(),
                    };
                }
                if !messages.contains(&f.message) {
                    messages.push(f.message.clone());
                    out[*i].description = truncate(&messages.join("\n"), 1024);
                }
            }
        }
    }
    out
}

/// The ASFF findings of a result: its failing findings, [`merged`] by `Id`.
pub fn findings(result: &ScanResult) -> Vec<AsffFinding> {
    let ctx = Context::of(result);
    merged(
        result.findings.iter().filter(|f| f.status == Status::Fail),
        &ctx,
    )
}

/// `--format asff`: a JSON array of [`findings`].
#[derive(Default)]
pub struct AsffReporter;

impl Reporter for AsffReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &findings(result))?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, result_with};

    #[test]
    fn failing_findings_become_active_failed_asff_findings_of_their_own_account() {
        let mut f = finding("VGL-LMB-001", Status::Fail, Severity::High);
        f.related = std::sync::Arc::new(vigil_model::Related {
            fsbp: vec!["Lambda.3".into()],
            cis: vec![],
            aws_config: vec!["lambda-inside-vpc".into()],
            prowler: vec![],
        });
        let pass = finding("VGL-LMB-002", Status::Pass, Severity::Low);
        let mut result = result_with(vec![f.clone(), pass]);
        result.regions = vec!["eu-west-1".into()];
        result.finished_at = "2026-12-05T10:00:00Z".into();
        let out = findings(&result);
        assert_eq!(out.len(), 1, "only failing findings");
        let a = &out[0];
        assert_eq!(a.id, format!("vigil/VGL-LMB-001/{}", f.fingerprint));
        assert_eq!(
            a.product_arn,
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
        );
        assert_eq!(a.aws_account_id, "111122223333");
        assert_eq!(a.generator_id, "VGL-LMB-001");
        assert_eq!(a.severity.label, "HIGH");
        assert_eq!(a.compliance.status, "FAILED");
        assert_eq!(
            a.compliance.security_control_id.as_deref(),
            Some("Lambda.3")
        );
        assert_eq!(
            a.compliance.related_requirements,
            [
                "AWS Foundational Security Best Practices/Lambda.3",
                "AWS Config managed rules/lambda-inside-vpc"
            ]
        );
        assert_eq!(
            a.remediation.recommendation.url.as_deref(),
            Some("https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html#lambda-3")
        );
        assert_eq!(a.resources[0].kind, "AwsLambdaFunction");
        assert_eq!(a.resources[0].id, f.resource_arn.as_str());
        assert_eq!(a.record_state, "ACTIVE");
        assert_eq!(a.created_at, "2026-12-05T10:00:00.000Z");
        assert_eq!(
            asff_time("2026-12-05T02:05:32.451832033+01:00"),
            "2026-12-05T01:05:32.451Z"
        );
        assert!(a.types[0].ends_with("AWS-Foundational-Security-Best-Practices"));
        // The JSON names are ASFF's.
        let json = serde_json::to_value(a).unwrap();
        for key in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
            "Compliance",
            "RecordState",
        ] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
        assert_eq!(json["Resources"][0]["Type"], "AwsLambdaFunction");
        let back: AsffFinding = serde_json::from_value(json).unwrap();
        assert_eq!(&back, a);
    }

    #[test]
    fn global_findings_go_to_the_home_region_and_accounts_use_security_hubs_notation() {
        let mut f = finding("VGL-ORG-001", Status::Fail, Severity::Medium);
        f.region = GLOBAL.into();
        f.resource_type = "AWS::Organizations::Account".into();
        f.resource_arn = "".into();
        f.resource_id = "111122223333".into();
        let ctx = Context {
            home_region: "eu-central-1",
            observed_at: "t",
            tool_version: "v",
        };
        let a = to_asff(&f, &ctx);
        assert_eq!(a.region, "eu-central-1");
        assert!(a.product_arn.contains(":eu-central-1:"));
        assert_eq!(a.resources[0].kind, "AwsAccount");
        assert_eq!(a.resources[0].id, "AWS::::Account:111122223333");
        assert_eq!(a.product_fields[fields::REGION], "global");
        assert_eq!(
            a.types,
            ["Software and Configuration Checks/AWS Security Best Practices"]
        );
        assert_eq!(a.compliance.security_control_id, None);
    }

    #[test]
    fn long_texts_are_cut_to_security_hubs_limits_and_archiving_closes() {
        let mut f = finding("VGL-LMB-001", Status::Fail, Severity::Low);
        f.message = "é".repeat(5000);
        f.resource_arn = "arn:aws-cn:lambda:cn-north-1:111122223333:function:x".into();
        let ctx = Context {
            home_region: "cn-north-1",
            observed_at: "t",
            tool_version: "v",
        };
        let a = to_asff(&f, &ctx);
        assert_eq!(a.description.chars().count(), 1024);
        assert!(a.description.ends_with('…'));
        assert_eq!(a.resources[0].partition, "aws-cn");
        assert!(a.product_arn.starts_with("arn:aws-cn:securityhub:"));
        let closed = a.clone().archived("t2", None);
        assert_eq!(
            (
                closed.record_state.as_str(),
                closed.compliance.status.as_str()
            ),
            ("ARCHIVED", "PASSED")
        );
        assert_eq!(closed.updated_at, "t2");
        let muted = a.archived("t2", Some("accepted risk"));
        assert_eq!(muted.compliance.status, "FAILED");
        assert_eq!(muted.product_fields[fields::SUPPRESSED], "accepted risk");
    }

    #[test]
    fn findings_of_one_resource_and_rule_become_one_with_every_message() {
        let mut a = finding("VGL-APIGW-004", Status::Fail, Severity::Medium);
        a.message = "stage dev has execution logging off".into();
        let mut b = a.clone();
        b.message = "stage qa has execution logging off".into();
        b.severity = Severity::High;
        let other = finding("VGL-APIGW-006", Status::Fail, Severity::Low);
        let out = findings(&result_with(vec![a.clone(), b, other]));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].id, finding_id(&a));
        assert_eq!(
            out[0].description,
            "stage dev has execution logging off\nstage qa has execution logging off"
        );
        assert_eq!(out[0].severity.label, "HIGH");
        assert_eq!(out[1].generator_id, "VGL-APIGW-006");
    }

    #[test]
    fn every_cloudformation_type_vigil_evaluates_has_an_asff_type() {
        assert_eq!(resource_type("AWS::DynamoDB::Table"), "AwsDynamoDbTable");
        assert_eq!(resource_type("AWS::KMS::Key"), "AwsKmsKey");
        assert_eq!(
            resource_type("AWS::ApiGatewayV2::Api"),
            "AwsApiGatewayV2Api"
        );
        assert_eq!(
            resource_type("AWS::ApiGateway::RestApi"),
            "AwsApiGatewayRestApi"
        );
        assert_eq!(resource_type("AWS::Config::Account"), "AwsAccount");
        assert_eq!(resource_type("AWS::ApiGateway::DomainName"), "Other");
    }
}
