//! `--security-hub` (`VIGIL_SECURITY_HUB` in Lambda mode): a run's failing findings imported
//! into AWS Security Hub as ASFF findings ([`vigil_reports::asff`]), and the findings of
//! earlier runs that no longer fail closed there.
//!
//! Where findings go. Security Hub takes a custom integration's finding only from the account
//! the finding is about: `BatchImportFindings` must be called by the account in `AwsAccountId`,
//! with that account's `default` product ARN in the region it is imported to (AWS Security Hub
//! User Guide, "BatchImportFindings": "the identifier of the account that you are calling
//! BatchImportFindings from needs to be the same as the AwsAccountId attribute for the
//! finding"). The scanner account cannot import findings *for* member accounts. So vigil
//! imports each account's findings from inside that account, through the same audit role it
//! scans with (the member-role template grants `securityhub:BatchImportFindings`,
//! `GetFindings` and `DescribeHub`), in the finding's own region; findings of global resources
//! go to the run's home region. The organization's Security Hub delegated administrator then
//! sees every member's vigil findings with its other findings (cross-account aggregation is
//! Security Hub's job, not vigil's).
//!
//! Per (account, region): `DescribeHub` (Security Hub enabled there?), `GetFindings` for the
//! active findings vigil imported before, then `BatchImportFindings` in calls of at most 100:
//! every failing finding (`ACTIVE`, `FAILED`; the same `Id` each run, so an import updates
//! rather than duplicates), and every earlier vigil finding that this run assessed and found
//! not failing (`ARCHIVED`, `PASSED`; Security Hub moves its workflow to `RESOLVED`). A
//! finding whose scope this run did not assess is left as it is. Nothing is lost: every run
//! imports every failing finding again, so what one run could not import the next one does.
//! Every failure (Security Hub not enabled, a refused call, a finding Security Hub rejected)
//! becomes an error record of service `securityhub`: the run is partial (exit 3), and the
//! other outputs are written as usual.

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Compliance, ComplianceStatus, Partition,
    Recommendation, RecordState, Remediation, Resource, Severity as SdkSeverity, SeverityLabel,
    StringFilter, StringFilterComparison,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use tokio::sync::Semaphore;
use vigil_model::{ScanError, ScanResult, Status};
use vigil_reports::asff::{
    self, fields, AsffCompliance, AsffFinding, AsffRecommendation, AsffRemediation, AsffResource,
    AsffSeverity,
};
use vigil_scanner::aws::{aws_error, base_config, AwsError};
use vigil_scanner::session::{AccountSession, RoleSpec};
use vigil_scanner::ApiCalls;

/// The most findings one `BatchImportFindings` call takes.
pub const BATCH: usize = 100;

/// How to reach Security Hub in each account.
#[derive(Debug, Clone)]
pub struct SecurityHubOptions {
    pub endpoint_url: Option<String>,
    /// The audit role vigil scans with.
    pub role: RoleSpec,
    /// Accounts handled at once.
    pub concurrency: usize,
}

/// What the export did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityHubOutcome {
    /// (account, region) pairs handled.
    pub scopes: usize,
    /// Failing findings imported (created or updated).
    pub imported: usize,
    /// Earlier findings closed (archived).
    pub archived: usize,
    /// Earlier active findings left alone: their scope was not assessed by this run.
    pub kept: usize,
    /// Findings not imported or not archived.
    pub failed: usize,
    /// Attempts per `securityhub:operation` (and `sts:AssumeRole`).
    pub api_calls: BTreeMap<String, u64>,
    /// What went wrong, as error records (also added to the result's errors).
    pub errors: Vec<ScanError>,
}

impl SecurityHubOutcome {
    pub fn is_partial(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Imports `result`'s failing findings and archives those that no longer fail; error records
/// of what failed are added to `result.errors`.
pub async fn export(result: &mut ScanResult, opts: &SecurityHubOptions) -> SecurityHubOutcome {
    let ctx_home = asff::Context::of(result).home_region.to_string();
    let now = crate::now_rfc3339();
    let api_calls = ApiCalls::default();
    let caller = base_config(&ctx_home, opts.endpoint_url.as_deref()).await;
    let caller_account = match caller_account(&caller, &api_calls).await {
        Ok(a) => a,
        Err(e) => {
            let mut out = SecurityHubOutcome::default();
            out.errors.push(error(
                "",
                &ctx_home,
                &e,
                "the caller's identity could not be read: no finding imported",
            ));
            out.failed = asff::findings(result).len();
            result.errors.extend(out.errors.clone());
            return out;
        }
    };
    let shared = Arc::new(Shared {
        result: std::mem::take(result),
        caller,
        caller_account,
        opts: opts.clone(),
        now,
        home: ctx_home,
        api_calls: api_calls.clone(),
    });
    let slots = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for account in shared.accounts() {
        let shared = shared.clone();
        let slots = slots.clone();
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            shared.account(&account).await
        });
    }
    let mut out = SecurityHubOutcome::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(part) => {
                out.scopes += part.scopes;
                out.imported += part.imported;
                out.archived += part.archived;
                out.kept += part.kept;
                out.failed += part.failed;
                out.errors.extend(part.errors);
            }
            Err(e) => out.errors.push(ScanError {
                account_id: String::new(),
                region: String::new(),
                service: "securityhub".into(),
                operation: "BatchImportFindings".into(),
                code: "InternalError".into(),
                message: format!("a Security Hub export task failed: {e}"),
                resource: None,
            }),
        }
    }
    *result = match Arc::try_unwrap(shared) {
        Ok(s) => s.result,
        // Every task has finished, so this is the only reference left.
        Err(s) => s.result.clone(),
    };
    out.errors
        .sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    out.api_calls = api_calls.by_operation();
    result.errors.extend(out.errors.iter().cloned());
    out
}

struct Shared {
    result: ScanResult,
    caller: aws_types::SdkConfig,
    caller_account: String,
    opts: SecurityHubOptions,
    now: String,
    home: String,
    api_calls: ApiCalls,
}

async fn caller_account(
    caller: &aws_types::SdkConfig,
    api_calls: &ApiCalls,
) -> Result<String, AwsError> {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(caller)
            .interceptor(api_calls.clone())
            .build(),
    );
    let id = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_error("GetCallerIdentity", &e))?;
    Ok(id.account().unwrap_or_default().to_string())
}

fn error(account: &str, region: &str, e: &AwsError, what: &str) -> ScanError {
    ScanError {
        account_id: account.into(),
        region: region.into(),
        service: "securityhub".into(),
        operation: e.operation.clone(),
        code: e.code.clone(),
        message: format!("{}: {what}", e.message),
        resource: None,
    }
}

impl Shared {
    /// Accounts whose findings go to Security Hub: those scanned, except the ones the scan
    /// could not enter (their role could not be assumed: neither can this).
    fn accounts(&self) -> Vec<String> {
        self.result
            .accounts
            .iter()
            .filter(|a| {
                !self
                    .result
                    .errors
                    .iter()
                    .any(|e| e.account_id == a.id && e.operation == "AssumeRole")
            })
            .map(|a| a.id.clone())
            .collect()
    }

    /// Regions of one account to visit: every scanned region and the home region.
    fn regions(&self) -> Vec<String> {
        let mut regions = self.result.regions.clone();
        if !regions.contains(&self.home) {
            regions.push(self.home.clone());
        }
        regions
    }

    async fn account(&self, account: &str) -> SecurityHubOutcome {
        let mut out = SecurityHubOutcome::default();
        let session = if account == self.caller_account {
            AccountSession::caller(account, &self.caller)
        } else {
            match AccountSession::assume(account, &self.caller, &self.opts.role, &self.api_calls)
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    out.failed += self.failing_in(account, None).len();
                    out.errors.push(error(
                        account,
                        &self.home,
                        &e,
                        "the audit role could not be assumed: this account's findings were not imported into Security Hub",
                    ));
                    return out;
                }
            }
        };
        for region in self.regions() {
            let part = self.scope(&session, account, &region).await;
            out.scopes += 1;
            out.imported += part.imported;
            out.archived += part.archived;
            out.kept += part.kept;
            out.failed += part.failed;
            out.errors.extend(part.errors);
        }
        out
    }

    /// This run's failing findings of `account` (in `region` where they are imported).
    fn failing_in(&self, account: &str, region: Option<&str>) -> Vec<AsffFinding> {
        let ctx = asff::Context::of(&self.result);
        asff::merged(
            self.result
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail && f.account_id == account)
                .filter(|f| region.is_none_or(|r| asff::import_region(f, &self.home) == r)),
            &ctx,
        )
    }

    async fn scope(
        &self,
        session: &AccountSession,
        account: &str,
        region: &str,
    ) -> SecurityHubOutcome {
        let mut out = SecurityHubOutcome::default();
        let client = aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(&session.config_for(region))
                .interceptor(self.api_calls.clone())
                .build(),
        );
        let failing = self.failing_in(account, Some(region));
        if let Err(e) = client.describe_hub().send().await {
            let e = aws_error("DescribeHub", &e);
            let what = if e.code == "InvalidAccessException" {
                format!("Security Hub is not enabled in account {account} region {region}: {} finding(s) not imported", failing.len())
            } else {
                format!("Security Hub could not be reached in account {account} region {region}: {} finding(s) not imported", failing.len())
            };
            out.failed += failing.len();
            out.errors.push(error(account, region, &e, &what));
            return out;
        }
        let earlier = match self.active_vigil_findings(&client, account, region).await {
            Ok(f) => f,
            Err(e) => {
                // Without the earlier findings nothing can be archived; the failing ones are
                // still imported.
                out.errors.push(error(
                    account,
                    region,
                    &e,
                    &format!("vigil's earlier findings in account {account} region {region} could not be read: none archived"),
                ));
                Vec::new()
            }
        };
        let failing_ids: HashSet<&str> = failing.iter().map(|f| f.id.as_str()).collect();
        let mut archive = Vec::new();
        for old in earlier {
            if failing_ids.contains(old.id.as_str()) {
                continue;
            }
            let field = |k: &str| old.product_fields.get(k).map(String::as_str).unwrap_or("");
            let assessed = self.result.assessed(
                field(fields::RULE_ID),
                account,
                field(fields::REGION),
                field(fields::RESOURCE_TYPE),
                field(fields::RESOURCE_ID),
            );
            if !assessed {
                out.kept += 1;
                continue;
            }
            let fingerprint = field(fields::FINGERPRINT).to_string();
            let muted = self
                .result
                .findings
                .iter()
                .find(|f| f.status == Status::Muted && f.fingerprint == fingerprint)
                .and_then(|f| f.suppression.as_ref())
                .map(|s| s.reason.clone());
            archive.push(old.archived(&self.now, muted.as_deref()));
        }
        let archived_ids: HashSet<String> = archive.iter().map(|f| f.id.clone()).collect();
        let all: Vec<AsffFinding> = failing.into_iter().chain(archive).collect();
        for chunk in all.chunks(BATCH) {
            let sent = client
                .batch_import_findings()
                .set_findings(Some(chunk.iter().map(to_sdk).collect()))
                .send()
                .await;
            match sent {
                Err(e) => {
                    let e = aws_error("BatchImportFindings", &e);
                    out.failed += chunk.len();
                    out.errors.push(error(
                        account,
                        region,
                        &e,
                        &format!(
                            "{} finding(s) not imported in account {account} region {region}",
                            chunk.len()
                        ),
                    ));
                }
                Ok(r) => {
                    let rejected: HashSet<&str> =
                        r.failed_findings().iter().filter_map(|f| f.id()).collect();
                    for f in r.failed_findings() {
                        out.errors.push(ScanError {
                            account_id: account.into(),
                            region: region.into(),
                            service: "securityhub".into(),
                            operation: "BatchImportFindings".into(),
                            code: f.error_code().unwrap_or("Unknown").into(),
                            message: format!(
                                "finding {} was not imported: {}",
                                f.id().unwrap_or("?"),
                                f.error_message().unwrap_or("no reason given")
                            ),
                            resource: f.id().map(str::to_string),
                        });
                    }
                    // A rejection without an id still counts, once.
                    let unnamed = r
                        .failed_findings()
                        .iter()
                        .filter(|f| f.id().is_none())
                        .count();
                    out.failed += rejected.len() + unnamed;
                    for f in chunk.iter().filter(|f| !rejected.contains(f.id.as_str())) {
                        if archived_ids.contains(&f.id) {
                            out.archived += 1;
                        } else {
                            out.imported += 1;
                        }
                    }
                }
            }
        }
        out
    }

    /// The active findings vigil imported into this account and region before.
    async fn active_vigil_findings(
        &self,
        client: &aws_sdk_securityhub::Client,
        account: &str,
        region: &str,
    ) -> Result<Vec<AsffFinding>, AwsError> {
        let eq = |v: &str| {
            StringFilter::builder()
                .value(v)
                .comparison(StringFilterComparison::Equals)
                .build()
        };
        let filters = AwsSecurityFindingFilters::builder()
            .product_name(eq(asff::PRODUCT_NAME))
            .aws_account_id(eq(account))
            .record_state(eq("ACTIVE"))
            .build();
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = client
                .get_findings()
                .filters(filters.clone())
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error("GetFindings", &e))?;
            for f in page.findings() {
                // The filters again, on our side: a finding vigil did not write is not ours
                // to archive, whatever an endpoint's filtering does.
                if let Some(a) = from_sdk(f).filter(|a| {
                    a.aws_account_id == account
                        && a.region == region
                        && a.record_state == "ACTIVE"
                        && a.id.starts_with(asff::ID_PREFIX)
                }) {
                    found.push(a);
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(found)
    }
}

/// The SDK's finding of an ASFF finding.
pub fn to_sdk(a: &AsffFinding) -> AwsSecurityFinding {
    let mut recommendation = Recommendation::builder().text(&a.remediation.recommendation.text);
    if let Some(url) = &a.remediation.recommendation.url {
        recommendation = recommendation.url(url);
    }
    let mut compliance = Compliance::builder()
        .status(ComplianceStatus::from(a.compliance.status.as_str()))
        .set_security_control_id(a.compliance.security_control_id.clone());
    if !a.compliance.related_requirements.is_empty() {
        compliance =
            compliance.set_related_requirements(Some(a.compliance.related_requirements.clone()));
    }
    AwsSecurityFinding::builder()
        .schema_version(&a.schema_version)
        .id(&a.id)
        .product_arn(&a.product_arn)
        .product_name(&a.product_name)
        .company_name(&a.company_name)
        .generator_id(&a.generator_id)
        .aws_account_id(&a.aws_account_id)
        .region(&a.region)
        .set_types(Some(a.types.clone()))
        .created_at(&a.created_at)
        .updated_at(&a.updated_at)
        .severity(
            SdkSeverity::builder()
                .label(SeverityLabel::from(a.severity.label.as_str()))
                .original(&a.severity.original)
                .build(),
        )
        .title(&a.title)
        .description(&a.description)
        .remediation(
            Remediation::builder()
                .recommendation(recommendation.build())
                .build(),
        )
        .set_product_fields(Some(a.product_fields.clone().into_iter().collect()))
        .set_resources(Some(
            a.resources
                .iter()
                .map(|r| {
                    Resource::builder()
                        .r#type(&r.kind)
                        .id(&r.id)
                        .partition(Partition::from(r.partition.as_str()))
                        .region(&r.region)
                        .build()
                })
                .collect(),
        ))
        .compliance(compliance.build())
        .record_state(RecordState::from(a.record_state.as_str()))
        .build()
}

/// The ASFF finding of one Security Hub returned, when it carries what vigil writes.
pub fn from_sdk(f: &AwsSecurityFinding) -> Option<AsffFinding> {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let product_fields: BTreeMap<String, String> = f
        .product_fields
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    if !product_fields.contains_key(fields::RULE_ID)
        || !product_fields.contains_key(fields::FINGERPRINT)
    {
        return None;
    }
    let recommendation = f
        .remediation
        .as_ref()
        .and_then(|r| r.recommendation.as_ref());
    let compliance = f.compliance.as_ref();
    Some(AsffFinding {
        schema_version: s(&f.schema_version),
        id: s(&f.id),
        product_arn: s(&f.product_arn),
        product_name: s(&f.product_name),
        company_name: s(&f.company_name),
        generator_id: s(&f.generator_id),
        aws_account_id: s(&f.aws_account_id),
        region: s(&f.region),
        types: f.types.clone().unwrap_or_default(),
        created_at: s(&f.created_at),
        updated_at: s(&f.updated_at),
        severity: AsffSeverity {
            label: f
                .severity
                .as_ref()
                .and_then(|v| v.label.as_ref())
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            original: f
                .severity
                .as_ref()
                .and_then(|v| v.original.clone())
                .unwrap_or_default(),
        },
        title: s(&f.title),
        description: s(&f.description),
        remediation: AsffRemediation {
            recommendation: AsffRecommendation {
                text: recommendation
                    .and_then(|r| r.text.clone())
                    .unwrap_or_default(),
                url: recommendation.and_then(|r| r.url.clone()),
            },
        },
        product_fields,
        resources: f
            .resources
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|r| AsffResource {
                kind: r.r#type.unwrap_or_default(),
                id: r.id.unwrap_or_default(),
                partition: r
                    .partition
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                region: r.region.unwrap_or_default(),
            })
            .collect(),
        compliance: AsffCompliance {
            status: compliance
                .and_then(|c| c.status.as_ref())
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            security_control_id: compliance.and_then(|c| c.security_control_id.clone()),
            related_requirements: compliance
                .and_then(|c| c.related_requirements.clone())
                .unwrap_or_default(),
        },
        record_state: f
            .record_state
            .as_ref()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{fingerprint, Finding, Related, Severity};

    fn failing() -> Finding {
        let arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders";
        Finding {
            rule_id: "VGL-DDB-002".into(),
            title: "PITR".into(),
            severity: Severity::Medium,
            status: Status::Fail,
            account_id: "111122223333".into(),
            account_name: "payments".into(),
            region: "eu-west-1".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: "orders".into(),
            resource_arn: arn.into(),
            message: "table orders has no PITR".into(),
            remediation: "Turn PITR on.".into(),
            fingerprint: fingerprint("VGL-DDB-002", "111122223333", "eu-west-1", arn),
            change: None,
            suppression: None,
            related: Arc::new(Related {
                fsbp: vec!["DynamoDB.2".into()],
                cis: vec![],
                aws_config: vec!["dynamodb-pitr-enabled".into()],
                prowler: vec!["dynamodb_tables_pitr_enabled".into()],
            }),
        }
    }

    #[test]
    fn the_sdk_finding_carries_every_attribute_and_reads_back_unchanged() {
        let ctx = asff::Context {
            home_region: "eu-west-1",
            observed_at: "2026-12-05T10:00:00Z",
            tool_version: "0.1.0",
        };
        let a = asff::to_asff(&failing(), &ctx);
        let sdk = to_sdk(&a);
        assert_eq!(sdk.generator_id.as_deref(), Some("VGL-DDB-002"));
        assert_eq!(
            sdk.severity.as_ref().and_then(|s| s.label.clone()),
            Some(SeverityLabel::Medium)
        );
        assert_eq!(
            sdk.compliance.as_ref().and_then(|c| c.status.clone()),
            Some(ComplianceStatus::Failed)
        );
        assert_eq!(sdk.record_state, Some(RecordState::Active));
        assert_eq!(
            sdk.resources.as_ref().unwrap()[0].partition,
            Some(Partition::Aws)
        );
        assert_eq!(from_sdk(&sdk).as_ref(), Some(&a));
        let archived = a.archived("2026-12-06T10:00:00Z", None);
        let sdk = to_sdk(&archived);
        assert_eq!(sdk.record_state, Some(RecordState::Archived));
        assert_eq!(
            sdk.compliance.as_ref().and_then(|c| c.status.clone()),
            Some(ComplianceStatus::Passed)
        );
    }

    #[test]
    fn findings_vigil_did_not_write_are_not_read_as_its_own() {
        let other = AwsSecurityFinding::builder()
            .id("arn:aws:securityhub:eu-west-1::product/aws/guardduty/x")
            .generator_id("VGL-DDB-002")
            .build();
        assert_eq!(from_sdk(&other), None);
    }
}
