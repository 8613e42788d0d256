//! Notification of new and resolved findings: SNS publishing ([`sns`]), the state table that
//! remembers the failures of the last run ([`state`]) and the run lock ([`lock`]). The message
//! texts come from [`vigil_reports::sns`].
//!
//! Decisions (also in the README, "Notifications and state"):
//! - Without a state table every failing finding is notified as `new`, on every run.
//! - With a state table only what changed is notified. A new failure whose message could not
//!   be published is not recorded (the next run notifies it again); a resolved one stays
//!   recorded. The first run (no finding items, no `meta#initialized` marker) sends a summary
//!   plus the `first_run_cap` most severe failures and records all of them; if any of its
//!   messages fails, nothing is recorded and the next run is a first run again.
//! - Muted findings are not failing: never notified as new, and an item of a finding that is
//!   muted now is removed without a `resolved` notification.
//! - Another run holding the lock: nothing is scanned, notified or recorded. An expired lease
//!   is taken over.
//! - A lease lost during the run (taken over by another run): nothing is notified or
//!   recorded; the run is partial. Failed publishes and state errors: partial.

pub mod event;
pub mod items;
pub mod lock;
pub mod sns;
pub mod state;

use aws_types::SdkConfig;
use lock::{Acquired, Lease, LockInfo, LockOptions};
use sns::{PublishReport, SnsPublisher};
use state::{Previous, StateError, StateTable, StoredFinding};
use std::collections::{BTreeMap, HashMap, HashSet};
use vigil_model::{compare, Change, Comparison, Finding, ScanResult, Status};
use vigil_reports::sns::{change_messages, first_run_messages, FirstRun, MessageOptions};

/// Failing findings notified one by one on a first run (the rest are counted in the summary).
pub const DEFAULT_FIRST_RUN_CAP: usize = 50;

/// Where to notify and record, and how.
#[derive(Debug, Clone)]
pub struct NotifyOptions {
    pub topic_arn: Option<String>,
    /// A table name (in the configuration's region) or a table ARN.
    pub state_table: Option<String>,
    pub first_run_cap: usize,
    pub lock: LockOptions,
    /// Who this run is, as the lock item records it (run id, host, Lambda request id).
    pub owner: String,
    pub messages: MessageOptions,
}

impl NotifyOptions {
    /// Options with the defaults for everything but the destinations and the owner.
    pub fn new(topic_arn: Option<String>, state_table: Option<String>, owner: String) -> Self {
        NotifyOptions {
            topic_arn,
            state_table,
            first_run_cap: DEFAULT_FIRST_RUN_CAP,
            lock: LockOptions::default(),
            owner,
            messages: MessageOptions::default(),
        }
    }

    /// Neither a topic nor a state table.
    pub fn is_off(&self) -> bool {
        self.topic_arn.is_none() && self.state_table.is_none()
    }
}

/// The table name and, for a table ARN, its region.
fn table_and_region(spec: &str) -> (String, Option<String>) {
    if let Some(rest) = spec.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if let [_, _, region, _, resource] = parts.as_slice() {
            if let Some(name) = resource.strip_prefix("table/") {
                return (name.to_string(), Some(region.to_string()));
            }
        }
    }
    (spec.to_string(), None)
}

/// What [`Notifier::begin`] found.
#[derive(Debug)]
pub(crate) enum Begin {
    Run(Box<Notifier>),
    /// Another run holds a live lock.
    Locked {
        table: String,
        holder: LockInfo,
    },
}

/// A run's notification in progress: the SNS publisher, and the state table with this run's
/// lease.
#[derive(Debug)]
pub(crate) struct Notifier {
    opts: NotifyOptions,
    sns: Option<SnsPublisher>,
    state: Option<(StateTable, Lease)>,
}

impl Notifier {
    /// Takes the run lock (with a state table) and prepares the SNS publisher. `sdk` holds
    /// the caller's credentials and region; the topic's region comes from its ARN, the table's
    /// from its ARN or else `sdk`.
    pub async fn begin(opts: &NotifyOptions, sdk: &SdkConfig) -> Result<Begin, StateError> {
        let sns = opts
            .topic_arn
            .as_deref()
            .map(|arn| SnsPublisher::new(sdk, arn));
        let state = match &opts.state_table {
            None => None,
            Some(spec) => {
                let (name, region) = table_and_region(spec);
                let conf = match region {
                    Some(r) => vigil_scanner::aws::in_region(sdk, &r),
                    None => sdk.clone(),
                };
                let table = StateTable::new(&conf, &name);
                match table.acquire(&opts.owner, opts.lock).await? {
                    Acquired::Held(holder) => {
                        return Ok(Begin::Locked {
                            table: name,
                            holder,
                        })
                    }
                    Acquired::Lease(lease) => Some((table, lease)),
                }
            }
        };
        Ok(Begin::Run(Box::new(Notifier {
            opts: opts.clone(),
            sns,
            state,
        })))
    }

    /// Releases the lock without notifying or recording (the run could not finish).
    pub async fn abandon(self: Box<Self>) -> Result<(), StateError> {
        match self.state {
            Some((_, lease)) => lease.release().await,
            None => Ok(()),
        }
    }

    /// Compares `result` with the state table, publishes what changed, records it, and
    /// releases the lock. Returns what it did and, with a state table, the comparison (which
    /// decides each finding's `change` unless a `--baseline` does).
    pub async fn finish(
        self: Box<Self>,
        result: &ScanResult,
        now: &str,
    ) -> (NotifyOutcome, Option<Comparison>) {
        let Notifier { opts, sns, state } = *self;
        let mut out = NotifyOutcome {
            topic_arn: opts.topic_arn.clone(),
            ..Default::default()
        };
        let Some((table, lease)) = state else {
            // No state: every failing finding is new, every run.
            let all: Vec<Finding> = result
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .map(|f| with_change(f, Change::New))
                .collect();
            out.failing = all.len();
            out.new = all.len();
            if let Some(sns) = &sns {
                let messages = opts.messages.finish(change_messages(&all, &opts.messages));
                out.messages = messages.len();
                out.publish = sns.publish(&messages).await;
            }
            return (out, None);
        };
        out.state_table = Some(table.name().to_string());
        out.taken_over = lease.taken_over().cloned();
        if let Err(e) = lease.confirm().await {
            out.problems
                .push(format!("{e}: nothing notified or recorded"));
            release_unless_lost(lease, &e, &mut out).await;
            return (out, None);
        }
        let previous = match table.load().await {
            Ok(p) => p,
            Err(e) => {
                out.problems
                    .push(format!("{e}: nothing notified or recorded"));
                release(lease, &mut out).await;
                return (out, None);
            }
        };
        let cmp = compare_with_state(&previous, result);
        out.first_run = previous.is_first_run();
        if !out.first_run {
            out.new = cmp.new.len();
            out.unchanged = cmp.unchanged.len();
            out.resolved = cmp.resolved.len();
            out.muted = cmp.muted.len();
            out.not_assessed = cmp.not_assessed.len();
            out.failing = cmp.new.len() + cmp.unchanged.len();
            // Every transition is claimed item by item, conditionally on the observation
            // time (the run's start), so change events recorded meanwhile are not undone.
            let at = state::at_ms(&result.started_at)
                .or_else(|| state::at_ms(now))
                .unwrap_or_default();
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
            applied.into_outcome(&mut out);
            if !previous.initialized {
                let mark = state::Commit {
                    mark_initialized: true,
                    ..Default::default()
                };
                if let Err(e) = table.commit(&mark, now).await {
                    out.problems
                        .push(format!("{e}: the initialized marker was not written"));
                }
            }
            release(lease, &mut out).await;
            return (out, Some(cmp));
        }
        // The first run: every failure is new; a summary and the most severe ones are
        // published, then all are recorded at once (or, if a message failed, none).
        out.failing = cmp.new.len() + cmp.unchanged.len();
        out.new = cmp.new.len();
        out.unchanged = cmp.unchanged.len();
        out.muted = cmp.muted.len();
        out.not_assessed = cmp.not_assessed.len();
        if let Some(sns) = &sns {
            let new: Vec<Finding> = cmp
                .new
                .iter()
                .map(|f| with_change(f, Change::New))
                .collect();
            let first = FirstRun {
                organization_id: &result.org.id,
                accounts: result.accounts.len(),
                cap: opts.first_run_cap,
            };
            let messages = opts
                .messages
                .finish(first_run_messages(&new, &first, &opts.messages));
            out.messages = messages.len();
            out.publish = sns.publish(&messages).await;
        }
        // Never record over a run that took the lock over while this one was publishing.
        if let Err(e) = lease.confirm().await {
            out.problems.push(format!(
                "{e}: state not recorded (what was notified may be notified again)"
            ));
            release_unless_lost(lease, &e, &mut out).await;
            return (out, Some(cmp));
        }
        let unnotified = out.publish.unnotified();
        if !out.publish.failures.is_empty() {
            release(lease, &mut out).await;
            return (out, Some(cmp));
        }
        let commit = state::commit(&previous, &cmp, now, &unnotified);
        match table.commit(&commit, now).await {
            Ok(()) => out.recorded = Some((commit.put.len(), commit.delete.len())),
            Err(e) => out.problems.push(format!(
                "{e}: state not (fully) recorded; the next run may notify the same changes again"
            )),
        }
        release(lease, &mut out).await;
        (out, Some(cmp))
    }
}

/// What [`record_and_notify`] did.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub publish: PublishReport,
    pub messages: usize,
    /// Failures recorded (new ones claimed and notified, unchanged ones updated).
    pub recorded: usize,
    /// Failures recorded as resolved.
    pub resolved: usize,
    /// Transitions already recorded by a newer observation (an event, a redelivery, another
    /// run): not notified by this one.
    pub superseded: usize,
    pub problems: Vec<String>,
    /// Fingerprints whose transition could not be recorded or notified: a later run (or a
    /// redelivery of the event) must try again.
    pub failed: HashSet<String>,
}

impl Applied {
    fn into_outcome(self, out: &mut NotifyOutcome) {
        out.messages = self.messages;
        out.publish = self.publish;
        out.recorded = Some((self.recorded, self.resolved));
        out.superseded = self.superseded;
        out.problems.extend(self.problems);
    }
}

/// One record per failing fingerprint of `findings` (several messages of one rule on one
/// resource joined by `; `), keeping `first_seen` from `previous`.
fn records<'a>(
    findings: impl Iterator<Item = &'a Finding>,
    previous: &[StoredFinding],
    now: &str,
    at: i64,
) -> Vec<StoredFinding> {
    let first_seen: HashMap<&str, &str> = previous
        .iter()
        .map(|s| (s.fingerprint.as_str(), s.first_seen.as_str()))
        .collect();
    let mut out: BTreeMap<String, StoredFinding> = BTreeMap::new();
    for f in findings {
        out.entry(f.fingerprint.clone())
            .and_modify(|s| {
                if !s.message.split("; ").any(|m| m == f.message) {
                    s.message = format!("{}; {}", s.message, f.message);
                }
            })
            .or_insert_with(|| {
                let first = first_seen
                    .get(f.fingerprint.as_str())
                    .copied()
                    .unwrap_or(now);
                StoredFinding::of_finding(f, first, now, at)
            });
    }
    out.into_values().collect()
}

/// Records the transitions of `cmp` item by item (see [`items`]): claims new and resolved
/// failures, publishes only what it claimed, undoes the claims whose message could not be
/// published, updates unchanged failures, removes the items of muted ones. `previous` are
/// the failing items the comparison was made with; `at` is when this run observed the
/// resources (epoch milliseconds).
pub(crate) async fn record_and_notify(
    table: &StateTable,
    sns: Option<&SnsPublisher>,
    previous: &Previous,
    cmp: &Comparison,
    at: i64,
    now: &str,
    messages: &vigil_reports::sns::MessageOptions,
) -> Applied {
    let mut out = Applied::default();
    let new = records(cmp.new.iter(), &previous.findings, now, at);
    let unchanged = records(cmp.unchanged.iter(), &previous.findings, now, at);
    let mut resolved: Vec<String> = cmp.resolved.iter().map(|f| f.fingerprint.clone()).collect();
    resolved.sort();
    resolved.dedup();
    let problem = |out: &mut Applied, fp: &str, e: StateError| {
        out.failed.insert(fp.to_string());
        if out.problems.len() < 20 {
            out.problems.push(format!("{e}: a change was not recorded; the next run (or the event's redelivery) notifies it"));
        }
    };
    let mut claimed_new: HashSet<String> = HashSet::new();
    for (f, r) in items::each(&new, |f| table.claim_new(f)).await {
        match r {
            Ok(true) => {
                claimed_new.insert(f.fingerprint.clone());
            }
            Ok(false) => out.superseded += 1,
            Err(e) => problem(&mut out, &f.fingerprint, e),
        }
    }
    let mut claimed_resolved: HashSet<String> = HashSet::new();
    for (fp, r) in items::each(&resolved, |fp| table.claim_resolved(fp, at, now)).await {
        match r {
            Ok(true) => {
                claimed_resolved.insert(fp.clone());
            }
            Ok(false) => out.superseded += 1,
            Err(e) => problem(&mut out, fp, e),
        }
    }
    if let Some(sns) = sns {
        let mut changes: Vec<Finding> = cmp
            .new
            .iter()
            .filter(|f| claimed_new.contains(&f.fingerprint))
            .map(|f| with_change(f, Change::New))
            .collect();
        changes.extend(
            cmp.resolved
                .iter()
                .filter(|f| claimed_resolved.contains(&f.fingerprint))
                .cloned(),
        );
        let built = messages.finish(change_messages(&changes, messages));
        out.messages = built.len();
        out.publish = sns.publish(&built).await;
        let unnotified = out.publish.unnotified();
        let undo_new: Vec<StoredFinding> = new
            .iter()
            .filter(|f| claimed_new.contains(&f.fingerprint) && unnotified.contains(&f.fingerprint))
            .cloned()
            .collect();
        for (f, r) in items::each(&undo_new, |f| table.undo_new(f)).await {
            claimed_new.remove(&f.fingerprint);
            out.failed.insert(f.fingerprint.clone());
            if let Err(e) = r {
                out.problems.push(format!("{e}: {} was recorded but not notified, and undoing it failed: it will not be notified", f.fingerprint));
            }
        }
        let undo_resolved: Vec<&StoredFinding> = previous
            .findings
            .iter()
            .filter(|f| {
                claimed_resolved.contains(&f.fingerprint) && unnotified.contains(&f.fingerprint)
            })
            .collect();
        for (f, r) in items::each(&undo_resolved, |f| table.undo_resolved(f, at)).await {
            claimed_resolved.remove(&f.fingerprint);
            out.failed.insert(f.fingerprint.clone());
            if let Err(e) = r {
                out.problems.push(format!("{e}: {} was recorded resolved but not notified, and undoing it failed: it will not be notified", f.fingerprint));
            }
        }
    }
    let mut touched = 0;
    for (f, r) in items::each(&unchanged, |f| table.touch(f)).await {
        match r {
            Ok(true) => touched += 1,
            Ok(false) => {}
            Err(e) => {
                if out.problems.len() < 20 {
                    out.problems
                        .push(format!("{e}: last_seen of {} not updated", f.fingerprint));
                }
            }
        }
    }
    let muted: Vec<String> = cmp.muted.iter().map(|s| s.fingerprint.clone()).collect();
    if !muted.is_empty() {
        let c = state::Commit {
            delete: muted,
            ..Default::default()
        };
        if let Err(e) = table.commit(&c, now).await {
            out.problems
                .push(format!("{e}: items of muted findings not removed"));
        }
    }
    out.recorded = claimed_new.len() + touched;
    out.resolved = claimed_resolved.len();
    out
}

/// The state table's items as previous failures, compared with this run.
fn compare_with_state(previous: &Previous, result: &ScanResult) -> Comparison {
    let before: Vec<Finding> = previous
        .findings
        .iter()
        .map(|s| s.to_finding(result))
        .collect();
    compare(&before, result)
}

fn with_change(f: &Finding, change: Change) -> Finding {
    let mut f = f.clone();
    f.change = Some(change);
    f
}

async fn release(lease: Lease, out: &mut NotifyOutcome) {
    if let Err(e) = lease.release().await {
        out.problems.push(format!("releasing the run lock: {e}"));
    }
}

/// Releases the lease unless it was lost (then it is someone else's).
async fn release_unless_lost(lease: Lease, e: &StateError, out: &mut NotifyOutcome) {
    if !matches!(e, StateError::LockLost { .. }) {
        release(lease, out).await;
    }
}

/// What the notification of a run did.
#[derive(Debug, Clone, Default)]
pub struct NotifyOutcome {
    pub topic_arn: Option<String>,
    pub state_table: Option<String>,
    /// The expired lock of a crashed run that this run took over.
    pub taken_over: Option<LockInfo>,
    pub first_run: bool,
    /// Failing findings (first run: all of them, recorded).
    pub failing: usize,
    /// Findings by change, from the comparison with the state table (or, without one, every
    /// failing finding as new).
    pub new: usize,
    pub unchanged: usize,
    pub resolved: usize,
    /// Items removed because their finding is muted now.
    pub muted: usize,
    /// Items left as they were because this run did not assess their scope.
    pub not_assessed: usize,
    /// Changes a newer observation (a change event, another run) had already recorded: not
    /// notified by this run.
    pub superseded: usize,
    /// Messages built.
    pub messages: usize,
    pub publish: PublishReport,
    /// Items written and deleted.
    pub recorded: Option<(usize, usize)>,
    /// What went wrong besides failed publishes (lock lost, state table errors, the lock not
    /// released), one line each.
    pub problems: Vec<String>,
}

impl NotifyOutcome {
    /// Something was not notified, not recorded or not released.
    pub fn is_partial(&self) -> bool {
        !self.publish.failures.is_empty() || !self.problems.is_empty()
    }

    /// One line saying what was notified (and recorded).
    pub fn summary_line(&self) -> String {
        let p = &self.publish;
        let msgs = plural(p.messages_sent, "message", "messages");
        let mut line = match (&self.topic_arn, &self.state_table) {
            (Some(_), None) => format!(
                "notified {} failing findings as new in {msgs} (no --state-table: every failing finding is notified on every run)",
                p.new_notified
            ),
            (Some(_), Some(_)) if self.first_run => format!(
                "first run: notified a summary and {} of {} failing findings in {msgs}",
                p.new_notified, self.failing
            ),
            (Some(_), Some(_)) => format!(
                "notified {} new and {} resolved findings in {msgs}",
                p.new_notified, p.resolved_notified
            ),
            (None, _) => format!(
                "{} new, {} unchanged and {} resolved findings (no --sns-topic-arn: nothing notified)",
                self.new, self.unchanged, self.resolved
            ),
        };
        if let (Some(t), Some((put, deleted))) = (&self.state_table, self.recorded) {
            line.push_str(&format!(
                "; state table {t}: {put} recorded, {deleted} removed"
            ));
        }
        if self.superseded > 0 {
            line.push_str(&format!(
                "; {} changes already recorded by a newer observation (not notified again)",
                self.superseded
            ));
        }
        if self.not_assessed > 0 {
            line.push_str(&format!(
                "; {} recorded findings kept as they were (their scope was not assessed in this run)",
                self.not_assessed
            ));
        }
        line
    }

    /// Error lines: failed publishes and problems.
    pub fn error_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let failures = &self.publish.failures;
        if let Some(first) = failures.first() {
            let topic = self.topic_arn.as_deref().unwrap_or_default();
            let total = failures.len() + self.publish.messages_sent;
            let findings = |change: &str| {
                failures
                    .iter()
                    .filter(|f| f.change == change)
                    .map(|f| f.findings)
                    .sum::<usize>()
            };
            let mut line = format!(
                "{} of {total} SNS messages could not be published to {topic} (first: \"{}\": {}: {}, after {} attempts)",
                failures.len(),
                first.subject,
                first.code,
                first.message,
                first.attempts
            );
            if self.state_table.is_some() {
                if self.first_run {
                    line.push_str("; nothing was recorded: the next run is a first run again");
                } else {
                    line.push_str(&format!(
                        "; {} new findings were not recorded and will be notified by the next run; {} resolved findings stay recorded",
                        findings("new"),
                        findings("resolved")
                    ));
                }
            }
            out.push(line);
        }
        out.extend(self.problems.iter().cloned());
        out
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::sns::PublishFailure;
    use super::*;

    #[test]
    fn table_arns_give_name_and_region() {
        assert_eq!(
            table_and_region("arn:aws:dynamodb:eu-west-1:111122223333:table/vigil-state"),
            ("vigil-state".to_string(), Some("eu-west-1".to_string()))
        );
        assert_eq!(
            table_and_region("vigil-state"),
            ("vigil-state".to_string(), None)
        );
    }

    #[test]
    fn summary_and_error_lines_say_what_happened() {
        let mut o = NotifyOutcome {
            topic_arn: Some("arn:aws:sns:us-east-1:111122223333:t".into()),
            state_table: Some("vigil-state".into()),
            recorded: Some((7, 2)),
            ..Default::default()
        };
        o.publish.messages_sent = 5;
        o.publish.new_notified = 4;
        o.publish.resolved_notified = 2;
        assert_eq!(
            o.summary_line(),
            "notified 4 new and 2 resolved findings in 5 messages; state table vigil-state: 7 recorded, 2 removed"
        );
        assert!(!o.is_partial());
        o.publish.failures.push(PublishFailure {
            subject: "vigil: 3 new high VGL-DDB-001 in 111122223333".into(),
            change: "new".into(),
            fingerprints: vec!["a".into()],
            findings: 3,
            code: "AuthorizationError".into(),
            message: "denied".into(),
            attempts: 1,
        });
        assert!(o.is_partial());
        assert_eq!(
            o.error_lines(),
            ["1 of 6 SNS messages could not be published to arn:aws:sns:us-east-1:111122223333:t (first: \"vigil: 3 new high VGL-DDB-001 in 111122223333\": AuthorizationError: denied, after 1 attempts); 3 new findings were not recorded and will be notified by the next run; 0 resolved findings stay recorded"]
        );
    }
}
