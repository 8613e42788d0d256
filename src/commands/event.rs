//! `vigil event FILE`: replays change events (as the continuous mode receives them) locally.
//! Each message is read and mapped to what it changed ([`vigil_model::change`]); the changes
//! are merged, printed, and (unless `--dry-run`) re-evaluated with a scan of exactly those
//! resources, through `vigil scan`'s path (`--resource`).
//!
//! Fail closed: a message vigil cannot read (not JSON, not a CloudTrail event, a supported
//! event without the field naming its resource) stops the command before any AWS call, with
//! every such message named (exit 2). Unsupported events and calls that changed nothing are
//! counted and printed, never errors.

use crate::cli::EventArgs;
use crate::{CliError, UsageError};
use clap::ArgMatches;
use std::fmt::Write as _;
use vigil_model::change::{self, Change, Coalesced, Observation, Outcome};
use vigil_model::target::Target;

/// What a file of events asks for.
#[derive(Debug, Default)]
pub struct Plan {
    /// The merged changes, in the order first seen.
    pub changes: Vec<Coalesced>,
    /// One line per message: its label and what became of it.
    pub lines: Vec<String>,
    /// Messages that could not be read (label: reason).
    pub errors: Vec<String>,
    pub unsupported: usize,
    pub ignored: usize,
}

impl Plan {
    /// Reads `value` (one event, an SQS batch or a CloudTrail log file).
    pub fn of(value: &serde_json::Value) -> Result<Plan, String> {
        let messages = change::parse_input(value).map_err(|e| e.to_string())?;
        let mut plan = Plan::default();
        let mut observations = Vec::new();
        for (label, parsed) in messages {
            let event = match parsed {
                Ok(envelope) => envelope.into_event(),
                Err(e) => {
                    plan.errors.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let what = format!("{} {}", event.event_source, event.event_name);
            match change::changes(&event) {
                Err(e) => plan.errors.push(format!("{label}: {e}")),
                Ok(Outcome::Unsupported { .. }) => {
                    plan.unsupported += 1;
                    plan.lines.push(format!(
                        "{label}: {what}: not an event vigil maps (ignored)"
                    ));
                }
                Ok(Outcome::Ignored { reason }) => {
                    plan.ignored += 1;
                    plan.lines
                        .push(format!("{label}: {what}: {reason} (ignored)"));
                }
                Ok(Outcome::Changed(changes)) => {
                    let names: Vec<String> = changes.iter().map(describe).collect();
                    plan.lines.push(format!(
                        "{label}: {what} at {}: {}",
                        event.event_time,
                        names.join(", ")
                    ));
                    observations.extend(changes.into_iter().map(|change| Observation {
                        source: label.clone(),
                        event_time: event.event_time.clone(),
                        change,
                    }));
                }
            }
        }
        plan.changes = change::coalesce(observations);
        Ok(plan)
    }

    /// The documents to collect again: every change but deletions (a deleted resource has
    /// nothing to collect; its failures resolve).
    pub fn targets(&self) -> Vec<Target> {
        let mut out: Vec<Target> = self
            .changes
            .iter()
            .filter_map(|c| vigil_model::target::of_change(&c.change))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The merged changes, one line each.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} change(s) to re-evaluate; {} unsupported and {} ignored event(s)",
            self.changes.len(),
            self.unsupported,
            self.ignored
        );
        for c in &self.changes {
            let _ = writeln!(
                s,
                "  {} (latest event {}, from {})",
                describe(&c.change),
                c.event_time,
                c.sources.join(", ")
            );
        }
        s
    }
}

/// A change in a few words.
fn describe(c: &Change) -> String {
    match c {
        Change::Resource(r) => format!(
            "{} {} in {} {}{}",
            r.resource_type,
            r.resource_id,
            r.account_id,
            r.region,
            if r.deleted {
                " (deleted: its failures resolve)"
            } else {
                ""
            }
        ),
        Change::OrgTarget { target_id } => {
            format!("the organization documents of every account under {target_id}")
        }
        Change::OrgPolicy { policy_id } => {
            format!("the organization documents of every account policy {policy_id} applies to")
        }
        Change::ConfigOrganization { account_id } => {
            format!("the AWS Config organization roll-up (aggregators of {account_id})")
        }
    }
}

pub fn run(args: EventArgs, matches: &ArgMatches, quiet: bool) -> Result<u8, CliError> {
    let path = &args.file;
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("{}: cannot read: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    let plan = Plan::of(&value).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if !plan.errors.is_empty() {
        return Err(UsageError(format!(
            "{}: {} message(s) vigil cannot read (nothing scanned):\n  {}",
            path.display(),
            plan.errors.len(),
            plan.errors.join("\n  ")
        ))
        .into());
    }
    let report = format!("{}\n{}", plan.lines.join("\n"), plan.summary());
    if args.dry_run {
        print!("{report}");
        return Ok(vigil_run::exit::CLEAN);
    }
    if !quiet {
        eprint!("{report}");
    }
    let targets = plan.targets();
    if targets.is_empty() {
        if !quiet {
            eprintln!("vigil: nothing to collect again");
        }
        return Ok(vigil_run::exit::CLEAN);
    }
    let mut scan = args.scan;
    scan.resources.extend(targets);
    super::scan::run(scan, matches, quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> serde_json::Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/events")
            .join(rel);
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    }

    /// The AWS documentation's SQS event: its first body is a real DynamoDB UpdateTable event,
    /// its second the published "Test message." (not JSON): named, never dropped.
    #[test]
    fn the_sqs_fixture_batch_plans_its_changes() {
        let plan = Plan::of(&fixture("sqs/batch.json")).unwrap();
        assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
        assert!(
            plan.errors[0]
                .starts_with("2e1424d4-f796-459a-8184-9c92662be6da: message body is not JSON"),
            "{}",
            plan.errors[0]
        );
        let targets = plan.targets();
        assert_eq!(targets.len(), 1, "{targets:?}");
        assert_eq!(targets[0].resource_type, "AWS::DynamoDB::Table");
        assert_eq!(
            plan.changes[0].sources,
            ["059f36b4-87a3-44ab-83d2-661975830a7d"]
        );
    }

    /// Every CloudTrail fixture, replayed alone, plans without an error; deletions collect
    /// nothing.
    #[test]
    fn every_cloudtrail_fixture_plans() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/events/cloudtrail");
        let mut seen = 0;
        for service in std::fs::read_dir(&dir).unwrap() {
            for f in std::fs::read_dir(service.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                let v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                let plan = Plan::of(&v).unwrap();
                assert!(plan.errors.is_empty(), "{}: {:?}", p.display(), plan.errors);
                let deleted = plan
                    .changes
                    .iter()
                    .filter(|c| matches!(&c.change, Change::Resource(r) if r.deleted))
                    .count();
                assert_eq!(
                    plan.targets().len() + deleted,
                    plan.changes.len(),
                    "{}",
                    p.display()
                );
                seen += 1;
            }
        }
        assert!(seen >= 45, "{seen} fixtures");
    }

    #[test]
    fn organization_changes_name_account_documents() {
        let t = vigil_model::target::of_change(&Change::OrgTarget {
            target_id: "ou-ab12-cdef3456".into(),
        })
        .unwrap();
        assert_eq!((t.account_id, t.resource_id.as_str()), (None, ""));
        let t = vigil_model::target::of_change(&Change::OrgTarget {
            target_id: "111122223333".into(),
        })
        .unwrap();
        assert_eq!(t.account_id.as_deref(), Some("111122223333"));
        assert_eq!(t.resource_type, "AWS::Organizations::Account");
    }
}
