//! One vigil run, whatever started it (`vigil scan`, `vigil evaluate`, the Lambda handler):
//! take the run lock, collect (or read a snapshot) and evaluate as documents stream in,
//! post-process (severity overrides, suppressions), compare with earlier failures (a
//! `--baseline` report and/or the state table), notify, release the lock. [`execute`] is the
//! one entry point; adapters only build [`RunOptions`] and present the [`Outcome`].
//!
//! Library code: it never prints; it returns values and reports progress to an [`Observer`].

pub mod evaluate;
pub mod events;
pub mod input;
pub mod names;
pub mod notify;
pub mod output;
pub mod post;
pub mod report_bucket;
pub mod securityhub;
pub mod shard;
pub mod summary;

pub use evaluate::Counters;
pub use input::{
    read_baseline, read_shard, read_snapshot, read_snapshots, read_snapshots_of_plan, Baseline,
    InputError,
};
pub use notify::lock::LockInfo;
pub use notify::{NotifyOptions, NotifyOutcome};
pub use post::{PostProcess, Suppression};
pub use summary::RunSummary;

use evaluate::{account_contexts, scan_result, Workers};
use notify::{Begin, Notifier};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use vigil_model::{compare, ScanResult, Severity, Snapshot, Status, SNAPSHOT_SCHEMA};
use vigil_rules::PolicySet;
use vigil_scanner::{ScanEvent, ScanFailure, ScanOptions, Scanner};

/// Exit codes of the `vigil` binary (documented in `--help` and the README).
pub mod exit {
    /// No failing finding at or above `--fail-on`; or the lock was held (nothing done).
    pub const CLEAN: u8 = 0;
    /// Failing findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage, configuration or policy error: nothing was scanned.
    pub const USAGE: u8 = 2;
    /// Something could not be assessed, notified, recorded or written.
    pub const PARTIAL: u8 = 3;
}

/// What a run reads.
#[derive(Debug)]
pub enum Input {
    /// Scan the organization.
    Live(ScanOptions),
    /// Scan one shard of a plan (its accounts; no organization walk).
    Shard(ScanOptions, Box<vigil_model::Shard>),
    /// Evaluate a snapshot written by an earlier scan (no AWS call).
    Snapshot(Snapshot),
}

/// Everything one run needs.
pub struct RunOptions<'a> {
    pub input: Input,
    pub policies: &'a PolicySet,
    pub post: PostProcess,
    /// Compare with an earlier report; it then decides each finding's `change`.
    pub baseline: Option<Baseline>,
    /// Notify (SNS) and record (state table, run lock).
    pub notify: Option<NotifyOptions>,
    /// Keep the collected documents (the outcome then carries the snapshot).
    pub keep_snapshot: bool,
    /// Import the failing findings into Security Hub (and close those that pass now).
    pub security_hub: Option<securityhub::SecurityHubOptions>,
}

/// Progress of a run, for a display. Every method has an empty default.
pub trait Observer: Send + Sync {
    /// Collection and evaluation start over `accounts` accounts.
    fn collecting(&self, _accounts: u64, _accounts_done: Arc<AtomicU64>, _counters: Arc<Counters>) {
    }
    /// Collection and evaluation are over.
    fn collected(&self) {}
}

/// An observer that does nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// `--fail-on`: a severity threshold or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

/// How a run ended, in one word; [`RunStatus::exit_code`] is the one mapping to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Everything assessed (and notified); nothing failing at or above the threshold.
    Clean,
    /// Everything assessed; failing findings at or above the threshold.
    Findings,
    /// Some scope not assessed (error records or `error` findings), or notifications not all
    /// published or recorded.
    Partial,
    /// Another run holds the lock: nothing was done.
    Locked,
}

impl RunStatus {
    pub fn exit_code(self) -> u8 {
        match self {
            RunStatus::Clean | RunStatus::Locked => exit::CLEAN,
            RunStatus::Findings => exit::FINDINGS,
            RunStatus::Partial => exit::PARTIAL,
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub enum Outcome {
    /// Another run holds the lock of `table`: nothing was scanned, notified or recorded.
    Locked {
        table: String,
        holder: LockInfo,
    },
    Completed(Box<Completed>),
}

/// A run that went through.
#[derive(Debug)]
pub struct Completed {
    pub result: ScanResult,
    /// With [`RunOptions::keep_snapshot`]: what was collected.
    pub snapshot: Option<Snapshot>,
    /// With [`RunOptions::notify`]: what was notified and recorded.
    pub notified: Option<NotifyOutcome>,
    /// With [`RunOptions::security_hub`]: what was imported and archived (its failures are
    /// also error records of the result).
    pub security_hub: Option<securityhub::SecurityHubOutcome>,
}

impl Completed {
    /// The one meaning of partial: some scope not assessed (error records or `error`
    /// findings), or something not notified or recorded.
    pub fn is_partial(&self) -> bool {
        self.result.is_partial() || self.notified.as_ref().is_some_and(|n| n.is_partial())
    }

    /// Partial first, then failing findings at or above `fail_on` (with `only_new`, only
    /// those new since the baseline).
    pub fn status(&self, fail_on: FailOn, only_new: bool) -> RunStatus {
        if self.is_partial() {
            return RunStatus::Partial;
        }
        let failing = match fail_on {
            FailOn::Never => false,
            FailOn::Severity(min) => self.result.findings.iter().any(|f| {
                f.status == Status::Fail
                    && f.severity >= min
                    && (!only_new || f.change == Some(vigil_model::Change::New))
            }),
        };
        if failing {
            RunStatus::Findings
        } else {
            RunStatus::Clean
        }
    }
}

impl Outcome {
    pub fn status(&self, fail_on: FailOn, only_new: bool) -> RunStatus {
        match self {
            Outcome::Locked { .. } => RunStatus::Locked,
            Outcome::Completed(c) => c.status(fail_on, only_new),
        }
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scan could not start (credentials, endpoint, caller identity): nothing scanned.
    #[error(transparent)]
    Scan(#[from] ScanFailure),
    /// The run lock could not be taken (table missing, access denied): nothing scanned.
    #[error(transparent)]
    Lock(notify::state::StateError),
    /// An evaluation worker panicked: its part of the run is lost.
    #[error("evaluation worker {worker} panicked: {message}")]
    WorkerPanicked { worker: String, message: String },
    /// Documents were collected but not evaluated.
    #[error("internal error: {collected} documents collected but {evaluated} evaluated")]
    Unevaluated { collected: u64, evaluated: u64 },
    /// The run stopped and the run lock could not be released either.
    #[error("{error}; releasing the run lock failed too: {release}")]
    NotReleased {
        error: Box<RunError>,
        release: notify::state::StateError,
    },
}

impl RunError {
    /// Nothing was scanned (the run stopped before collecting).
    pub fn nothing_scanned(&self) -> bool {
        match self {
            RunError::Scan(_) | RunError::Lock(_) => true,
            RunError::NotReleased { error, .. } => error.nothing_scanned(),
            RunError::WorkerPanicked { .. } | RunError::Unevaluated { .. } => false,
        }
    }

    /// Whether running again later can succeed (throttling, timeouts, an endpoint
    /// unreachable), as opposed to configuration, permissions or a bug.
    pub fn is_retryable(&self) -> bool {
        match self {
            RunError::Scan(ScanFailure::NoCredentials(_)) => false,
            RunError::Scan(ScanFailure::Unreachable { .. }) => true,
            RunError::Scan(ScanFailure::Caller(a)) => retryable_code(&a.code),
            RunError::Lock(e) => e.is_retryable(),
            RunError::WorkerPanicked { .. } | RunError::Unevaluated { .. } => true,
            RunError::NotReleased { error, .. } => error.is_retryable(),
        }
    }
}

/// AWS error codes after which a later attempt can succeed.
pub fn retryable_code(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    c.contains("throttl")
        || c.contains("toomanyrequests")
        || c.contains("limitexceeded")
        || c.contains("timeout")
        || c.contains("dispatchfailure")
        || c.contains("serviceunavailable")
        || c.contains("internalerror")
        || c.contains("internalfailure")
        || c.contains("internalservererror")
        || c == "http 500"
        || c == "http 502"
        || c == "http 503"
        || c == "http 504"
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Epoch seconds as RFC 3339 UTC.
pub(crate) fn rfc3339(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| epoch.to_string())
}

/// The caller's AWS configuration (region from the standard chain, else us-east-1).
async fn caller_config(endpoint_url: Option<&str>) -> aws_types::SdkConfig {
    let region = aws_config::default_provider::region::DefaultRegionChain::builder()
        .build()
        .region()
        .await
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".to_string());
    vigil_scanner::aws::base_config(&region, endpoint_url).await
}

/// Runs once: lock, collect (or read the snapshot) and evaluate, post-process, compare,
/// notify, release. The lock is taken before anything is collected, so an overlapping run
/// stops before it walks the organization.
pub async fn execute(opts: RunOptions<'_>, observer: &dyn Observer) -> Result<Outcome, RunError> {
    let RunOptions {
        input,
        policies,
        post,
        baseline,
        notify,
        keep_snapshot,
        security_hub,
    } = opts;
    let started_at = now_rfc3339();
    let targets = match &input {
        Input::Live(o) | Input::Shard(o, _) => o.targets.clone(),
        Input::Snapshot(_) => Vec::new(),
    };
    let notifier = match notify.filter(|n| !n.is_off()) {
        None => None,
        Some(n) => {
            let endpoint = match &input {
                Input::Live(o) | Input::Shard(o, _) => o.endpoint_url.clone(),
                Input::Snapshot(_) => None,
            };
            let sdk = caller_config(endpoint.as_deref()).await;
            match Notifier::begin(&n, &sdk).await.map_err(RunError::Lock)? {
                Begin::Locked { table, holder } => return Ok(Outcome::Locked { table, holder }),
                Begin::Run(n) => Some(n),
            }
        }
    };
    let evaluated = match input {
        Input::Live(o) => live(o, None, policies, started_at, keep_snapshot, observer).await,
        Input::Shard(o, s) => {
            live(o, Some(*s), policies, started_at, keep_snapshot, observer).await
        }
        Input::Snapshot(s) => offline(s, policies).await.map(|r| (r, None)),
    };
    let (mut result, snapshot) = match evaluated {
        Ok(r) => r,
        Err(error) => {
            return Err(match notifier.map(Notifier::abandon) {
                Some(release) => match release.await {
                    Err(release) => RunError::NotReleased {
                        error: Box::new(error),
                        release,
                    },
                    Ok(()) => error,
                },
                None => error,
            })
        }
    };
    post.apply(&mut result, time::OffsetDateTime::now_utc().date());
    let now = if result.finished_at.is_empty() {
        now_rfc3339()
    } else {
        result.finished_at.clone()
    };
    let (notified, state_cmp) = match notifier {
        Some(n) => {
            let (o, c) = n.finish(&result, &now).await;
            (Some(o), c)
        }
        None => (None, None),
    };
    // `change` is set here and only here: by the baseline when there is one, else by the
    // state table.
    match baseline {
        Some(mut b) => {
            // Only some resources were evaluated: the others are not resolved.
            if !targets.is_empty() {
                b.failing.retain(|f| targets.iter().any(|t| names(t, f)));
            }
            let cmp = compare(&b.failing, &result);
            cmp.mark(&mut result.findings);
            result.resolved = cmp.resolved;
            result.baseline = Some(b.path);
        }
        None => {
            if let Some(cmp) = state_cmp {
                cmp.mark(&mut result.findings);
            }
        }
    }
    // Last: the findings are final (suppressions applied, changes marked), and what Security
    // Hub refused becomes error records of this result.
    let security_hub = match security_hub {
        Some(o) => Some(securityhub::export(&mut result, &o).await),
        None => None,
    };
    result.sort();
    Ok(Outcome::Completed(Box::new(Completed {
        result,
        snapshot,
        notified,
        security_hub,
    })))
}

/// Collects everything the scanner can see and evaluates it as it streams in.
async fn live(
    opts: ScanOptions,
    shard: Option<vigil_model::Shard>,
    policies: &PolicySet,
    started_at: String,
    keep_documents: bool,
    observer: &dyn Observer,
) -> Result<(ScanResult, Option<Snapshot>), RunError> {
    let targets = opts.targets.clone();
    // A shard's own part of the plan: which shard, and the plan's API calls (first shard).
    let plan = shard
        .as_ref()
        .map(|s| (s.of.clone(), s.api_calls, s.api_calls_by_operation.clone()));
    let scanner = match shard {
        Some(s) => Scanner::for_shard(opts, s).await?,
        None => Scanner::connect(opts).await?,
    };
    tracing::info!(
        accounts = scanner.accounts().len(),
        regions = scanner.regions().len(),
        "scanning organization {}",
        scanner.org().id
    );
    let contexts = Arc::new(account_contexts(scanner.accounts()));
    let (tx, rx) = async_channel::bounded(1024);
    let policies = &policies.with_organization(
        scanner.org(),
        scanner
            .organization_account_ids()
            .iter()
            .map(String::as_str),
    );
    let workers = Workers::start(
        policies,
        contexts.clone(),
        scanner.org().clone(),
        rx,
        keep_documents,
    );
    observer.collecting(
        scanner.accounts().len() as u64,
        scanner.accounts_done(),
        workers.counters.clone(),
    );
    let collected = scanner.collect(tx).await;
    // The channel is closed: the workers finish what is queued (blocking, off the reactor).
    let joined = tokio::task::block_in_place(|| workers.join());
    observer.collected();
    let mut evaluated = joined?;
    let api_calls = scanner.api_calls();
    let mut snapshot = Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        started_at,
        finished_at: now_rfc3339(),
        org: scanner.org().clone(),
        accounts: scanner.accounts().to_vec(),
        skipped_accounts: scanner.skipped().to_vec(),
        organization_account_ids: scanner.organization_account_ids().to_vec(),
        regions: scanner.regions(),
        services: scanner.services().to_vec(),
        api_calls: api_calls.total(),
        api_calls_by_operation: api_calls.by_operation(),
        documents: Vec::new(),
        errors: evaluated.errors.clone(),
        skipped_regions: evaluated.skipped_regions.clone(),
        shard: None,
    };
    if let Some((of, calls, by_operation)) = plan {
        snapshot.shard = Some(of);
        snapshot.api_calls += calls;
        for (op, n) in by_operation {
            *snapshot.api_calls_by_operation.entry(op).or_default() += n;
        }
    }
    let documents = std::mem::take(&mut evaluated.documents);
    let mut result = scan_result(snapshot.clone(), evaluated, collected, policies, &contexts)?;
    result.errors.extend(missing_targets(&targets, &result));
    snapshot.documents = documents;
    Ok((result, keep_documents.then_some(snapshot)))
}

/// Whether `f` is a finding of the resource `t` names.
fn names(t: &vigil_model::target::Target, f: &vigil_model::Finding) -> bool {
    f.resource_type == t.resource_type
        && (t.resource_id.is_empty() || f.resource_id == t.resource_id)
        && f.region == t.region
        && t.account_id.as_deref().is_none_or(|a| a == f.account_id)
}

/// Targets of a scan (`--resource`) that it did not find: no document, and no error record
/// for their account, region and service (which would already say why). Each becomes an
/// error record: vigil could not evaluate what it was asked to (deleted, a wrong ARN, or not
/// visible to the audit role).
fn missing_targets(
    targets: &[vigil_model::target::Target],
    result: &ScanResult,
) -> Vec<vigil_model::ScanError> {
    targets
        .iter()
        .filter(|t| !result.findings.iter().any(|f| names(t, f)))
        .filter(|t| {
            !result.errors.iter().any(|e| {
                e.service == t.service()
                    && (e.region == t.region || e.region == vigil_model::GLOBAL)
                    && t.account_id.as_deref().is_none_or(|a| a == e.account_id)
            })
        })
        .map(|t| vigil_model::ScanError {
            account_id: t.account_id.clone().unwrap_or_default(),
            region: t.region.clone(),
            service: t.service().to_string(),
            operation: "Collect".into(),
            code: "ResourceNotFound".into(),
            message: format!(
                "{} {} was not found{} (deleted, a wrong ARN, or not visible to the audit role): nothing evaluated",
                t.resource_type,
                t.resource_id,
                if t.account_id.is_none() { " in any account scanned" } else { "" }
            ),
            resource: Some(t.resource_id.clone()),
        })
        .collect()
}

/// Evaluates a snapshot's documents (and turns its errors into `error` findings).
async fn offline(mut snapshot: Snapshot, policies: &PolicySet) -> Result<ScanResult, RunError> {
    let contexts = Arc::new(account_contexts(&snapshot.accounts));
    let documents = std::mem::take(&mut snapshot.documents);
    let collected = documents.len() as u64;
    let (tx, rx) = async_channel::bounded(1024);
    let policies =
        &policies.with_organization(&snapshot.org, snapshot.organization_accounts().into_iter());
    let workers = Workers::start(policies, contexts.clone(), snapshot.org.clone(), rx, false);
    for e in &snapshot.errors {
        let _ = tx.send(ScanEvent::Error(e.clone())).await;
    }
    for d in documents {
        let _ = tx.send(ScanEvent::Document(Box::new(d))).await;
    }
    drop(tx);
    let evaluated = tokio::task::block_in_place(|| workers.join())?;
    scan_result(snapshot, evaluated, collected, policies, &contexts)
}

#[cfg(test)]
pub(crate) mod tests {
    use vigil_model::ScanResult;

    /// A result of account 111122223333 in eu-west-1 with the two DynamoDB rules, no finding.
    pub fn empty_result() -> ScanResult {
        let rule = |id: &str| vigil_model::RuleInfo {
            id: id.into(),
            title: String::new(),
            description: String::new(),
            severity: vigil_model::Severity::High,
            resource_types: vec!["AWS::DynamoDB::Table".into()],
            remediation: String::new(),
            related: Default::default(),
        };
        ScanResult {
            tool_version: "test".into(),
            accounts: vec![vigil_model::Account {
                id: "111122223333".into(),
                name: "payments".into(),
                email: String::new(),
                ou_path: String::new(),
                tags: Default::default(),
                status: vigil_model::AccountStatus::Active,
            }],
            regions: vec!["eu-west-1".into()],
            rules: vec![rule("VGL-DDB-001"), rule("VGL-DDB-002")],
            ..Default::default()
        }
    }
}
