//! The state table: which findings were failing at the end of the last run, so that a run
//! notifies only what changed.
//!
//! A DynamoDB table with one String partition key, `pk`, holds:
//! - `finding#<fingerprint>`: one item per fingerprint failing at the end of the last
//!   committed run (rule, account, region, resource, severity, title, message, `first_seen`,
//!   `last_seen` as RFC 3339);
//! - `meta#initialized`: written by the first committed run, so that an org with no failure
//!   left is not mistaken for a first run;
//! - `lock#scan`: the run lock (see [`super::lock`]).
//!
//! Items are (de)serialized with `serde_dynamo`. The comparison itself is
//! [`vigil_model::compare`]; this module turns it into the writes that record a run.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use aws_types::SdkConfig;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;
use vigil_model::{Comparison, Finding, ScanResult, Severity, Status};

/// Partition key of the item written by the first committed run.
pub const MARKER_KEY: &str = "meta#initialized";
/// Prefix of finding items' partition keys (followed by the fingerprint).
pub const FINDING_PREFIX: &str = "finding#";

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// A failing finding as the state table records it (one item per fingerprint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub rule_id: String,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub resource_arn: String,
    // An unreadable severity (an item edited by hand) must not stop the run.
    #[serde(default = "info", deserialize_with = "lenient_severity")]
    pub severity: Severity,
    #[serde(default)]
    pub title: String,
    /// The failure's message (several messages of one rule on one resource, joined by `; `).
    #[serde(default)]
    pub message: String,
    /// When a run first recorded it failing (RFC 3339).
    #[serde(default)]
    pub first_seen: String,
    /// The last run that saw it failing (RFC 3339).
    #[serde(default)]
    pub last_seen: String,
    /// `resolved` for the record of a failure that an observation found fixed (kept until
    /// `expires_at`, so that an older observation cannot bring it back); empty (or `failing`)
    /// for a failure.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// When the resource was observed in the state this item records (epoch milliseconds):
    /// the start of a scheduled run, the start of an event batch. A write never replaces a
    /// newer observation. Absent in items of older versions (older than any observation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_ms: Option<i64>,
    /// Epoch seconds after which DynamoDB's TTL deletes a resolved record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// `status` of a resolved record.
pub const RESOLVED: &str = "resolved";
/// `status` of a failure.
pub const FAILING: &str = "failing";
/// How long a resolved record is kept (seconds): longer than any run or event redelivery.
pub const RESOLVED_TTL_SECONDS: i64 = 30 * 24 * 3600;

fn info() -> Severity {
    Severity::Info
}

fn lenient_severity<'de, D: Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
    Ok(String::deserialize(d)?.parse().unwrap_or(Severity::Info))
}

impl StoredFinding {
    /// A record of a failure, not of its resolution.
    pub fn is_failing(&self) -> bool {
        self.status != RESOLVED
    }

    /// A failing finding as a new record, observed at `at_ms`.
    pub fn of_finding(f: &Finding, first_seen: &str, now: &str, at_ms: i64) -> StoredFinding {
        StoredFinding {
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
            first_seen: first_seen.to_string(),
            last_seen: now.to_string(),
            status: FAILING.into(),
            observed_ms: Some(at_ms),
            expires_at: None,
        }
    }

    /// The item as a previous failure for [`vigil_model::compare`], shaped as it is notified
    /// when resolved: status `pass`, the last failure's message, the account's name and the
    /// rule's remediation from this run.
    pub fn to_finding(&self, result: &ScanResult) -> Finding {
        let rule = result.rules.iter().find(|r| r.id == self.rule_id);
        Finding {
            rule_id: self.rule_id.as_str().into(),
            title: self.title.as_str().into(),
            severity: self.severity,
            status: Status::Pass,
            account_id: self.account_id.as_str().into(),
            account_name: result
                .accounts
                .iter()
                .find(|a| a.id == self.account_id)
                .map(|a| a.name.as_str().into())
                .unwrap_or_default(),
            region: self.region.as_str().into(),
            resource_type: self.resource_type.as_str().into(),
            resource_id: self.resource_id.as_str().into(),
            resource_arn: self.resource_arn.as_str().into(),
            message: self.message.clone(),
            remediation: rule
                .map(|r| r.remediation.as_str().into())
                .unwrap_or_default(),
            fingerprint: self.fingerprint.clone(),
            change: None,
            suppression: None,
            related: std::sync::Arc::new(rule.map(|r| r.related.clone()).unwrap_or_default()),
        }
    }
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

/// The writes that record a run compared with `previous` at `now` (RFC 3339), given the
/// fingerprints whose notification failed (`unnotified`): a new failure that was not notified
/// is not recorded (the next run notifies it again), a resolved one that was not notified keeps
/// its item, a muted one's item is removed (so it is notified as new if the suppression ends).
/// Unchanged failures are rewritten with their `first_seen` kept and `last_seen = now`. On a
/// first run any failed notification records nothing at all, so that the next run is a first
/// run again (its summary is what was not delivered).
pub fn commit(
    previous: &Previous,
    cmp: &Comparison,
    now: &str,
    unnotified: &HashSet<String>,
) -> Commit {
    if previous.is_first_run() && !unnotified.is_empty() {
        return Commit::default();
    }
    let first_seen: HashMap<&str, &str> = previous
        .findings
        .iter()
        .map(|s| (s.fingerprint.as_str(), s.first_seen.as_str()))
        .collect();
    let mut put: BTreeMap<String, StoredFinding> = BTreeMap::new();
    let new = cmp
        .new
        .iter()
        .filter(|f| !unnotified.contains(&f.fingerprint));
    for f in new.chain(cmp.unchanged.iter()) {
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
                first_seen: first_seen
                    .get(f.fingerprint.as_str())
                    .map_or_else(|| now.to_string(), |s| s.to_string()),
                last_seen: now.to_string(),
                status: FAILING.into(),
                observed_ms: at_ms(now),
                expires_at: None,
            });
    }
    let mut delete: Vec<String> = cmp
        .resolved
        .iter()
        .map(|f| f.fingerprint.clone())
        .filter(|fp| !unnotified.contains(fp))
        .chain(cmp.muted.iter().map(|s| s.fingerprint.clone()))
        .collect();
    delete.sort();
    delete.dedup();
    Commit {
        put: put.into_values().collect(),
        delete,
        mark_initialized: !previous.initialized,
    }
}

/// A state table failure.
/// RFC 3339 as epoch milliseconds.
pub fn at_ms(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

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
    /// BatchWriteItem left items unprocessed after every resubmission.
    #[error("BatchWriteItem on state table {table} left {remaining} items unprocessed after {attempts} attempts")]
    Unprocessed {
        table: String,
        remaining: usize,
        attempts: u32,
    },
    /// An item could not be converted (a hand-edited item of the wrong shape).
    #[error("state table {table}: item {pk}: {message}")]
    Item {
        table: String,
        pk: String,
        message: String,
    },
    /// Someone else holds the run lock now: this run's lease was taken over.
    #[error("lost the run lock of state table {table}: {}", match .holder { Some(h) => format!("now held by {h}"), None => "the lock item is gone".to_string() })]
    LockLost {
        table: String,
        holder: Option<super::lock::LockInfo>,
    },
}

impl StateError {
    /// The table does not exist (in this region, for these credentials).
    pub fn is_table_missing(&self) -> bool {
        matches!(self, StateError::Aws { code, .. } if code == "ResourceNotFoundException")
    }

    /// Whether a later attempt can succeed (throttling, timeouts, a lease lost to a newer run).
    pub fn is_retryable(&self) -> bool {
        match self {
            StateError::Aws { code, .. } => crate::retryable_code(code),
            StateError::Unprocessed { .. } | StateError::LockLost { .. } => true,
            StateError::Item { .. } => false,
        }
    }

    pub(crate) fn aws<E>(table: &str, operation: &str, err: &SdkError<E>) -> StateError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let e = vigil_scanner::aws::aws_error(operation, err);
        StateError::Aws {
            table: table.to_string(),
            operation: operation.to_string(),
            code: e.code,
            message: e.message,
        }
    }
}

/// The finding items and the marker of one deployment's state table.
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

    pub(crate) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// Every finding item and the marker (a consistent, paginated Scan: the table is small).
    pub async fn load(&self) -> Result<Previous, StateError> {
        let mut out = Previous::default();
        let pages = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        for item in pages {
            let item = item.map_err(|e| StateError::aws(&self.table, "Scan", &e))?;
            let pk = match item.get("pk") {
                Some(AttributeValue::S(pk)) => pk.clone(),
                _ => continue,
            };
            if pk == MARKER_KEY {
                out.initialized = true;
            } else if let Some(fp) = pk.strip_prefix(FINDING_PREFIX) {
                let mut stored: StoredFinding =
                    serde_dynamo::from_item(item).map_err(|e| StateError::Item {
                        table: self.table.clone(),
                        pk: pk.clone(),
                        message: e.to_string(),
                    })?;
                stored.fingerprint = fp.to_string();
                if stored.is_failing() {
                    out.findings.push(stored);
                }
            }
        }
        out.findings
            .sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(out)
    }

    /// Writes a commit: puts and deletes in batches of 25.
    pub async fn commit(&self, commit: &Commit, now: &str) -> Result<(), StateError> {
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
                .item("at", AttributeValue::S(now.to_string()))
                .build()
                .expect("a put request with an item");
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for chunk in requests.chunks(25) {
            self.batch_write(chunk.to_vec()).await?;
        }
        Ok(())
    }

    /// One BatchWriteItem. Failed calls are retried by the SDK (its retry policy); what this
    /// loop does is different: a *successful* response may leave items unprocessed (the
    /// table's capacity was exceeded), and only resubmitting them writes them.
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
                .map_err(|e| StateError::aws(&self.table, "BatchWriteItem", &e))?;
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
}

/// The item of a stored finding: its attributes plus `pk`.
pub(crate) fn item_from_stored(f: &StoredFinding) -> Item {
    let mut item: Item = serde_dynamo::to_item(f).expect("a stored finding is a DynamoDB item");
    item.insert(
        "pk".to_string(),
        AttributeValue::S(format!("{FINDING_PREFIX}{}", f.fingerprint)),
    );
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{compare, fingerprint};

    const A: &str = "111122223333";

    fn stored(rule_id: &str, table: &str) -> StoredFinding {
        let arn = format!("arn:aws:dynamodb:eu-west-1:{A}:table/{table}");
        StoredFinding {
            fingerprint: fingerprint(rule_id, A, "eu-west-1", &arn),
            rule_id: rule_id.into(),
            account_id: A.into(),
            region: "eu-west-1".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: table.into(),
            resource_arn: arn,
            severity: Severity::High,
            title: format!("{rule_id} title"),
            message: format!("table {table} fails {rule_id}"),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_seen: "2026-01-02T00:00:00Z".into(),
            status: FAILING.into(),
            observed_ms: Some(1_767_312_000_000),
            expires_at: None,
        }
    }

    fn failing(s: &StoredFinding, message: &str) -> Finding {
        let mut f = s.to_finding(&crate::tests::empty_result());
        f.status = Status::Fail;
        f.message = message.into();
        f
    }

    #[test]
    fn items_round_trip_with_the_same_attributes() {
        let s = stored("VGL-DDB-001", "t");
        let item = item_from_stored(&s);
        assert_eq!(
            item["pk"],
            AttributeValue::S(format!("finding#{}", s.fingerprint))
        );
        assert_eq!(item["severity"], AttributeValue::S("high".into()));
        let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "account_id",
                "fingerprint",
                "first_seen",
                "last_seen",
                "message",
                "observed_ms",
                "pk",
                "region",
                "resource_arn",
                "resource_id",
                "resource_type",
                "rule_id",
                "severity",
                "status",
                "title"
            ]
        );
        let back: StoredFinding = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, s);
        // A hand-edited item: unknown severity, fields missing.
        let mut odd: Item = HashMap::new();
        odd.insert("severity".into(), AttributeValue::S("urgent".into()));
        let back: StoredFinding = serde_dynamo::from_item(odd).unwrap();
        assert_eq!(back.severity, Severity::Info);
    }

    #[test]
    fn commit_keeps_first_seen_and_skips_what_was_not_notified() {
        let ledger = stored("VGL-DDB-001", "ledger");
        let fixed = stored("VGL-DDB-002", "fixed");
        let fixed_unsent = stored("VGL-DDB-002", "fixed-unsent");
        let orders = stored("VGL-DDB-001", "orders");
        let unsent = stored("VGL-DDB-001", "unsent");
        let prev = Previous {
            findings: vec![ledger.clone(), fixed.clone(), fixed_unsent.clone()],
            initialized: true,
        };
        let mut r = crate::tests::empty_result();
        r.findings = vec![
            failing(&orders, "first message"),
            failing(&orders, "second message"),
            failing(&unsent, "m"),
            failing(&ledger, "m"),
        ];
        let before: Vec<Finding> = prev.findings.iter().map(|s| s.to_finding(&r)).collect();
        let cmp = compare(&before, &r);
        let failed: HashSet<String> = [unsent.fingerprint.clone(), fixed_unsent.fingerprint]
            .into_iter()
            .collect();
        let c = commit(&prev, &cmp, "2026-03-01T00:00:00Z", &failed);
        let put: BTreeMap<&str, &StoredFinding> =
            c.put.iter().map(|s| (s.resource_id.as_str(), s)).collect();
        assert_eq!(
            put.keys().copied().collect::<Vec<_>>(),
            ["ledger", "orders"]
        );
        assert_eq!(put["ledger"].first_seen, "2026-01-01T00:00:00Z");
        assert_eq!(put["ledger"].last_seen, "2026-03-01T00:00:00Z");
        assert_eq!(put["orders"].first_seen, "2026-03-01T00:00:00Z");
        assert_eq!(put["orders"].message, "first message; second message");
        assert_eq!(c.delete, vec![fixed.fingerprint]);
        assert!(!c.mark_initialized);

        // A first run records all or nothing, and writes the marker.
        let first = Previous::default();
        let cmp = compare(&[], &r);
        let c = commit(&first, &cmp, "now", &HashSet::new());
        assert_eq!(c.put.len(), 3);
        assert!(c.mark_initialized);
        let one: HashSet<String> = [orders.fingerprint].into_iter().collect();
        assert!(commit(&first, &cmp, "now", &one).is_empty());
    }
}
