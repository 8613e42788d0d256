//! The change-event path (continuous mode): one SQS batch of CloudTrail events, as
//! EventBridge delivers them, re-evaluates exactly the resources they changed.
//!
//! For each message: read it and map it to what changed ([`vigil_model::change`]);
//! unsupported events and calls that changed nothing are counted, never errors; a message
//! vigil cannot read is logged with the reason and returned in `batchItemFailures` (SQS
//! redelivers it, then moves it to the dead-letter queue). The changes of the batch are merged
//! per resource, their current state collected (a deleted resource is simply not found: its
//! failures resolve), evaluated, and compared with the state table for exactly those
//! resources' fingerprints; new and resolved failures are notified through the same SNS
//! messages as a scheduled run (attribute `trigger` = `event`), each recorded with a
//! conditional write ([`crate::notify::items`]). A resource whose account, region or service
//! could not be read, or whose change could not be recorded or notified, has the messages
//! that named it returned in `batchItemFailures`.

use crate::notify::event::{notify_event, EventNotified};
use crate::notify::NotifyOptions;
use crate::{execute, Input, Outcome, PostProcess, RunOptions};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use vigil_model::change::{self, Change, Coalesced, Observation};
use vigil_model::target::{of_change, resource_arn, Target};
use vigil_model::{fingerprint, ScanResult, VigilCode};
use vigil_rules::PolicySet;
use vigil_scanner::ScanOptions;

/// Everything the event path needs besides the batch.
pub struct EventRunOptions<'a> {
    /// Endpoint, role, concurrency, and the accounts configured (targets are added here).
    pub scan: ScanOptions,
    pub policies: &'a PolicySet,
    pub post: PostProcess,
    pub notify: NotifyOptions,
}

/// What one batch did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Messages in the batch.
    pub messages: usize,
    /// Message ids to return in `batchItemFailures` (in batch order, each once).
    pub failures: Vec<String>,
    pub unsupported: usize,
    pub ignored: usize,
    /// Resources (or organization groups) re-evaluated.
    pub changes: usize,
    /// The targeted run's result, when something was collected.
    pub result: Option<ScanResult>,
    pub notified: Option<EventNotified>,
}

/// What to collect for a change: its document, deleted or not (a deleted resource is looked
/// for too: if it is gone its failures resolve, if it was created again it is evaluated).
fn target(c: &Change) -> Option<Target> {
    match c {
        Change::Resource(r) => Some(Target::from(r)),
        other => of_change(other),
    }
}

/// Handles one SQS batch. `Err` when the input is not an SQS batch at all (no message could
/// be named in `batchItemFailures`: the invocation fails and SQS retries the whole batch).
pub async fn handle_batch(
    opts: EventRunOptions<'_>,
    batch: &Value,
) -> Result<BatchOutcome, String> {
    let messages = change::parse_sqs_batch(batch).map_err(|e| e.to_string())?;
    let mut out = BatchOutcome {
        messages: messages.len(),
        ..Default::default()
    };
    let order: Vec<String> = messages.iter().map(|(id, _)| id.clone()).collect();
    let mut failures: BTreeSet<String> = BTreeSet::new();
    let mut observations = Vec::new();
    for (id, parsed) in messages {
        let mapped = parsed.and_then(|envelope| {
            let event = envelope.into_event();
            change::changes(&event).map(|o| (event, o))
        });
        match mapped {
            Err(e) => {
                tracing::error!(
                    message_id = id.as_str(),
                    "cannot read the event, returned for redelivery (the dead-letter queue after its retries): {e}"
                );
                failures.insert(id);
            }
            Ok((event, change::Outcome::Unsupported { .. })) => {
                out.unsupported += 1;
                tracing::debug!(
                    message_id = id.as_str(),
                    "{} {}: not an event vigil maps; ignored",
                    event.event_source,
                    event.event_name
                );
            }
            Ok((event, change::Outcome::Ignored { reason })) => {
                out.ignored += 1;
                tracing::info!(
                    message_id = id.as_str(),
                    "{} {}: {reason}; ignored",
                    event.event_source,
                    event.event_name
                );
            }
            Ok((event, change::Outcome::Changed(changes))) => {
                observations.extend(changes.into_iter().map(|change| Observation {
                    source: id.clone(),
                    event_time: event.event_time.clone(),
                    change,
                }));
            }
        }
    }
    let coalesced = change::coalesce(observations);
    out.changes = coalesced.len();
    if !coalesced.is_empty() {
        evaluate_changes(opts, &coalesced, &mut out, &mut failures).await;
    }
    out.failures = order
        .into_iter()
        .filter(|id| failures.contains(id))
        .collect();
    Ok(out)
}

/// Collects, evaluates, compares and notifies the merged changes of a batch.
async fn evaluate_changes(
    opts: EventRunOptions<'_>,
    coalesced: &[Coalesced],
    out: &mut BatchOutcome,
    failures: &mut BTreeSet<String>,
) {
    let at = time::OffsetDateTime::now_utc();
    let at_ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
    let targets: Vec<Option<Target>> = coalesced.iter().map(|c| target(&c.change)).collect();
    let fail_all = |failures: &mut BTreeSet<String>, which: &[usize]| {
        for &i in which {
            failures.extend(coalesced[i].sources.iter().cloned());
        }
    };
    let all: Vec<usize> = (0..coalesced.len()).collect();
    // Targets in accounts the configuration leaves out are not vigil's to evaluate.
    let mut scan = opts.scan;
    let mut wanted: Vec<Target> = Vec::new();
    for t in targets.iter().flatten() {
        let excluded = t.account_id.as_ref().is_some_and(|a| {
            (!scan.accounts.is_empty() && !scan.accounts.contains(a))
                || scan.exclude_accounts.contains(a)
        });
        if excluded {
            tracing::info!(
                "{} {} of account {}: the account is not scanned (VIGIL_ACCOUNTS / VIGIL_EXCLUDE_ACCOUNTS); ignored",
                t.resource_type,
                t.resource_id,
                t.account_id.as_deref().unwrap_or_default()
            );
        } else if !wanted.contains(t) {
            wanted.push(t.clone());
        }
    }
    if wanted.is_empty() {
        return;
    }
    scan.targets = wanted.clone();
    if let Err(e) = scan.narrow_to_targets() {
        tracing::error!("{e}");
        fail_all(failures, &all);
        return;
    }
    let endpoint = scan.endpoint_url.clone();
    let run = RunOptions {
        input: Input::Live(scan),
        policies: opts.policies,
        post: opts.post,
        baseline: None,
        notify: None,
        keep_snapshot: false,
        security_hub: None,
    };
    let mut result = match execute(run, &crate::Quiet).await {
        Ok(Outcome::Completed(done)) => done.result,
        Ok(Outcome::Locked { .. }) => unreachable!("no lock without notification"),
        Err(e) => {
            tracing::error!("the re-evaluation could not run: {e}");
            fail_all(failures, &all);
            return;
        }
    };
    // A resource not found was deleted (or never visible): its failures resolve.
    result
        .errors
        .retain(|e| !(e.code == "ResourceNotFound" && e.operation == "Collect"));
    // Changes whose scope could not be read: returned for redelivery, their state untouched.
    let mut candidates: Vec<String> = Vec::new();
    let mut owner: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in targets.iter().enumerate() {
        let Some(t) = t else { continue };
        if !wanted.contains(t) {
            continue;
        }
        let unread: Vec<&vigil_model::ScanError> = result
            .errors
            .iter()
            .filter(|e| match &t.account_id {
                Some(a) => {
                    e.covers(a, &t.region, t.service(), &t.resource_id)
                        || (e.account_id == *a && e.code == VigilCode::AccountNotFound.as_str())
                }
                None => e.service == t.service() && (e.region == t.region || e.is_account_wide()),
            })
            .collect();
        if let Some(e) = unread.first() {
            tracing::error!(
                account = t.account_id.as_deref().unwrap_or_default(),
                region = t.region.as_str(),
                "{} {}: cannot be read ({} {}: {}); returned for redelivery",
                t.resource_type,
                t.resource_id,
                e.operation,
                e.code,
                e.message
            );
            fail_all(failures, &[i]);
            continue;
        }
        for fp in fingerprints(t, &result, opts.policies) {
            owner.entry(fp.clone()).or_default().push(i);
            candidates.push(fp);
        }
    }
    candidates.sort();
    candidates.dedup();
    let now = crate::now_rfc3339();
    let sdk = crate::caller_config(endpoint.as_deref()).await;
    let notified = notify_event(&opts.notify, &sdk, &result, &candidates, at_ms, &now).await;
    if notified.unavailable {
        fail_all(failures, &all);
    }
    for fp in &notified.failed {
        if let Some(idx) = owner.get(fp) {
            fail_all(failures, idx);
        }
    }
    out.result = Some(result);
    out.notified = Some(notified);
}

/// The fingerprints a target's findings can have: each rule of its type on its ARN (the
/// document's, or for a resource no longer there the one its collector would write); for a
/// group (every account's organization document), those of the documents found.
fn fingerprints(t: &Target, result: &ScanResult, policies: &PolicySet) -> Vec<String> {
    let found: Vec<&vigil_model::Finding> = result
        .findings
        .iter()
        .filter(|f| {
            f.resource_type == t.resource_type
                && f.region == t.region
                && (t.resource_id.is_empty() || f.resource_id == t.resource_id)
                && t.account_id.as_deref().is_none_or(|a| a == f.account_id)
        })
        .collect();
    let mut out: Vec<String> = found.iter().map(|f| f.fingerprint.clone()).collect();
    let Some(account) = &t.account_id else {
        return out;
    };
    if t.resource_id.is_empty() {
        return out;
    }
    let arn = found
        .first()
        .map(|f| f.resource_arn.to_string())
        .or_else(|| {
            resource_arn(
                t.resource_type,
                account,
                &t.region,
                &t.resource_id,
                &result.org,
            )
        });
    if let Some(arn) = arn {
        out.extend(
            policies
                .rules_for(t.resource_type)
                .map(|r| fingerprint(&r.id, account, &t.region, &arn)),
        );
    }
    out
}
