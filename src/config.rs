//! `vigil.toml`: found in the working directory or given with `--config`.
//!
//! ```toml
//! [scan]                      # defaults for `vigil scan`; a command-line flag wins
//! role_name = "VigilAuditRole"
//! regions = ["eu-west-1", "us-east-1"]
//! services = ["lambda", "dynamodb"]
//! fail_on = "high"
//!
//! [severity]                  # per-rule severity overrides
//! VGL-DDB-003 = "info"
//!
//! [[suppressions]]            # mute known, accepted failures until a date
//! rule = "VGL-LAMBDA-001"
//! account = "111122223333"    # optional; also region, resource (an ARN glob)
//! resource = "arn:aws:lambda:*:*:function:legacy-*"
//! reason = "legacy VPC functions, migration tracked in PLAT-123"
//! approved_by = "jane@example.com"
//! expires = 2027-03-31
//!
//! [params]                    # rule parameters (rules/params.default.json keys)
//! ```
//! Unknown keys are errors everywhere (a typo must not be ignored); errors name the file and line.

use crate::UsageError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use vigil_model::Severity;
use vigil_run::PostProcess;

/// The file's content.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Defaults for `vigil scan`.
    #[serde(default)]
    pub scan: ScanDefaults,
    /// Severity overrides per rule id.
    #[serde(default, deserialize_with = "severities")]
    pub severity: BTreeMap<String, Severity>,
    /// Suppressions, in file order, with their place in the file.
    #[serde(default)]
    pub suppressions: Vec<toml::Spanned<Suppression>>,
    /// Rule parameter overrides, merged over the defaults before `--params`.
    #[serde(default)]
    pub params: Option<toml::Table>,
    /// Where it was read from (for messages).
    #[serde(skip)]
    pub path: PathBuf,
    /// Line of each suppression's `[[suppressions]]` header, in order (for messages).
    #[serde(skip)]
    pub suppression_lines: Vec<usize>,
}

/// `[scan]`: defaults for flags of `vigil scan`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanDefaults {
    pub role_name: Option<String>,
    pub regions: Option<Vec<String>>,
    pub services: Option<Vec<String>>,
    pub accounts: Option<Vec<String>>,
    pub exclude_accounts: Option<Vec<String>>,
    pub fail_on: Option<String>,
}

/// One `[[suppressions]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// Rule id, exactly.
    pub rule: String,
    /// Only in this account.
    pub account: Option<String>,
    /// Only in this region (`global` for account-level resources).
    pub region: Option<String>,
    /// Only resources whose ARN matches this glob (`*` any run of characters, `?` one).
    pub resource: Option<String>,
    /// Why the failure is accepted.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
    /// Last day the suppression applies; from the next day on the finding fails again.
    pub expires: toml::value::Datetime,
}

/// A severity name, parsed where it stands (so an error points at the value's line).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct SeverityName(Severity);

impl TryFrom<String> for SeverityName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map(SeverityName).map_err(|e| format!("{e}"))
    }
}

fn severities<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Severity>, D::Error> {
    let raw = BTreeMap::<String, SeverityName>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// Where the configuration comes from: `--config`, else `./vigil.toml` if present.
pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("vigil.toml")).filter(|p| p.is_file()),
    }
}

/// Loads the configuration named by `--config`, or `./vigil.toml`, or nothing.
pub fn load_located(flag: Option<&Path>) -> Result<ConfigFile, UsageError> {
    match locate(flag) {
        Some(p) => load(&p),
        None => Ok(ConfigFile::default()),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads, parses and checks a configuration file; errors name the file, line and key.
pub fn load(path: &Path) -> Result<ConfigFile, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read config {}: {e}", path.display())))?;
    let mut cfg = toml::from_str::<ConfigFile>(&text).map_err(|e| {
        let line = e.span().map(|s| line_of(&text, s.start));
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        let key = line
            .and_then(|l| key_at(&text, l))
            .map(|k| format!("{k}: "))
            .unwrap_or_default();
        UsageError(format!(
            "{}{at}: {key}{}",
            path.display(),
            e.message().trim()
        ))
    })?;
    cfg.path = path.to_path_buf();
    cfg.suppression_lines = cfg
        .suppressions
        .iter()
        .map(|s| header_line(&text, s.span().start))
        .collect();
    cfg.check()?;
    Ok(cfg)
}

/// The dotted key assigned on line `line` (1-based), with its table header: `scan.regions`.
fn key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let (key, _) = lines.get(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|h| h.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

/// The line of the `[[...]]` header of the table whose span starts at `offset`.
fn header_line(text: &str, offset: usize) -> usize {
    let line = line_of(text, offset);
    text.lines()
        .take(line)
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.trim_start().starts_with("[["))
        .map_or(line, |i| i + 1)
}

impl ConfigFile {
    /// `file:line` of suppression `i` (or just the file).
    pub fn suppression_at(&self, i: usize) -> String {
        match self.suppression_lines.get(i) {
            Some(l) => format!("{}:{l}", self.path.display()),
            None => format!("{} (suppression {})", self.path.display(), i + 1),
        }
    }

    /// Checks the rule ids named by overrides and suppressions against the loaded rules.
    pub fn check_rule_ids(&self, known: &HashSet<&str>) -> Result<(), UsageError> {
        if let Some(id) = self.severity.keys().find(|id| !known.contains(id.as_str())) {
            return Err(UsageError(format!(
                "{}: [severity] names unknown rule '{id}'",
                self.path.display()
            )));
        }
        for (i, s) in self.suppressions.iter().enumerate() {
            if !known.contains(s.get_ref().rule.as_str()) {
                return Err(UsageError(format!(
                    "{}: suppression names unknown rule '{}'",
                    self.suppression_at(i),
                    s.get_ref().rule
                )));
            }
        }
        Ok(())
    }

    /// Severity overrides and suppressions, as the run applies them.
    pub fn post_process(&self) -> PostProcess {
        PostProcess {
            severity: self.severity.clone(),
            suppressions: self
                .suppressions
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let s = s.get_ref();
                    vigil_run::Suppression {
                        rule: s.rule.clone(),
                        account: s.account.clone(),
                        region: s.region.clone(),
                        // Both were checked when the file was loaded.
                        resource: s
                            .resource
                            .as_deref()
                            .and_then(|g| vigil_run::post::glob(g).ok()),
                        reason: s.reason.clone(),
                        approved_by: s.approved_by.clone(),
                        expires: expiry_date(&s.expires).unwrap_or(time::Date::MIN),
                        location: self.suppression_at(i),
                    }
                })
                .collect(),
        }
    }

    /// Checks what serde cannot: dates, ids, non-empty reasons.
    fn check(&self) -> Result<(), UsageError> {
        let file = self.path.display();
        for (i, s) in self.suppressions.iter().enumerate() {
            let s = s.get_ref();
            let at = self.suppression_at(i);
            expiry_date(&s.expires)
                .map_err(|e| UsageError(format!("{at}: suppression of {}: {e}", s.rule)))?;
            if s.reason.trim().is_empty() {
                return Err(UsageError(format!(
                    "{at}: suppression of {} has an empty reason",
                    s.rule
                )));
            }
            if s.approved_by.trim().is_empty() {
                return Err(UsageError(format!(
                    "{at}: suppression of {} has an empty approved_by",
                    s.rule
                )));
            }
            if let Some(a) = &s.account {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(UsageError(format!(
                        "{at}: suppression of {}: account '{a}' is not a 12-digit account id",
                        s.rule
                    )));
                }
            }
            if let Some(g) = &s.resource {
                vigil_run::post::glob(g).map_err(|e| {
                    UsageError(format!(
                        "{at}: suppression of {}: resource glob '{g}': {e}",
                        s.rule
                    ))
                })?;
            }
        }
        if let Some(f) = &self.scan.fail_on {
            if f != "none" && f.parse::<Severity>().is_err() {
                return Err(UsageError(format!(
                    "{file}: scan.fail_on = '{f}' (expected critical, high, medium, low, info or none)"
                )));
            }
        }
        Ok(())
    }
}

/// The expiry as a calendar date: a TOML local date (`2027-03-31`) or a date-time whose date
/// part counts; anything else (a bare time) is an error.
pub fn expiry_date(d: &toml::value::Datetime) -> Result<time::Date, String> {
    let date = d
        .date
        .ok_or_else(|| format!("expires = {d} is not a date (write YYYY-MM-DD)"))?;
    let month = time::Month::try_from(date.month).map_err(|e| format!("expires = {d}: {e}"))?;
    time::Date::from_calendar_date(date.year as i32, month, date.day)
        .map_err(|e| format!("expires = {d}: {e}"))
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

    const SUPP: &str =
        "[[suppressions]]\nrule = \"VGL-LAMBDA-001\"\nreason = \"r\"\napproved_by = \"me\"\n";

    #[test]
    fn reads_scan_defaults_severities_and_suppressions() {
        let p = write(
            "full",
            &format!(
                "[scan]\nregions = [\"eu-west-1\"]\nfail_on = \"high\"\n\n[severity]\nVGL-DDB-003 = \"info\"\n\n{SUPP}expires = 2027-03-31\nresource = \"arn:*:legacy-*\"\n"
            ),
        );
        let c = load(&p).unwrap();
        assert_eq!(
            c.scan.regions.as_deref(),
            Some(&["eu-west-1".to_string()][..])
        );
        assert_eq!(c.severity["VGL-DDB-003"], Severity::Info);
        assert_eq!(c.suppressions.len(), 1);
        assert_eq!(c.suppression_at(0), format!("{}:8", p.display()));
        assert_eq!(
            expiry_date(&c.suppressions[0].get_ref().expires)
                .unwrap()
                .to_string(),
            "2027-03-31"
        );
    }

    #[test]
    fn rejects_bad_dates_severities_and_missing_fields() {
        for (name, text, want) in [
            ("date", format!("{SUPP}expires = \"next year\"\n"), ":5"),
            ("feb30", format!("{SUPP}expires = 2027-02-30\n"), ":5"),
            ("time", format!("{SUPP}expires = 10:00:00\n"), "not a date"),
            ("noexp", SUPP.to_string(), "expires"),
            (
                "sev",
                "[severity]\nVGL-DDB-003 = \"urgent\"\n".to_string(),
                "urgent",
            ),
            (
                "failon",
                "[scan]\nfail_on = \"sometimes\"\n".to_string(),
                "scan.fail_on",
            ),
            (
                "key",
                format!("{SUPP}expires = 2027-01-01\nacount = \"1\"\n"),
                "acount",
            ),
            (
                "acct",
                format!("{SUPP}expires = 2027-01-01\naccount = \"12\"\n"),
                "12-digit",
            ),
        ] {
            let p = write(name, &text);
            let e = load(&p).unwrap_err().0;
            assert!(e.contains(want), "{name}: {e}");
            assert!(e.contains(&p.display().to_string()), "{name}: {e}");
        }
    }
}
