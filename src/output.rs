//! Where reports go: pairing `--format` with `--output`, and writing files atomically so that
//! a failed run never leaves a partial report behind.

use crate::cli::Format;
use crate::UsageError;
use std::io::Write;
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

/// Fails early (before any AWS call) when a file cannot be created where asked.
pub fn check_writable(path: &Path, flag: &str) -> Result<(), UsageError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(UsageError(format!(
            "{flag} {}: directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    if path.is_dir() {
        return Err(UsageError(format!(
            "{flag} {}: is a directory",
            path.display()
        )));
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.vigil-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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
