//! `vigil scan`: the live organization scan.

use super::{
    destinations, fail_on, finish, load_policies_with, now_rfc3339, post_process, read_baseline,
};
use crate::cli::ScanArgs;
use crate::output::{check_writable, write_atomic};
use crate::pipeline::{account_contexts, ensure_all_evaluated, scan_result, Workers};
use crate::UsageError;
use clap::ArgMatches;
use vigil_model::{Snapshot, SNAPSHOT_SCHEMA};
use vigil_reports::ScanResult;
use vigil_scanner::session::RoleSpec;
use vigil_scanner::{Regions, ScanOptions, Scanner};

pub fn run(mut args: ScanArgs, matches: &ArgMatches, quiet: bool) -> Result<u8, UsageError> {
    // Everything that can be wrong with the command line is found before any AWS call.
    let dests = destinations(&args.report, matches)?;
    let cfg = crate::config::load_located(args.policy.config.as_deref())?;
    apply_defaults(&mut args, matches, &cfg)?;
    let baseline = read_baseline(&args.report)?;
    if let Some(p) = &args.snapshot_out {
        check_writable(p, "--snapshot-out")?;
    }
    if args
        .external_id
        .as_deref()
        .is_some_and(|e| e.len() < 2 || e.len() > 1224)
    {
        return Err(UsageError(
            "--external-id must be 2 to 1224 characters".into(),
        ));
    }
    let policies = load_policies_with(&args.policy, &cfg)?;
    let started_at = now_rfc3339();
    let run_id = time::OffsetDateTime::now_utc().unix_timestamp();
    let opts = ScanOptions {
        endpoint_url: args.endpoint_url.clone(),
        role: RoleSpec {
            role_name: args.role_name.clone(),
            external_id: args.external_id.clone(),
            session_name: format!("vigil-{run_id}"),
        },
        regions: regions(&args.regions)?,
        accounts: dedup(args.accounts.clone()),
        exclude_accounts: args.exclude_accounts.clone(),
        services: dedup(args.services.clone()),
        concurrency: args.concurrency as usize,
        per_account_concurrency: args.account_concurrency as usize,
        page_size: args.page_size,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start the async runtime: {e}")))?;
    let scanner = runtime
        .block_on(Scanner::connect(opts))
        .map_err(|e| UsageError(e.to_string()))?;
    if !quiet {
        tracing::info!(
            accounts = scanner.accounts().len(),
            regions = scanner.regions().len(),
            "scanning organization {}",
            scanner.org().id
        );
    }
    // The run lock is taken before anything is collected: an overlapping run stops here.
    let notifier = match crate::notify::start(&runtime, &args, &format!("vigil-{run_id}"), quiet)? {
        crate::notify::Started::Locked(code) => return Ok(code),
        crate::notify::Started::Proceed(n) => n,
    };
    let (snapshot, mut result) = runtime
        .block_on(collect_and_evaluate(
            &scanner,
            &policies,
            started_at,
            args.snapshot_out.is_some(),
            crate::progress::wanted(quiet),
        ))
        .map_err(UsageError)?;
    if let Some(path) = &args.snapshot_out {
        let bytes = serde_json::to_vec_pretty(&snapshot).map_err(|e| UsageError(e.to_string()))?;
        write_atomic(path, &bytes).map_err(|e| {
            UsageError(format!(
                "cannot write --snapshot-out {}: {e}",
                path.display()
            ))
        })?;
    }
    drop(snapshot);
    post_process(&mut result, &cfg, baseline, quiet);
    let notified = notifier.map_or(crate::exit::CLEAN, |n| n.finish(&mut result, quiet));
    if args.stats {
        print_stats(&result);
    }
    let fail_on = fail_on(&args.report, matches, &cfg);
    finish(&result, &dests, fail_on, args.report.fail_on_new).map(|code| code.max(notified))
}

/// Collects everything the connected scanner can see and evaluates it as it streams in.
/// Returns the snapshot (with its documents only when `keep_documents`) and the result.
/// Shared by `vigil scan` and the Lambda mode.
pub async fn collect_and_evaluate(
    scanner: &Scanner,
    policies: &vigil_rules::PolicySet,
    started_at: String,
    keep_documents: bool,
    show_progress: bool,
) -> Result<(Snapshot, ScanResult), String> {
    let contexts = account_contexts(scanner.accounts());
    let (tx, rx) = async_channel::bounded(1024);
    let workers = Workers::start(
        policies,
        contexts.clone(),
        scanner.org().clone(),
        rx,
        keep_documents,
    );
    let progress = crate::progress::Progress::start(
        show_progress,
        scanner.accounts().len() as u64,
        scanner.accounts_done(),
        workers.counters.clone(),
    );
    let collected = scanner.collect(tx).await;
    // The channel is closed: the workers finish what is queued (blocking, off the reactor).
    let mut evaluated = tokio::task::block_in_place(|| workers.join());
    progress.finish();
    ensure_all_evaluated(collected, &evaluated)?;
    let api_calls = scanner.api_calls();
    let mut snapshot = Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        started_at,
        finished_at: now_rfc3339(),
        org: scanner.org().clone(),
        accounts: scanner.accounts().to_vec(),
        skipped_accounts: scanner.skipped().to_vec(),
        regions: scanner.regions(),
        services: scanner.services().to_vec(),
        api_calls: api_calls.total(),
        api_calls_by_operation: api_calls.by_operation(),
        documents: Vec::new(),
        errors: evaluated.errors.clone(),
        skipped_regions: evaluated.skipped_regions.clone(),
    };
    let documents = std::mem::take(&mut evaluated.documents);
    let result = scan_result(snapshot.clone(), evaluated, collected, policies, &contexts);
    snapshot.documents = documents;
    Ok((snapshot, result))
}

/// `[scan]` of vigil.toml fills in what the command line left out; values are checked with
/// the same parsers as the flags, and errors name the file and key.
fn apply_defaults(
    args: &mut ScanArgs,
    matches: &ArgMatches,
    cfg: &crate::config::ConfigFile,
) -> Result<(), UsageError> {
    use crate::cli::{parse_account_id, parse_region, parse_role_name, parse_service};
    let d = &cfg.scan;
    let file = cfg.path.display();
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let check = |key: &str, vals: &[String], p: fn(&str) -> Result<String, String>| {
        vals.iter()
            .map(|v| p(v).map_err(|e| UsageError(format!("{file}: scan.{key}: {e}"))))
            .collect::<Result<Vec<String>, UsageError>>()
    };
    if let (Some(r), false) = (&d.role_name, given("role_name")) {
        args.role_name = check("role_name", std::slice::from_ref(r), parse_role_name)?.remove(0);
    }
    for (key, list, field) in [
        ("regions", &d.regions, &mut args.regions as &mut Vec<String>),
        ("services", &d.services, &mut args.services),
        ("accounts", &d.accounts, &mut args.accounts),
        (
            "exclude_accounts",
            &d.exclude_accounts,
            &mut args.exclude_accounts,
        ),
    ] {
        if let (Some(v), false) = (list, given(key)) {
            let p = match key {
                "regions" => parse_region,
                "services" => parse_service,
                _ => parse_account_id,
            };
            *field = check(key, v, p)?;
        }
    }
    Ok(())
}

fn regions(list: &[String]) -> Result<Regions, UsageError> {
    if list.iter().any(|r| r == "all") {
        if list.len() > 1 {
            return Err(UsageError(
                "--regions: 'all' cannot be combined with region names".into(),
            ));
        }
        return Ok(Regions::All);
    }
    if list.is_empty() {
        return Ok(Regions::Default);
    }
    Ok(Regions::List(dedup(list.to_vec())))
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

/// `--stats`: API calls per service and operation, on stderr.
fn print_stats(result: &ScanResult) {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["Service:Operation", "Calls"]);
    for (op, n) in &result.api_calls_by_operation {
        t.add_row(vec![op.clone(), n.to_string()]);
    }
    t.add_row(vec!["total".to_string(), result.api_calls.to_string()]);
    eprintln!("{t}");
}
