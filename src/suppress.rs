//! Severity overrides and suppressions from vigil.toml, applied to a finished result.
//!
//! A suppression mutes matching `fail` findings (status `muted`, with its reason) until its
//! expiry date; from the day after, the finding fails again and a warning says which
//! suppression expired. A suppression that matched nothing in this run's scope is stale and is
//! reported, so the file does not silently accumulate dead entries.

use crate::config::{expiry_date, ConfigFile, Suppression};
use crate::UsageError;
use globset::{GlobBuilder, GlobMatcher};
use std::collections::HashSet;
use vigil_model::{Status, SuppressionNote};
use vigil_reports::{ScanResult, SuppressionReport};

/// Compiles a resource ARN glob: `*` matches any run of characters (ARNs have no path
/// separator semantics), `?` one character, `[...]` a class.
pub fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| e.kind().to_string())
}

/// Checks the rule ids named by overrides and suppressions against the loaded policy set.
pub fn check_rule_ids(cfg: &ConfigFile, known: &HashSet<&str>) -> Result<(), UsageError> {
    for id in cfg.severity.keys() {
        if !known.contains(id.as_str()) {
            return Err(UsageError(format!(
                "{}: [severity] names unknown rule '{id}'",
                cfg.path.display()
            )));
        }
    }
    for (i, s) in cfg.suppressions.iter().enumerate() {
        if !known.contains(s.rule.as_str()) {
            return Err(UsageError(format!(
                "{}: suppression names unknown rule '{}'",
                cfg.suppression_at(i),
                s.rule
            )));
        }
    }
    Ok(())
}

/// Applies `[severity]` overrides to every finding and to the rule registry.
pub fn apply_severity(cfg: &ConfigFile, result: &mut ScanResult) {
    if cfg.severity.is_empty() {
        return;
    }
    for f in &mut result.findings {
        if let Some(s) = cfg.severity.get(f.rule_id.as_str()) {
            f.severity = *s;
        }
    }
    for r in &mut result.rules {
        if let Some(s) = cfg.severity.get(&r.id) {
            r.severity = *s;
        }
    }
}

struct Compiled<'a> {
    s: &'a Suppression,
    at: String,
    resource: Option<GlobMatcher>,
    expires: time::Date,
}

impl Compiled<'_> {
    fn matches(&self, f: &vigil_model::Finding) -> bool {
        self.s.rule == f.rule_id
            && self.s.account.as_ref().is_none_or(|a| *a == f.account_id)
            && self.s.region.as_ref().is_none_or(|r| *r == f.region)
            && self
                .resource
                .as_ref()
                .is_none_or(|g| g.is_match(&f.resource_arn))
    }

    /// Whether this run could have produced a finding it matches.
    fn in_scope(&self, result: &ScanResult) -> bool {
        self.s
            .account
            .as_ref()
            .is_none_or(|a| result.accounts.iter().any(|x| x.id == *a))
            && self
                .s
                .region
                .as_ref()
                .is_none_or(|r| r == "global" || result.regions.contains(r))
    }
}

/// Applies suppressions as of `today`: mutes, un-mutes expired ones with a warning, reports
/// stale ones. Returns the warnings (also recorded in the result).
pub fn apply_suppressions(cfg: &ConfigFile, result: &mut ScanResult, today: time::Date) {
    let compiled: Vec<Compiled> = cfg
        .suppressions
        .iter()
        .enumerate()
        .map(|(i, s)| Compiled {
            s,
            at: cfg.suppression_at(i),
            // Both were checked when the file was loaded.
            resource: s.resource.as_deref().and_then(|g| glob(g).ok()),
            expires: expiry_date(&s.expires).unwrap_or(time::Date::MIN),
        })
        .collect();
    let mut used = vec![0u64; compiled.len()];
    for f in &mut result.findings {
        if f.status != Status::Fail {
            continue;
        }
        let Some((i, c)) = compiled.iter().enumerate().find(|(_, c)| c.matches(f)) else {
            continue;
        };
        used[i] += 1;
        if c.expires >= today {
            f.status = Status::Muted;
            f.suppression = Some(SuppressionNote {
                reason: c.s.reason.clone(),
                approved_by: Some(c.s.approved_by.clone()),
                expires: Some(c.expires.to_string()),
            });
        }
    }
    for (c, n) in compiled.iter().zip(&used) {
        let entry = SuppressionReport {
            location: c.at.clone(),
            rule_id: c.s.rule.clone(),
            reason: c.s.reason.clone(),
            expires: c.expires.to_string(),
            matched: *n,
        };
        if c.expires < today {
            if *n > 0 {
                result.warnings.push(format!(
                    "{}: suppression of {} expired on {}; its {n} finding(s) fail again",
                    c.at, c.s.rule, c.expires
                ));
            }
            result.expired_suppressions.push(entry);
        } else if *n == 0 && c.in_scope(result) {
            result.warnings.push(format!(
                "{}: suppression of {} matched no failing finding (stale; remove it?)",
                c.at, c.s.rule
            ));
            result.stale_suppressions.push(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_globs_cross_colons_and_slashes() {
        let g = glob("arn:aws:lambda:*:*:function:legacy-*").unwrap();
        assert!(g.is_match("arn:aws:lambda:eu-west-1:111122223333:function:legacy-orders"));
        assert!(!g.is_match("arn:aws:lambda:eu-west-1:111122223333:function:orders"));
        let g = glob("arn:aws:apigateway:*::/restapis/*").unwrap();
        assert!(g.is_match("arn:aws:apigateway:eu-west-1::/restapis/abc123"));
        assert!(glob("arn:[").is_err());
    }
}
