//! vigil: multi-account continuous-compliance scanner for AWS Organizations.
//! The binary is thin: it parses the command line and wires the library crates together.

mod baseline;
mod cli;
mod commands;
mod config;
mod lambda;
mod notify;
mod output;
mod pipeline;
mod progress;
mod suppress;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// Exit codes (documented in `--help` and the README).
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const PARTIAL: u8 = 3;
}

/// A usage, configuration or policy problem: reported on one line, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn init_logging(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    // Our own crates at the chosen level; the SDK's chatter only from -vv on.
    let filter = if quiet || verbose >= 2 {
        level.to_string()
    } else {
        format!(
            "warn,vigil={level},vigil_scanner={level},vigil_rules={level},vigil_reports={level}"
        )
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn main() -> ExitCode {
    // Started by the Lambda service (or a Runtime API emulator): serve invocations.
    if lambda::is_lambda() {
        return lambda::run();
    }
    let matches = cli::Cli::command().get_matches();
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    init_logging(cli.quiet, cli.verbose);
    let sub = matches.subcommand().map(|(_, m)| m);
    let result = match cli.command {
        cli::Command::Scan(args) => {
            commands::scan::run(args, sub.expect("scan has matches"), cli.quiet)
        }
        cli::Command::Evaluate(args) => {
            commands::evaluate::run(args, sub.expect("evaluate has matches"), cli.quiet)
        }
        cli::Command::Rules(cmd) => commands::rules::run(cmd),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vigil: error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}
