//! `vigil scan`: the live organization scan.

use super::{destinations, fail_on, load_policies_with, present, read_baseline, run_error};
use crate::cli::ScanArgs;
use crate::output::check_writable;
use crate::{CliError, UsageError};
use clap::ArgMatches;
use vigil_model::ScanResult;
use vigil_run::output::write_atomic;
use vigil_run::{Input, NotifyOptions, RunOptions};
use vigil_scanner::session::RoleSpec;
use vigil_scanner::{Regions, ScanOptions};

pub fn run(mut args: ScanArgs, matches: &ArgMatches, quiet: bool) -> Result<u8, CliError> {
    // Everything that can be wrong with the command line is found before any AWS call.
    let dests = destinations(&args.report, matches)?;
    let cfg = crate::config::load_located(args.policy.config.as_deref())?;
    apply_defaults(&mut args, matches, &cfg)?;
    let baseline = read_baseline(&args.report)?;
    if let Some(p) = &args.snapshot_out {
        check_writable(p, "--snapshot-out")?;
    }
    check_external_id(args.external_id.as_deref(), "--external-id")?;
    let policies = load_policies_with(&args.policy, &cfg)?;
    if !args.resources.is_empty()
        && (args.notify.state_table.is_some() || args.notify.sns_topic_arn.is_some())
    {
        // The state comparison of a whole run would take every other resource for resolved.
        return Err(UsageError(
            "--resource and change events re-evaluate single resources: they do not notify or record yet (drop --state-table/--sns-topic-arn)".into(),
        )
        .into());
    }
    let session = format!("vigil-{}", time::OffsetDateTime::now_utc().unix_timestamp());
    let mut notify = NotifyOptions {
        first_run_cap: args
            .notify
            .first_run_cap
            .map_or(vigil_run::notify::DEFAULT_FIRST_RUN_CAP, |n| n as usize),
        ..NotifyOptions::new(
            args.notify.sns_topic_arn.clone(),
            args.notify.state_table.clone(),
            format!("vigil-cli/{}/{}/{session}", host_name(), std::process::id()),
        )
    };
    notify.messages.format = args.notify.sns_format.into();
    let mut scan = ScanOptions {
        endpoint_url: args.endpoint_url.clone(),
        role: RoleSpec {
            role_name: args.role_name.clone(),
            external_id: args.external_id.clone(),
            session_name: session,
        },
        regions: regions(&args.regions)?,
        accounts: dedup(args.accounts.clone()),
        exclude_accounts: args.exclude_accounts.clone(),
        services: dedup(args.services.clone()),
        concurrency: args.concurrency as usize,
        per_account_concurrency: args.account_concurrency as usize,
        page_size: args.page_size,
        targets: args.resources.clone(),
    };
    let security_hub = args
        .security_hub
        .then(|| vigil_run::securityhub::SecurityHubOptions {
            endpoint_url: scan.endpoint_url.clone(),
            role: scan.role.clone(),
            concurrency: scan.concurrency,
        });
    scan.narrow_to_targets()
        .map_err(|e| UsageError(format!("--resource: {e}")))?;
    let input = match &args.shard {
        Some(path) => Input::Shard(scan, Box::new(vigil_run::read_shard(path)?)),
        None => Input::Live(scan),
    };
    let opts = RunOptions {
        input,
        policies: &policies,
        post: cfg.post_process(),
        baseline,
        notify: Some(notify),
        keep_snapshot: args.snapshot_out.is_some(),
        security_hub,
    };
    let observer = crate::progress::Observer::new(crate::progress::wanted(quiet));
    let outcome = super::runtime()?
        .block_on(vigil_run::execute(opts, &observer))
        .map_err(run_error)?;
    let fail_on = fail_on(&args.report, matches, &cfg);
    let status = outcome.status(fail_on, args.report.fail_on_new);
    let Some(done) = present(outcome, quiet) else {
        return Ok(status.exit_code());
    };
    if let (Some(path), Some(snapshot)) = (&args.snapshot_out, &done.snapshot) {
        let bytes = serde_json::to_vec_pretty(snapshot)
            .map_err(|e| CliError::AfterScan(format!("cannot serialize the snapshot: {e}")))?;
        write_atomic(path, &bytes).map_err(|e| {
            CliError::AfterScan(format!(
                "cannot write --snapshot-out {}: {e}",
                path.display()
            ))
        })?;
    }
    if args.stats {
        print_stats(&done.result);
    }
    super::write_reports(&done.result, &dests)?;
    Ok(status.exit_code())
}

/// An ExternalId is 2 to 1224 characters (its value is never echoed).
pub fn check_external_id(id: Option<&str>, name: &str) -> Result<(), UsageError> {
    match id {
        Some(e) if e.len() < 2 || e.len() > 1224 => {
            Err(UsageError(format!("{name} must be 2 to 1224 characters")))
        }
        _ => Ok(()),
    }
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

/// `--regions`: `all`, a list, or nothing (the configuration's region).
pub fn regions(list: &[String]) -> Result<Regions, UsageError> {
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

pub fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
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
