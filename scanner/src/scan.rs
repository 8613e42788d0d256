//! The scan: who is calling, which accounts to visit, and collection over
//! account × region × service with a global and a per-account bound.

use crate::aws::{aws_error, base_config, ApiCalls, AwsError};
use crate::collect::{registry, Collector, DocumentSink, ScanEvent, Scope};
use crate::org::OrgWalker;
use crate::session::{AccountSession, RoleSpec};
use aws_config::SdkConfig;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use vigil_model::{Account, AccountStatus, OrgInfo, ScanError};

/// What to scan and how hard.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub endpoint_url: Option<String>,
    pub role: RoleSpec,
    /// Regions to scan; empty = the region of the caller's configuration.
    pub regions: Vec<String>,
    /// Only these account ids (empty = all).
    pub accounts: Vec<String>,
    pub exclude_accounts: Vec<String>,
    /// Services to collect (empty = all).
    pub services: Vec<String>,
    /// Collection tasks in flight across the whole organization.
    pub concurrency: usize,
    /// Collection tasks in flight in one account.
    pub per_account_concurrency: usize,
}

/// A problem that stops the scan before anything is collected (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanFailure {
    #[error("no AWS credentials found: {0} (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or another source of the standard chain)")]
    NoCredentials(String),
    #[error("cannot reach AWS{endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("cannot identify the caller: {0}")]
    Caller(AwsError),
}

/// A connected scanner: caller identified, organization walked, accounts chosen.
pub struct Scanner {
    opts: ScanOptions,
    caller_config: SdkConfig,
    caller_account: String,
    org: OrgInfo,
    accounts: Vec<Account>,
    skipped: Vec<Account>,
    regions: Vec<String>,
    services: Vec<String>,
    walk_errors: Vec<ScanError>,
    api_calls: ApiCalls,
}

impl Scanner {
    /// Identifies the caller and walks the organization. Organization errors do not stop the
    /// scan: the caller's own account is still scanned and the error is recorded.
    pub async fn connect(opts: ScanOptions) -> Result<Scanner, ScanFailure> {
        let api_calls = ApiCalls::default();
        let default_region = aws_config::default_provider::region::DefaultRegionChain::builder()
            .build()
            .region()
            .await
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        let regions = if opts.regions.is_empty() {
            vec![default_region.clone()]
        } else {
            opts.regions.clone()
        };
        let home = regions[0].clone();
        let caller_config = base_config(&home, opts.endpoint_url.as_deref()).await;

        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&caller_config)
                .interceptor(api_calls.clone())
                .build(),
        );
        let identity = sts.get_caller_identity().send().await.map_err(|e| {
            let err = aws_error("GetCallerIdentity", &e);
            classify_caller_error(err, opts.endpoint_url.as_deref())
        })?;
        let caller_account = identity.account().unwrap_or_default().to_string();

        // Organizations is global; its endpoint lives in us-east-1 (aws partition).
        let org_conf = aws_sdk_organizations::config::Builder::from(&crate::aws::in_region(
            &caller_config,
            "us-east-1",
        ))
        .interceptor(api_calls.clone())
        .build();
        let walker = OrgWalker::new(aws_sdk_organizations::Client::from_conf(org_conf));
        let mut walk_errors = Vec::new();
        let caller_only = |org: OrgInfo| {
            vec![Account {
                id: caller_account.clone(),
                name: caller_account.clone(),
                email: String::new(),
                ou_path: String::new(),
                tags: Default::default(),
                status: AccountStatus::Active,
            }]
            .into_iter()
            .map(move |a| (org.clone(), a))
        };
        let (org, all_accounts) = match walker.organization().await {
            Ok(Some(org)) => match walker.walk(org.clone()).await {
                Ok(w) => (w.org, w.accounts),
                Err(e) => {
                    walk_errors.push(org_error(&caller_account, &e));
                    let v: Vec<_> = caller_only(org.clone()).collect();
                    (org, v.into_iter().map(|(_, a)| a).collect())
                }
            },
            Ok(None) => {
                let org = OrgInfo {
                    id: String::new(),
                    management_account_id: caller_account.clone(),
                };
                (org.clone(), caller_only(org).map(|(_, a)| a).collect())
            }
            Err(e) => {
                walk_errors.push(org_error(&caller_account, &e));
                let org = OrgInfo {
                    id: String::new(),
                    management_account_id: String::new(),
                };
                (org.clone(), caller_only(org).map(|(_, a)| a).collect())
            }
        };

        for wanted in &opts.accounts {
            if !all_accounts.iter().any(|a| &a.id == wanted) {
                walk_errors.push(ScanError {
                    account_id: wanted.clone(),
                    region: "global".into(),
                    service: "organizations".into(),
                    operation: "ListAccounts".into(),
                    code: "AccountNotFound".into(),
                    message: format!("account {wanted} was asked for with --accounts but is not in the organization"),
                    resource: None,
                });
            }
        }
        let (mut accounts, mut skipped) = (Vec::new(), Vec::new());
        for a in all_accounts {
            if (!opts.accounts.is_empty() && !opts.accounts.contains(&a.id))
                || opts.exclude_accounts.contains(&a.id)
            {
                continue;
            }
            if a.status == AccountStatus::Active {
                accounts.push(a);
            } else {
                skipped.push(a);
            }
        }
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        skipped.sort_by(|a, b| a.id.cmp(&b.id));
        let services = if opts.services.is_empty() {
            registry().iter().map(|c| c.service().to_string()).collect()
        } else {
            opts.services.clone()
        };
        Ok(Scanner {
            opts,
            caller_config,
            caller_account,
            org,
            accounts,
            skipped,
            regions,
            services,
            walk_errors,
            api_calls,
        })
    }

    pub fn org(&self) -> &OrgInfo {
        &self.org
    }
    /// Accounts that will be scanned.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }
    /// Accounts found but not scanned (suspended or closing).
    pub fn skipped(&self) -> &[Account] {
        &self.skipped
    }
    pub fn regions(&self) -> &[String] {
        &self.regions
    }
    pub fn services(&self) -> &[String] {
        &self.services
    }
    pub fn api_calls(&self) -> &ApiCalls {
        &self.api_calls
    }

    /// Collects everything, streaming documents and error records to `tx`. Returns when every
    /// scope is done; failures of a scope are events, never a reason to stop.
    /// Returns the number of documents collected.
    pub async fn collect(&self, tx: async_channel::Sender<ScanEvent>) -> u64 {
        for e in &self.walk_errors {
            let _ = tx.send(ScanEvent::Error(e.clone())).await;
        }
        let collectors: Vec<Arc<dyn Collector>> = registry()
            .into_iter()
            .filter(|c| self.services.iter().any(|s| s == c.service()))
            .collect();
        let global = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let sink = DocumentSink::new(tx.clone());
        let mut accounts = JoinSet::new();
        for account in self.accounts.clone() {
            let ctx = AccountTask {
                account,
                caller_account: self.caller_account.clone(),
                caller_config: self.caller_config.clone(),
                role: self.opts.role.clone(),
                regions: self.regions.clone(),
                collectors: collectors.clone(),
                global: global.clone(),
                per_account: self.opts.per_account_concurrency.max(1),
                api_calls: self.api_calls.clone(),
                sink: sink.clone(),
                tx: tx.clone(),
            };
            accounts.spawn(ctx.run());
        }
        while accounts.join_next().await.is_some() {}
        sink.emitted()
    }
}

struct AccountTask {
    account: Account,
    caller_account: String,
    caller_config: SdkConfig,
    role: RoleSpec,
    regions: Vec<String>,
    collectors: Vec<Arc<dyn Collector>>,
    global: Arc<Semaphore>,
    per_account: usize,
    api_calls: ApiCalls,
    sink: DocumentSink,
    tx: async_channel::Sender<ScanEvent>,
}

impl AccountTask {
    async fn run(self) {
        let session = if self.account.id == self.caller_account {
            AccountSession::caller(&self.account.id, &self.caller_config)
        } else {
            let _permit = self.global.acquire().await;
            match AccountSession::assume(
                &self.account.id,
                &self.caller_config,
                &self.role,
                &self.api_calls,
            )
            .await
            {
                Ok(s) => s,
                Err(e) => {
                    let _ = self
                        .tx
                        .send(ScanEvent::Error(ScanError {
                            account_id: self.account.id.clone(),
                            region: "*".into(),
                            service: "sts".into(),
                            operation: e.operation.clone(),
                            code: e.code.clone(),
                            message: e.message.clone(),
                            resource: None,
                        }))
                        .await;
                    return;
                }
            }
        };
        let session = Arc::new(session);
        let local = Arc::new(Semaphore::new(self.per_account));
        let mut scopes = JoinSet::new();
        for region in &self.regions {
            for c in &self.collectors {
                let scope = Scope {
                    account: self.account.clone(),
                    region: region.clone(),
                    session: session.clone(),
                    api_calls: self.api_calls.clone(),
                };
                let (c, sink, local, global) = (
                    c.clone(),
                    self.sink.clone(),
                    local.clone(),
                    self.global.clone(),
                );
                scopes.spawn(async move {
                    let _l = local.acquire().await;
                    let _g = global.acquire().await;
                    if let Err(e) = c.collect(&scope, &sink).await {
                        sink.error(&scope, c.service(), &e.0).await;
                    }
                });
            }
        }
        while scopes.join_next().await.is_some() {}
    }
}

fn org_error(caller: &str, e: &AwsError) -> ScanError {
    ScanError {
        account_id: caller.to_string(),
        region: "global".into(),
        service: "organizations".into(),
        operation: e.operation.clone(),
        code: e.code.clone(),
        message: format!("{} (only the caller's account is scanned)", e.message),
        resource: None,
    }
}

fn classify_caller_error(err: AwsError, endpoint: Option<&str>) -> ScanFailure {
    let lower = err.message.to_ascii_lowercase();
    if lower.contains("credentials")
        && (lower.contains("no credentials")
            || lower.contains("failed to load")
            || lower.contains("provider"))
    {
        ScanFailure::NoCredentials(err.message)
    } else if err.is_unreachable() {
        ScanFailure::Unreachable {
            endpoint: endpoint.map(|e| format!(" at {e}")).unwrap_or_default(),
            message: err.message,
        }
    } else {
        ScanFailure::Caller(err)
    }
}
