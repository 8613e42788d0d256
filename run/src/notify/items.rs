//! Per-item conditional writes of the state table: how a scheduled run and the change-event
//! path record transitions side by side without a global lock.
//!
//! Every finding item carries the time its resource was observed (`observed_ms`). A
//! transition is *claimed* with a conditional write before it is notified, and the condition
//! says the item is still what this observation saw and older than it:
//! - new: no item, or a resolved record older than this observation;
//! - resolved: a failing item older than this observation (it becomes a resolved record, kept
//!   for [`RESOLVED_TTL_SECONDS`], so that an older observation cannot bring the failure back);
//! - unchanged: a failing item older than this observation gets `last_seen` and the newer time.
//!
//! A claim that fails its condition was made by another observation (an event, a scheduled
//! run, a redelivery of the same event): this one notifies nothing for it. A claimed
//! transition whose message could not be published is undone (again conditionally, only if
//! the item is still this claim), so that a later run or redelivery notifies it: nothing is
//! notified twice and nothing is lost.

use super::lock::is_conditional_failure;
use super::state::{
    item_from_stored, StateError, StateTable, StoredFinding, FAILING, RESOLVED,
    RESOLVED_TTL_SECONDS,
};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, StreamExt};

/// Conditional writes in flight at once.
const CONCURRENCY: usize = 16;

const FAILING_AND_OLDER: &str = "attribute_exists(pk) AND (attribute_not_exists(#st) OR #st = :failing) AND (attribute_not_exists(#ob) OR #ob < :at)";

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn key(fingerprint: &str) -> AttributeValue {
    s(&format!("{}{fingerprint}", super::state::FINDING_PREFIX))
}

impl StateTable {
    /// Records `f` (observed at `f.observed_ms`) as a new failure unless a newer observation
    /// or a failing item is there. `Ok(false)`: not claimed.
    pub async fn claim_new(&self, f: &StoredFinding) -> Result<bool, StateError> {
        let at = f.observed_ms.unwrap_or_default();
        let res = self
            .client()
            .put_item()
            .table_name(self.name())
            .set_item(Some(item_from_stored(f)))
            .condition_expression(
                "attribute_not_exists(pk) OR (#st = :resolved AND (attribute_not_exists(#ob) OR #ob < :at))",
            )
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#ob", "observed_ms")
            .expression_attribute_values(":resolved", s(RESOLVED))
            .expression_attribute_values(":at", n(at))
            .send()
            .await;
        self.claimed("PutItem", res)
    }

    /// Marks the failure `fingerprint` resolved as observed at `at` unless a newer observation
    /// is there.
    pub async fn claim_resolved(
        &self,
        fingerprint: &str,
        at: i64,
        now: &str,
    ) -> Result<bool, StateError> {
        let expires = at / 1000 + RESOLVED_TTL_SECONDS;
        let res = self
            .client()
            .update_item()
            .table_name(self.name())
            .key("pk", key(fingerprint))
            .update_expression(
                "SET #st = :resolved, #ob = :at, expires_at = :exp, last_seen = :now",
            )
            .condition_expression(FAILING_AND_OLDER)
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#ob", "observed_ms")
            .expression_attribute_values(":resolved", s(RESOLVED))
            .expression_attribute_values(":failing", s(FAILING))
            .expression_attribute_values(":at", n(at))
            .expression_attribute_values(":exp", n(expires))
            .expression_attribute_values(":now", s(now))
            .send()
            .await;
        self.claimed("UpdateItem", res)
    }

    /// A failure seen again: `last_seen`, its message and the newer observation time, unless
    /// a newer observation is there.
    pub async fn touch(&self, f: &StoredFinding) -> Result<bool, StateError> {
        let res = self
            .client()
            .update_item()
            .table_name(self.name())
            .key("pk", key(&f.fingerprint))
            .update_expression("SET #ob = :at, last_seen = :now, message = :msg, severity = :sev")
            .condition_expression(FAILING_AND_OLDER)
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#ob", "observed_ms")
            .expression_attribute_values(":failing", s(FAILING))
            .expression_attribute_values(":at", n(f.observed_ms.unwrap_or_default()))
            .expression_attribute_values(":now", s(&f.last_seen))
            .expression_attribute_values(":msg", s(&f.message))
            .expression_attribute_values(":sev", s(f.severity.as_str()))
            .send()
            .await;
        self.claimed("UpdateItem", res)
    }

    /// Undoes [`claim_new`](Self::claim_new) of `f` (its message was not published), if the
    /// item is still that claim.
    pub async fn undo_new(&self, f: &StoredFinding) -> Result<bool, StateError> {
        let res = self
            .client()
            .delete_item()
            .table_name(self.name())
            .key("pk", key(&f.fingerprint))
            .condition_expression("#st = :failing AND #ob = :at")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#ob", "observed_ms")
            .expression_attribute_values(":failing", s(FAILING))
            .expression_attribute_values(":at", n(f.observed_ms.unwrap_or_default()))
            .send()
            .await;
        self.claimed("DeleteItem", res)
    }

    /// Undoes [`claim_resolved`](Self::claim_resolved) made at `at`: the item as it was
    /// (`previous`), if it is still that claim.
    pub async fn undo_resolved(
        &self,
        previous: &StoredFinding,
        at: i64,
    ) -> Result<bool, StateError> {
        let res = self
            .client()
            .put_item()
            .table_name(self.name())
            .set_item(Some(item_from_stored(previous)))
            .condition_expression("#st = :resolved AND #ob = :at")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#ob", "observed_ms")
            .expression_attribute_values(":resolved", s(RESOLVED))
            .expression_attribute_values(":at", n(at))
            .send()
            .await;
        self.claimed("PutItem", res)
    }

    /// The items of these fingerprints (failing and resolved), read consistently.
    pub async fn get_findings(
        &self,
        fingerprints: &[String],
    ) -> Result<Vec<StoredFinding>, StateError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut out = Vec::new();
        for chunk in fingerprints.chunks(100) {
            let mut pending: Vec<std::collections::HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|fp| [("pk".to_string(), key(fp))].into_iter().collect())
                .collect();
            let mut delay = std::time::Duration::from_millis(100);
            for attempt in 1..=8 {
                let keys = KeysAndAttributes::builder()
                    .set_keys(Some(pending.clone()))
                    .consistent_read(true)
                    .build()
                    .expect("keys");
                let res = self
                    .client()
                    .batch_get_item()
                    .request_items(self.name(), keys)
                    .send()
                    .await
                    .map_err(|e| StateError::aws(self.name(), "BatchGetItem", &e))?;
                for item in res
                    .responses()
                    .and_then(|r| r.get(self.name()))
                    .into_iter()
                    .flatten()
                {
                    let pk = match item.get("pk") {
                        Some(AttributeValue::S(pk)) => pk.clone(),
                        _ => continue,
                    };
                    let mut f: StoredFinding =
                        serde_dynamo::from_item(item.clone()).map_err(|e| StateError::Item {
                            table: self.name().to_string(),
                            pk: pk.clone(),
                            message: e.to_string(),
                        })?;
                    f.fingerprint = pk
                        .strip_prefix(super::state::FINDING_PREFIX)
                        .unwrap_or(&pk)
                        .to_string();
                    out.push(f);
                }
                pending = res
                    .unprocessed_keys()
                    .and_then(|m| m.get(self.name()))
                    .map(|k| k.keys().to_vec())
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt == 8 {
                    return Err(StateError::Unprocessed {
                        table: self.name().to_string(),
                        remaining: pending.len(),
                        attempts: 8,
                    });
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
        }
        Ok(out)
    }

    /// Whether the `meta#initialized` marker exists (a first run has been recorded).
    pub async fn is_initialized(&self) -> Result<bool, StateError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .key("pk", s(super::state::MARKER_KEY))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StateError::aws(self.name(), "GetItem", &e))?;
        Ok(out.item().is_some())
    }

    fn claimed<T, E>(
        &self,
        operation: &str,
        res: Result<T, aws_sdk_dynamodb::error::SdkError<E>>,
    ) -> Result<bool, StateError>
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match res {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(StateError::aws(self.name(), operation, &e)),
        }
    }
}

/// Runs `op` over `items` with bounded concurrency, keeping each item with its result.
pub async fn each<'a, T, F, Fut>(items: &'a [T], op: F) -> Vec<(&'a T, Result<bool, StateError>)>
where
    F: Fn(&'a T) -> Fut,
    Fut: std::future::Future<Output = Result<bool, StateError>> + 'a,
{
    stream::iter(items.iter().map(|i| {
        let fut = op(i);
        async move { (i, fut.await) }
    }))
    .buffered(CONCURRENCY)
    .collect()
    .await
}
