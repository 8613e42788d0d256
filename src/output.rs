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
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// A file written next to its destination and renamed over it by [`AtomicFile::commit`]: a
/// report is streamed to disk as it is rendered (never held whole in memory), and a failed or
/// abandoned write leaves neither a partial file nor the temporary one behind.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "out".into());
        let tmp = dir.join(format!(".{name}.vigil-tmp-{}", std::process::id()));
        let file = std::fs::File::create(&tmp)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            out: Some(std::io::BufWriter::with_capacity(256 * 1024, file)),
        })
    }

    /// Flushes, syncs and renames the temporary file over the destination.
    pub fn commit(mut self) -> std::io::Result<()> {
        let out = self.out.take().expect("an AtomicFile is committed once");
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().map_or(Ok(0), |o| o.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self.out.as_mut() {
            Some(o) => o.write_all(buf),
            None => Ok(()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().map_or(Ok(()), |o| o.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not committed (or the rename failed): the destination is untouched.
        drop(self.out.take());
        let _ = std::fs::remove_file(&self.tmp);
    }
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

    /// Files in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_atomic_file_replaces_its_destination_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("vigil-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("report.json");
        std::fs::write(&dest, "previous").unwrap();

        // Abandoned half-way (a later report failed): the old file stays, no temporary file.
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(&vec![b'x'; 1 << 20]).unwrap();
        assert_eq!(
            listing(&dir).len(),
            2,
            "the temporary file exists while writing"
        );
        drop(f);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "previous");
        assert_eq!(listing(&dir), ["report.json"]);

        // Committed: replaced whole, more than one buffer's worth, and nothing else left.
        let mut f = AtomicFile::create(&dest).unwrap();
        for i in 0..100_000 {
            writeln!(f, "line {i}").unwrap();
        }
        f.commit().unwrap();
        let text = std::fs::read_to_string(&dest).unwrap();
        assert_eq!(text.lines().count(), 100_000);
        assert!(text.ends_with("line 99999\n"));
        assert_eq!(listing(&dir), ["report.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
