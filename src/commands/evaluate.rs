//! `vigil evaluate SNAPSHOT...`: the same evaluation and reports as `scan`, offline; several
//! snapshots (parts of one organization's scan) are merged into one run.

use super::{destinations, fail_on, load_policies_with, present, read_baseline, run_error};
use crate::cli::EvaluateArgs;
use crate::CliError;
use clap::ArgMatches;
use vigil_run::{Input, RunOptions};

pub fn run(args: EvaluateArgs, matches: &ArgMatches, quiet: bool) -> Result<u8, CliError> {
    let dests = destinations(&args.report, matches)?;
    let cfg = crate::config::load_located(args.policy.config.as_deref())?;
    let policies = load_policies_with(&args.policy, &cfg)?;
    let baseline = read_baseline(&args.report)?;
    let snapshot = vigil_run::read_snapshots_of_plan(&args.snapshot, args.plan.as_deref())?;
    let opts = RunOptions {
        input: Input::Snapshot(snapshot),
        policies: &policies,
        post: cfg.post_process(),
        baseline,
        notify: None,
        keep_snapshot: false,
        security_hub: None,
    };
    let outcome = super::runtime()?
        .block_on(vigil_run::execute(opts, &vigil_run::Quiet))
        .map_err(run_error)?;
    let status = outcome.status(
        fail_on(&args.report, matches, &cfg),
        args.report.fail_on_new,
    );
    if let Some(done) = present(outcome, quiet) {
        super::write_reports(&done.result, &dests)?;
    }
    Ok(status.exit_code())
}
