//! The run lock: a lease in the state table (`lock#scan`: `owner`, `acquired_at`, `expires_at`
//! in epoch seconds) taken with a conditional put, renewed while the run goes on, deleted at
//! the end. It keeps two overlapping runs from notifying twice; an expired lease (a crashed
//! run) is taken over.

use super::state::{Item, StateError, StateTable};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vigil_model::VigilCode;

/// Partition key of the run lock item.
pub const LOCK_KEY: &str = "lock#scan";

/// Who holds the run lock, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(default)]
    pub owner: String,
    /// RFC 3339.
    #[serde(default)]
    pub acquired_at: String,
    /// Epoch seconds.
    #[serde(default)]
    pub expires_at: i64,
}

impl LockInfo {
    /// `expires_at` as RFC 3339.
    pub fn expires_rfc3339(&self) -> String {
        crate::rfc3339(self.expires_at)
    }

    fn from_item(item: &Item) -> LockInfo {
        serde_dynamo::from_item(item.clone()).unwrap_or(LockInfo {
            owner: String::new(),
            acquired_at: String::new(),
            expires_at: 0,
        })
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
    /// Another run holds a live lease: this run must neither scan, notify nor write state.
    Held(LockInfo),
}

pub(crate) fn epoch_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn is_conditional_failure<E>(err: &SdkError<E>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    err.code() == Some("ConditionalCheckFailedException")
}

impl StateTable {
    /// The lock item, read consistently.
    pub async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .key("pk", AttributeValue::S(LOCK_KEY.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StateError::aws(self.name(), "GetItem", &e))?;
        Ok(out.item().map(LockInfo::from_item))
    }

    /// Takes the run lock for `owner`: a conditional put that succeeds when there is no lock
    /// item or its lease has expired (an expired lease is taken over). A live lease held by
    /// another run gives [`Acquired::Held`]. The returned lease renews itself in the
    /// background (a tokio task) until it is released or dropped.
    pub async fn acquire(&self, owner: &str, opts: LockOptions) -> Result<Acquired, StateError> {
        // Not a retry: the lock item can change between the put and the read of its holder.
        for _ in 0..3 {
            let now = epoch_now();
            let expires = now + opts.lease.as_secs() as i64;
            let mut item: Item = serde_dynamo::to_item(LockInfo {
                owner: owner.to_string(),
                acquired_at: crate::rfc3339(now),
                expires_at: expires,
            })
            .expect("a lock is a DynamoDB item");
            item.insert("pk".into(), AttributeValue::S(LOCK_KEY.into()));
            let res = self
                .client()
                .put_item()
                .table_name(self.name())
                .set_item(Some(item))
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
                        .map(LockInfo::from_item);
                    return Ok(Acquired::Lease(Lease::start(
                        self.clone(),
                        owner,
                        opts,
                        taken_over,
                    )));
                }
                Err(e) if is_conditional_failure(&e) => {
                    // Released between our put and this read: try again.
                    if let Some(holder) = self.lock_holder().await? {
                        return Ok(Acquired::Held(holder));
                    }
                }
                Err(e) => return Err(StateError::aws(self.name(), "PutItem", &e)),
            }
        }
        match self.lock_holder().await? {
            Some(holder) => Ok(Acquired::Held(holder)),
            None => Err(StateError::Aws {
                table: self.name().to_string(),
                operation: "PutItem".into(),
                code: VigilCode::LockContention.into(),
                message: "the lock item kept changing while it was being taken".into(),
            }),
        }
    }

    /// Extends `owner`'s lease to `expires` (a conditional update on the owner).
    async fn renew(&self, owner: &str, expires: i64) -> Result<(), StateError> {
        let res = self
            .client()
            .update_item()
            .table_name(self.name())
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
                table: self.name().to_string(),
                holder: self.lock_holder().await.ok().flatten(),
            }),
            Err(e) => Err(StateError::aws(self.name(), operation, &e)),
        }
    }

    /// Deletes the lock item if `owner` still holds it.
    async fn release(&self, owner: &str) -> Result<(), StateError> {
        let res = self
            .client()
            .delete_item()
            .table_name(self.name())
            .key("pk", AttributeValue::S(LOCK_KEY.into()))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", AttributeValue::S(owner.into()))
            .send()
            .await;
        self.lock_write("DeleteItem", res).await
    }
}

/// What the renewal task found out.
#[derive(Debug, Default)]
struct LeaseStatus {
    /// Set when a renewal found another owner (or no lock item).
    lost: Option<Option<LockInfo>>,
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
        taken_over: Option<LockInfo>,
    ) -> Lease {
        let status = Arc::new(Mutex::new(LeaseStatus::default()));
        let renewer = {
            let (table, owner, status) = (table.clone(), owner.to_string(), status.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(opts.renew_every).await;
                    let expires = epoch_now() + opts.lease.as_secs() as i64;
                    match table.renew(&owner, expires).await {
                        Ok(()) => {}
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
                table: self.table.name().to_string(),
                holder,
            });
        }
        let expires = epoch_now() + self.opts.lease.as_secs() as i64;
        let res = self.table.renew(&self.owner, expires).await;
        if let (Err(StateError::LockLost { holder, .. }), Ok(mut s)) = (&res, self.status.lock()) {
            s.lost = Some(holder.clone());
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
