//! Where reports go: pairing `--format` with `--output`, and writing each one where its path
//! points. A regular file (or a new one) is replaced atomically, so that a failed run never
//! leaves a partial report behind; a symlink is followed and its target replaced; a FIFO, a
//! character device or `/dev/fd/N` (process substitution) is written in place, never replaced.

use crate::cli::Format;
use crate::UsageError;
use std::path::{Path, PathBuf};

/// One report to produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub format: Format,
    /// `None` = stdout.
    pub path: Option<PathBuf>,
}

/// Pairs formats and outputs by their position on the command line: each `--output` takes the
/// closest `--format` before it. Without any `--format`, the table goes to stdout (or to the
/// single `--output`).
pub fn pair(
    formats: &[Format],
    format_idx: &[usize],
    outputs: &[PathBuf],
    output_idx: &[usize],
) -> Result<Vec<Destination>, UsageError> {
    if formats.is_empty() {
        return match outputs {
            [] => Ok(vec![Destination {
                format: Format::Table,
                path: None,
            }]),
            [one] => Ok(vec![Destination {
                format: Format::Table,
                path: Some(one.clone()),
            }]),
            _ => Err(UsageError(
                "several --output given but no --format: write `--format F --output PATH` for each"
                    .into(),
            )),
        };
    }
    let mut dests: Vec<Destination> = formats
        .iter()
        .map(|f| Destination {
            format: *f,
            path: None,
        })
        .collect();
    for (out, &oi) in outputs.iter().zip(output_idx) {
        let Some(fpos) = format_idx.iter().rposition(|&fi| fi < oi) else {
            return Err(UsageError(format!(
                "--output {} comes before any --format: put `--format F` before it",
                out.display()
            )));
        };
        if let Some(prev) = &dests[fpos].path {
            return Err(UsageError(format!(
                "--output {} and --output {} both follow the same --format; give each output its own --format",
                prev.display(),
                out.display()
            )));
        }
        dests[fpos].path = Some(out.clone());
    }
    let to_stdout = dests.iter().filter(|d| d.path.is_none()).count();
    if to_stdout > 1 {
        return Err(UsageError(
            "more than one --format would go to stdout: give all but one an --output PATH".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for d in &dests {
        if let Some(p) = &d.path {
            if !seen.insert(p.clone()) {
                return Err(UsageError(format!(
                    "--output {} is given twice",
                    p.display()
                )));
            }
        }
    }
    Ok(dests)
}

/// Fails early (before any AWS call) when a report cannot be written where asked (see
/// [`vigil_run::output::check_writable`]).
pub fn check_writable(path: &Path, flag: &str) -> Result<(), UsageError> {
    vigil_run::output::check_writable(path, flag).map_err(UsageError)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn pairs_outputs_with_the_preceding_format() {
        // --format table --format json --output a.json
        let d = pair(
            &[Format::Table, Format::Json],
            &[2, 4],
            &[p("a.json")],
            &[6],
        )
        .unwrap();
        assert_eq!(
            d[0],
            Destination {
                format: Format::Table,
                path: None
            }
        );
        assert_eq!(
            d[1],
            Destination {
                format: Format::Json,
                path: Some(p("a.json"))
            }
        );
    }

    #[test]
    fn defaults_and_bad_pairings() {
        assert_eq!(pair(&[], &[], &[], &[]).unwrap()[0].format, Format::Table);
        assert!(pair(&[Format::Json], &[4], &[p("a")], &[2])
            .unwrap_err()
            .0
            .contains("before any --format"));
        assert!(pair(&[Format::Table, Format::Json], &[2, 4], &[], &[])
            .unwrap_err()
            .0
            .contains("stdout"));
        assert!(pair(&[Format::Json], &[2], &[p("a"), p("b")], &[4, 6])
            .unwrap_err()
            .0
            .contains("same --format"));
    }
}
