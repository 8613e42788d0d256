//! `vigil.toml`: found in the working directory or given with `--config`. Today it holds the
//! `[params]` table (rule parameters, the same keys as rules/params.default.json).

use crate::UsageError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file's content; unknown top-level keys are errors (a typo must not be ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Rule parameter overrides, merged over the defaults before `--params`.
    #[serde(default)]
    pub params: Option<toml::Table>,
}

/// Where the configuration comes from: `--config`, else `./vigil.toml` if present.
pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("vigil.toml")).filter(|p| p.is_file()),
    }
}

/// Reads and parses a configuration file; errors name the file, line and key.
pub fn load(path: &Path) -> Result<ConfigFile, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read config {}: {e}", path.display())))?;
    toml::from_str::<ConfigFile>(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(":{line}")
            })
            .unwrap_or_default();
        UsageError(format!("{}{at}: {}", path.display(), e.message().trim()))
    })
}

/// The `[params]` table as JSON (what the policy engine merges).
pub fn params_json(table: &toml::Table) -> serde_json::Value {
    serde_json::to_value(table).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("vigil-config-{}-{name}.toml", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_params_and_names_line_of_errors() {
        let p = write("ok", "[params.lambda]\nvpc_policy = \"ignore\"\n");
        let c = load(&p).unwrap();
        assert_eq!(
            params_json(c.params.as_ref().unwrap())["lambda"]["vpc_policy"],
            "ignore"
        );
        let p = write("bad", "[params]\nallowed_services = [\"lambda\"\n");
        let e = load(&p).unwrap_err().0;
        assert!(e.contains(".toml:2") || e.contains(".toml:3"), "{e}");
        let p = write("unknown", "\n[parms]\nx = 1\n");
        let e = load(&p).unwrap_err().0;
        assert!(e.contains(":2") && e.contains("parms"), "{e}");
    }
}
