//! What happens to a finished result before it is compared and reported: severity overrides,
//! then suppressions (as of a given day).
//!
//! A suppression mutes matching `fail` findings (status `muted`, with its reason) until its
//! expiry date; from the day after, the finding fails again and a warning says which
//! suppression expired. A suppression that matched nothing in this run's scope is stale and is
//! reported, so the configuration does not silently accumulate dead entries.

use globset::{GlobBuilder, GlobMatcher};
use std::collections::BTreeMap;
use vigil_model::{
    Finding, ScanResult, Severity, Status, SuppressionNote, SuppressionReport, GLOBAL,
};

/// Severity overrides and suppressions (vigil.toml's `[severity]` and `[[suppressions]]`).
#[derive(Debug, Clone, Default)]
pub struct PostProcess {
    /// Severity per rule id.
    pub severity: BTreeMap<String, Severity>,
    /// Suppressions, in the order they are tried.
    pub suppressions: Vec<Suppression>,
}

/// One suppression.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// Rule id, exactly.
    pub rule: String,
    /// Only in this account.
    pub account: Option<String>,
    /// Only in this region (`global` for account-level resources).
    pub region: Option<String>,
    /// Only resources whose ARN matches this glob (see [`glob`]).
    pub resource: Option<GlobMatcher>,
    /// Why the failure is accepted.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
    /// Last day the suppression applies.
    pub expires: time::Date,
    /// Where it was written (`file:line`), for messages.
    pub location: String,
}

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

impl Suppression {
    fn matches(&self, f: &Finding) -> bool {
        self.rule == f.rule_id
            && self.account.as_ref().is_none_or(|a| *a == f.account_id)
            && self.region.as_ref().is_none_or(|r| *r == f.region)
            && self
                .resource
                .as_ref()
                .is_none_or(|g| g.is_match(f.resource_arn.as_str()))
    }

    /// Whether this run could have produced a finding it matches.
    fn in_scope(&self, result: &ScanResult) -> bool {
        self.account
            .as_ref()
            .is_none_or(|a| result.accounts.iter().any(|x| x.id == *a))
            && self
                .region
                .as_ref()
                .is_none_or(|r| r == GLOBAL || result.regions.contains(r))
    }
}

impl PostProcess {
    /// Applies severity overrides, then suppressions as of `today`.
    pub fn apply(&self, result: &mut ScanResult, today: time::Date) {
        self.apply_severity(result);
        self.apply_suppressions(result, today);
    }

    /// Applies `[severity]` overrides to every finding and to the rule registry.
    fn apply_severity(&self, result: &mut ScanResult) {
        if self.severity.is_empty() {
            return;
        }
        for f in &mut result.findings {
            if let Some(s) = self.severity.get(f.rule_id.as_str()) {
                f.severity = *s;
            }
        }
        for r in &mut result.rules {
            if let Some(s) = self.severity.get(&r.id) {
                r.severity = *s;
            }
        }
    }

    /// Mutes, un-mutes expired suppressions with a warning, reports stale ones.
    fn apply_suppressions(&self, result: &mut ScanResult, today: time::Date) {
        let mut used = vec![0u64; self.suppressions.len()];
        for f in &mut result.findings {
            if f.status != Status::Fail {
                continue;
            }
            let Some((i, s)) = self
                .suppressions
                .iter()
                .enumerate()
                .find(|(_, s)| s.matches(f))
            else {
                continue;
            };
            used[i] += 1;
            if s.expires >= today {
                f.status = Status::Muted;
                f.suppression = Some(SuppressionNote {
                    reason: s.reason.clone(),
                    approved_by: Some(s.approved_by.clone()),
                    expires: Some(s.expires.to_string()),
                });
            }
        }
        for (s, n) in self.suppressions.iter().zip(&used) {
            let entry = SuppressionReport {
                location: s.location.clone(),
                rule_id: s.rule.clone(),
                reason: s.reason.clone(),
                expires: s.expires.to_string(),
                matched: *n,
            };
            if s.expires < today {
                if *n > 0 {
                    result.warnings.push(format!(
                        "{}: suppression of {} expired on {}; its {n} finding(s) fail again",
                        s.location, s.rule, s.expires
                    ));
                }
                result.expired_suppressions.push(entry);
            } else if *n == 0 && s.in_scope(result) {
                result.warnings.push(format!(
                    "{}: suppression of {} matched no failing finding (stale; remove it?)",
                    s.location, s.rule
                ));
                result.stale_suppressions.push(entry);
            }
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
