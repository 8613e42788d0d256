//! vigil: multi-account continuous-compliance scanner for AWS Organizations.
//! The binary is thin: it parses the command line and `vigil.toml`, builds the options of a
//! run (`vigil_run`), writes the reports and maps the outcome to an exit code.

mod cli;
mod commands;
mod config;
mod lambda;
mod logging;
mod output;
mod progress;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

pub use vigil_run::exit;

/// A usage, configuration or policy problem: reported on one line, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Why a command stopped; each kind has its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage, configuration or policy error, found before anything was scanned: exit 2.
    #[error("{0}")]
    Usage(#[from] UsageError),
    /// The run went through (or stopped part-way) but something after it could not be done:
    /// a report or snapshot not written, an evaluation worker lost, the lock not released.
    /// Never "nothing was scanned": exit 3.
    #[error("{0}")]
    AfterScan(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::AfterScan(_) => exit::PARTIAL,
        }
    }
}

impl From<vigil_run::InputError> for CliError {
    fn from(e: vigil_run::InputError) -> Self {
        CliError::Usage(UsageError(e.to_string()))
    }
}

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
        format!("warn,vigil={level},vigil_run={level},vigil_scanner={level},vigil_rules={level}")
    };
    logging::init(&filter);
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
        cli::Command::Plan(args) => commands::plan::run(args, cli.quiet),
        cli::Command::Event(args) => {
            commands::event::run(args, sub.expect("event has matches"), cli.quiet)
        }
        cli::Command::Rules(cmd) => commands::rules::run(cmd).map_err(CliError::from),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // An error can quote what an account named; a policy error keeps its lines.
            let text = format!("{e:#}");
            eprintln!(
                "vigil: error: {}",
                vigil_reports::text::printable_lines(&text)
            );
            ExitCode::from(e.exit_code())
        }
    }
}
