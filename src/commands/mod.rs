//! One module per subcommand, plus what they share: policy loading and report writing.

pub mod evaluate;
pub mod rules;
pub mod scan;

use crate::cli::{FailOn, Format, PolicyArgs, ReportArgs};
use crate::output::{self, Destination};
use crate::{exit, UsageError};
use clap::ArgMatches;
use std::io::Write;
use std::path::Path;
use vigil_model::Status;
use vigil_reports::json::JsonReporter;
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
    // vigil.toml's [params] first, then --params on top: the more specific source wins.
    let mut overrides: Option<(String, serde_json::Value)> = None;
    if let Some(path) = crate::config::locate(args.config.as_deref()) {
        let cfg = crate::config::load(&path)?;
        if let Some(table) = &cfg.params {
            overrides = Some((
                format!("{} [params]", path.display()),
                crate::config::params_json(table),
            ));
        }
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
    PolicySet::load(&opts).map_err(|e| UsageError(format!("policy error: {e}")))
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
) -> Result<u8, UsageError> {
    let mut rendered = Vec::new();
    for d in dests {
        let mut buf = Vec::new();
        let res = match d.format {
            Format::Json => JsonReporter.write(result, &mut buf),
            Format::Table => {
                let on_tty =
                    d.path.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
                let width = std::env::var("COLUMNS")
                    .ok()
                    .and_then(|c| c.parse().ok())
                    .filter(|_| on_tty);
                TableReporter {
                    color: on_tty && std::env::var_os("NO_COLOR").is_none(),
                    width,
                    fit_terminal: on_tty,
                }
                .write(result, &mut buf)
            }
        };
        res.map_err(|e| UsageError(format!("rendering the report failed: {e}")))?;
        rendered.push((d, buf));
    }
    for (d, buf) in rendered {
        match &d.path {
            Some(p) => output::write_atomic(p, &buf)
                .map_err(|e| UsageError(format!("cannot write --output {}: {e}", p.display())))?,
            None => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`vigil ... | head`) is not an error worth a non-zero exit.
                let _ = out.write_all(&buf).and_then(|_| out.flush());
            }
        }
    }
    Ok(exit_code(result, fail_on))
}

/// 3 when anything could not be assessed, else 1 when a failure reaches `--fail-on`, else 0.
pub fn exit_code(result: &ScanResult, fail_on: FailOn) -> u8 {
    let partial =
        !result.errors.is_empty() || result.findings.iter().any(|f| f.status == Status::Error);
    if partial {
        return exit::PARTIAL;
    }
    let failing = match fail_on {
        FailOn::Never => false,
        FailOn::Severity(min) => result
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity >= min),
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
