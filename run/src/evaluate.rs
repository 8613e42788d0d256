//! Evaluation workers: documents stream in on a channel and are evaluated as they arrive, one
//! regorus engine per worker thread. Scope errors become `error` findings here.

use crate::RunError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use vigil_model::{
    fingerprint, Account, AccountContext, Document, Finding, OrgInfo, RuleInfo, ScanError,
    ScanResult, SkippedRegion, Snapshot, Status,
};
use vigil_rules::PolicySet;
use vigil_scanner::ScanEvent;

/// What the workers produced.
#[derive(Debug, Default)]
pub struct Evaluated {
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    /// Kept only when a snapshot is to be written.
    pub documents: Vec<Document>,
    /// Documents that went through an evaluator.
    pub evaluated: u64,
    pub skipped_regions: Vec<SkippedRegion>,
}

/// What the workers have done so far (read by a progress display).
#[derive(Debug, Default)]
pub struct Counters {
    pub documents: AtomicU64,
    pub failing: AtomicU64,
}

/// Evaluation worker threads reading from one channel.
pub(crate) struct Workers {
    handles: Vec<JoinHandle<Evaluated>>,
    pub counters: Arc<Counters>,
}

impl Workers {
    /// Starts one worker per core.
    pub fn start(
        policies: &PolicySet,
        accounts: Arc<HashMap<String, AccountContext>>,
        org: OrgInfo,
        rx: async_channel::Receiver<ScanEvent>,
        keep_documents: bool,
    ) -> Workers {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let org = Arc::new(org);
        let counters = Arc::new(Counters::default());
        let handles = (0..n)
            .map(|i| {
                let mut evaluator = policies.evaluator();
                let (rx, accounts, org) = (rx.clone(), accounts.clone(), org.clone());
                let counters = counters.clone();
                std::thread::Builder::new()
                    .name(format!("vigil-eval-{i}"))
                    .spawn(move || {
                        let mut out = Evaluated::default();
                        while let Ok(event) = rx.recv_blocking() {
                            match event {
                                ScanEvent::Document(doc) => {
                                    let ctx = accounts
                                        .get(&doc.aws_account_id)
                                        .cloned()
                                        .unwrap_or_else(|| AccountContext {
                                            id: doc.aws_account_id.clone(),
                                            ..Default::default()
                                        });
                                    let before = out.findings.len();
                                    evaluator.evaluate(&doc, &ctx, &org, &mut out.findings);
                                    out.evaluated += 1;
                                    let failing = out.findings[before..]
                                        .iter()
                                        .filter(|f| f.status == Status::Fail)
                                        .count();
                                    counters.documents.fetch_add(1, Relaxed);
                                    counters.failing.fetch_add(failing as u64, Relaxed);
                                    if keep_documents {
                                        out.documents.push(*doc);
                                    }
                                }
                                ScanEvent::Error(e) => out.errors.push(e),
                                ScanEvent::RegionSkipped {
                                    account_id,
                                    region,
                                    reason,
                                } => out.skipped_regions.push(SkippedRegion {
                                    account_id,
                                    region,
                                    reason,
                                }),
                            }
                        }
                        out
                    })
                    .expect("spawning an evaluation thread")
            })
            .collect();
        Workers { handles, counters }
    }

    /// Waits for the channel to close and every worker to finish. A worker that panicked is
    /// an error carrying its message: its part of the run is lost, so the run is not reported
    /// as if it were complete.
    pub fn join(self) -> Result<Evaluated, RunError> {
        let mut all = Evaluated::default();
        let mut panicked = None;
        for h in self.handles {
            let worker = h.thread().name().unwrap_or("vigil-eval").to_string();
            match h.join() {
                Ok(part) => {
                    all.findings.extend(part.findings);
                    all.errors.extend(part.errors);
                    all.documents.extend(part.documents);
                    all.evaluated += part.evaluated;
                    all.skipped_regions.extend(part.skipped_regions);
                }
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "(no message)".to_string());
                    panicked.get_or_insert(RunError::WorkerPanicked { worker, message });
                }
            }
        }
        if let Some(e) = panicked {
            return Err(e);
        }
        all.documents.sort_by(|a, b| {
            (
                &a.aws_account_id,
                &a.aws_region,
                &a.resource_type,
                &a.resource_id,
            )
                .cmp(&(
                    &b.aws_account_id,
                    &b.aws_region,
                    &b.resource_type,
                    &b.resource_id,
                ))
        });
        Ok(all)
    }
}

/// `error` findings for scopes that could not be assessed: one per rule that would have run
/// there. Errors that hit a single resource or the org walk produce none (they are records).
pub fn scope_error_findings(
    errors: &[ScanError],
    policies: &PolicySet,
    services: &[String],
    accounts: &HashMap<String, AccountContext>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in errors.iter().filter(|e| e.is_scope_error()) {
        let affected = e.affected_services(services);
        for rule in policies.rules() {
            let Some(rt) = rule.resource_types.iter().find(|t| {
                vigil_model::service_of_resource_type(t).is_some_and(|s| affected.contains(&s))
            }) else {
                continue;
            };
            out.push(Finding {
                rule_id: rule.id.as_str().into(),
                title: rule.title.as_str().into(),
                severity: rule.severity,
                status: Status::Error,
                account_id: e.account_id.as_str().into(),
                account_name: accounts
                    .get(&e.account_id)
                    .map(|a| a.name.as_str().into())
                    .unwrap_or_default(),
                region: e.region.as_str().into(),
                resource_type: rt.as_str().into(),
                resource_id: "".into(),
                resource_arn: "".into(),
                message: format!(
                    "not assessed: {} failed: {}: {}",
                    e.operation, e.code, e.message
                ),
                remediation: rule.remediation.as_str().into(),
                fingerprint: fingerprint(&rule.id, &e.account_id, &e.region, ""),
                change: None,
                suppression: None,
                related: rule.related.clone(),
            });
        }
    }
    out
}

/// `input.account` context for every account of a run, by id.
pub fn account_contexts(accounts: &[Account]) -> HashMap<String, AccountContext> {
    accounts
        .iter()
        .map(|a| (a.id.clone(), AccountContext::from(a)))
        .collect()
}

/// The result of one run: the run's metadata (a snapshot without its documents) and what the
/// evaluators produced from `resources` documents. Scope errors become `error` findings.
pub(crate) fn scan_result(
    meta: Snapshot,
    evaluated: Evaluated,
    resources: u64,
    policies: &PolicySet,
    contexts: &HashMap<String, AccountContext>,
) -> Result<ScanResult, RunError> {
    // Every document that was handed over went through an evaluator: never report (or
    // snapshot) a run as complete when one was lost.
    if evaluated.evaluated != resources {
        return Err(RunError::Unevaluated {
            collected: resources,
            evaluated: evaluated.evaluated,
        });
    }
    let services: Vec<String> = if meta.services.is_empty() {
        vigil_scanner::SERVICES
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        meta.services
    };
    let mut findings = evaluated.findings;
    findings.extend(scope_error_findings(
        &evaluated.errors,
        policies,
        &services,
        contexts,
    ));
    let mut result = ScanResult {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: meta.started_at,
        finished_at: meta.finished_at,
        org: meta.org,
        accounts: meta.accounts,
        skipped_accounts: meta.skipped_accounts,
        regions: meta.regions,
        resources,
        evaluated: evaluated.evaluated,
        api_calls: meta.api_calls,
        api_calls_by_operation: meta.api_calls_by_operation,
        findings,
        errors: evaluated.errors,
        skipped_regions: meta.skipped_regions,
        services,
        warnings: Vec::new(),
        stale_suppressions: Vec::new(),
        expired_suppressions: Vec::new(),
        baseline: None,
        resolved: Vec::new(),
        rules: policies
            .rules()
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                title: r.title.clone(),
                description: r.description.clone(),
                severity: r.severity,
                resource_types: r.resource_types.clone(),
                remediation: r.remediation.clone(),
                related: r.related.as_ref().clone(),
            })
            .collect(),
    };
    result.sort();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_worker_is_reported_with_its_message() {
        let spawn = |name: &str, fail: bool| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    if fail {
                        panic!("evaluator exploded on {}", "orders-api");
                    }
                    Evaluated::default()
                })
                .unwrap()
        };
        let workers = Workers {
            handles: vec![spawn("vigil-eval-0", false), spawn("vigil-eval-1", true)],
            counters: Arc::default(),
        };
        let e = workers.join().unwrap_err();
        assert_eq!(
            e.to_string(),
            "evaluation worker vigil-eval-1 panicked: evaluator exploded on orders-api"
        );
        assert!(!e.nothing_scanned());
    }
}
