//! One module per subcommand, plus what they share: policy loading, run options from
//! `vigil.toml`, presenting an outcome and writing the reports.

pub mod evaluate;
pub mod event;
pub mod plan;
pub mod rules;
pub mod scan;

use crate::cli::{Format, PolicyArgs, ReportArgs};
use crate::config::ConfigFile;
use crate::output::{self, Destination};
use crate::{CliError, UsageError};
use clap::ArgMatches;
use std::io::Write;
use vigil_model::ScanResult;
use vigil_reports::asff::AsffReporter;
use vigil_reports::csv::CsvReporter;
use vigil_reports::html::HtmlReporter;
use vigil_reports::json::JsonReporter;
use vigil_reports::junit::JunitReporter;
use vigil_reports::markdown::MarkdownReporter;
use vigil_reports::ocsf::OcsfReporter;
use vigil_reports::sarif::SarifReporter;
use vigil_reports::table::TableReporter;
use vigil_reports::text::printable;
use vigil_reports::Reporter;
use vigil_rules::{Backend, LoadOptions, PolicySet};
use vigil_run::{Baseline, Completed, FailOn, Outcome, RunError};

/// Loads the built-in library plus `--policies`, with `--params` applied. Any problem is a
/// usage error, raised before anything is scanned.
pub fn load_policies(args: &PolicyArgs) -> Result<PolicySet, UsageError> {
    let cfg = crate::config::load_located(args.config.as_deref())?;
    load_policies_with(args, &cfg)
}

/// [`load_policies`] with an already loaded vigil.toml; also checks that its `[severity]` and
/// suppressions name rules that exist.
pub fn load_policies_with(args: &PolicyArgs, cfg: &ConfigFile) -> Result<PolicySet, UsageError> {
    // vigil.toml's [params] first, then --params on top: the more specific source wins.
    let mut params = cfg.params.as_ref().map(|table| {
        (
            format!("{} [params]", cfg.path.display()),
            crate::config::params_json(table),
        )
    });
    if let Some(p) = &args.params {
        let v =
            vigil_run::input::read_json(p, "params file").map_err(|e| UsageError(e.to_string()))?;
        if !v.is_object() {
            return Err(UsageError(format!(
                "{}: params file must hold a JSON object",
                p.display()
            )));
        }
        params = Some(match params {
            Some((src, mut base)) => {
                merge_json(&mut base, &v);
                (format!("{src} and {}", p.display()), base)
            }
            None => (p.display().to_string(), v),
        });
    }
    let opts = LoadOptions {
        without_builtin: false,
        dirs: args.policies.clone(),
        params,
        backend: Backend::Auto,
    };
    let set = PolicySet::load(&opts).map_err(|e| UsageError(format!("policy error: {e}")))?;
    let known: std::collections::HashSet<&str> =
        set.rules().iter().map(|r| r.id.as_str()).collect();
    cfg.check_rule_ids(&known)?;
    Ok(set)
}

/// `--fail-on` from the command line, else `[scan] fail_on` of vigil.toml, else `low`.
pub fn fail_on(args: &ReportArgs, matches: &ArgMatches, cfg: &ConfigFile) -> FailOn {
    let from_cli = matches.value_source("fail_on") == Some(clap::parser::ValueSource::CommandLine);
    match (&cfg.scan.fail_on, from_cli) {
        (Some(v), false) => crate::cli::parse_fail_on(v).unwrap_or(args.fail_on),
        _ => args.fail_on,
    }
}

/// Reads `--baseline` (before anything is scanned) and checks `--fail-on-new` has one.
pub fn read_baseline(args: &ReportArgs) -> Result<Option<Baseline>, CliError> {
    if args.fail_on_new && args.baseline.is_none() {
        return Err(UsageError(
            "--fail-on-new needs --baseline (the report to compare with)".into(),
        )
        .into());
    }
    Ok(args
        .baseline
        .as_deref()
        .map(vigil_run::read_baseline)
        .transpose()?)
}

/// Deep-merges `over` into `base` (objects merge, everything else is replaced).
fn merge_json(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                merge_json(b.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Resolves where each report goes and checks that every file can be written.
pub fn destinations(
    args: &ReportArgs,
    matches: &ArgMatches,
) -> Result<Vec<Destination>, UsageError> {
    let idx = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let dests = output::pair(&args.format, &idx("format"), &args.output, &idx("output"))?;
    for d in &dests {
        if let Some(p) = &d.path {
            output::check_writable(p, "--output")?;
        }
    }
    Ok(dests)
}

/// A multi-threaded runtime for one run.
pub fn runtime() -> Result<tokio::runtime::Runtime, UsageError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start the async runtime: {e}")))
}

/// A run that stopped: before scanning it is a usage error (exit 2), after it exit 3.
pub fn run_error(e: RunError) -> CliError {
    match &e {
        RunError::Lock(s) if s.is_table_missing() => UsageError(format!(
            "--state-table: {e} (create it with a String partition key `pk`)"
        ))
        .into(),
        RunError::Lock(_) => UsageError(format!("--state-table: {e}")).into(),
        _ if e.nothing_scanned() => UsageError(e.to_string()).into(),
        _ => CliError::AfterScan(e.to_string()),
    }
}

/// Prints what the run has to say on stderr: the lock held by another run, warnings,
/// notification summary and errors (their text can quote what an account or a state item
/// holds: control characters are shown escaped). Returns the completed run, or `None` when
/// locked.
pub fn present(outcome: Outcome, quiet: bool) -> Option<Box<Completed>> {
    let done = match outcome {
        Outcome::Locked { table, holder } => {
            eprintln!(
                "vigil: another run holds the lock of state table {table}: {} since {}, until {}; nothing was scanned, notified or recorded",
                printable(&holder.owner),
                holder.acquired_at,
                holder.expires_rfc3339()
            );
            return None;
        }
        Outcome::Completed(done) => done,
    };
    if !quiet {
        for w in &done.result.warnings {
            eprintln!("vigil: warning: {}", printable(w));
        }
    }
    if let Some(n) = &done.notified {
        if let (Some(old), false) = (&n.taken_over, quiet) {
            eprintln!(
                "vigil: took over the expired run lock of {} (expired {})",
                printable(&old.owner),
                old.expires_rfc3339()
            );
        }
        if !quiet {
            eprintln!("vigil: {}", printable(&n.summary_line()));
        }
        for line in n.error_lines() {
            eprintln!("vigil: error: {}", printable(&line));
        }
    }
    if let Some(s) = &done.security_hub {
        if !quiet {
            eprintln!(
                "vigil: Security Hub: {} finding(s) imported, {} archived, {} left as they were (scope not assessed), {} failed, in {} account-region(s)",
                s.imported, s.archived, s.kept, s.failed, s.scopes
            );
        }
        for e in &s.errors {
            eprintln!(
                "vigil: error: Security Hub, account {} region {}: {} ({})",
                printable(&e.account_id),
                printable(&e.region),
                printable(&e.message),
                printable(&e.code)
            );
        }
    }
    Some(done)
}

/// Writes every report; a report that cannot be written after the run is exit 3 with a
/// message, never "nothing was scanned".
pub fn write_reports(result: &ScanResult, dests: &[Destination]) -> Result<(), CliError> {
    // Files are streamed into temporary files beside their destinations and renamed into place
    // once every one of them is complete; stdout comes last. No report is held in memory whole.
    let mut files = Vec::new();
    for d in dests {
        let Some(p) = &d.path else { continue };
        let cannot = |e: std::io::Error| {
            CliError::AfterScan(format!("cannot write --output {}: {e}", p.display()))
        };
        let mut file = vigil_run::output::OutputFile::create(p).map_err(cannot)?;
        render(result, d, &mut file).map_err(cannot)?;
        files.push((file, cannot));
    }
    for (file, cannot) in files {
        file.commit().map_err(cannot)?;
    }
    for d in dests.iter().filter(|d| d.path.is_none()) {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        match render(result, d, &mut out).and_then(|_| out.flush()) {
            // A closed pipe (`vigil ... | head`) is not an error worth a non-zero exit.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(CliError::AfterScan(format!(
                    "writing the report to stdout failed: {e}"
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Renders one report into `out`.
fn render(result: &ScanResult, d: &Destination, out: &mut dyn Write) -> std::io::Result<()> {
    match d.format {
        Format::Json => JsonReporter.write(result, out),
        Format::Sarif => SarifReporter.write(result, out),
        Format::Csv => CsvReporter.write(result, out),
        Format::Junit => JunitReporter.write(result, out),
        Format::Markdown => MarkdownReporter::default().write(result, out),
        Format::Html => HtmlReporter::default().write(result, out),
        Format::Ocsf => OcsfReporter.write(result, out),
        Format::Asff => AsffReporter.write(result, out),
        Format::Table => {
            let on_tty = d.path.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .filter(|_| on_tty);
            TableReporter {
                color: on_tty && std::env::var_os("NO_COLOR").is_none(),
                width,
                fit_terminal: on_tty,
            }
            .write(result, out)
        }
    }
}

/// Writes to stdout; a closed pipe (`vigil rules list | head`) is not an error.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
