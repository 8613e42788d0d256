//! `# METADATA` comment blocks: the rule's id, title, severity and documentation.
//!
//! regorus has no `rego.metadata`, so the block is read here, the same way OPA reads it:
//! the comment lines right after `# METADATA` hold YAML.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vigil_model::{Related, Severity};

/// Everything vigil knows about a rule, from its `# METADATA` block and its package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub resource_types: Vec<String>,
    pub remediation: String,
    /// The controls of other frameworks this rule corresponds to (`custom.related`).
    #[serde(serialize_with = "vigil_model::shared_related::serialize")]
    pub related: Arc<Related>,
    /// Rego package, e.g. `vigil.rules.lambda.no_vpc`.
    pub package: String,
    /// Where the rule came from: `builtin:lambda/no_vpc.rego` or a file path.
    pub source: String,
}

// OPA's standard annotation keys are accepted (so blocks written for OPA parse) but unused.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    related_resources: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    authors: Option<serde_yaml_ng::Value>,
    custom: Option<RawCustom>,
}

// vigil's own keys: any other key under `custom:` is a typo (`remediaton:`) and an error, never
// silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustom {
    id: Option<String>,
    severity: Option<String>,
    resource_types: Option<Vec<String>>,
    remediation: Option<String>,
    related: Option<Related>,
}

/// A problem in a `# METADATA` block, with the 1-based line it points at.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaError {
    pub line: usize,
    pub message: String,
}

/// Finds the first `# METADATA` block of `text` and returns its YAML and its first line number.
fn metadata_block(text: &str) -> Option<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim() == "# METADATA")?;
    let mut yaml = String::new();
    for line in &lines[start + 1..] {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix('#') else {
            break;
        };
        // OPA strips exactly one space after '#'.
        yaml.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        yaml.push('\n');
    }
    Some((yaml, start + 1))
}

/// Parses the `# METADATA` block of a rule file. `package` and `source` are recorded as given.
pub fn parse(text: &str, package: &str, source: &str) -> Result<RuleMeta, MetaError> {
    let Some((yaml, header_line)) = metadata_block(text) else {
        return Err(MetaError {
            line: 1,
            message: "no '# METADATA' block (rules need title, custom.id, custom.severity, custom.resource_types)".into(),
        });
    };
    let raw: RawMeta = serde_yaml_ng::from_str(&yaml).map_err(|e| MetaError {
        line: header_line + e.location().map(|l| l.line()).unwrap_or(1),
        message: format!("METADATA is not valid: {e}"),
    })?;
    let at = |key: &str| -> usize {
        yaml.lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map(|i| header_line + 1 + i)
            .unwrap_or(header_line)
    };
    let missing = |key: &str| MetaError {
        line: header_line,
        message: format!("METADATA has no '{key}'"),
    };
    let custom = raw.custom.ok_or_else(|| missing("custom"))?;
    let id = custom.id.ok_or_else(|| missing("custom.id"))?;
    if !valid_rule_id(&id) {
        return Err(MetaError {
            line: at("id"),
            message: format!("rule id '{id}' is not of the form VGL-<AREA>-<NNN> or <PREFIX>-<AREA>-<NNN> (upper-case letters, digits, dashes)"),
        });
    }
    let severity_raw = custom.severity.ok_or_else(|| missing("custom.severity"))?;
    let severity: Severity = severity_raw
        .parse()
        .map_err(|e: vigil_model::UnknownSeverity| MetaError {
            line: at("severity"),
            message: e.to_string(),
        })?;
    let resource_types = custom
        .resource_types
        .ok_or_else(|| missing("custom.resource_types"))?;
    if resource_types.is_empty() {
        return Err(MetaError {
            line: at("resource_types"),
            message: "custom.resource_types is empty".into(),
        });
    }
    for t in &resource_types {
        if !vigil_model::RESOURCE_TYPES.contains(&t.as_str()) {
            return Err(MetaError {
                line: at("resource_types"),
                message: format!(
                    "unknown resource type '{t}' (known: {})",
                    vigil_model::RESOURCE_TYPES.join(", ")
                ),
            });
        }
    }
    let title = raw
        .title
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| missing("title"))?;
    Ok(RuleMeta {
        id,
        title: title.trim().to_string(),
        description: raw.description.unwrap_or_default().trim().to_string(),
        severity,
        resource_types,
        remediation: custom.remediation.unwrap_or_default().trim().to_string(),
        related: Arc::new(custom.related.unwrap_or_default()),
        package: package.to_string(),
        source: source.to_string(),
    })
}

/// Rule ids are upper-case words separated by dashes ending in a number: `VGL-LAMBDA-001`.
fn valid_rule_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// The 1-based line of `key:` inside the `# METADATA` block (e.g. the `id:` line).
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let (yaml, header) = metadata_block(text)?;
    yaml.lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map(|i| header + 1 + i)
}

/// Reads `package a.b.c` from Rego text (first `package` line) with its line number.
pub fn package_of(text: &str) -> Option<(String, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.trim();
        l.strip_prefix("package ")
            .map(|p| (p.trim().to_string(), i + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# METADATA\n# title: T\n# description: >-\n#   long\n#   text\n# custom:\n#   id: VGL-LAMBDA-001\n#   severity: medium\n#   resource_types: [AWS::Lambda::Function]\n#   remediation: Fix it.\npackage vigil.rules.lambda.x\n";

    #[test]
    fn parses_a_complete_block() {
        let m = parse(GOOD, "vigil.rules.lambda.x", "f.rego").unwrap();
        assert_eq!(m.id, "VGL-LAMBDA-001");
        assert_eq!(m.severity, Severity::Medium);
        assert_eq!(m.description, "long text");
        assert_eq!(m.resource_types, vec!["AWS::Lambda::Function"]);
    }

    #[test]
    fn reports_the_line_of_a_bad_severity() {
        let bad = GOOD.replace("severity: medium", "severity: urgent");
        let e = parse(&bad, "p", "f").unwrap_err();
        assert_eq!(e.line, 8);
        assert!(e.message.contains("urgent"), "{}", e.message);
    }

    #[test]
    fn rejects_missing_id_unknown_type_and_missing_block() {
        let no_id = GOOD.replace("#   id: VGL-LAMBDA-001\n", "");
        assert!(parse(&no_id, "p", "f")
            .unwrap_err()
            .message
            .contains("custom.id"));
        let bad_type = GOOD.replace("AWS::Lambda::Function", "AWS::EC2::Instance");
        assert!(parse(&bad_type, "p", "f")
            .unwrap_err()
            .message
            .contains("AWS::EC2::Instance"));
        assert!(parse("package x\n", "p", "f")
            .unwrap_err()
            .message
            .contains("no '# METADATA'"));
        let typo = GOOD.replace("remediation:", "remediaton:");
        let e = parse(&typo, "p", "f").unwrap_err();
        assert_eq!(e.line, 10, "{}", e.message);
        assert!(e.message.contains("remediaton"), "{}", e.message);
        let bad_id = GOOD.replace("VGL-LAMBDA-001", "lambda1");
        assert!(parse(&bad_id, "p", "f")
            .unwrap_err()
            .message
            .contains("lambda1"));
    }
}
