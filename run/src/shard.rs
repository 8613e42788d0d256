//! Organizations too large for one process: `vigil plan` walks the organization once and
//! splits its accounts into shards; each shard is scanned on its own (`vigil scan --shard`,
//! a Step Functions Distributed Map child) into a snapshot shard; `vigil evaluate` merges them.

use crate::{now_rfc3339, RunError};
use vigil_model::{Account, Document, ScanError, ServiceScope, Shard, ShardOf, SHARD_SCHEMA};
use vigil_scanner::{ScanEvent, ScanOptions, Scanner};

/// Walks the organization once, reads every account's Organizations document (SCP chain)
/// with the caller's credentials, and splits the accounts (sorted by id) into `shards`
/// contiguous shards whose sizes differ by at most one. Account-specific records go with their
/// account's shard; the organization's own (walk errors, skipped accounts, the plan's API
/// calls) go with the first.
pub async fn plan(opts: ScanOptions, shards: u32) -> Result<Vec<Shard>, RunError> {
    let scanner = Scanner::connect(opts).await?;
    let (tx, rx) = async_channel::unbounded();
    let collected = scanner.collect_organizations(tx).await;
    let (mut documents, mut errors) = (Vec::new(), Vec::new());
    while let Ok(event) = rx.try_recv() {
        match event {
            ScanEvent::Document(d) => documents.push(*d),
            ScanEvent::Error(e) => errors.push(e),
            ScanEvent::RegionSkipped { .. } => {}
        }
    }
    if documents.len() as u64 != collected {
        return Err(RunError::Unevaluated {
            collected,
            evaluated: documents.len() as u64,
        });
    }
    let created_at = now_rfc3339();
    let plan_id = plan_id(&scanner.org().id, &created_at);
    let accounts = scanner.accounts();
    let n = shards.max(1) as usize;
    let api_calls = scanner.api_calls();
    let mut out: Vec<Shard> = (0..n)
        .map(|i| {
            let (lo, hi) = (accounts.len() * i / n, accounts.len() * (i + 1) / n);
            let mine: Vec<Account> = accounts[lo..hi].to_vec();
            let first = i == 0;
            Shard {
                schema: SHARD_SCHEMA.into(),
                of: ShardOf {
                    plan_id: plan_id.clone(),
                    shard: i as u32 + 1,
                    shards: n as u32,
                },
                created_at: created_at.clone(),
                org: scanner.org().clone(),
                organization_account_ids: scanner.organization_account_ids().to_vec(),
                services: scanner.services().to_vec(),
                skipped_accounts: if first {
                    scanner.skipped().to_vec()
                } else {
                    Vec::new()
                },
                api_calls: if first { api_calls.total() } else { 0 },
                api_calls_by_operation: if first {
                    api_calls.by_operation()
                } else {
                    Default::default()
                },
                accounts: mine,
                documents: Vec::new(),
                errors: Vec::new(),
            }
        })
        .collect();
    let shard_of = |account: &str| {
        out.iter()
            .position(|s| s.accounts.iter().any(|a| a.id == account))
    };
    let placed_docs: Vec<(usize, Document)> = documents
        .into_iter()
        .map(|d| (shard_of(&d.aws_account_id).unwrap_or(0), d))
        .collect();
    let placed_errors: Vec<(usize, ScanError)> = errors
        .into_iter()
        .map(|e| {
            (
                shard_of(&e.account_id)
                    .filter(|_| e.service != ServiceScope::Organization.as_str())
                    .unwrap_or(0),
                e,
            )
        })
        .collect();
    for (i, d) in placed_docs {
        out[i].documents.push(d);
    }
    for (i, e) in placed_errors {
        out[i].errors.push(e);
    }
    Ok(out)
}

/// A plan's id: the organization and the plan's time (`o-abc123-20261205T101500Z`).
fn plan_id(org: &str, created_at: &str) -> String {
    let stamp: String = created_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("{}-{stamp}", if org.is_empty() { "no-org" } else { org })
}
