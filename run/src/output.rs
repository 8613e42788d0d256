//! Where reports and snapshots are written: a regular file is replaced atomically, a
//! symlink's target is replaced and the link kept, and FIFOs, character devices and open
//! descriptors (`/dev/fd/N`, process substitution) are written in place, never replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What an output path is, decided by what is there now (symlinks followed to their target).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A regular file, or nothing yet: replaced atomically at this path (the symlink's target
    /// when the path was a symlink), through a temporary file beside it and a rename.
    Replace(PathBuf),
    /// A FIFO, a character device (`/dev/null`, a terminal) or an open descriptor
    /// (`/dev/fd/N`, `/dev/stdout`, process substitution): opened and written in place, never
    /// replaced.
    Direct { path: PathBuf, descriptor: bool },
}

/// Why a path cannot take a report.
#[derive(Debug)]
pub enum Unusable {
    /// Not something a report can be written to (a directory, a socket, ...): says what it is.
    Kind(PathBuf, &'static str),
    /// `/dev/fd/N` (or `/dev/stdout`, ...) names no open descriptor.
    ClosedDescriptor(PathBuf),
    /// The filesystem said no (a symlink loop, a parent that is a file, permissions).
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Kind(p, what) => write!(
                f,
                "{} is {what}: a report goes to a file, a FIFO, a character device or /dev/fd/N",
                p.display()
            ),
            Unusable::ClosedDescriptor(p) => {
                write!(f, "{} is not an open file descriptor", p.display())
            }
            Unusable::Io(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

/// Symlinks followed before giving up, as the kernel does (`ELOOP` after 40).
const MAX_LINKS: usize = 40;

/// Decides how `path` is written: follows symlinks one at a time to their final target (a
/// dangling link resolves to the path it names), stopping early at a file descriptor path,
/// whose link text (`pipe:[123]`) is not a path.
pub fn resolve(path: &Path) -> Result<Target, Unusable> {
    let mut p = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        if is_descriptor(&p) {
            return match std::fs::metadata(&p) {
                Ok(m) => classify(p, m.file_type(), true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(Unusable::ClosedDescriptor(p))
                }
                Err(e) => Err(Unusable::Io(p, e)),
            };
        }
        match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Replace(p)),
            Err(e) => return Err(Unusable::Io(p, e)),
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p).map_err(|e| Unusable::Io(p.clone(), e))?;
                // A relative link is relative to the directory the link is in.
                p = if link.is_absolute() {
                    link
                } else {
                    dir_of(&p).join(link)
                };
            }
            Ok(m) => return classify(p, m.file_type(), false),
        }
    }
    Err(Unusable::Io(
        path.to_path_buf(),
        std::io::Error::other(format!("more than {MAX_LINKS} levels of symbolic links")),
    ))
}

/// `/dev/stdout`, `/dev/stderr`, `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`,
/// `/proc/<pid>/fd/N`: paths that stand for an open descriptor rather than a file.
fn is_descriptor(p: &Path) -> bool {
    let Some(s) = p.to_str() else { return false };
    if matches!(s, "/dev/stdout" | "/dev/stderr" | "/dev/stdin") {
        return true;
    }
    let fd_number = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = s.strip_prefix("/dev/fd/") {
        return fd_number(rest);
    }
    // /proc/self/fd/N, /proc/thread-self/fd/N, /proc/<pid>/fd/N
    match s
        .strip_prefix("/proc/")
        .and_then(|rest| rest.split_once("/fd/"))
    {
        Some((proc, n)) => !proc.contains('/') && fd_number(n),
        None => false,
    }
}

#[cfg(unix)]
fn classify(p: PathBuf, t: std::fs::FileType, descriptor: bool) -> Result<Target, Unusable> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() && !descriptor {
        Ok(Target::Replace(p))
    } else if t.is_file() || t.is_fifo() || t.is_char_device() {
        Ok(Target::Direct {
            path: p,
            descriptor,
        })
    } else if t.is_dir() {
        Err(Unusable::Kind(p, "a directory"))
    } else if t.is_socket() {
        Err(Unusable::Kind(p, "a socket"))
    } else if t.is_block_device() {
        Err(Unusable::Kind(p, "a block device"))
    } else {
        Err(Unusable::Kind(p, "not a file"))
    }
}

#[cfg(not(unix))]
fn classify(p: PathBuf, t: std::fs::FileType, descriptor: bool) -> Result<Target, Unusable> {
    if t.is_file() && !descriptor {
        Ok(Target::Replace(p))
    } else if t.is_dir() {
        Err(Unusable::Kind(p, "a directory"))
    } else {
        Ok(Target::Direct {
            path: p,
            descriptor,
        })
    }
}

/// The directory a path is in (`.` for a bare file name).
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Fails early (before any AWS call) when a report cannot be written where asked: a
/// directory, a socket, a closed `/dev/fd/N`, or a file whose directory does not exist
/// (the symlink's target's directory, for a symlink). Opens nothing: a FIFO would block.
pub fn check_writable(path: &Path, flag: &str) -> Result<(), String> {
    let target = match resolve(path) {
        Ok(Target::Replace(t)) => t,
        Ok(Target::Direct { .. }) => return Ok(()),
        Err(Unusable::Kind(t, what)) if t == path => {
            return Err(format!(
                "{flag} {}: is {what}; a report goes to a file, a FIFO, a character device or /dev/fd/N",
                path.display()
            ))
        }
        Err(e) => return Err(format!("{flag} {}: {e}", path.display())),
    };
    let dir = dir_of(&target);
    if !dir.is_dir() {
        let via = if target == path {
            String::new()
        } else {
            format!(" (the symlink points to {})", target.display())
        };
        return Err(format!(
            "{flag} {}: directory {} does not exist{via}",
            path.display(),
            dir.display()
        ));
    }
    Ok(())
}

/// Writes `bytes` to `path` the way [`OutputFile`] does.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OutputFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// A report being written to where `--output` points (see [`resolve`]). A regular file (or a
/// new one) is streamed into a temporary file beside it and renamed over it by
/// [`OutputFile::commit`], so a failed or abandoned write leaves neither a partial report nor
/// the temporary file behind, and a symlink keeps pointing at its (replaced) target. A FIFO,
/// a character device or a `/dev/fd/N` is written in place as the report is rendered: it
/// cannot be replaced, and its reader gets what was written.
pub struct OutputFile {
    out: Option<std::io::BufWriter<std::fs::File>>,
    /// For a replaced file: the temporary file (removed on drop unless persisted) and the path
    /// it is renamed to.
    replace: Option<(tempfile::TempPath, PathBuf)>,
}

impl OutputFile {
    pub fn create(path: &Path) -> std::io::Result<OutputFile> {
        let unusable = |e: Unusable| match e {
            Unusable::Io(_, e) => e,
            other => std::io::Error::other(other.to_string()),
        };
        let (file, replace) = match resolve(path).map_err(unusable)? {
            Target::Direct { path, descriptor } => {
                // No truncation and no creation: a FIFO or a device has no length, and a
                // descriptor that is a file (`--output /dev/stdout >> log`) is appended to,
                // as the shell opened it.
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .append(descriptor)
                    .open(&path)?;
                (file, None)
            }
            Target::Replace(dest) => {
                let name = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "out".into());
                let prefix = format!(".{name}.");
                let mut builder = tempfile::Builder::new();
                builder.prefix(&prefix).suffix(".vigil-tmp");
                #[cfg(unix)]
                {
                    // As `File::create` would (the umask applies), not tempfile's 0600.
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(0o666));
                }
                let (file, tmp) = builder.tempfile_in(dir_of(&dest))?.into_parts();
                // A file that is replaced keeps its permissions (a report made private stays so).
                if let Ok(m) = std::fs::metadata(&dest) {
                    file.set_permissions(m.permissions())?;
                }
                (file, Some((tmp, dest)))
            }
        };
        Ok(OutputFile {
            out: Some(std::io::BufWriter::with_capacity(256 * 1024, file)),
            replace,
        })
    }

    /// Flushes the report; for a replaced file, syncs it and renames it over its destination.
    pub fn commit(mut self) -> std::io::Result<()> {
        let out = self.out.take().expect("an OutputFile is committed once");
        let file = out.into_inner().map_err(|e| e.into_error())?;
        let Some((tmp, dest)) = self.replace.take() else {
            return Ok(());
        };
        file.sync_all()?;
        drop(file);
        // On failure the temporary path comes back inside the error and is removed with it.
        tmp.persist(&dest).map_err(|e| e.error)
    }
}

impl Write for OutputFile {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_output_file_replaces_its_destination_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("vigil-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("report.json");
        std::fs::write(&dest, "previous").unwrap();

        // Abandoned half-way (a later report failed): the old file stays, no temporary file.
        let mut f = OutputFile::create(&dest).unwrap();
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
        let mut f = OutputFile::create(&dest).unwrap();
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
    #[cfg(unix)]
    #[test]
    fn resolves_what_a_path_is() {
        let dir = std::env::temp_dir().join(format!("vigil-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let file = dir.join("sub/r.json");
        std::fs::write(&file, "x").unwrap();
        let link = |name: &str, to: &str| {
            std::os::unix::fs::symlink(to, dir.join(name)).unwrap();
            dir.join(name)
        };
        let replace = |p: PathBuf| Ok::<_, ()>(Target::Replace(p));
        let r = |p: &Path| resolve(p).map_err(|_| ());

        assert_eq!(r(&file), replace(file.clone()));
        assert_eq!(r(&dir.join("new.json")), replace(dir.join("new.json")));
        // Relative links resolve against their own directory, through chains.
        let rel = link("rel.json", "sub/r.json");
        assert_eq!(r(&rel), replace(dir.join("sub/r.json")));
        let chain = link("chain.json", "rel.json");
        assert_eq!(r(&chain), replace(dir.join("sub/r.json")));
        let dangling = link("dangling.json", "sub/later.json");
        assert_eq!(r(&dangling), replace(dir.join("sub/later.json")));
        let abs = link("abs.json", file.to_str().unwrap());
        assert_eq!(r(&abs), replace(file.clone()));

        assert!(matches!(
            resolve(Path::new("/dev/null")),
            Ok(Target::Direct {
                descriptor: false,
                ..
            })
        ));
        assert!(matches!(
            resolve(Path::new("/dev/stderr")),
            Ok(Target::Direct {
                descriptor: true,
                ..
            }) | Err(Unusable::Kind(..))
        ));
        assert!(matches!(
            resolve(Path::new("/dev/fd/987654")),
            Err(Unusable::ClosedDescriptor(_))
        ));
        assert!(matches!(
            resolve(&dir),
            Err(Unusable::Kind(_, "a directory"))
        ));
        let to_dir = link("to-dir", "sub");
        assert!(matches!(
            resolve(&to_dir),
            Err(Unusable::Kind(_, "a directory"))
        ));
        let sock = dir.join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert!(matches!(resolve(&sock), Err(Unusable::Kind(_, "a socket"))));
        let looped = link("loop-a", "loop-b");
        link("loop-b", "loop-a");
        assert!(matches!(resolve(&looped), Err(Unusable::Io(..))));

        for (p, needle) in [
            (dir.clone(), "is a directory"),
            (sock.clone(), "is a socket"),
            (dir.join("no/r.json"), "does not exist"),
            (link("into-nowhere", "no/r.json"), "the symlink points to"),
        ] {
            let e = check_writable(&p, "--output").unwrap_err();
            assert!(e.starts_with("--output ") && e.contains(needle), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn descriptor_paths() {
        for p in [
            "/dev/stdout",
            "/dev/fd/3",
            "/proc/self/fd/12",
            "/proc/42/fd/1",
        ] {
            assert!(is_descriptor(Path::new(p)), "{p}");
        }
        for p in [
            "/dev/fd/",
            "/dev/fd/x",
            "/proc/self/fdinfo/1",
            "/proc/1/task/1/fd/1",
            "fd/3",
        ] {
            assert!(!is_descriptor(Path::new(p)), "{p}");
        }
    }
}
