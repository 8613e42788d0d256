//! Notifications of new and resolved findings (SNS) with state in DynamoDB and a run lock.
//!
//! The async API ([`begin`], [`finish`]) is what `vigil scan` and the Lambda adapter call:
//! [`begin`] takes the run lock before anything is collected, [`finish`] compares the result
//! with the state table, publishes, records and releases the lock. It never prints; the
//! `vigil scan` side ([`start`], [`CliNotifier::finish`]) prints one summary line and the
//! errors, and maps the outcome to exit codes.
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
//! - Another run holding the lock: nothing is scanned, notified or recorded; exit 0 with a
//!   line on stderr naming the holder. An expired lease is taken over.
//! - A lease lost during the run (taken over by another run): nothing is notified or
//!   recorded; exit 3. Failed publishes and state errors: exit 3.

use crate::cli::ScanArgs;
use crate::{exit, UsageError};
use aws_config::SdkConfig;
use std::collections::HashSet;
use vigil_model::{Change, Finding, Status};
use vigil_reports::sns::{
    change_messages, first_run_messages, FirstRun, MessageOptions, PublishReport, PublishRetry,
    SnsSink,
};
use vigil_reports::state::{
    diff, now_rfc3339, Acquired, Lease, LockInfo, LockOptions, StateError, StateTable,
};
use vigil_reports::ScanResult;

/// Failing findings notified one by one on a first run (the rest are counted in the summary).
pub const DEFAULT_FIRST_RUN_CAP: usize = 50;

/// Where to notify and record, and how.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    pub topic_arn: Option<String>,
    /// A table name (in the configuration's region) or a table ARN.
    pub state_table: Option<String>,
    pub first_run_cap: usize,
    pub lock: LockOptions,
    /// Who this run is, as the lock item records it (run id, host, Lambda request id).
    pub owner: String,
    pub messages: MessageOptions,
    pub retry: PublishRetry,
}

impl NotifyConfig {
    /// A configuration with the defaults for everything but the destinations and the owner.
    pub fn new(topic_arn: Option<String>, state_table: Option<String>, owner: String) -> Self {
        NotifyConfig {
            topic_arn,
            state_table,
            first_run_cap: DEFAULT_FIRST_RUN_CAP,
            lock: LockOptions::default(),
            owner,
            messages: MessageOptions::default(),
            retry: PublishRetry::default(),
        }
    }
}

/// What [`begin`] found.
#[derive(Debug)]
pub enum Begin {
    /// Neither a topic nor a state table: nothing to do.
    Off,
    /// Go ahead: collect, then call [`finish`].
    Run(Box<NotifyRun>),
    /// Another run holds a live lock: collect nothing, notify nothing, write nothing.
    Locked { table: String, holder: LockInfo },
}

/// A run in progress: the SNS sink, and the state table with this run's lease.
#[derive(Debug)]
pub struct NotifyRun {
    cfg: NotifyConfig,
    sns: Option<SnsSink>,
    state: Option<(StateTable, Lease)>,
}

impl NotifyRun {
    /// The expired lock this run took over, if any.
    pub fn taken_over(&self) -> Option<&LockInfo> {
        self.state.as_ref().and_then(|(_, l)| l.taken_over())
    }

    /// Releases the lock without notifying or recording (the scan could not finish).
    pub async fn abandon(self) -> Result<(), StateError> {
        match self.state {
            Some((_, lease)) => lease.release().await,
            None => Ok(()),
        }
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

/// Takes the run lock (with a state table) and prepares the SNS sink. `sdk` holds the
/// caller's credentials and region; the topic's region comes from its ARN, the table's from
/// its ARN or else `sdk`.
pub async fn begin(cfg: &NotifyConfig, sdk: &SdkConfig) -> Result<Begin, StateError> {
    if cfg.topic_arn.is_none() && cfg.state_table.is_none() {
        return Ok(Begin::Off);
    }
    let sns = cfg
        .topic_arn
        .as_deref()
        .map(|arn| SnsSink::new(sdk, arn).with_retry(cfg.retry));
    let state = match &cfg.state_table {
        None => None,
        Some(spec) => {
            let (name, region) = table_and_region(spec);
            let conf = match region {
                Some(r) => vigil_scanner::aws::in_region(sdk, &r),
                None => sdk.clone(),
            };
            let table = StateTable::new(&conf, &name);
            match table.acquire(&cfg.owner, cfg.lock).await? {
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
    Ok(Begin::Run(Box::new(NotifyRun {
        cfg: cfg.clone(),
        sns,
        state,
    })))
}

/// What [`finish`] did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub topic_arn: Option<String>,
    pub state_table: Option<String>,
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
    /// Messages built.
    pub messages: usize,
    pub publish: PublishReport,
    /// Items written and deleted.
    pub recorded: Option<(usize, usize)>,
    /// What went wrong besides failed publishes (lock lost, state table errors), one line each.
    pub problems: Vec<String>,
}

impl Outcome {
    /// Something was not notified or not recorded.
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

fn failing(result: &ScanResult) -> Vec<Finding> {
    result
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .cloned()
        .map(|mut f| {
            f.change = Some(Change::New);
            f
        })
        .collect()
}

/// Compares `result` with the state table, publishes what changed, records it, and releases
/// the lock. Sets each finding's `change` when a state table is used (unless the result was
/// already compared with a `--baseline`, which then decides `change`).
pub async fn finish(run: Box<NotifyRun>, result: &mut ScanResult) -> Outcome {
    let NotifyRun { cfg, sns, state } = *run;
    let mut out = Outcome {
        topic_arn: cfg.topic_arn.clone(),
        ..Default::default()
    };
    let Some((table, lease)) = state else {
        // No state: every failing finding is new, every run.
        let all = failing(result);
        out.failing = all.len();
        out.new = all.len();
        if let Some(sns) = &sns {
            let messages = change_messages(&all, &cfg.messages);
            out.messages = messages.len();
            out.publish = sns.publish(&messages).await;
        }
        return out;
    };
    out.state_table = Some(table.name().to_string());
    if let Err(e) = lease.confirm().await {
        out.problems
            .push(format!("{e}: nothing notified or recorded"));
        if !matches!(e, StateError::LockLost { .. }) {
            let _ = lease.release().await;
        }
        return out;
    }
    let previous = match table.load().await {
        Ok(p) => p,
        Err(e) => {
            out.problems
                .push(format!("{e}: nothing notified or recorded"));
            release(lease, &mut out).await;
            return out;
        }
    };
    let d = diff(&previous, result);
    if result.baseline.is_none() {
        d.mark(&mut result.findings);
    }
    out.first_run = d.first_run;
    out.failing = d.new.len() + d.unchanged.len();
    out.new = d.new.len();
    out.unchanged = d.unchanged.len();
    out.resolved = d.resolved.len();
    out.muted = d.muted.len();
    out.not_assessed = d.not_assessed.len();
    if let Some(sns) = &sns {
        let new: Vec<Finding> = d
            .new
            .iter()
            .cloned()
            .map(|mut f| {
                f.change = Some(Change::New);
                f
            })
            .collect();
        let messages = if d.first_run {
            let first = FirstRun {
                organization_id: &result.org.id,
                accounts: result.accounts.len(),
                cap: cfg.first_run_cap,
            };
            first_run_messages(&new, &first, &cfg.messages)
        } else {
            let mut changes = new;
            changes.extend(d.resolved.iter().cloned());
            change_messages(&changes, &cfg.messages)
        };
        out.messages = messages.len();
        out.publish = sns.publish(&messages).await;
    }
    // Never record over a run that took the lock over while this one was publishing.
    if let Err(e) = lease.confirm().await {
        out.problems.push(format!(
            "{e}: state not recorded (what was notified may be notified again)"
        ));
        if !matches!(e, StateError::LockLost { .. }) {
            let _ = lease.release().await;
        }
        return out;
    }
    let unnotified: HashSet<String> = out.publish.unnotified();
    if d.first_run && !out.publish.failures.is_empty() {
        release(lease, &mut out).await;
        return out;
    }
    let now = if result.finished_at.is_empty() {
        now_rfc3339()
    } else {
        result.finished_at.clone()
    };
    let commit = d.commit(&now, &unnotified);
    match table.commit(&commit).await {
        Ok(()) => out.recorded = Some((commit.put.len(), commit.delete.len())),
        Err(e) => out.problems.push(format!(
            "{e}: state not (fully) recorded; the next run may notify the same changes again"
        )),
    }
    release(lease, &mut out).await;
    out
}

async fn release(lease: Lease, out: &mut Outcome) {
    if let Err(e) = lease.release().await {
        out.problems.push(format!("releasing the run lock: {e}"));
    }
}

/// What `vigil scan` does next after [`start`].
pub enum Started {
    /// Scan; notify with the notifier, if any.
    Proceed(Option<CliNotifier>),
    /// Another run holds the lock: the line was printed; exit with this code.
    Locked(u8),
}

/// `vigil scan`'s notifier: finishes on the CLI's runtime, and releases the lock if the scan
/// stops before [`CliNotifier::finish`] (an error return).
pub struct CliNotifier {
    run: Option<Box<NotifyRun>>,
    handle: tokio::runtime::Handle,
}

/// `vigil scan --sns-topic-arn/--state-table`: takes the lock at scan start. A state table
/// that cannot be used (missing, access denied) is a usage error: nothing is scanned.
pub fn start(
    runtime: &tokio::runtime::Runtime,
    args: &ScanArgs,
    session_name: &str,
    quiet: bool,
) -> Result<Started, UsageError> {
    if args.notify.sns_topic_arn.is_none() && args.notify.state_table.is_none() {
        return Ok(Started::Proceed(None));
    }
    let mut cfg = NotifyConfig::new(
        args.notify.sns_topic_arn.clone(),
        args.notify.state_table.clone(),
        format!(
            "vigil-cli/{}/{}/{session_name}",
            host_name(),
            std::process::id()
        ),
    );
    if let Some(n) = args.notify.first_run_cap {
        cfg.first_run_cap = n as usize;
    }
    let endpoint = args.endpoint_url.clone();
    let begun = runtime.block_on(async {
        let region = aws_config::default_provider::region::DefaultRegionChain::builder()
            .build()
            .region()
            .await
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        let sdk = vigil_scanner::aws::base_config(&region, endpoint.as_deref()).await;
        begin(&cfg, &sdk).await
    });
    match begun {
        Ok(Begin::Off) => Ok(Started::Proceed(None)),
        Ok(Begin::Locked { table, holder }) => {
            eprintln!(
                "vigil: another run holds the lock of state table {table}: {} since {}, until {}; nothing was scanned, notified or recorded",
                holder.owner,
                holder.acquired_at,
                holder.expires_rfc3339()
            );
            Ok(Started::Locked(exit::CLEAN))
        }
        Ok(Begin::Run(run)) => {
            if let (Some(old), false) = (run.taken_over(), quiet) {
                eprintln!(
                    "vigil: took over the expired run lock of {} (expired {})",
                    old.owner,
                    old.expires_rfc3339()
                );
            }
            Ok(Started::Proceed(Some(CliNotifier {
                run: Some(run),
                handle: runtime.handle().clone(),
            })))
        }
        Err(e) if e.is_table_missing() => Err(UsageError(format!(
            "--state-table: {e} (create it with a String partition key `pk`)"
        ))),
        Err(e) => Err(UsageError(format!("--state-table: {e}"))),
    }
}

impl CliNotifier {
    /// Notifies and records; prints the summary line (unless quiet) and any error line.
    /// Returns [`exit::PARTIAL`] when something was not notified or not recorded.
    pub fn finish(mut self, result: &mut ScanResult, quiet: bool) -> u8 {
        let Some(run) = self.run.take() else {
            return exit::CLEAN;
        };
        let outcome = self.handle.block_on(finish(run, result));
        if !quiet {
            eprintln!("vigil: {}", outcome.summary_line());
        }
        for line in outcome.error_lines() {
            eprintln!("vigil: error: {line}");
        }
        if outcome.is_partial() {
            exit::PARTIAL
        } else {
            exit::CLEAN
        }
    }
}

impl Drop for CliNotifier {
    fn drop(&mut self) {
        if let Some(run) = self.run.take() {
            let _ = self.handle.block_on(run.abandon());
        }
    }
}

/// This machine's name, for the lock owner (who holds it, where).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_reports::sns::PublishFailure;

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
        let mut o = Outcome {
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
