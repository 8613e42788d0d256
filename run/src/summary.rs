//! What a run did, in a small serializable document (the Lambda's response; any mode that
//! answers a caller instead of writing reports).

use crate::{FailOn, Outcome, RunStatus};
use serde::Serialize;
use serde_json::Value;
use vigil_model::Summary;

/// A run in a few fields.
#[derive(Debug, Default, Serialize)]
pub struct RunSummary {
    /// `completed`, `partial` (some scopes not assessed or not notified; the CLI's exit 3) or
    /// `locked` (another run holds the lock: nothing was scanned or notified).
    pub status: &'static str,
    /// Who asked (the Lambda request id).
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub accounts: usize,
    pub regions: Vec<String>,
    pub resources: u64,
    pub api_calls: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Scopes that could not be assessed: `account region service operation: code`.
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_holder: Option<Value>,
    /// With the Security Hub export: findings imported, archived, left alone, failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<Value>,
    /// With a report bucket: the S3 URIs of the run's reports (`json`, `html`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<Value>,
}

impl RunSummary {
    /// The summary of `outcome`, with the same status as the CLI's exit code says.
    pub fn of(outcome: &Outcome, request_id: String) -> RunSummary {
        let status = match outcome.status(FailOn::Never, false) {
            RunStatus::Locked => "locked",
            RunStatus::Partial => "partial",
            RunStatus::Clean | RunStatus::Findings => "completed",
        };
        let done = match outcome {
            Outcome::Locked { table, holder } => {
                let lock_holder = serde_json::json!({"table": table, "owner": holder.owner, "acquired_at": holder.acquired_at, "expires_at": holder.expires_rfc3339()});
                return RunSummary {
                    status,
                    request_id,
                    lock_holder: Some(lock_holder),
                    ..Default::default()
                };
            }
            Outcome::Completed(done) => done,
        };
        let r = &done.result;
        let notifications = done.notified.as_ref().map(|n| {
            serde_json::json!({
                "summary": n.summary_line(), "first_run": n.first_run, "new": n.new,
                "unchanged": n.unchanged, "resolved": n.resolved,
                "messages_sent": n.publish.messages_sent, "errors": n.error_lines(),
            })
        });
        RunSummary {
            status,
            request_id,
            started_at: Some(r.started_at.clone()),
            finished_at: Some(r.finished_at.clone()),
            organization_id: Some(r.org.id.clone()),
            accounts: r.accounts.len(),
            regions: r.regions.clone(),
            resources: r.resources,
            api_calls: r.api_calls,
            summary: Some(r.summary()),
            errors: r
                .errors
                .iter()
                .map(|e| {
                    let (a, g, s, o) = (&e.account_id, &e.region, &e.service, &e.operation);
                    format!("{a} {g} {s} {o}: {}", e.code)
                })
                .collect(),
            notifications,
            lock_holder: None,
            security_hub: done.security_hub.as_ref().map(|s| {
                serde_json::json!({
                    "imported": s.imported, "archived": s.archived, "kept": s.kept,
                    "failed": s.failed, "scopes": s.scopes,
                })
            }),
            reports: None,
        }
    }
}
