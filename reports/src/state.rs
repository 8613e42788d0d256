//! The state table: which findings were failing at the end of the last run (so that a run
//! notifies only what changed), and the run lock that keeps two overlapping runs from notifying
//! twice.
//!
//! A DynamoDB table with one String partition key, `pk`, holds:
//! - `finding#<fingerprint>`: one item per fingerprint failing at the end of the last
//!   committed run (rule, account, region, resource, severity, title, message, `first_seen`,
//!   `last_seen` as RFC 3339);
//! - `meta#initialized`: written by the first committed run, so that an org with no failure
//!   left is not mistaken for a first run;
//! - `lock#scan`: the run lock, a lease (`owner`, `acquired_at`, `expires_at` in epoch seconds)
//!   taken with a conditional put, renewed while the run goes on, deleted at the end.
//!
//! [`diff`] is pure: it compares the stored items with a [`ScanResult`]. A stored failure that
//! does not fail now is resolved only when this run assessed its scope (see [`diff`]).

use crate::ScanResult;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, PutRequest, ReturnValue, WriteRequest,
};
use aws_types::SdkConfig;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vigil_model::{Change, Finding, Severity, Status};

/// Partition key of the run lock item.
pub const LOCK_KEY: &str = "lock#scan";
/// Partition key of the item written by the first committed run.
pub const MARKER_KEY: &str = "meta#initialized";
/// Prefix of finding items' partition keys (followed by the fingerprint).
pub const FINDING_PREFIX: &str = "finding#";

/// A failing finding as the state table records it (one item per fingerprint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    pub fingerprint: String,
    pub rule_id: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_arn: String,
    pub severity: Severity,
    pub title: String,
    /// The failure's message (several messages of one rule on one resource, joined by `; `).
    pub message: String,
    /// When a run first recorded it failing (RFC 3339).
    pub first_seen: String,
    /// The last run that saw it failing (RFC 3339).
    pub last_seen: String,
}

/// What the state table held when a run started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    pub findings: Vec<StoredFinding>,
    /// The `meta#initialized` marker exists.
    pub initialized: bool,
}

impl Previous {
    /// No finding recorded and no marker: the table has never been committed to.
    pub fn is_first_run(&self) -> bool {
        self.findings.is_empty() && !self.initialized
    }
}

/// How this run compares with the state table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Failing findings whose fingerprint has no item (every finding of such a fingerprint:
    /// one rule can fail one resource with several messages).
    pub new: Vec<Finding>,
    /// Failing findings whose fingerprint has an item.
    pub unchanged: Vec<Finding>,
    /// Items that no longer fail, in a scope this run assessed: built from the item (status
    /// `pass`, the last failure's message, `change: resolved`).
    pub resolved: Vec<Finding>,
    /// Items whose finding is muted now (a suppression in vigil.toml): removed from the table
    /// without a notification, so that the failure is notified as new if the suppression ends.
    pub muted: Vec<StoredFinding>,
    /// Items not failing now whose scope this run did not assess (account not scanned,
    /// region or service not in scope, an error record covering it, rule not evaluated): left
    /// untouched.
    pub not_assessed: Vec<StoredFinding>,
    /// The table has never been committed to (see [`Previous::is_first_run`]).
    pub first_run: bool,
    /// The `meta#initialized` marker exists.
    pub initialized: bool,
    /// `first_seen` of every recorded fingerprint, kept when an item is rewritten.
    pub first_seen: HashMap<String, String>,
}

/// The writes that record a run: items to put, fingerprints to delete, the marker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commit {
    pub put: Vec<StoredFinding>,
    /// Fingerprints whose item is deleted.
    pub delete: Vec<String>,
    /// Write the `meta#initialized` marker.
    pub mark_initialized: bool,
}

impl Commit {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.delete.is_empty() && !self.mark_initialized
    }
}

/// Compares the stored failures with this run.
///
/// A failing finding is `new` when its fingerprint has no item, else `unchanged`. An item whose
/// fingerprint does not fail now is `resolved` only when this run assessed its scope: the
/// account was scanned, its region was scanned (or is `global`), its service was collected, no
/// error record covers account × region × service (an AssumeRole failure covers the whole
/// account; a per-resource error covers that resource), and its rule was evaluated. Otherwise
/// it is `not_assessed` and stays as it is. A muted finding is not failing: it is never new,
/// and its item is removed silently (`muted`), not notified as resolved.
pub fn diff(previous: &Previous, result: &ScanResult) -> Diff {
    let stored: HashMap<&str, &StoredFinding> = previous
        .findings
        .iter()
        .map(|s| (s.fingerprint.as_str(), s))
        .collect();
    let mut out = Diff {
        first_run: previous.is_first_run(),
        initialized: previous.initialized,
        first_seen: previous
            .findings
            .iter()
            .map(|s| (s.fingerprint.clone(), s.first_seen.clone()))
            .collect(),
        ..Default::default()
    };
    let mut failing: HashSet<&str> = HashSet::new();
    let mut muted: HashSet<&str> = HashSet::new();
    for f in &result.findings {
        match f.status {
            Status::Fail => {
                failing.insert(&f.fingerprint);
                if stored.contains_key(f.fingerprint.as_str()) {
                    out.unchanged.push(f.clone());
                } else {
                    out.new.push(f.clone());
                }
            }
            Status::Muted => {
                muted.insert(&f.fingerprint);
            }
            Status::Pass | Status::Error => {}
        }
    }
    let rules: HashSet<&str> = result.rules.iter().map(|r| r.id.as_str()).collect();
    for s in &previous.findings {
        if failing.contains(s.fingerprint.as_str()) {
            continue;
        }
        let assessed = rules.contains(s.rule_id.as_str())
            && result.assessed(&s.account_id, &s.region, &s.resource_type, &s.resource_id);
        if !assessed {
            out.not_assessed.push(s.clone());
        } else if muted.contains(s.fingerprint.as_str()) {
            out.muted.push(s.clone());
        } else {
            out.resolved.push(resolved_finding(s, result));
        }
    }
    out
}

/// A resolved item as a finding: status `pass`, the last failure's message.
fn resolved_finding(s: &StoredFinding, result: &ScanResult) -> Finding {
    Finding {
        rule_id: s.rule_id.as_str().into(),
        title: s.title.as_str().into(),
        severity: s.severity,
        status: Status::Pass,
        account_id: s.account_id.as_str().into(),
        account_name: result
            .accounts
            .iter()
            .find(|a| a.id == s.account_id)
            .map(|a| a.name.as_str().into())
            .unwrap_or_default(),
        region: s.region.as_str().into(),
        resource_type: s.resource_type.as_str().into(),
        resource_id: s.resource_id.as_str().into(),
        resource_arn: s.resource_arn.as_str().into(),
        message: s.message.clone(),
        remediation: result
            .rules
            .iter()
            .find(|r| r.id == s.rule_id)
            .map(|r| r.remediation.as_str().into())
            .unwrap_or_default(),
        fingerprint: s.fingerprint.clone(),
        change: Some(Change::Resolved),
        suppression: None,
    }
}

impl Diff {
    /// The writes that record this run at `now` (RFC 3339), given the fingerprints whose
    /// notification failed (`unnotified`): a new failure that was not notified is not recorded
    /// (the next run notifies it again), a resolved one that was not notified keeps its item.
    /// Unchanged failures are rewritten with their `first_seen` kept and `last_seen = now`.
    /// On a first run any failed notification records nothing at all, so that the next run is
    /// a first run again (its summary is what was not delivered).
    pub fn commit(&self, now: &str, unnotified: &HashSet<String>) -> Commit {
        if self.first_run && !unnotified.is_empty() {
            return Commit::default();
        }
        let mut put: BTreeMap<String, StoredFinding> = BTreeMap::new();
        let new = self
            .new
            .iter()
            .filter(|f| !unnotified.contains(&f.fingerprint));
        for f in new.chain(self.unchanged.iter()) {
            let first_seen = self
                .first_seen
                .get(&f.fingerprint)
                .cloned()
                .unwrap_or_else(|| now.to_string());
            put.entry(f.fingerprint.clone())
                .and_modify(|s| {
                    if !s.message.split("; ").any(|m| m == f.message) {
                        s.message = format!("{}; {}", s.message, f.message);
                    }
                })
                .or_insert_with(|| StoredFinding {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.to_string(),
                    account_id: f.account_id.to_string(),
                    region: f.region.to_string(),
                    resource_type: f.resource_type.to_string(),
                    resource_id: f.resource_id.to_string(),
                    resource_arn: f.resource_arn.to_string(),
                    severity: f.severity,
                    title: f.title.to_string(),
                    message: f.message.clone(),
                    first_seen,
                    last_seen: now.to_string(),
                });
        }
        let mut delete: Vec<String> = self
            .resolved
            .iter()
            .map(|f| f.fingerprint.clone())
            .filter(|fp| !unnotified.contains(fp))
            .chain(self.muted.iter().map(|s| s.fingerprint.clone()))
            .collect();
        delete.sort();
        delete.dedup();
        Commit {
            put: put.into_values().collect(),
            delete,
            mark_initialized: !self.initialized,
        }
    }

    /// Marks this run's findings with their change: failing ones new or unchanged, passing
    /// ones whose item is resolved as resolved.
    pub fn mark(&self, findings: &mut [Finding]) {
        let new: HashSet<&str> = self.new.iter().map(|f| f.fingerprint.as_str()).collect();
        let resolved: HashSet<&str> = self
            .resolved
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        for f in findings {
            f.change = match f.status {
                Status::Fail if new.contains(f.fingerprint.as_str()) => Some(Change::New),
                Status::Fail => Some(Change::Unchanged),
                Status::Pass if resolved.contains(f.fingerprint.as_str()) => Some(Change::Resolved),
                _ => f.change,
            };
        }
    }
}

/// A state table failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A DynamoDB call failed (after the SDK's retries).
    #[error("{operation} on state table {table} failed: {code}: {message}")]
    Aws {
        table: String,
        operation: String,
        code: String,
        message: String,
    },
    /// BatchWriteItem left items unprocessed after every retry.
    #[error("BatchWriteItem on state table {table} left {remaining} items unprocessed after {attempts} attempts")]
    Unprocessed {
        table: String,
        remaining: usize,
        attempts: u32,
    },
    /// Someone else holds the run lock now: this run's lease was taken over.
    #[error("lost the run lock of state table {table}: {}", match .holder { Some(h) => format!("now held by {h}"), None => "the lock item is gone".to_string() })]
    LockLost {
        table: String,
        holder: Option<LockInfo>,
    },
}

impl StateError {
    /// The table does not exist (in this region, for these credentials).
    pub fn is_table_missing(&self) -> bool {
        matches!(self, StateError::Aws { code, .. } if code == "ResourceNotFoundException")
    }
}

/// Whether an error may go away when the call is repeated later (throttling, 5xx, network).
pub(crate) fn is_transient<E>(err: &SdkError<E>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            let code = err.code().unwrap_or_default();
            status.is_some_and(|s| s >= 500)
                || code.contains("Throttl")
                || code.contains("TooManyRequests")
                || code == "RequestLimitExceeded"
                || code == "ProvisionedThroughputExceededException"
        }
        _ => false,
    }
}

/// Who holds the run lock, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub owner: String,
    /// RFC 3339.
    pub acquired_at: String,
    /// Epoch seconds.
    pub expires_at: i64,
}

impl LockInfo {
    /// `expires_at` as RFC 3339.
    pub fn expires_rfc3339(&self) -> String {
        rfc3339(self.expires_at)
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (since {}, until {})",
            self.owner,
            self.acquired_at,
            self.expires_rfc3339()
        )
    }
}

/// Lease length and renewal period of the run lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockOptions {
    /// How long a lease lasts without renewal (a crashed run's lock is taken over after it).
    pub lease: Duration,
    /// How often the background task renews the lease.
    pub renew_every: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            lease: Duration::from_secs(15 * 60),
            renew_every: Duration::from_secs(60),
        }
    }
}

/// The result of trying to take the run lock.
#[derive(Debug)]
pub enum Acquired {
    /// This run holds the lock.
    Lease(Lease),
    /// Another run holds a live lease: this run must neither notify nor write state.
    Held(LockInfo),
}

/// The state table of one deployment.
#[derive(Debug, Clone)]
pub struct StateTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl StateTable {
    /// A client for `table` with the configuration's credentials, region and retry policy.
    pub fn new(config: &SdkConfig, table: &str) -> StateTable {
        StateTable {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.to_string(),
        }
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    fn aws_error<E>(&self, operation: &str, err: &SdkError<E>) -> StateError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let e = vigil_scanner::aws::aws_error(operation, err);
        StateError::Aws {
            table: self.table.clone(),
            operation: operation.to_string(),
            code: e.code,
            message: e.message,
        }
    }

    /// Every finding item and the marker (a consistent, paginated Scan: the table is small).
    pub async fn load(&self) -> Result<Previous, StateError> {
        let mut out = Previous::default();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.aws_error("Scan", &e))?;
            for item in page.items() {
                let pk = s(item, "pk");
                if pk == MARKER_KEY {
                    out.initialized = true;
                } else if let Some(fp) = pk.strip_prefix(FINDING_PREFIX) {
                    out.findings.push(stored_from_item(fp, item));
                }
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        out.findings
            .sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(out)
    }

    /// Writes a commit: puts and deletes in batches of 25, unprocessed items retried with
    /// exponential backoff.
    pub async fn commit(&self, commit: &Commit) -> Result<(), StateError> {
        let mut requests: Vec<WriteRequest> = Vec::new();
        for f in &commit.put {
            let put = PutRequest::builder()
                .set_item(Some(item_from_stored(f)))
                .build()
                .expect("a put request with an item");
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for fp in &commit.delete {
            let del = DeleteRequest::builder()
                .key("pk", AttributeValue::S(format!("{FINDING_PREFIX}{fp}")))
                .build()
                .expect("a delete request with a key");
            requests.push(WriteRequest::builder().delete_request(del).build());
        }
        if commit.mark_initialized {
            let put = PutRequest::builder()
                .item("pk", AttributeValue::S(MARKER_KEY.into()))
                .item("at", AttributeValue::S(now_rfc3339()))
                .build()
                .expect("a put request with an item");
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for chunk in requests.chunks(25) {
            self.batch_write(chunk.to_vec()).await?;
        }
        Ok(())
    }

    async fn batch_write(&self, mut pending: Vec<WriteRequest>) -> Result<(), StateError> {
        const ATTEMPTS: u32 = 8;
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=ATTEMPTS {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(|e| self.aws_error("BatchWriteItem", &e))?;
            pending = out
                .unprocessed_items()
                .and_then(|m| m.get(&self.table))
                .cloned()
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
        Err(StateError::Unprocessed {
            table: self.table.clone(),
            remaining: pending.len(),
            attempts: ATTEMPTS,
        })
    }

    /// The lock item, read consistently.
    pub async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(LOCK_KEY.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.aws_error("GetItem", &e))?;
        Ok(out.item().map(lock_from_item))
    }

    /// Takes the run lock for `owner`: a conditional put that succeeds when there is no lock
    /// item or its lease has expired (an expired lease is taken over). A live lease held by
    /// another run gives [`Acquired::Held`]. The returned lease renews itself in the
    /// background (a tokio task) until it is released or dropped.
    pub async fn acquire(&self, owner: &str, opts: LockOptions) -> Result<Acquired, StateError> {
        for _ in 0..3 {
            let now = epoch_now();
            let expires = now + opts.lease.as_secs() as i64;
            let res = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(LOCK_KEY.into()))
                .item("owner", AttributeValue::S(owner.into()))
                .item("acquired_at", AttributeValue::S(rfc3339(now)))
                .item("expires_at", AttributeValue::N(expires.to_string()))
                .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await;
            match res {
                Ok(out) => {
                    let taken_over = out
                        .attributes()
                        .filter(|a| !a.is_empty())
                        .map(lock_from_item);
                    return Ok(Acquired::Lease(Lease::start(
                        self.clone(),
                        owner,
                        opts,
                        expires,
                        taken_over,
                    )));
                }
                Err(e) if is_conditional_failure(&e) => {
                    // Released between our put and this read: try again.
                    if let Some(holder) = self.lock_holder().await? {
                        return Ok(Acquired::Held(holder));
                    }
                }
                Err(e) => return Err(self.aws_error("PutItem", &e)),
            }
        }
        match self.lock_holder().await? {
            Some(holder) => Ok(Acquired::Held(holder)),
            None => Err(StateError::Aws {
                table: self.table.clone(),
                operation: "PutItem".into(),
                code: "LockContention".into(),
                message: "the lock item kept changing while it was being taken".into(),
            }),
        }
    }

    /// Extends `owner`'s lease to `expires` (a conditional update on the owner).
    async fn renew(&self, owner: &str, expires: i64) -> Result<(), StateError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(LOCK_KEY.into()))
            .update_expression("SET expires_at = :exp")
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", AttributeValue::S(owner.into()))
            .expression_attribute_values(":exp", AttributeValue::N(expires.to_string()))
            .send()
            .await;
        self.lock_write("UpdateItem", res).await
    }

    /// The outcome of a conditional write on the lock item held by this run: a failed
    /// condition means someone else holds the lock now.
    async fn lock_write<T, E>(
        &self,
        operation: &str,
        res: Result<T, SdkError<E>>,
    ) -> Result<(), StateError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Err(StateError::LockLost {
                table: self.table.clone(),
                holder: self.lock_holder().await.ok().flatten(),
            }),
            Err(e) => Err(self.aws_error(operation, &e)),
        }
    }

    /// Deletes the lock item if `owner` still holds it.
    async fn release(&self, owner: &str) -> Result<(), StateError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(LOCK_KEY.into()))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", AttributeValue::S(owner.into()))
            .send()
            .await;
        self.lock_write("DeleteItem", res).await
    }
}

fn is_conditional_failure<E>(err: &SdkError<E>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    err.code() == Some("ConditionalCheckFailedException")
}

/// What the renewal task found out.
#[derive(Debug, Default)]
struct LeaseStatus {
    /// Set when a renewal found another owner (or no lock item).
    lost: Option<Option<LockInfo>>,
    /// Epoch seconds until which the lease is known to be ours.
    valid_until: i64,
}

/// This run's hold on the run lock. Renewed by a background task every
/// [`LockOptions::renew_every`]; [`Lease::confirm`] renews it on the spot before anything is
/// notified or written; [`Lease::release`] deletes it.
#[derive(Debug)]
pub struct Lease {
    table: StateTable,
    owner: String,
    opts: LockOptions,
    taken_over: Option<LockInfo>,
    status: Arc<Mutex<LeaseStatus>>,
    renewer: tokio::task::JoinHandle<()>,
}

impl Lease {
    fn start(
        table: StateTable,
        owner: &str,
        opts: LockOptions,
        expires: i64,
        taken_over: Option<LockInfo>,
    ) -> Lease {
        let status = Arc::new(Mutex::new(LeaseStatus {
            lost: None,
            valid_until: expires,
        }));
        let renewer = {
            let (table, owner, status) = (table.clone(), owner.to_string(), status.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(opts.renew_every).await;
                    let expires = epoch_now() + opts.lease.as_secs() as i64;
                    match table.renew(&owner, expires).await {
                        Ok(()) => {
                            if let Ok(mut s) = status.lock() {
                                s.valid_until = expires;
                            }
                        }
                        Err(StateError::LockLost { holder, .. }) => {
                            if let Ok(mut s) = status.lock() {
                                s.lost = Some(holder);
                            }
                            return;
                        }
                        // A failed renewal is retried at the next tick; `confirm` decides
                        // whether the lease still holds before anything is written.
                        Err(e) => tracing::warn!("renewing the run lock failed: {e}"),
                    }
                }
            })
        };
        Lease {
            table,
            owner: owner.to_string(),
            opts,
            taken_over,
            status,
            renewer,
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The expired lease this run took over, if it took one over.
    pub fn taken_over(&self) -> Option<&LockInfo> {
        self.taken_over.as_ref()
    }

    /// Renews the lease now; fails when it was lost (to a run that took it over after it
    /// expired) or cannot be renewed. Call it before notifying and before writing state.
    pub async fn confirm(&self) -> Result<(), StateError> {
        let lost = self.status.lock().ok().and_then(|s| s.lost.clone());
        if let Some(holder) = lost {
            return Err(StateError::LockLost {
                table: self.table.table.clone(),
                holder,
            });
        }
        let expires = epoch_now() + self.opts.lease.as_secs() as i64;
        let res = self.table.renew(&self.owner, expires).await;
        if let Ok(mut s) = self.status.lock() {
            match &res {
                Ok(()) => s.valid_until = s.valid_until.max(expires),
                Err(StateError::LockLost { holder, .. }) => s.lost = Some(holder.clone()),
                Err(_) => {}
            }
        }
        res
    }

    /// Stops renewing and deletes the lock item if this run still holds it.
    pub async fn release(self) -> Result<(), StateError> {
        self.renewer.abort();
        self.table.release(&self.owner).await
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

fn s(item: &HashMap<String, AttributeValue>, key: &str) -> String {
    match item.get(key) {
        Some(AttributeValue::S(v)) => v.clone(),
        Some(AttributeValue::N(v)) => v.clone(),
        _ => String::new(),
    }
}

fn stored_from_item(fingerprint: &str, item: &HashMap<String, AttributeValue>) -> StoredFinding {
    StoredFinding {
        fingerprint: fingerprint.to_string(),
        rule_id: s(item, "rule_id"),
        account_id: s(item, "account_id"),
        region: s(item, "region"),
        resource_type: s(item, "resource_type"),
        resource_id: s(item, "resource_id"),
        resource_arn: s(item, "resource_arn"),
        // An unreadable severity (an item edited by hand) must not stop the run.
        severity: s(item, "severity").parse().unwrap_or(Severity::Info),
        title: s(item, "title"),
        message: s(item, "message"),
        first_seen: s(item, "first_seen"),
        last_seen: s(item, "last_seen"),
    }
}

fn item_from_stored(f: &StoredFinding) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::new();
    item.insert(
        "pk".to_string(),
        AttributeValue::S(format!("{FINDING_PREFIX}{}", f.fingerprint)),
    );
    for (k, v) in [
        ("fingerprint", &f.fingerprint),
        ("rule_id", &f.rule_id),
        ("account_id", &f.account_id),
        ("region", &f.region),
        ("resource_type", &f.resource_type),
        ("resource_id", &f.resource_id),
        ("resource_arn", &f.resource_arn),
        ("title", &f.title),
        ("message", &f.message),
        ("first_seen", &f.first_seen),
        ("last_seen", &f.last_seen),
    ] {
        // DynamoDB rejects empty strings only in key attributes; keep the item complete.
        item.insert(k.to_string(), AttributeValue::S(v.clone()));
    }
    item.insert(
        "severity".to_string(),
        AttributeValue::S(f.severity.as_str().to_string()),
    );
    item
}

fn lock_from_item(item: &HashMap<String, AttributeValue>) -> LockInfo {
    LockInfo {
        owner: s(item, "owner"),
        acquired_at: s(item, "acquired_at"),
        expires_at: s(item, "expires_at").parse().unwrap_or(0),
    }
}

fn epoch_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn rfc3339(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| epoch.to_string())
}

/// Now, as RFC 3339 UTC (whole seconds).
pub fn now_rfc3339() -> String {
    rfc3339(epoch_now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{fingerprint, Account, AccountStatus, RuleInfo, ScanError, SkippedRegion};

    const A: &str = "111122223333";
    const B: &str = "444455556666";

    fn rule(id: &str, rt: &str) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            title: format!("{id} title"),
            description: String::new(),
            severity: Severity::High,
            resource_types: vec![rt.into()],
            remediation: format!("fix {id}"),
        }
    }

    fn account(id: &str) -> Account {
        Account {
            id: id.into(),
            name: format!("name-{id}"),
            email: String::new(),
            ou_path: String::new(),
            tags: Default::default(),
            status: AccountStatus::Active,
        }
    }

    fn finding(rule_id: &str, account: &str, region: &str, table: &str, status: Status) -> Finding {
        let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{table}");
        Finding {
            rule_id: rule_id.into(),
            title: format!("{rule_id} title").into(),
            severity: Severity::High,
            status,
            account_id: account.into(),
            account_name: format!("name-{account}").into(),
            region: region.into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: table.into(),
            resource_arn: arn.as_str().into(),
            message: format!("table {table} fails {rule_id}"),
            remediation: format!("fix {rule_id}").into(),
            fingerprint: fingerprint(rule_id, account, region, &arn),
            change: None,
            suppression: None,
        }
    }

    fn stored(rule_id: &str, account: &str, region: &str, table: &str) -> StoredFinding {
        let f = finding(rule_id, account, region, table, Status::Fail);
        StoredFinding {
            fingerprint: f.fingerprint,
            rule_id: f.rule_id.into(),
            account_id: f.account_id.into(),
            region: f.region.into(),
            resource_type: f.resource_type.into(),
            resource_id: f.resource_id.into(),
            resource_arn: f.resource_arn.into(),
            severity: f.severity,
            title: f.title.into(),
            message: f.message,
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_seen: "2026-01-02T00:00:00Z".into(),
        }
    }

    fn result(findings: Vec<Finding>) -> ScanResult {
        ScanResult {
            tool_version: "test".into(),
            started_at: String::new(),
            finished_at: String::new(),
            org: Default::default(),
            accounts: vec![account(A), account(B)],
            skipped_accounts: vec![],
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            resources: 0,
            evaluated: 0,
            api_calls: 0,
            api_calls_by_operation: Default::default(),
            findings,
            errors: vec![],
            skipped_regions: vec![],
            services: vec!["dynamodb".into(), "kms".into()],
            warnings: vec![],
            stale_suppressions: vec![],
            expired_suppressions: vec![],
            baseline: None,
            resolved: vec![],
            rules: vec![
                rule("VGL-DDB-001", "AWS::DynamoDB::Table"),
                rule("VGL-DDB-002", "AWS::DynamoDB::Table"),
            ],
        }
    }

    fn previous(items: Vec<StoredFinding>) -> Previous {
        Previous {
            findings: items,
            initialized: true,
        }
    }

    fn fps(v: &[Finding]) -> Vec<String> {
        let mut out: Vec<String> = v
            .iter()
            .map(|f| format!("{}|{}|{}", f.rule_id, f.account_id, f.resource_id))
            .collect();
        out.sort();
        out
    }

    fn ids(v: &[StoredFinding]) -> Vec<String> {
        v.iter()
            .map(|f| format!("{}|{}|{}", f.rule_id, f.account_id, f.resource_id))
            .collect()
    }

    fn error(account: &str, region: &str, service: &str, resource: Option<&str>) -> ScanError {
        ScanError {
            account_id: account.into(),
            region: region.into(),
            service: service.into(),
            operation: "Op".into(),
            code: "AccessDenied".into(),
            message: "denied".into(),
            resource: resource.map(str::to_string),
        }
    }

    #[test]
    fn new_unchanged_and_resolved_by_fingerprint() {
        let r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "orders", Status::Fail),
            finding("VGL-DDB-001", A, "eu-west-1", "ledger", Status::Fail),
            finding("VGL-DDB-002", A, "eu-west-1", "ledger", Status::Pass),
        ]);
        let prev = previous(vec![
            stored("VGL-DDB-001", A, "eu-west-1", "ledger"),
            stored("VGL-DDB-002", A, "eu-west-1", "ledger"),
            // Deleted table: no finding at all now, scope assessed.
            stored("VGL-DDB-001", A, "us-east-1", "gone"),
        ]);
        let d = diff(&prev, &r);
        assert!(!d.first_run);
        assert_eq!(fps(&d.new), ["VGL-DDB-001|111122223333|orders"]);
        assert_eq!(fps(&d.unchanged), ["VGL-DDB-001|111122223333|ledger"]);
        assert_eq!(
            fps(&d.resolved),
            [
                "VGL-DDB-001|111122223333|gone",
                "VGL-DDB-002|111122223333|ledger"
            ]
        );
        let gone = d.resolved.iter().find(|f| f.resource_id == "gone").unwrap();
        assert_eq!(gone.status, Status::Pass);
        assert_eq!(gone.change, Some(Change::Resolved));
        assert_eq!(gone.account_name, "name-111122223333");
        assert_eq!(gone.remediation, "fix VGL-DDB-001");
        assert_eq!(gone.message, "table gone fails VGL-DDB-001");
        assert!(d.not_assessed.is_empty() && d.muted.is_empty());
    }

    #[test]
    fn nothing_is_resolved_outside_the_scope_this_run_assessed() {
        let mut r = result(vec![]);
        r.accounts.retain(|a| a.id == A); // B not scanned this time
        r.regions = vec!["eu-west-1".into()];
        r.skipped_regions.push(SkippedRegion {
            account_id: A.into(),
            region: "ap-south-1".into(),
            reason: "not enabled".into(),
        });
        r.errors = vec![
            error(A, "eu-west-1", "kms", None), // another service: covers nothing here
            error(A, "eu-west-1", "dynamodb", Some("locked")),
        ];
        let not_assessed = vec![
            stored("VGL-DDB-001", B, "eu-west-1", "other-account"),
            stored("VGL-DDB-001", A, "us-east-1", "region-not-scanned"),
            stored("VGL-DDB-001", A, "ap-south-1", "region-skipped"),
            stored("VGL-DDB-001", A, "eu-west-1", "locked"),
            stored("VGL-DDB-009", A, "eu-west-1", "rule-not-evaluated"),
        ];
        let mut items = not_assessed.clone();
        items.push(stored("VGL-DDB-001", A, "eu-west-1", "fixed"));
        let d = diff(&previous(items), &r);
        assert_eq!(fps(&d.resolved), ["VGL-DDB-001|111122223333|fixed"]);
        assert_eq!(ids(&d.not_assessed), ids(&not_assessed));

        // A service outside --services resolves nothing.
        let mut r2 = result(vec![]);
        r2.services = vec!["kms".into()];
        let d = diff(
            &previous(vec![stored("VGL-DDB-001", A, "eu-west-1", "t")]),
            &r2,
        );
        assert!(d.resolved.is_empty());
        assert_eq!(d.not_assessed.len(), 1);
    }

    #[test]
    fn an_assume_role_failure_keeps_every_finding_of_that_account() {
        let mut r = result(vec![]);
        r.errors = vec![error(B, "*", "sts", None)];
        let items = vec![
            stored("VGL-DDB-001", B, "eu-west-1", "t1"),
            stored("VGL-DDB-002", B, "us-east-1", "t2"),
            stored("VGL-DDB-001", A, "eu-west-1", "t3"),
        ];
        let d = diff(&previous(items), &r);
        assert_eq!(fps(&d.resolved), ["VGL-DDB-001|111122223333|t3"]);
        assert_eq!(
            ids(&d.not_assessed),
            ["VGL-DDB-001|444455556666|t1", "VGL-DDB-002|444455556666|t2"]
        );
        // A region-level error of the service covers that region only.
        let mut r = result(vec![]);
        r.errors = vec![error(B, "us-east-1", "dynamodb", None)];
        let d = diff(
            &previous(vec![
                stored("VGL-DDB-001", B, "eu-west-1", "t1"),
                stored("VGL-DDB-002", B, "us-east-1", "t2"),
            ]),
            &r,
        );
        assert_eq!(fps(&d.resolved), ["VGL-DDB-001|444455556666|t1"]);
        assert_eq!(ids(&d.not_assessed), ["VGL-DDB-002|444455556666|t2"]);
    }

    #[test]
    fn muted_findings_are_neither_new_nor_notified_as_resolved() {
        let r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "was-failing", Status::Muted),
            finding("VGL-DDB-001", A, "eu-west-1", "never-stored", Status::Muted),
        ]);
        let d = diff(
            &previous(vec![stored("VGL-DDB-001", A, "eu-west-1", "was-failing")]),
            &r,
        );
        assert!(d.new.is_empty() && d.resolved.is_empty() && d.unchanged.is_empty());
        assert_eq!(ids(&d.muted), ["VGL-DDB-001|111122223333|was-failing"]);
        let c = d.commit("2026-03-01T00:00:00Z", &HashSet::new());
        assert_eq!(c.delete, vec![d.muted[0].fingerprint.clone()]);
        assert!(c.put.is_empty());
    }

    #[test]
    fn commit_keeps_first_seen_and_skips_what_was_not_notified() {
        let mut two_messages = finding("VGL-DDB-001", A, "eu-west-1", "orders", Status::Fail);
        two_messages.message = "second message".into();
        let r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "orders", Status::Fail),
            two_messages,
            finding("VGL-DDB-001", A, "eu-west-1", "unsent", Status::Fail),
            finding("VGL-DDB-001", A, "eu-west-1", "ledger", Status::Fail),
        ]);
        let prev = previous(vec![
            stored("VGL-DDB-001", A, "eu-west-1", "ledger"),
            stored("VGL-DDB-002", A, "eu-west-1", "fixed"),
            stored("VGL-DDB-002", A, "eu-west-1", "fixed-unsent"),
        ]);
        let d = diff(&prev, &r);
        let unsent = finding("VGL-DDB-001", A, "eu-west-1", "unsent", Status::Fail).fingerprint;
        let fixed_unsent = stored("VGL-DDB-002", A, "eu-west-1", "fixed-unsent").fingerprint;
        let failed: HashSet<String> = [unsent, fixed_unsent].into_iter().collect();
        let c = d.commit("2026-03-01T00:00:00Z", &failed);
        let put: BTreeMap<&str, &StoredFinding> =
            c.put.iter().map(|s| (s.resource_id.as_str(), s)).collect();
        assert_eq!(
            put.keys().copied().collect::<Vec<_>>(),
            ["ledger", "orders"]
        );
        assert_eq!(put["ledger"].first_seen, "2026-01-01T00:00:00Z");
        assert_eq!(put["ledger"].last_seen, "2026-03-01T00:00:00Z");
        assert_eq!(put["orders"].first_seen, "2026-03-01T00:00:00Z");
        assert_eq!(
            put["orders"].message,
            "table orders fails VGL-DDB-001; second message"
        );
        assert_eq!(
            c.delete,
            vec![stored("VGL-DDB-002", A, "eu-west-1", "fixed").fingerprint]
        );
        assert!(!c.mark_initialized);
    }

    #[test]
    fn first_run_records_all_or_nothing_and_writes_the_marker() {
        let r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "a", Status::Fail),
            finding("VGL-DDB-001", A, "eu-west-1", "b", Status::Fail),
        ]);
        let d = diff(&Previous::default(), &r);
        assert!(d.first_run);
        let c = d.commit("now", &HashSet::new());
        assert_eq!(c.put.len(), 2);
        assert!(c.mark_initialized);
        let one_failed: HashSet<String> = [d.new[0].fingerprint.clone()].into_iter().collect();
        assert!(d.commit("now", &one_failed).is_empty());

        // Marker present, no findings left: an ordinary run.
        let d = diff(&previous(vec![]), &r);
        assert!(!d.first_run);
        assert_eq!(d.commit("now", &one_failed).put.len(), 1);
    }

    #[test]
    fn mark_sets_change_on_the_report_findings() {
        let mut r = result(vec![
            finding("VGL-DDB-001", A, "eu-west-1", "new", Status::Fail),
            finding("VGL-DDB-001", A, "eu-west-1", "old", Status::Fail),
            finding("VGL-DDB-002", A, "eu-west-1", "old", Status::Pass),
            finding("VGL-DDB-002", A, "eu-west-1", "new", Status::Pass),
        ]);
        let d = diff(
            &previous(vec![
                stored("VGL-DDB-001", A, "eu-west-1", "old"),
                stored("VGL-DDB-002", A, "eu-west-1", "old"),
            ]),
            &r,
        );
        d.mark(&mut r.findings);
        let changes: Vec<Option<Change>> = r.findings.iter().map(|f| f.change).collect();
        assert_eq!(
            changes,
            [
                Some(Change::New),
                Some(Change::Unchanged),
                Some(Change::Resolved),
                None
            ]
        );
    }

    #[test]
    fn items_round_trip() {
        let s = stored("VGL-DDB-001", A, "eu-west-1", "t");
        let item = item_from_stored(&s);
        assert_eq!(
            item["pk"],
            AttributeValue::S(format!("finding#{}", s.fingerprint))
        );
        assert_eq!(stored_from_item(&s.fingerprint, &item), s);
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
