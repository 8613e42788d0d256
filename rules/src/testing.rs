//! `vigil rules test`: runs the `test_*` rules of Rego test files, as `opa test` would
//! (regorus has no test runner of its own).

use crate::{builtin_files, dir_files, params, LoadError, PolicyFile, PolicySet};
use include_dir::{include_dir, Dir};
use serde_json::{Map, Value};
use std::path::Path;

/// Fixture resource documents, shared by Rego tests, Rust tests and the demo.
pub static FIXTURE_DOCUMENTS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../fixtures/documents");

/// The outcome of one Rego test rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestOutcome {
    /// `data.vigil.rules.lambda.no_vpc_test.test_vpc_function_fails`
    pub name: String,
    pub file: String,
    pub passed: bool,
    /// Why it failed: `false`, `undefined`, or the evaluation error.
    pub detail: String,
}

/// `data.fixtures.<service>.<stem>` for every `fixtures/documents/<service>/<stem>.json`.
pub fn fixture_data() -> Result<Value, LoadError> {
    let mut services = Map::new();
    for dir in FIXTURE_DOCUMENTS.dirs() {
        let service = dir
            .path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let mut docs = Map::new();
        for f in dir
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        {
            let stem = f
                .path()
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let v: Value = serde_json::from_slice(f.contents()).map_err(|e| {
                LoadError::new(
                    format!("fixtures/documents/{}", f.path().display()),
                    format!("invalid JSON: {e}"),
                )
            })?;
            docs.insert(stem, v);
        }
        services.insert(service, Value::Object(docs));
    }
    let mut root = Map::new();
    root.insert("fixtures".into(), Value::Object(services));
    Ok(Value::Object(root))
}

/// Every fixture document, in a stable order.
pub fn fixture_documents() -> Vec<vigil_model::Document> {
    let mut out: Vec<vigil_model::Document> = named_fixture_documents()
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    out.sort_by(|a, b| (&a.resource_type, &a.resource_id).cmp(&(&b.resource_type, &b.resource_id)));
    out
}

/// Every fixture document with its path below fixtures/documents (`lambda/compliant.json`),
/// sorted by path.
pub fn named_fixture_documents() -> Vec<(String, vigil_model::Document)> {
    let mut out = Vec::new();
    for dir in FIXTURE_DOCUMENTS.dirs() {
        for f in dir
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        {
            if let Ok(d) = serde_json::from_slice::<vigil_model::Document>(f.contents()) {
                out.push((f.path().display().to_string(), d));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// What a rule says about each fixture document of its resource types: `(fixture, verdicts)`,
/// each a `fail` or `error` finding's status and message, none meaning it passes.
/// `vigil rules show` prints these as examples.
pub fn examples(
    set: &PolicySet,
    rule_id: &str,
) -> Vec<(String, Vec<(vigil_model::Status, String)>)> {
    let Some(rule) = set.rule(rule_id) else {
        return Vec::new();
    };
    let mut ev = set.evaluator();
    let mut out = Vec::new();
    for (name, doc) in named_fixture_documents() {
        if !rule.resource_types.contains(&doc.resource_type) {
            continue;
        }
        let mut findings = Vec::new();
        let ctx = vigil_model::AccountContext {
            id: doc.aws_account_id.clone(),
            ..Default::default()
        };
        ev.evaluate(&doc, &ctx, &vigil_model::OrgInfo::default(), &mut findings);
        let msgs = findings
            .into_iter()
            .filter(|f| f.rule_id == rule.id && f.status != vigil_model::Status::Pass)
            .map(|f| (f.status, f.message))
            .collect();
        out.push((name, msgs));
    }
    out
}

/// Names of `test_*` rules declared in a Rego file, in order of appearance.
pub fn test_rule_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        if line.len() != l.len() {
            continue; // only rule heads at column 0
        }
        let Some(rest) = l.strip_prefix("test_") else {
            continue;
        };
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let name = format!("test_{ident}");
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Runs the tests of the built-in library (`dir == None`) or of a user policy directory
/// (whose rules are loaded beside the built-in library, so they may share helpers).
pub fn run(dir: Option<&Path>) -> Result<Vec<TestOutcome>, LoadError> {
    let mut files: Vec<PolicyFile> = builtin_files();
    if let Some(d) = dir {
        files.retain(|f| !f.is_test());
        files.extend(dir_files(d)?);
    }
    let mut set = PolicySet::from_files(&files, params::defaults(), fixture_data()?)?;
    let mut outcomes = Vec::new();
    let tests: Vec<&PolicyFile> = files
        .iter()
        .filter(|f| f.is_test() && (dir.is_none() || !f.name.starts_with("builtin:")))
        .collect();
    if tests.is_empty() {
        return Err(LoadError::new(
            dir.map(|d| d.display().to_string())
                .unwrap_or_else(|| "builtin".into()),
            "no *_test.rego files found",
        ));
    }
    let engine = set.engine_mut();
    engine.set_input(regorus::Value::Undefined);
    // OPA turns a builtin's error (a type error, mostly) into undefined where regorus, by
    // default, raises it: every test runs both ways and must give the same result, so that
    // no rule depends on either behaviour (the policies guard types explicitly instead).
    let mut lenient = engine.clone();
    lenient.set_strict_builtin_errors(false);
    for f in tests {
        let Some((pkg, _)) = crate::metadata::package_of(&f.text) else {
            continue;
        };
        for t in test_rule_names(&f.text) {
            let name = format!("data.{pkg}.{t}");
            let strict = engine.eval_rule(name.clone());
            let opa_like = lenient.eval_rule(name.clone());
            let differs = match (&strict, &opa_like) {
                (Ok(a), Ok(b)) => a != b,
                (Err(_), Err(_)) => false,
                _ => true,
            };
            if differs {
                let shown = |r: &Result<regorus::Value, _>| match r {
                    Ok(v) => v.to_json_str().unwrap_or_default(),
                    Err(e) => format!("error: {e}"),
                };
                outcomes.push(TestOutcome {
                    name,
                    file: f.name.clone(),
                    passed: false,
                    detail: format!(
                        "depends on how builtin errors are treated: {} with regorus' strict builtin errors, {} with OPA's (errors are undefined)",
                        shown(&strict).trim(),
                        shown(&opa_like).trim()
                    ),
                });
                continue;
            }
            let (passed, detail) = match strict {
                Ok(regorus::Value::Bool(true)) => (true, String::new()),
                Ok(regorus::Value::Undefined) => (
                    false,
                    "undefined (a condition in the test body did not hold)".into(),
                ),
                Ok(v) => (
                    false,
                    format!("evaluated to {}", v.to_json_str().unwrap_or_default()),
                ),
                Err(e) => (false, format!("error: {e}")),
            };
            outcomes.push(TestOutcome {
                name,
                file: f.name.clone(),
                passed,
                detail,
            });
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_that_depends_on_how_builtin_errors_are_treated_fails() {
        let dir = std::env::temp_dir().join(format!("vigil-lenient-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("p_test.rego"),
            "package acme.p_test\nimport rego.v1\n\nnumber(x) := to_number(x)\n\n# OPA: undefined, so `not` holds; regorus (strict): an error.\ntest_not_a_number if { not number(\"abc\") }\n\ntest_guarded if { not is_number(\"abc\") }\n",
        )
        .unwrap();
        let outcomes = run(Some(&dir)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let by_name = |n: &str| outcomes.iter().find(|o| o.name.ends_with(n)).unwrap();
        let dependent = by_name("test_not_a_number");
        assert!(!dependent.passed);
        assert!(
            dependent
                .detail
                .starts_with("depends on how builtin errors are treated"),
            "{}",
            dependent.detail
        );
        assert!(by_name("test_guarded").passed);
    }

    #[test]
    fn finds_test_rule_heads_only_at_column_zero() {
        let src = "package x\ntest_a if { true }\ntest_b := true\n  test_c if { true }\ntest_a if { false }\n";
        assert_eq!(test_rule_names(src), vec!["test_a", "test_b"]);
    }
}
