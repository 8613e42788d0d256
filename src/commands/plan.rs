//! `vigil plan --shards N --output-dir DIR`: walk the organization once and write its
//! accounts as shards for `vigil scan --shard`.

use super::run_error;
use crate::cli::PlanArgs;
use crate::{CliError, UsageError};
use vigil_run::exit;
use vigil_run::output::write_atomic;
use vigil_scanner::session::RoleSpec;
use vigil_scanner::{Regions, ScanOptions};

pub fn run(args: PlanArgs, quiet: bool) -> Result<u8, CliError> {
    let dir = &args.output_dir;
    std::fs::create_dir_all(dir).map_err(|e| {
        UsageError(format!(
            "--output-dir {}: cannot create it: {e}",
            dir.display()
        ))
    })?;
    if !dir.is_dir() {
        return Err(UsageError(format!("--output-dir {}: not a directory", dir.display())).into());
    }
    let dedup = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    let opts = ScanOptions {
        endpoint_url: args.endpoint_url.clone(),
        // The plan reads Organizations with the caller's credentials: no role is assumed.
        role: RoleSpec {
            role_name: "VigilAuditRole".into(),
            external_id: None,
            session_name: "vigil-plan".into(),
        },
        regions: Regions::Default,
        accounts: dedup(args.accounts.clone()),
        exclude_accounts: args.exclude_accounts.clone(),
        services: dedup(args.services.clone()),
        concurrency: args.concurrency as usize,
        per_account_concurrency: 1,
        page_size: args.page_size,
        targets: Vec::new(),
    };
    let shards = super::runtime()?
        .block_on(vigil_run::shard::plan(opts, args.shards))
        .map_err(run_error)?;
    let errors: usize = shards.iter().map(|s| s.errors.len()).sum();
    for (i, shard) in shards.iter().enumerate() {
        let path = dir.join(format!("shard-{:04}.json", i + 1));
        let bytes = serde_json::to_vec_pretty(shard)
            .map_err(|e| CliError::AfterScan(format!("cannot serialize shard {}: {e}", i + 1)))?;
        write_atomic(&path, &bytes)
            .map_err(|e| CliError::AfterScan(format!("cannot write {}: {e}", path.display())))?;
    }
    if !quiet {
        let accounts: usize = shards.iter().map(|s| s.accounts.len()).sum();
        eprintln!(
            "vigil: plan {}: {accounts} accounts in {} shards written to {}",
            shards[0].of.plan_id,
            shards.len(),
            dir.display()
        );
    }
    for e in shards.iter().flat_map(|s| &s.errors) {
        eprintln!(
            "vigil: error: {} {} {}: {}: {}",
            e.account_id, e.service, e.operation, e.code, e.message
        );
    }
    Ok(if errors > 0 {
        exit::PARTIAL
    } else {
        exit::CLEAN
    })
}
