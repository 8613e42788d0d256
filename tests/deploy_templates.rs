//! Deployment templates: both pass cfn-lint (pinned in tests/requirements.txt), and their IAM
//! policies cover exactly what vigil calls.
//!
//! The operations vigil calls are derived from its source, not from a list kept by hand: every
//! `.snake_case(` method call in a workspace source file that names an AWS SDK crate
//! (`aws_sdk_lambda`, ...) and that is an operation of that crate (the crate's own
//! `src/operation/<op>.rs`, found through Cargo.lock in the cargo registry) is an API call.
//! Adding a collector call without adding its permission to deploy/member-role.yaml (and the
//! scanner's role in deploy/template.yaml) fails these tests.
//!
//! Templates are read through cfn-lint's own decoder (the venv's Python), which understands
//! CloudFormation's short-form intrinsics (`!Sub`, `!Ref`, ...) that plain YAML parsers reject.
//!
//! The event path (issue 15): the member accounts' forwarding rule, the central bus and its
//! organization-only policy, the encrypted queue and dead-letter queue, the event source
//! mapping; the rules' event pattern is checked against vigil's table of supported events
//! (`vigil_model::change`) and the published CloudTrail samples under `fixtures/events/`.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const MEMBER_ROLE: &str = "deploy/member-role.yaml";
const TEMPLATE: &str = "deploy/template.yaml";

/// Workspace source directories searched for SDK calls.
const SOURCE_DIRS: &[&str] = &[
    "scanner/src",
    "src",
    "reports/src",
    "rules/src",
    "model/src",
    "run/src",
];

/// SDK crates whose calls the member role does not serve: Organizations is read with the
/// caller's (management or delegated administrator) credentials, and STS is the caller
/// assuming the member role.
const CALLER_ONLY_SDKS: &[&str] = &["organizations", "sts"];

/// Calls no IAM policy can grant or deny.
const NO_PERMISSION_NEEDED: &[&str] = &["sts:GetCallerIdentity"];

/// The environment of the scheduled function (src reads these in Lambda mode).
const FUNCTION_ENV: &[&str] = &[
    "VIGIL_ROLE_NAME",
    "VIGIL_EXTERNAL_ID",
    "VIGIL_REGIONS",
    "VIGIL_SERVICES",
    "VIGIL_SNS_TOPIC_ARN",
    "VIGIL_STATE_TABLE",
    "VIGIL_CONCURRENCY",
    "VIGIL_FIRST_RUN_CAP",
    "VIGIL_SNS_FORMAT",
    "VIGIL_SECURITY_HUB",
    "VIGIL_REPORT_BUCKET",
    "VIGIL_REPORT_KMS_KEY",
];

fn venv_bin(name: &str) -> PathBuf {
    let p = support::venv().join("bin").join(name);
    assert!(
        p.exists(),
        "{} not found: create the venv (python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt, or tests/run.sh) or set VIGIL_VENV",
        p.display()
    );
    p
}

// ---------------------------------------------------------------------------------------------
// cfn-lint

#[test]
fn templates_pass_cfn_lint() {
    let out = Command::new(venv_bin("cfn-lint"))
        .current_dir(support::root())
        .args(["--format", "json", "--include-checks", "I", "--"])
        .args([TEMPLATE, MEMBER_ROLE])
        .output()
        .expect("run cfn-lint");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let matches: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("cfn-lint did not print JSON ({e}); stdout:\n{stdout}\nstderr:\n{stderr}")
    });
    let matches = matches.as_array().expect("cfn-lint JSON is an array");
    let listed: Vec<String> = matches
        .iter()
        .map(|m| {
            format!(
                "{} {}:{} {}",
                m["Rule"]["Id"].as_str().unwrap_or("?"),
                m["Filename"].as_str().unwrap_or("?"),
                m["Location"]["Start"]["LineNumber"],
                m["Message"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert!(
        listed.is_empty(),
        "cfn-lint found problems:\n{}",
        listed.join("\n")
    );
    assert!(
        out.status.success(),
        "cfn-lint exited with {}; stderr:\n{stderr}",
        out.status
    );
}

// ---------------------------------------------------------------------------------------------
// Templates as JSON

/// A template decoded by cfn-lint: short-form intrinsics become `{"Fn::Sub": ...}` etc.
fn template(rel: &str) -> Value {
    const DECODE: &str = "import json, sys\n\
from cfnlint.decode import decode\n\
tpl, errors = decode(sys.argv[1])\n\
if errors or tpl is None: sys.exit('cannot decode %s: %s' % (sys.argv[1], errors))\n\
json.dump(tpl, sys.stdout)\n";
    let out = Command::new(venv_bin("python"))
        .current_dir(support::root())
        .args(["-c", DECODE, rel])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "decoding {rel} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("decoded template is JSON")
}

/// A JSON value that may be one item or a list of them, as a list.
fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// A list item that may be conditional (`!If [Cond, item, !Ref AWS::NoValue]`): the items it
/// can be, `AWS::NoValue` left out.
fn conditional(v: &Value) -> Vec<&Value> {
    match v.get("Fn::If").and_then(Value::as_array) {
        Some(branches) if branches.len() == 3 => branches[1..]
            .iter()
            .filter(|b| b.get("Ref").and_then(Value::as_str) != Some("AWS::NoValue"))
            .flat_map(conditional)
            .collect(),
        Some(_) => panic!("malformed Fn::If: {v}"),
        None => vec![v],
    }
}

/// Every statement of a role's inline policies (conditional policies and statements included).
fn role_statements(role: &Value) -> Vec<&Value> {
    let props = &role["Properties"];
    assert!(
        props.get("ManagedPolicyArns").is_none(),
        "roles use inline policies only (managed policies are not checked)"
    );
    one_or_many(&props["Policies"])
        .into_iter()
        .flat_map(conditional)
        .flat_map(|p| one_or_many(&p["PolicyDocument"]["Statement"]))
        .flat_map(conditional)
        .collect()
}

/// Case-insensitive IAM wildcard match (`*` any run, `?` one character).
fn iam_match(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

/// Actions of the Allow statements, and an error for anything that is not a plain
/// Allow/Action/Resource statement with a Sid.
fn allowed_actions(statements: &[&Value]) -> Vec<String> {
    let mut actions = Vec::new();
    for s in statements {
        let sid = s["Sid"].as_str().unwrap_or("");
        assert!(!sid.is_empty(), "statement without a Sid: {s}");
        assert!(
            s.get("NotAction").is_none() && s.get("NotResource").is_none(),
            "statement {sid}: NotAction/NotResource are not used"
        );
        assert_eq!(
            s["Effect"], "Allow",
            "statement {sid}: only Allow statements"
        );
        assert!(
            s.get("Resource").is_some(),
            "statement {sid} has no Resource"
        );
        for a in one_or_many(&s["Action"]) {
            actions.push(
                a.as_str()
                    .unwrap_or_else(|| panic!("statement {sid}: action {a} is not a string"))
                    .to_string(),
            );
        }
    }
    actions
}

// ---------------------------------------------------------------------------------------------
// The operations vigil calls, from its source

/// Cargo home (where the registry sources live).
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"))
}

/// `aws-sdk-*` packages of Cargo.lock: (name, version).
fn locked_sdks() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(support::root().join("Cargo.lock")).expect("Cargo.lock");
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = name.take() {
                if n.starts_with("aws-sdk-") {
                    out.push((n, v.trim_matches('"').to_string()));
                }
            }
        }
    }
    out
}

/// Operations of each SDK crate in the lock file: service (`lambda`) → snake name →
/// operation name (`list_functions` → `ListFunctions`), read from the crate's sources.
fn sdk_operations() -> BTreeMap<String, BTreeMap<String, String>> {
    let registry = cargo_home().join("registry").join("src");
    let indexes: Vec<PathBuf> = std::fs::read_dir(&registry)
        .unwrap_or_else(|e| panic!("{}: {e}", registry.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (name, version) in locked_sdks() {
        let dir = indexes
            .iter()
            .map(|i| {
                i.join(format!("{name}-{version}"))
                    .join("src")
                    .join("operation")
            })
            .find(|d| d.is_dir())
            .unwrap_or_else(|| {
                panic!(
                    "sources of {name} {version} not found under {} (run cargo build first)",
                    registry.display()
                )
            });
        let ops = out
            .entry(name.trim_start_matches("aws-sdk-").to_string())
            .or_default();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let snake = path.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let pascal = text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("pub struct ")
                        .and_then(|r| r.strip_suffix(';'))
                        .map(str::to_string)
                })
                .unwrap_or_else(|| panic!("no operation struct in {}", path.display()));
            ops.insert(snake, pascal);
        }
    }
    assert!(
        out.contains_key("lambda") && out.contains_key("organizations"),
        "the SDK crates were not found through Cargo.lock: {:?}",
        out.keys().collect::<Vec<_>>()
    );
    out
}

/// An operation call found in the source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Call {
    /// SDK service (`lambda`, `apigatewayv2`, ...).
    sdk: String,
    /// Operation name (`ListFunctions`).
    operation: String,
    /// Where it was seen first.
    file: String,
}

impl Call {
    /// The IAM action that authorizes the call.
    fn iam_action(&self) -> String {
        match (self.sdk.as_str(), self.operation.as_str()) {
            // API Gateway (v1 and v2) authorizes by HTTP verb on resource paths.
            ("apigateway" | "apigatewayv2", op) => {
                let verb = [
                    ("Get", "GET"),
                    ("Create", "POST"),
                    ("Put", "PUT"),
                    ("Import", "PUT"),
                    ("Update", "PATCH"),
                    ("Delete", "DELETE"),
                ]
                .iter()
                .find(|(p, _)| op.starts_with(p))
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("no IAM verb known for apigateway {op}"));
                format!("apigateway:{verb}")
            }
            ("sns", "PublishBatch") => "sns:Publish".to_string(),
            // The SDK crate drops the hyphen of the IAM prefix.
            ("applicationautoscaling", op) => format!("application-autoscaling:{op}"),
            (sdk, op) => format!("{sdk}:{op}"),
        }
    }
}

/// Rust files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().and_then(|e| e.to_str()) == Some("rs") {
            out.push(p);
        }
    }
}

/// `.name(` method calls of a source text (comment lines and `#[cfg(test)]` code excluded),
/// and the SDK crates it names.
fn calls_in(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    // Test modules (`#[cfg(test)] mod ...`) end the file's production code.
    let end = text
        .match_indices("#[cfg(test)]")
        .find(|(i, m)| text[i + m.len()..].trim_start().starts_with("mod "))
        .map_or(text.len(), |(i, _)| i);
    let code: String = text[..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut sdks = BTreeSet::new();
    let mut methods = BTreeSet::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"aws_sdk_") && (i == 0 || !ident(b[i - 1])) {
            let start = i + "aws_sdk_".len();
            let mut j = start;
            while j < b.len() && ident(b[j]) {
                j += 1;
            }
            sdks.insert(code[start..j].to_string());
            i = j;
            continue;
        }
        if b[i] == b'.' {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let start = j;
            while j < b.len() && ident(b[j]) {
                j += 1;
            }
            let name = &code[start..j];
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if !name.is_empty() && j < b.len() && b[j] == b'(' {
                methods.insert(name.to_string());
            }
            i = start.max(i + 1);
            continue;
        }
        i += 1;
    }
    (sdks, methods)
}

/// Every SDK operation called from the workspace's (non-test) source.
fn vigil_calls() -> Vec<Call> {
    let ops = sdk_operations();
    let root = support::root();
    let mut files = Vec::new();
    for d in SOURCE_DIRS {
        rust_files(&root.join(d), &mut files);
    }
    files.sort();
    let mut calls: BTreeMap<(String, String), Call> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let (sdks, methods) = calls_in(&text);
        for sdk in &sdks {
            let Some(known) = ops.get(sdk) else { continue };
            for m in &methods {
                if let Some(op) = known.get(m) {
                    calls.entry((sdk.clone(), op.clone())).or_insert(Call {
                        sdk: sdk.clone(),
                        operation: op.clone(),
                        file: f.strip_prefix(&root).unwrap().display().to_string(),
                    });
                }
            }
        }
    }
    let calls: Vec<Call> = calls.into_values().collect();

    // Cross-check: every operation named in an error record (`aws_error("Op", ..)`) was found
    // as a call, so a call the scan above cannot see does not go unchecked.
    let found: BTreeSet<&str> = calls.iter().map(|c| c.operation.as_str()).collect();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for part in text.split("aws_error(\"").skip(1) {
            let op = part.split('"').next().unwrap();
            assert!(
                found.contains(op),
                "{} records errors of {op}, but no SDK call of {op} was found in the source",
                f.display()
            );
        }
    }
    calls
}

/// The calls the member-account audit role must allow.
fn member_calls(calls: &[Call]) -> Vec<&Call> {
    calls
        .iter()
        // The collectors, and the Security Hub export (each account's findings are imported
        // from inside that account, through the audit role).
        .filter(|c| c.file.starts_with("scanner/") || c.file == "run/src/securityhub.rs")
        .filter(|c| !CALLER_ONLY_SDKS.contains(&c.sdk.as_str()))
        .collect()
}

#[test]
fn operations_are_derived_from_the_source() {
    // The derivation itself: it must see the calls everybody knows vigil makes.
    let calls = vigil_calls();
    for c in &calls {
        println!(
            "{:<45} {}:{} in {}",
            c.iam_action(),
            c.sdk,
            c.operation,
            c.file
        );
    }
    let actions: BTreeSet<String> = calls.iter().map(Call::iam_action).collect();
    for expected in [
        "lambda:ListFunctions",
        "lambda:GetPolicy",
        "apigateway:GET",
        "dynamodb:DescribeContinuousBackups",
        "kms:GetKeyRotationStatus",
        "config:DescribeConfigurationRecorders",
        "account:ListRegions",
        "organizations:ListPoliciesForTarget",
        "sts:AssumeRole",
    ] {
        assert!(
            actions.contains(expected),
            "{expected} not derived; derived: {actions:?}"
        );
    }
    // A call added to a collector is seen, and the member role would have to grant it.
    let (sdks, methods) = calls_in(
        "let client = scope_client!(aws_sdk_lambda, scope);\n\
         // client.get_account_settings() in a comment is not a call\n\
         let c = client\n    .get_function_concurrency()\n    .function_name(&name)\n    .send()\n    .await;\n\
         #[cfg(test)]\nmod tests { fn t(c: &Client) { c.get_alias(); } }\n",
    );
    assert_eq!(sdks, BTreeSet::from(["lambda".to_string()]));
    let lambda_ops = &sdk_operations()["lambda"];
    let ops: Vec<&String> = methods.iter().filter_map(|m| lambda_ops.get(m)).collect();
    assert_eq!(ops, vec!["GetFunctionConcurrency"]);
    let granted = allowed_actions(&role_statements(
        &template(MEMBER_ROLE)["Resources"]["AuditRole"],
    ));
    assert!(!granted
        .iter()
        .any(|g| iam_match(g, "lambda:GetFunctionConcurrency")));

    // Member calls never include the caller-only services.
    assert!(member_calls(&calls)
        .iter()
        .all(|c| c.sdk != "organizations" && c.sdk != "sts"));
}

// ---------------------------------------------------------------------------------------------
// deploy/member-role.yaml

#[test]
fn member_role_allows_exactly_the_calls_vigil_makes() {
    let tpl = template(MEMBER_ROLE);
    let role = &tpl["Resources"]["AuditRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    let statements = role_statements(role);
    let granted = allowed_actions(&statements);
    for a in &granted {
        assert!(
            !(a.contains('*') || a.contains('?')),
            "member role action {a} has a wildcard"
        );
    }

    let calls = vigil_calls();
    let needed = member_calls(&calls);
    let mut missing = Vec::new();
    for c in &needed {
        let action = c.iam_action();
        if !granted.iter().any(|g| iam_match(g, &action)) {
            missing.push(format!("{action} (called in {})", c.file));
        }
    }
    assert!(
        missing.is_empty(),
        "{MEMBER_ROLE} does not allow calls vigil makes in member accounts:\n  {}",
        missing.join("\n  ")
    );

    let needed_actions: BTreeSet<String> = needed.iter().map(|c| c.iam_action()).collect();
    let extra: Vec<&String> = granted
        .iter()
        .filter(|g| !needed_actions.iter().any(|n| iam_match(g, n)))
        .collect();
    assert!(
        extra.is_empty(),
        "{MEMBER_ROLE} allows actions vigil never calls: {extra:?}"
    );
    let mut seen = BTreeSet::new();
    for g in &granted {
        assert!(seen.insert(g.to_ascii_lowercase()), "{g} granted twice");
    }
}

#[test]
fn member_role_trusts_only_the_scanner_account_with_the_external_id() {
    let tpl = template(MEMBER_ROLE);
    let params = &tpl["Parameters"];
    assert_eq!(params["RoleName"]["Default"], "VigilAuditRole");
    assert_eq!(params["ExternalId"]["NoEcho"], true);
    assert!(params["ExternalId"].get("Default").is_none());
    assert!(params.get("ScannerAccountId").is_some());

    let props = &tpl["Resources"]["AuditRole"]["Properties"];
    assert_eq!(props["RoleName"], serde_json::json!({"Ref": "RoleName"}));
    assert_eq!(props["MaxSessionDuration"], 3600);
    let trust = one_or_many(&props["AssumeRolePolicyDocument"]["Statement"]);
    assert_eq!(trust.len(), 1, "one trust statement");
    let t = trust[0];
    assert_eq!(t["Effect"], "Allow");
    assert_eq!(t["Action"], "sts:AssumeRole");
    assert_eq!(
        t["Principal"]["AWS"],
        serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${ScannerAccountId}:root"})
    );
    // The condition, in both branches of the optional principal restriction.
    let branches: Vec<&Value> = match t["Condition"].get("Fn::If") {
        Some(v) => v.as_array().unwrap()[1..].iter().collect(),
        None => vec![&t["Condition"]],
    };
    for c in branches {
        assert_eq!(
            c["StringEquals"]["sts:ExternalId"],
            serde_json::json!({"Ref": "ExternalId"}),
            "every trust branch requires the external id: {c}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// deploy/template.yaml

/// The scanner function and its execution role.
fn scanner(tpl: &Value) -> (&Value, &Value) {
    let resources = tpl["Resources"].as_object().unwrap();
    let functions: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .collect();
    assert_eq!(functions.len(), 1, "one function");
    let f = functions[0];
    let role_ref = &f["Properties"]["Role"]["Fn::GetAtt"];
    let role_name = match role_ref {
        Value::Array(a) => a[0].as_str().unwrap().to_string(),
        Value::String(s) => s.split('.').next().unwrap().to_string(),
        _ => panic!("the function's Role is a !GetAtt of a role in the template"),
    };
    let role = &tpl["Resources"][&role_name];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    (f, role)
}

#[test]
fn scanner_role_allows_every_call_and_assumes_only_the_member_role() {
    let tpl = template(TEMPLATE);
    assert_eq!(
        tpl["Parameters"]["MemberRoleName"]["Default"],
        "VigilAuditRole"
    );
    let (_, role) = scanner(&tpl);
    let statements = role_statements(role);
    let granted = allowed_actions(&statements);

    let calls = vigil_calls();
    let mut missing = Vec::new();
    for c in &calls {
        let action = c.iam_action();
        if NO_PERMISSION_NEEDED.contains(&action.as_str()) {
            continue;
        }
        if !granted.iter().any(|g| iam_match(g, &action)) {
            missing.push(format!("{action} (called in {})", c.file));
        }
    }
    assert!(
        missing.is_empty(),
        "the scanner role in {TEMPLATE} does not allow calls vigil makes:\n  {}",
        missing.join("\n  ")
    );

    // sts:AssumeRole: granted, and only on the member role name.
    let member_role =
        serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"});
    let mut assume = 0;
    for s in &statements {
        let actions: Vec<&str> = one_or_many(&s["Action"])
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        if actions.iter().any(|a| iam_match(a, "sts:AssumeRole")) {
            assume += 1;
            assert_eq!(
                one_or_many(&s["Resource"]),
                vec![&member_role],
                "statement {} allows sts:AssumeRole beyond the member role",
                s["Sid"]
            );
        }
    }
    assert!(assume > 0, "the scanner role cannot assume the member role");
}

#[test]
fn scanner_function_is_configured_as_the_design_says() {
    let tpl = template(TEMPLATE);
    assert_eq!(tpl["Transform"], "AWS::Serverless-2016-10-31");
    let (f, _) = scanner(&tpl);
    assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda");
    assert_eq!(f["Metadata"]["BuildProperties"]["Binary"], "vigil");
    let p = &f["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Handler"], "bootstrap");
    assert_eq!(p["Architectures"], serde_json::json!(["arm64"]));
    assert_eq!(p["Timeout"], 900);
    // One scheduled run at a time; with the event path, room for the event source mapping's
    // batches beside it (so they are never throttled).
    let reserved = &p["ReservedConcurrentExecutions"];
    match reserved.get("Fn::If") {
        None => assert_eq!(reserved, 1),
        Some(branches) => {
            assert_eq!(branches[0], "EventDriven");
            assert_eq!(branches[2], 1, "scheduled only: one execution");
            let esm = &tpl["Resources"]["EventSourceMapping"]["Properties"];
            let max = esm["ScalingConfig"]["MaximumConcurrency"].as_i64().unwrap();
            assert!(
                branches[1].as_i64().unwrap() > max,
                "reserved concurrency {} leaves no room for the scheduled run beside {max} event batches",
                branches[1]
            );
        }
    }
    let vars = p["Environment"]["Variables"].as_object().unwrap();
    for v in FUNCTION_ENV {
        assert!(vars.contains_key(*v), "function environment lacks {v}");
    }
    assert_eq!(
        tpl["Parameters"]["ScheduleExpression"]["Default"],
        "rate(1 day)"
    );

    // The report bucket: private, encrypted with the stack's key, TLS only, expiring under the
    // prefix the function writes (VIGIL_REPORT_PREFIX's default, `reports/`), where the role
    // may write.
    let bucket = &tpl["Resources"]["ReportBucket"]["Properties"];
    let sse = &bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(
        sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "aws:kms"
    );
    assert_eq!(
        sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"],
        serde_json::json!({"Fn::GetAtt": ["Key", "Arn"]})
    );
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(bucket["PublicAccessBlockConfiguration"][k], true, "{k}");
    }
    assert_eq!(
        bucket["LifecycleConfiguration"]["Rules"][0]["Prefix"],
        "reports/"
    );
    let policy = &tpl["Resources"]["ReportBucketPolicy"]["Properties"]["PolicyDocument"];
    assert_eq!(policy["Statement"][0]["Effect"], "Deny");
    assert_eq!(
        policy["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
    let lambda_rs = std::fs::read_to_string(support::root().join("src/lambda.rs")).unwrap();
    assert!(
        lambda_rs.contains(r#"env = "VIGIL_REPORT_PREFIX", default_value = "reports/""#),
        "the function's default report prefix is the bucket's lifecycle prefix"
    );
    assert_eq!(tpl["Parameters"]["ExternalId"]["NoEcho"], true);

    // The state table: the key vigil's state module writes (finding#<fp>, lock#scan).
    let tables: Vec<&Value> = tpl["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::DynamoDB::Table")
        .collect();
    assert_eq!(tables.len(), 1);
    let t = &tables[0]["Properties"];
    assert_eq!(
        t["KeySchema"],
        serde_json::json!([{"AttributeName": "pk", "KeyType": "HASH"}])
    );
    assert_eq!(
        t["AttributeDefinitions"],
        serde_json::json!([{"AttributeName": "pk", "AttributeType": "S"}])
    );
    assert_eq!(t["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        t["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(t["SSESpecification"]["SSEType"], "KMS");
    // Tombstones of resolved findings (and stale lock leases) expire.
    assert_eq!(
        t["TimeToLiveSpecification"],
        serde_json::json!({"AttributeName": "expires_at", "Enabled": true})
    );
}

// ---------------------------------------------------------------------------------------------
// The event path (change-driven re-evaluation)

/// The six services whose CloudTrail events vigil maps: (`source`, `eventSource`).
const EVENT_SERVICES: &[(&str, &str)] = &[
    ("aws.lambda", "lambda.amazonaws.com"),
    ("aws.apigateway", "apigateway.amazonaws.com"),
    ("aws.dynamodb", "dynamodb.amazonaws.com"),
    ("aws.kms", "kms.amazonaws.com"),
    ("aws.organizations", "organizations.amazonaws.com"),
    ("aws.config", "config.amazonaws.com"),
];

/// EventBridge's default quota on the size of an event pattern, in characters.
const EVENT_PATTERN_MAX: usize = 2048;

fn rule_pattern<'a>(tpl: &'a Value, rule: &str) -> &'a Value {
    let r = &tpl["Resources"][rule];
    assert_eq!(r["Type"], "AWS::Events::Rule", "{rule}");
    &r["Properties"]["EventPattern"]
}

fn strings(v: &Value) -> BTreeSet<String> {
    one_or_many(v)
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{s} is not a string"))
                .to_string()
        })
        .collect()
}

/// Whether an EventBridge event pattern matches an event: the subset of the pattern language
/// the templates use (exact values, `prefix`, `exists`, `$or`); anything else fails the test.
fn pattern_matches(pattern: &Value, event: &Value) -> bool {
    let pattern = pattern.as_object().expect("a pattern is an object");
    pattern.iter().all(|(key, want)| {
        if key == "$or" {
            return want
                .as_array()
                .expect("$or is a list")
                .iter()
                .any(|branch| pattern_matches(branch, event));
        }
        let got = event.get(key);
        match want {
            Value::Object(_) => got.is_some_and(|g| g.is_object() && pattern_matches(want, g)),
            Value::Array(matchers) => matchers.iter().any(|m| leaf_matches(m, got)),
            other => panic!("pattern field {key} is neither a list nor an object: {other}"),
        }
    })
}

fn leaf_matches(matcher: &Value, got: Option<&Value>) -> bool {
    let values: Vec<&Value> = match got {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    match matcher {
        Value::Object(m) => {
            let (op, arg) = m.iter().next().expect("an operator");
            assert_eq!(m.len(), 1, "one operator per matcher: {matcher}");
            match op.as_str() {
                "exists" => arg.as_bool().expect("exists takes a boolean") == got.is_some(),
                "prefix" => {
                    let p = arg.as_str().expect("prefix takes a string");
                    values
                        .iter()
                        .any(|v| v.as_str().is_some_and(|s| s.starts_with(p)))
                }
                other => panic!("operator {other} is not understood by this test"),
            }
        }
        literal => values.contains(&literal),
    }
}

/// An EventBridge event carrying a CloudTrail record of `event_source` `event_name`.
fn cloudtrail_event(detail_type: &str, event_source: &str, event_name: &str) -> Value {
    let source = EVENT_SERVICES
        .iter()
        .find(|(_, es)| *es == event_source)
        .map_or_else(
            || format!("aws.{}", event_source.split('.').next().unwrap()),
            |(s, _)| s.to_string(),
        );
    serde_json::json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "111122223333",
        "time": "2024-05-01T09:05:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "eventTime": "2024-05-01T09:05:00Z",
            "eventSource": event_source,
            "eventName": event_name,
            "awsRegion": "eu-west-1",
            "eventID": "0d3f5f7e-3c1b-4b43-9d8a-0a3c1e8f1f11",
            "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333"
        }
    })
}

/// A published sample under `fixtures/events/cloudtrail/`, as EventBridge delivers it (bare
/// CloudTrail records are wrapped in an envelope).
fn fixture_events() -> Vec<(String, Value)> {
    let root = support::root().join("fixtures/events/cloudtrail");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root)
        .expect("fixtures/events/cloudtrail")
        .flatten()
    {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if f.path().extension().and_then(|e| e.to_str()) == Some("json") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let event = if v.get("detail-type").is_some() {
                v
            } else {
                let detail_type = if v["eventType"] == "AwsServiceEvent" {
                    vigil_model::change::DETAIL_TYPE_SERVICE_EVENT
                } else {
                    vigil_model::change::DETAIL_TYPE_API_CALL
                };
                let mut e = cloudtrail_event(
                    detail_type,
                    v["eventSource"].as_str().unwrap(),
                    v["eventName"].as_str().unwrap(),
                );
                e["detail"] = v;
                e
            };
            let rel = f
                .strip_prefix(support::root())
                .unwrap()
                .display()
                .to_string();
            (rel, event)
        })
        .collect()
}

#[test]
fn member_rule_forwards_the_six_services_to_the_central_bus_with_a_role() {
    let tpl = template(MEMBER_ROLE);
    let params = &tpl["Parameters"];
    assert_eq!(params["CentralEventBusArn"]["Default"], "");
    // No bus, no rule.
    assert_eq!(
        tpl["Conditions"]["ForwardEvents"],
        serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "CentralEventBusArn"}, ""]}]})
    );
    let rule = &tpl["Resources"]["EventForwardRule"];
    assert_eq!(rule["Condition"], "ForwardEvents");
    assert!(
        rule["Properties"].get("EventBusName").is_none(),
        "the rule is on the default bus, where AWS services put their events"
    );
    let pattern = rule_pattern(&tpl, "EventForwardRule");
    let sources: BTreeSet<String> = EVENT_SERVICES.iter().map(|(s, _)| s.to_string()).collect();
    assert_eq!(strings(&pattern["source"]), sources);
    assert_eq!(
        strings(&pattern["detail-type"]),
        BTreeSet::from([
            vigil_model::change::DETAIL_TYPE_API_CALL.to_string(),
            vigil_model::change::DETAIL_TYPE_SERVICE_EVENT.to_string(),
        ])
    );
    // detail.eventSource, over the branches of the pattern: exactly the six services.
    let detail = &pattern["detail"];
    let branches: Vec<&Value> = match detail.get("$or") {
        Some(b) => b.as_array().unwrap().iter().collect(),
        None => vec![detail],
    };
    let mut event_sources = BTreeSet::new();
    for b in &branches {
        assert!(
            b.get("eventName").is_some(),
            "every branch limits eventName: {b}"
        );
        for es in strings(&b["eventSource"]) {
            assert!(event_sources.insert(es.clone()), "{es} in two branches");
        }
    }
    let expected: BTreeSet<String> = EVENT_SERVICES.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(event_sources, expected);
    assert_eq!(
        detail["errorCode"],
        serde_json::json!([{"exists": false}]),
        "failed calls are not forwarded"
    );

    // Target: the central bus, through a role that may put events there and nowhere else.
    let targets = one_or_many(&rule["Properties"]["Targets"]);
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0]["Arn"],
        serde_json::json!({"Ref": "CentralEventBusArn"})
    );
    let role_name = targets[0]["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
    let role = &tpl["Resources"][role_name];
    assert_eq!(role["Condition"], "ForwardEvents");
    let trust = one_or_many(&role["Properties"]["AssumeRolePolicyDocument"]["Statement"]);
    assert_eq!(trust.len(), 1);
    assert_eq!(trust[0]["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        serde_json::json!({"Ref": "AWS::AccountId"})
    );
    let statements = role_statements(role);
    assert_eq!(allowed_actions(&statements), vec!["events:PutEvents"]);
    assert_eq!(
        one_or_many(&statements[0]["Resource"]),
        vec![&serde_json::json!({"Ref": "CentralEventBusArn"})]
    );
}

#[test]
fn member_audit_role_is_created_once_per_account() {
    let tpl = template(MEMBER_ROLE);
    let params = &tpl["Parameters"];
    // A single-region deployment is unchanged: every instance creates the role.
    assert_eq!(params["CreateAuditRole"]["Default"], "true");
    assert_eq!(params["AuditRoleRegion"]["Default"], "");
    assert_eq!(tpl["Resources"]["AuditRole"]["Condition"], "AuditRoleHere");
    assert_eq!(tpl["Outputs"]["AuditRoleArn"]["Condition"], "AuditRoleHere");
    let cond = tpl["Conditions"]["AuditRoleHere"].to_string();
    for part in [
        r#"{"Ref":"CreateAuditRole"}"#,
        r#"{"Ref":"AuditRoleRegion"}"#,
        r#"{"Ref":"AWS::Region"}"#,
    ] {
        assert!(
            cond.contains(part),
            "AuditRoleHere does not read {part}: {cond}"
        );
    }
}

#[test]
fn every_rule_of_the_event_path_has_the_same_pattern() {
    let member = template(MEMBER_ROLE);
    let scanner = template(TEMPLATE);
    let forwarded = rule_pattern(&member, "EventForwardRule");
    for rule in ["EventRule", "LocalEventForwardRule"] {
        assert!(
            rule_pattern(&scanner, rule) == forwarded,
            "{TEMPLATE}'s {rule} and {MEMBER_ROLE}'s EventForwardRule have different patterns"
        );
    }
    let size = serde_json::to_string(forwarded).unwrap().len();
    // Allow for a space after every `,` and `:` in how the pattern reaches EventBridge.
    let separators = serde_json::to_string(forwarded)
        .unwrap()
        .chars()
        .filter(|c| *c == ',' || *c == ':')
        .count();
    assert!(
        size + separators <= EVENT_PATTERN_MAX,
        "the event pattern has {size} characters (+{separators} spaces), over EventBridge's {EVENT_PATTERN_MAX}"
    );
}

#[test]
fn event_pattern_matches_every_supported_event_and_no_read_or_data_event() {
    let tpl = template(MEMBER_ROLE);
    let pattern = rule_pattern(&tpl, "EventForwardRule");
    let api = vigil_model::change::DETAIL_TYPE_API_CALL;
    let service = vigil_model::change::DETAIL_TYPE_SERVICE_EVENT;

    // Every row of vigil's table, as recorded and as the bare operation name, under either
    // detail-type.
    let supported = vigil_model::change::supported_events();
    assert!(supported.len() > 90, "{} supported events", supported.len());
    let mut missed = Vec::new();
    for row in supported {
        for name in [row.event_name, row.operation] {
            for dt in [api, service] {
                if !pattern_matches(pattern, &cloudtrail_event(dt, row.event_source, name)) {
                    missed.push(format!("{} {name} ({dt})", row.event_source));
                }
            }
        }
    }
    assert!(
        missed.is_empty(),
        "the member rule does not forward events vigil maps:\n  {}",
        missed.join("\n  ")
    );

    // Reads, data events and calls AWS services make all day are not forwarded.
    for (es, name) in [
        ("lambda.amazonaws.com", "GetFunction20150331v2"),
        ("lambda.amazonaws.com", "ListFunctions20150331"),
        ("lambda.amazonaws.com", "GetPolicy20150331v2"),
        ("lambda.amazonaws.com", "Invoke"),
        ("apigateway.amazonaws.com", "GetRestApis"),
        ("apigateway.amazonaws.com", "GetStages"),
        ("dynamodb.amazonaws.com", "DescribeTable"),
        ("dynamodb.amazonaws.com", "ListTables"),
        ("dynamodb.amazonaws.com", "GetItem"),
        ("dynamodb.amazonaws.com", "PutItem"),
        ("dynamodb.amazonaws.com", "UpdateItem"),
        ("dynamodb.amazonaws.com", "DeleteItem"),
        ("dynamodb.amazonaws.com", "BatchWriteItem"),
        ("dynamodb.amazonaws.com", "TransactWriteItems"),
        ("dynamodb.amazonaws.com", "Query"),
        ("kms.amazonaws.com", "Decrypt"),
        ("kms.amazonaws.com", "Encrypt"),
        ("kms.amazonaws.com", "GenerateDataKey"),
        ("kms.amazonaws.com", "CreateGrant"),
        ("kms.amazonaws.com", "RetireGrant"),
        ("kms.amazonaws.com", "DescribeKey"),
        ("kms.amazonaws.com", "ListAliases"),
        ("organizations.amazonaws.com", "ListAccounts"),
        ("organizations.amazonaws.com", "DescribePolicy"),
        ("config.amazonaws.com", "DescribeConfigurationRecorders"),
        ("config.amazonaws.com", "GetComplianceDetailsByConfigRule"),
        ("s3.amazonaws.com", "CreateBucket"),
        ("iam.amazonaws.com", "CreateRole"),
    ] {
        assert!(
            !pattern_matches(pattern, &cloudtrail_event(api, es, name)),
            "{es} {name} would be forwarded"
        );
    }
    // A failed call changed nothing.
    let mut failed = cloudtrail_event(api, "dynamodb.amazonaws.com", "UpdateContinuousBackups");
    assert!(pattern_matches(pattern, &failed));
    failed["detail"]["errorCode"] = "AccessDenied".into();
    assert!(
        !pattern_matches(pattern, &failed),
        "a failed call is forwarded"
    );
    // Other detail-types of the same sources are not.
    let other = cloudtrail_event(
        "AWS Console Sign In via CloudTrail",
        "lambda.amazonaws.com",
        "CreateFunction20150331",
    );
    assert!(!pattern_matches(pattern, &other));
}

#[test]
fn event_pattern_matches_the_published_samples_vigil_maps() {
    let tpl = template(MEMBER_ROLE);
    let pattern = rule_pattern(&tpl, "EventForwardRule");
    let mut checked = 0;
    for (file, event) in fixture_events() {
        let d = &event["detail"];
        let (es, name) = (
            d["eventSource"].as_str().unwrap(),
            d["eventName"].as_str().unwrap(),
        );
        let supported = vigil_model::change::lookup(es, name).is_some();
        let failed = d.get("errorCode").is_some();
        let read = ["Get", "List", "Describe"]
            .iter()
            .any(|p| name.starts_with(p));
        let matched = pattern_matches(pattern, &event);
        if supported && !failed {
            assert!(matched, "{file}: {es} {name} is not forwarded");
            checked += 1;
        }
        if read || failed || !EVENT_SERVICES.iter().any(|(_, s)| *s == es) {
            assert!(!matched, "{file}: {es} {name} is forwarded");
        }
    }
    assert!(checked >= 30, "only {checked} samples of supported events");
}

#[test]
fn central_bus_accepts_events_from_the_organization_only() {
    let tpl = template(TEMPLATE);
    let params = &tpl["Parameters"];
    assert_eq!(
        params["EventDriven"]["AllowedValues"],
        serde_json::json!(["true", "false"])
    );
    assert_eq!(
        params["OrganizationId"]["AllowedPattern"],
        "^o-[a-z0-9]{10,32}$"
    );
    let resources = tpl["Resources"].as_object().unwrap();
    let buses: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Events::EventBus")
        .collect();
    assert_eq!(buses.len(), 1, "one central bus");
    let (bus_id, bus) = buses[0];
    assert_eq!(bus["Condition"], "EventDriven");

    // Its policy: the bus's own Policy or EventBusPolicy resources naming it.
    let mut statements: Vec<&Value> = one_or_many(&bus["Properties"]["Policy"]["Statement"]);
    for r in resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::EventBusPolicy")
    {
        assert_eq!(
            r["Properties"]["EventBusName"],
            serde_json::json!({"Ref": bus_id})
        );
        assert!(
            r["Properties"].get("Principal").is_none(),
            "legacy account-principal form"
        );
        statements.extend(one_or_many(&r["Properties"]["Statement"]));
    }
    assert!(!statements.is_empty(), "the central bus has no policy");
    for s in statements {
        assert_eq!(s["Effect"], "Allow");
        assert_eq!(
            strings(&s["Action"]),
            BTreeSet::from(["events:PutEvents".to_string()])
        );
        assert_eq!(
            s["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
            serde_json::json!({"Ref": "OrganizationId"}),
            "statement without the organization condition: {s}"
        );
        assert_eq!(
            one_or_many(&s["Resource"]),
            vec![&serde_json::json!({"Fn::GetAtt": [bus_id, "Arn"]})]
        );
    }
    assert_eq!(
        tpl["Outputs"]["EventBusArn"]["Value"],
        serde_json::json!({"Fn::GetAtt": [bus_id, "Arn"]})
    );
}

#[test]
fn event_queues_are_encrypted_with_the_template_key_and_dead_lettered() {
    let tpl = template(TEMPLATE);
    let r = &tpl["Resources"];
    let key_arn = serde_json::json!({"Fn::GetAtt": ["Key", "Arn"]});
    for q in ["EventQueue", "EventDeadLetterQueue"] {
        assert_eq!(r[q]["Type"], "AWS::SQS::Queue");
        assert_eq!(r[q]["Condition"], "EventDriven");
        assert_eq!(
            r[q]["Properties"]["KmsMasterKeyId"], key_arn,
            "{q} is not encrypted with the key"
        );
    }
    let queue = &r["EventQueue"]["Properties"];
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        serde_json::json!({"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]})
    );
    assert_eq!(
        queue["RedrivePolicy"]["maxReceiveCount"],
        serde_json::json!({"Ref": "EventMaxReceiveCount"})
    );
    assert_eq!(tpl["Parameters"]["EventMaxReceiveCount"]["Default"], 5);
    // A message keeps its first enqueue time in the dead-letter queue: keep it longer there.
    let retention = |q: &str| {
        r[q]["Properties"]["MessageRetentionPeriod"]
            .as_i64()
            .unwrap()
    };
    assert!(retention("EventDeadLetterQueue") > retention("EventQueue"));

    // The key lets EventBridge encrypt for the central rule only.
    let key_statements = one_or_many(&r["Key"]["Properties"]["KeyPolicy"]["Statement"]);
    let for_queue: Vec<&Value> = key_statements
        .iter()
        .flat_map(|s| conditional(s))
        .filter(|s| s["Sid"] == "EventBridgeSendsToEventQueues")
        .collect();
    assert_eq!(for_queue.len(), 1);
    let s = for_queue[0];
    assert_eq!(s["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        strings(&s["Action"]),
        BTreeSet::from(["kms:Decrypt".to_string(), "kms:GenerateDataKey".to_string()])
    );
    // The ARN is spelled out (a !GetAtt would be a dependency cycle): it must name the rule.
    let bus_name = r["EventBus"]["Properties"]["Name"]["Fn::Sub"]
        .as_str()
        .unwrap();
    let rule_name = r["EventRule"]["Properties"]["Name"].as_str().unwrap();
    assert_eq!(
        s["Condition"]["ArnEquals"]["aws:SourceArn"],
        serde_json::json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{bus_name}/{rule_name}"
        )})
    );
    assert_eq!(
        r["EventRule"]["Properties"]["EventBusName"],
        serde_json::json!({"Ref": "EventBus"})
    );
}

#[test]
fn event_queue_takes_messages_from_the_central_rule_only() {
    let tpl = template(TEMPLATE);
    let r = &tpl["Resources"];
    let rule = &r["EventRule"]["Properties"];
    let targets = one_or_many(&rule["Targets"]);
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0]["Arn"],
        serde_json::json!({"Fn::GetAtt": ["EventQueue", "Arn"]})
    );
    assert_eq!(
        targets[0]["DeadLetterConfig"]["Arn"],
        serde_json::json!({"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]})
    );

    let policies: Vec<&Value> = r
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v["Type"] == "AWS::SQS::QueuePolicy")
        .collect();
    assert_eq!(policies.len(), 1);
    let p = &policies[0]["Properties"];
    let queues: BTreeSet<String> = one_or_many(&p["Queues"])
        .iter()
        .map(|q| q["Ref"].as_str().unwrap().to_string())
        .collect();
    assert!(queues.contains("EventQueue"));
    let mut sends = 0;
    for s in one_or_many(&p["PolicyDocument"]["Statement"]) {
        if s["Effect"] == "Deny" {
            continue;
        }
        sends += 1;
        assert_eq!(s["Principal"]["Service"], "events.amazonaws.com", "{s}");
        assert_eq!(
            strings(&s["Action"]),
            BTreeSet::from(["sqs:SendMessage".to_string()])
        );
        assert_eq!(
            s["Condition"]["ArnEquals"]["aws:SourceArn"],
            serde_json::json!({"Fn::GetAtt": ["EventRule", "Arn"]}),
            "an Allow that does not name the rule: {s}"
        );
        assert!(one_or_many(&s["Resource"])
            .contains(&&serde_json::json!({"Fn::GetAtt": ["EventQueue", "Arn"]})));
    }
    assert_eq!(sends, 1, "one Allow statement");
}

#[test]
fn event_source_mapping_batches_and_reports_item_failures() {
    let tpl = template(TEMPLATE);
    let r = &tpl["Resources"];
    let params = &tpl["Parameters"];
    let mappings: Vec<(&String, &Value)> = r
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["Type"] == "AWS::Lambda::EventSourceMapping")
        .collect();
    assert_eq!(mappings.len(), 1);
    let (_, esm) = mappings[0];
    assert_eq!(esm["Condition"], "EventDriven");
    let p = &esm["Properties"];
    let function_id = r
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, v)| v["Type"] == "AWS::Serverless::Function")
        .map(|(k, _)| k.clone())
        .unwrap();
    assert_eq!(p["FunctionName"], serde_json::json!({"Ref": function_id}));
    assert_eq!(
        p["EventSourceArn"],
        serde_json::json!({"Fn::GetAtt": ["EventQueue", "Arn"]})
    );
    assert_eq!(
        p["FunctionResponseTypes"],
        serde_json::json!(["ReportBatchItemFailures"])
    );
    assert_eq!(p["BatchSize"], serde_json::json!({"Ref": "EventBatchSize"}));
    assert_eq!(params["EventBatchSize"]["Default"], 10);
    assert!(params["EventBatchSize"]["MaxValue"].as_i64().unwrap() <= 10000);
    assert_eq!(
        p["MaximumBatchingWindowInSeconds"],
        serde_json::json!({"Ref": "EventBatchingWindowInSeconds"})
    );
    assert_eq!(params["EventBatchingWindowInSeconds"]["Default"], 20);
    assert!(
        params["EventBatchingWindowInSeconds"]["MaxValue"]
            .as_i64()
            .unwrap()
            <= 300
    );
    assert!(p["ScalingConfig"]["MaximumConcurrency"].as_i64().unwrap() >= 2);

    // AWS's guidance: the queue's visibility timeout at least 6 times the function timeout.
    let (f, role) = scanner(&tpl);
    let timeout = f["Properties"]["Timeout"].as_i64().unwrap();
    let visibility = r["EventQueue"]["Properties"]["VisibilityTimeout"]
        .as_i64()
        .unwrap();
    assert!(
        visibility >= 6 * timeout,
        "visibility timeout {visibility} s < 6 x function timeout {timeout} s"
    );

    // The function's role polls exactly this queue.
    let statements = role_statements(role);
    let sqs: Vec<&&Value> = statements
        .iter()
        .filter(|s| {
            one_or_many(&s["Action"])
                .iter()
                .any(|a| a.as_str().unwrap().starts_with("sqs:"))
        })
        .collect();
    assert_eq!(sqs.len(), 1);
    assert_eq!(
        strings(&sqs[0]["Action"]),
        BTreeSet::from(
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility"
            ]
            .map(String::from)
        )
    );
    assert_eq!(
        one_or_many(&sqs[0]["Resource"]),
        vec![&serde_json::json!({"Fn::GetAtt": ["EventQueue", "Arn"]})]
    );
    // What the event path calls besides: the key and the state table item by item.
    let granted = allowed_actions(&statements);
    for a in [
        "kms:Decrypt",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchGetItem",
    ] {
        assert!(granted.iter().any(|g| g == a), "the scanner role lacks {a}");
    }

    for o in ["EventBusArn", "EventQueueUrl", "EventDeadLetterQueueUrl"] {
        assert_eq!(tpl["Outputs"][o]["Condition"], "EventDriven", "output {o}");
    }
}
