//! One module per subcommand, plus what they share: policy loading and report writing.

pub mod evaluate;
pub mod rules;
pub mod scan;

use crate::cli::{FailOn, Format, PolicyArgs, ReportArgs};
use crate::config::ConfigFile;
use crate::output::{self, Destination};
use crate::{exit, UsageError};
use clap::ArgMatches;
use std::io::Write;
use std::path::Path;
use vigil_model::Status;
use vigil_reports::csv::CsvReporter;
use vigil_reports::json::JsonReporter;
use vigil_reports::junit::JunitReporter;
use vigil_reports::sarif::SarifReporter;
use vigil_reports::table::TableReporter;
use vigil_reports::{Reporter, ScanResult};
use vigil_rules::{Backend, LoadOptions, PolicySet};

/// Reads a JSON file, naming file, line and column when it is not valid JSON.
pub fn read_json(path: &Path, what: &str) -> Result<serde_json::Value, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}:{}:{}: {what} is not valid JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

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
    let mut overrides: Option<(String, serde_json::Value)> = None;
    if let Some(table) = &cfg.params {
        overrides = Some((
            format!("{} [params]", cfg.path.display()),
            crate::config::params_json(table),
        ));
    }
    if let Some(p) = &args.params {
        let v = read_json(p, "params file")?;
        if !v.is_object() {
            return Err(UsageError(format!(
                "{}: params file must hold a JSON object",
                p.display()
            )));
        }
        overrides = Some(match overrides {
            Some((src, mut base)) => {
                merge_json(&mut base, &v);
                (format!("{src} and {}", p.display()), base)
            }
            None => (p.display().to_string(), v),
        });
    }
    let params = overrides;
    let opts = LoadOptions {
        without_builtin: false,
        dirs: args.policies.clone(),
        params,
        backend: Backend::Auto,
    };
    let set = PolicySet::load(&opts).map_err(|e| UsageError(format!("policy error: {e}")))?;
    let known: std::collections::HashSet<&str> =
        set.rules().iter().map(|r| r.id.as_str()).collect();
    crate::suppress::check_rule_ids(cfg, &known)?;
    Ok(set)
}

/// What vigil.toml and `--baseline` do to a finished result: severity overrides, then
/// suppressions (as of today, UTC), then the comparison with the baseline. Warnings go to
/// stderr unless `quiet`.
pub fn post_process(
    result: &mut ScanResult,
    cfg: &ConfigFile,
    baseline: Option<crate::baseline::Baseline>,
    quiet: bool,
) {
    crate::suppress::apply_severity(cfg, result);
    crate::suppress::apply_suppressions(cfg, result, time::OffsetDateTime::now_utc().date());
    if let Some(b) = baseline {
        crate::baseline::apply(b, result);
    }
    result.sort();
    if !quiet {
        for w in &result.warnings {
            eprintln!("vigil: warning: {w}");
        }
    }
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
pub fn read_baseline(args: &ReportArgs) -> Result<Option<crate::baseline::Baseline>, UsageError> {
    if args.fail_on_new && args.baseline.is_none() {
        return Err(UsageError(
            "--fail-on-new needs --baseline (the report to compare with)".into(),
        ));
    }
    args.baseline
        .as_deref()
        .map(crate::baseline::read)
        .transpose()
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

/// Renders every report (all in memory first), writes them, and returns the exit code.
pub fn finish(
    result: &ScanResult,
    dests: &[Destination],
    fail_on: FailOn,
    only_new: bool,
) -> Result<u8, UsageError> {
    // Files are streamed into temporary files beside their destinations and renamed into place
    // once every one of them is complete; stdout comes last. No report is held in memory whole.
    let mut files = Vec::new();
    for d in dests {
        let Some(p) = &d.path else { continue };
        let cannot =
            |e: std::io::Error| UsageError(format!("cannot write --output {}: {e}", p.display()));
        let mut file = output::AtomicFile::create(p).map_err(cannot)?;
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
                return Err(UsageError(format!("rendering the report failed: {e}")))
            }
            _ => {}
        }
    }
    Ok(exit_code(result, fail_on, only_new))
}

/// Renders one report into `out`.
fn render(result: &ScanResult, d: &Destination, out: &mut dyn Write) -> std::io::Result<()> {
    match d.format {
        Format::Json => JsonReporter.write(result, out),
        Format::Sarif => SarifReporter.write(result, out),
        Format::Csv => CsvReporter.write(result, out),
        Format::Junit => JunitReporter.write(result, out),
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

/// 3 when anything could not be assessed, else 1 when a failure reaches `--fail-on`, else 0.
/// With `only_new` (`--fail-on-new`), only failures new since the baseline count.
pub fn exit_code(result: &ScanResult, fail_on: FailOn, only_new: bool) -> u8 {
    let partial =
        !result.errors.is_empty() || result.findings.iter().any(|f| f.status == Status::Error);
    if partial {
        return exit::PARTIAL;
    }
    let failing = match fail_on {
        FailOn::Never => false,
        FailOn::Severity(min) => result.findings.iter().any(|f| {
            f.status == Status::Fail
                && f.severity >= min
                && (!only_new || f.change == Some(vigil_model::Change::New))
        }),
    };
    if failing {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

/// Writes to stdout; a closed pipe (`vigil rules list | head`) is not an error.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
