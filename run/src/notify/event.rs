//! Notification of the change-event path: the state of exactly the re-evaluated resources'
//! fingerprints is read (no table scan, no run lock), compared with the targeted result and
//! recorded item by item ([`super::record_and_notify`]); messages carry `trigger` = `event`.

use super::sns::SnsPublisher;
use super::state::{Previous, StateTable};
use super::{
    compare_with_state, record_and_notify, table_and_region, NotifyOptions, NotifyOutcome,
};
use aws_types::SdkConfig;
use std::collections::HashSet;
use vigil_model::ScanResult;

/// What the event path's notification did, and which fingerprints must be tried again.
#[derive(Debug, Default)]
pub struct EventNotified {
    pub outcome: NotifyOutcome,
    /// Fingerprints whose change could not be recorded or notified.
    pub failed: HashSet<String>,
    /// Nothing could be read or written (the state table unreachable): every change fails.
    pub unavailable: bool,
    /// The state table has not been initialized by a first scheduled run: nothing notified.
    pub uninitialized: bool,
}

/// Compares `result` with the state of `candidates` (the fingerprints the re-evaluated
/// resources can have) and notifies what changed, as observed at `at` (epoch ms).
pub async fn notify_event(
    opts: &NotifyOptions,
    sdk: &SdkConfig,
    result: &ScanResult,
    candidates: &[String],
    at: i64,
    now: &str,
) -> EventNotified {
    let mut out = EventNotified::default();
    out.outcome.topic_arn = opts.topic_arn.clone();
    let sns = opts
        .topic_arn
        .as_deref()
        .map(|arn| SnsPublisher::new(sdk, arn).for_events());
    let Some(spec) = &opts.state_table else {
        // Without state every failure of the re-evaluated resources is new (as for a schedule
        // without a state table).
        let failing: Vec<vigil_model::Finding> = result
            .findings
            .iter()
            .filter(|f| f.status == vigil_model::Status::Fail)
            .map(|f| super::with_change(f, vigil_model::Change::New))
            .collect();
        out.outcome.new = failing.len();
        if let Some(sns) = &sns {
            let messages = opts.messages.finish(vigil_reports::sns::change_messages(
                &failing,
                &opts.messages,
            ));
            out.outcome.messages = messages.len();
            out.outcome.publish = sns.publish(&messages).await;
            out.failed = out.outcome.publish.unnotified();
        }
        return out;
    };
    let (name, region) = table_and_region(spec);
    let conf = match region {
        Some(r) => vigil_scanner::aws::in_region(sdk, &r),
        None => sdk.clone(),
    };
    let table = StateTable::new(&conf, &name);
    out.outcome.state_table = Some(name.clone());
    match table.is_initialized().await {
        Ok(true) => {}
        Ok(false) => {
            out.uninitialized = true;
            return out;
        }
        Err(e) => {
            out.outcome
                .problems
                .push(format!("{e}: nothing notified or recorded"));
            out.unavailable = true;
            return out;
        }
    }
    let stored = match table.get_findings(candidates).await {
        Ok(s) => s,
        Err(e) => {
            out.outcome
                .problems
                .push(format!("{e}: nothing notified or recorded"));
            out.unavailable = true;
            return out;
        }
    };
    let previous = Previous {
        findings: stored.into_iter().filter(|s| s.is_failing()).collect(),
        initialized: true,
    };
    let cmp = compare_with_state(&previous, result);
    let o = &mut out.outcome;
    o.new = cmp.new.len();
    o.unchanged = cmp.unchanged.len();
    o.resolved = cmp.resolved.len();
    o.muted = cmp.muted.len();
    o.not_assessed = cmp.not_assessed.len();
    o.failing = cmp.new.len() + cmp.unchanged.len();
    let applied = record_and_notify(
        &table,
        sns.as_ref(),
        &previous,
        &cmp,
        at,
        now,
        &opts.messages,
    )
    .await;
    out.failed = applied.failed.clone();
    applied.into_outcome(&mut out.outcome);
    out
}
