//! The scan: who is calling, which accounts to visit, and collection over
//! account × region × service with a global and a per-account bound.

use crate::aws::{aws_error, base_config, ApiCalls, AwsError};
use crate::collect::{
    registry, AccountFacts, Collector, DocumentSink, RunShared, ScanEvent, Scope, GLOBAL_REGION,
};
use crate::org::OrgWalker;
use crate::session::{AccountSession, RoleSpec};
use aws_config::SdkConfig;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use vigil_model::{Account, AccountStatus, OrgInfo, ScanError, Shard, VigilCode};

/// What to scan and how hard.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub endpoint_url: Option<String>,
    pub role: RoleSpec,
    /// Regions to scan.
    pub regions: Regions,
    /// Only these account ids (empty = all).
    pub accounts: Vec<String>,
    pub exclude_accounts: Vec<String>,
    /// Services to collect (empty = all).
    pub services: Vec<String>,
    /// Collection tasks in flight across the whole organization.
    pub concurrency: usize,
    /// Collection tasks in flight in one account.
    pub per_account_concurrency: usize,
    /// Page size for list calls (`None` = service default).
    pub page_size: Option<i32>,
    /// Only these resources (empty = everything): each account collects only the services and
    /// regions of its targets, and only the targets' documents are passed on. The caller
    /// narrows `accounts`, `regions` and `services` to those of the targets.
    pub targets: Vec<vigil_model::target::Target>,
}

impl ScanOptions {
    /// With targets: accounts, regions and services become those of the targets (an ARN
    /// without an account keeps the accounts asked for). A target in an account that
    /// `accounts`/`exclude_accounts` leave out is an error naming it.
    pub fn narrow_to_targets(&mut self) -> Result<(), String> {
        use vigil_model::GLOBAL;
        if self.targets.is_empty() {
            return Ok(());
        }
        let mut accounts: Vec<String> = Vec::new();
        for t in &self.targets {
            if let Some(a) = &t.account_id {
                if (!self.accounts.is_empty() && !self.accounts.contains(a))
                    || self.exclude_accounts.contains(a)
                {
                    return Err(format!(
                        "a {} of account {a} is asked for, but the accounts to scan leave that account out",
                        t.resource_type
                    ));
                }
                if !accounts.contains(a) {
                    accounts.push(a.clone());
                }
            }
        }
        if self.targets.iter().all(|t| t.account_id.is_some()) {
            self.accounts = accounts;
        }
        let mut services: Vec<String> = Vec::new();
        for t in &self.targets {
            if !services.iter().any(|s| s == t.service()) {
                services.push(t.service().to_string());
            }
        }
        self.services = services;
        // Account-wide documents of a regional service (the AWS Config roll-up) need every
        // region configured; the others only their own.
        let roll_up = self
            .targets
            .iter()
            .any(|t| t.region == GLOBAL && t.resource_type != "AWS::Organizations::Account");
        if !roll_up {
            let mut regions: Vec<String> = Vec::new();
            for t in self.targets.iter().filter(|t| t.region != GLOBAL) {
                if !regions.contains(&t.region) {
                    regions.push(t.region.clone());
                }
            }
            self.regions = if regions.is_empty() {
                Regions::Default
            } else {
                Regions::List(regions)
            };
        }
        Ok(())
    }
}

/// Which regions to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The region of the caller's AWS configuration.
    Default,
    /// These regions (those not enabled in an account are skipped there).
    List(Vec<String>),
    /// Every region enabled in each account.
    All,
}

/// Regions enabled in every account by default (used for `all` when an account's enabled
/// regions cannot be listed).
pub const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
];

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
    /// Every account id the walk found, before `--accounts`/`--exclude-accounts`.
    organization_account_ids: Vec<String>,
    regions: Vec<String>,
    services: Vec<String>,
    walk_errors: Vec<ScanError>,
    /// A shard's Organizations documents, read by the plan (their collector does not run).
    preloaded: Option<Vec<vigil_model::Document>>,
    api_calls: ApiCalls,
    regions_scanned: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
    /// The run's caches, shared by the org walk and the collectors.
    shared: Arc<RunShared>,
    /// Accounts whose collection has finished (for progress display).
    accounts_done: Arc<std::sync::atomic::AtomicU64>,
}

impl Scanner {
    /// Identifies the caller and walks the organization. Organization errors do not stop the
    /// scan: the caller's own account is still scanned and the error is recorded.
    pub async fn connect(opts: ScanOptions) -> Result<Scanner, ScanFailure> {
        let Caller {
            api_calls,
            regions,
            caller_config,
            caller_account,
        } = Caller::identify(&opts).await?;
        Self::walk(opts, api_calls, regions, caller_config, caller_account).await
    }

    /// A scanner for one shard of a plan (`vigil scan --shard`): the shard's accounts, without
    /// walking the organization; its Organizations documents (SCP chains) come from the plan,
    /// so the scan makes no Organizations call.
    pub async fn for_shard(opts: ScanOptions, shard: Shard) -> Result<Scanner, ScanFailure> {
        let Caller {
            api_calls,
            regions,
            caller_config,
            caller_account,
        } = Caller::identify(&opts).await?;
        let preloaded = shard.services.iter().any(|s| s == "organizations");
        Ok(Scanner {
            opts,
            caller_config,
            caller_account,
            org: shard.org,
            accounts: shard.accounts,
            skipped: shard.skipped_accounts,
            organization_account_ids: shard.organization_account_ids,
            regions,
            services: shard.services,
            walk_errors: shard.errors,
            preloaded: preloaded.then_some(shard.documents),
            api_calls,
            regions_scanned: Default::default(),
            shared: Arc::new(RunShared::default()),
            accounts_done: Default::default(),
        })
    }

    async fn walk(
        opts: ScanOptions,
        api_calls: ApiCalls,
        regions: Vec<String>,
        caller_config: SdkConfig,
        caller_account: String,
    ) -> Result<Scanner, ScanFailure> {
        // Organizations is global; its endpoint lives in us-east-1 (aws partition).
        let org_conf = aws_sdk_organizations::config::Builder::from(&crate::aws::in_region(
            &caller_config,
            "us-east-1",
        ))
        .interceptor(api_calls.clone())
        .build();
        // One cache for the walk and the collectors: what the walk reads from Organizations
        // (accounts, parents, OU names) is not read again by the Organizations collector.
        let shared = Arc::new(RunShared::default());
        let walker = OrgWalker::new(
            aws_sdk_organizations::Client::from_conf(org_conf),
            opts.page_size,
            shared.clone(),
        );
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
            Ok(Some(org)) => match walker
                .walk(org.clone(), |id| {
                    (opts.accounts.is_empty() || opts.accounts.iter().any(|a| a == id))
                        && !opts.exclude_accounts.iter().any(|a| a == id)
                })
                .await
            {
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
                walk_errors.push(ScanError::org_walk(
                    wanted,
                    "ListAccounts",
                    VigilCode::AccountNotFound.as_str(),
                    format!("account {wanted} was asked for with --accounts but is not in the organization"),
                ));
            }
        }
        let (mut accounts, mut skipped) = (Vec::new(), Vec::new());
        let mut organization_account_ids: Vec<String> =
            all_accounts.iter().map(|a| a.id.clone()).collect();
        organization_account_ids.sort();
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
            organization_account_ids,
            regions,
            services,
            walk_errors,
            preloaded: None,
            api_calls,
            regions_scanned: Default::default(),
            shared,
            accounts_done: Default::default(),
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
    /// Every account id of the organization, whether scanned, filtered out or skipped.
    pub fn organization_account_ids(&self) -> &[String] {
        &self.organization_account_ids
    }
    /// Regions scanned so far (after a scan: every region scanned in any account).
    pub fn regions(&self) -> Vec<String> {
        let done = self
            .regions_scanned
            .lock()
            .map(|r| r.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        if done.is_empty() {
            self.regions.clone()
        } else {
            // Keep the order asked for, then any others (from `all`) sorted.
            let mut out: Vec<String> = self
                .regions
                .iter()
                .filter(|r| done.contains(r))
                .cloned()
                .collect();
            out.extend(done.into_iter().filter(|r| !self.regions.contains(r)));
            out
        }
    }
    pub fn services(&self) -> &[String] {
        &self.services
    }
    pub fn api_calls(&self) -> &ApiCalls {
        &self.api_calls
    }
    /// A counter of the accounts whose collection has finished, for progress display.
    pub fn accounts_done(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.accounts_done.clone()
    }

    /// Collects everything, streaming documents and error records to `tx`. Returns when every
    /// scope is done; failures of a scope are events, never a reason to stop.
    /// Returns the number of documents collected.
    pub async fn collect(&self, tx: async_channel::Sender<ScanEvent>) -> u64 {
        let sink = DocumentSink::for_targets(tx, self.opts.targets.clone());
        for e in &self.walk_errors {
            sink.event(ScanEvent::Error(e.clone())).await;
        }
        for d in self.preloaded.iter().flatten() {
            sink.emit(d.clone()).await;
        }
        let collectors: Vec<Arc<dyn Collector>> = registry()
            .into_iter()
            .filter(|c| self.services.iter().any(|s| s == c.service()))
            .filter(|c| self.preloaded.is_none() || c.service() != ORGANIZATIONS)
            .collect();
        let global = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let shared = self.shared.clone();
        let caller = Arc::new(AccountSession::caller(
            &self.caller_account,
            &self.caller_config,
        ));
        // Accounts in progress at once. An account's session (assumed credentials, an STS
        // client with its own HTTP/TLS stack, ~120 kB) and its scope tasks exist only while it
        // is being scanned, so memory does not grow with the size of the organization (with
        // every account started at once, 200 accounts held ~23 MB of TLS configuration alone).
        // `--concurrency` of them keeps the global bound busy: each runs up to
        // `per_account_concurrency` scopes.
        let slots = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let mut accounts = JoinSet::new();
        for account in self.accounts.clone() {
            let ctx = AccountTask {
                account,
                caller: caller.clone(),
                org: self.org.clone(),
                shared: shared.clone(),
                page_size: self.opts.page_size,
                all_regions: self.opts.regions == Regions::All,
                regions_scanned: self.regions_scanned.clone(),
                role: self.opts.role.clone(),
                regions: self.regions.clone(),
                collectors: collectors.clone(),
                global: global.clone(),
                per_account: self.opts.per_account_concurrency.max(1),
                api_calls: self.api_calls.clone(),
                sink: sink.clone(),
                targets: self.opts.targets.clone(),
            };
            let slots = slots.clone();
            accounts.spawn(async move {
                // Fair (FIFO): accounts start in order; never closed, so this waits, not fails.
                let _slot = slots.acquire_owned().await;
                ctx.run().await
            });
        }
        while accounts.join_next().await.is_some() {
            self.accounts_done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        sink.emitted()
    }
}

/// The service whose documents a plan collects for its shards.
const ORGANIZATIONS: &str = "organizations";

impl Scanner {
    /// For a plan: each account's Organizations document (SCP chain, tag and backup
    /// policies), read with the caller's credentials (no role is assumed), streamed to `tx`
    /// with the walk's error records. Returns the number of documents.
    pub async fn collect_organizations(&self, tx: async_channel::Sender<ScanEvent>) -> u64 {
        use futures::stream::{self, StreamExt};
        let sink = DocumentSink::for_targets(tx, Vec::new());
        for e in &self.walk_errors {
            sink.event(ScanEvent::Error(e.clone())).await;
        }
        let Some(c) = registry().into_iter().find(|c| {
            c.service() == ORGANIZATIONS && self.services.iter().any(|s| s == ORGANIZATIONS)
        }) else {
            return 0;
        };
        let caller = Arc::new(AccountSession::caller(
            &self.caller_account,
            &self.caller_config,
        ));
        stream::iter(self.accounts.clone())
            .for_each_concurrent(self.opts.concurrency.max(1), |account| {
                let (c, sink, caller) = (c.clone(), sink.clone(), caller.clone());
                async move {
                    let scope = Scope {
                        account,
                        region: GLOBAL_REGION.to_string(),
                        session: caller.clone(),
                        caller,
                        org: self.org.clone(),
                        api_calls: self.api_calls.clone(),
                        shared: self.shared.clone(),
                        page_size: self.opts.page_size,
                        facts: Arc::new(AccountFacts::new([GLOBAL_REGION])),
                        targets: None,
                    };
                    if let Err(e) = c.collect(&scope, &sink).await {
                        sink.error(&scope, c.service(), &e.0).await;
                        scope.facts.failed(&scope.region, e.0);
                    }
                    c.roll_up(&scope, &sink).await;
                    self.accounts_done
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
            .await;
        sink.emitted()
    }
}

/// Who is calling, and the regions asked for.
struct Caller {
    api_calls: ApiCalls,
    regions: Vec<String>,
    caller_config: SdkConfig,
    caller_account: String,
}

impl Caller {
    /// `GetCallerIdentity` with the standard chain's credentials.
    async fn identify(opts: &ScanOptions) -> Result<Caller, ScanFailure> {
        let api_calls = ApiCalls::default();
        let default_region = aws_config::default_provider::region::DefaultRegionChain::builder()
            .build()
            .region()
            .await
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        let regions = match &opts.regions {
            Regions::Default => vec![default_region.clone()],
            Regions::List(l) if l.is_empty() => vec![default_region.clone()],
            Regions::List(l) => l.clone(),
            Regions::All => Vec::new(),
        };
        let home = regions
            .first()
            .cloned()
            .unwrap_or_else(|| default_region.clone());
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
        Ok(Caller {
            api_calls,
            regions,
            caller_config,
            caller_account,
        })
    }
}

struct AccountTask {
    account: Account,
    caller: Arc<AccountSession>,
    org: OrgInfo,
    shared: Arc<RunShared>,
    page_size: Option<i32>,
    all_regions: bool,
    regions_scanned: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
    role: RoleSpec,
    regions: Vec<String>,
    collectors: Vec<Arc<dyn Collector>>,
    global: Arc<Semaphore>,
    per_account: usize,
    api_calls: ApiCalls,
    sink: DocumentSink,
    /// See [`ScanOptions::targets`].
    targets: Vec<vigil_model::target::Target>,
}

impl AccountTask {
    async fn run(self) {
        let session = if self.account.id == self.caller.account_id {
            self.caller.clone()
        } else {
            let _permit = self.global.acquire().await;
            match AccountSession::assume(
                &self.account.id,
                self.caller.config(),
                &self.role,
                &self.api_calls,
            )
            .await
            {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    self.sink
                        .event(ScanEvent::Error(ScanError::account_wide(
                            &self.account.id,
                            &e.operation,
                            &e.code,
                            &e.message,
                        )))
                        .await;
                    return;
                }
            }
        };
        let regions = self.regions_to_scan(&session).await;
        if let Ok(mut done) = self.regions_scanned.lock() {
            done.extend(regions.iter().cloned());
        }
        let local = Arc::new(Semaphore::new(self.per_account));
        let mut scopes = JoinSet::new();
        let mut units: Vec<(String, Arc<dyn Collector>, Arc<AccountFacts>)> = Vec::new();
        // Per collector, the facts its scopes in this account keep for its roll-up.
        let mut roll_ups: Vec<(Arc<dyn Collector>, Arc<AccountFacts>)> = Vec::new();
        for c in &self.collectors {
            let mut scoped: Vec<String> = if c.global() {
                vec![GLOBAL_REGION.to_string()]
            } else {
                regions.clone()
            };
            if !self.targets.is_empty() {
                // Only the regions of this collector's targets in this account (an
                // account-wide document, such as the AWS Config roll-up, needs them all).
                let mine: Vec<&vigil_model::target::Target> = self
                    .targets
                    .iter()
                    .filter(|t| t.service() == c.service())
                    .filter(|t| t.account_id.as_deref().is_none_or(|a| a == self.account.id))
                    .collect();
                scoped.retain(|r| {
                    mine.iter()
                        .any(|t| c.global() || &t.region == r || t.region == GLOBAL_REGION)
                });
                if scoped.is_empty() {
                    continue;
                }
            }
            let facts = Arc::new(AccountFacts::new(scoped.iter().map(String::as_str)));
            roll_ups.push((c.clone(), facts.clone()));
            units.extend(scoped.into_iter().map(|r| (r, c.clone(), facts.clone())));
        }
        let targets: Option<Arc<Vec<vigil_model::target::Target>>> = (!self.targets.is_empty())
            .then(|| {
                Arc::new(
                    self.targets
                        .iter()
                        .filter(|t| t.account_id.as_deref().is_none_or(|a| a == self.account.id))
                        .cloned()
                        .collect(),
                )
            });
        let scope_in = |region: String, facts: Arc<AccountFacts>| Scope {
            account: self.account.clone(),
            region,
            session: session.clone(),
            caller: self.caller.clone(),
            org: self.org.clone(),
            api_calls: self.api_calls.clone(),
            shared: self.shared.clone(),
            page_size: self.page_size,
            facts,
            targets: targets.clone(),
        };
        for (region, c, facts) in units {
            {
                let scope = scope_in(region, facts);
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
                        scope.facts.failed(&scope.region, e.0);
                    }
                });
            }
        }
        while scopes.join_next().await.is_some() {}
        // Every scope of the account has ended: the collectors' account-wide roll-ups.
        for (c, facts) in roll_ups {
            let scope = scope_in(GLOBAL_REGION.to_string(), facts);
            c.roll_up(&scope, &self.sink).await;
        }
    }

    /// The regions to scan in this account: those asked for that are enabled here (the others
    /// are reported as skipped), or every enabled region for `all`.
    async fn regions_to_scan(&self, session: &AccountSession) -> Vec<String> {
        let enabled = enabled_regions(session, &self.api_calls, self.page_size).await;
        let Some(enabled) = enabled else {
            // Unknown (account:ListRegions denied or not offered): scan what was asked for.
            if self.all_regions {
                tracing::warn!(account = %self.account.id, "cannot list enabled regions; scanning the regions enabled by default");
                return DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect();
            }
            return self.regions.clone();
        };
        if self.all_regions {
            return enabled;
        }
        let mut out = Vec::new();
        for r in &self.regions {
            if enabled.contains(r) {
                out.push(r.clone());
            } else {
                self.sink
                    .event(ScanEvent::RegionSkipped {
                        account_id: self.account.id.clone(),
                        region: r.clone(),
                        reason: "region is not enabled in this account (opt-in region)".into(),
                    })
                    .await;
            }
        }
        out
    }
}

/// The account's enabled regions from `account:ListRegions`; `None` when they cannot be listed.
async fn enabled_regions(
    session: &AccountSession,
    api_calls: &ApiCalls,
    page_size: Option<i32>,
) -> Option<Vec<String>> {
    use aws_sdk_account::types::RegionOptStatus;
    let conf = aws_sdk_account::config::Builder::from(&session.config_for("us-east-1"))
        .interceptor(api_calls.clone())
        .build();
    let client = aws_sdk_account::Client::from_conf(conf);
    let pages = client
        .list_regions()
        .region_opt_status_contains(RegionOptStatus::Enabled)
        .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
        .set_max_results(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await;
    match pages {
        Ok(pages) => {
            let mut v: Vec<String> = pages
                .iter()
                .flat_map(|p| {
                    p.regions()
                        .iter()
                        .filter_map(|r| r.region_name().map(str::to_string))
                })
                .collect();
            v.sort();
            Some(v)
        }
        Err(e) => {
            let err = aws_error("ListRegions", &e);
            tracing::debug!(account = %session.account_id, "enabled regions unknown: {err}");
            None
        }
    }
}

fn org_error(caller: &str, e: &AwsError) -> ScanError {
    ScanError::org_walk(
        caller,
        &e.operation,
        &e.code,
        format!("{} (only the caller's account is scanned)", e.message),
    )
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
