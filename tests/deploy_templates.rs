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

/// Every statement of a role's inline policies.
fn role_statements(role: &Value) -> Vec<&Value> {
    let props = &role["Properties"];
    assert!(
        props.get("ManagedPolicyArns").is_none(),
        "roles use inline policies only (managed policies are not checked)"
    );
    one_or_many(&props["Policies"])
        .into_iter()
        .flat_map(|p| one_or_many(&p["PolicyDocument"]["Statement"]))
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
        .filter(|c| c.file.starts_with("scanner/"))
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
    assert_eq!(p["ReservedConcurrentExecutions"], 1);
    let vars = p["Environment"]["Variables"].as_object().unwrap();
    for v in FUNCTION_ENV {
        assert!(vars.contains_key(*v), "function environment lacks {v}");
    }
    assert_eq!(
        tpl["Parameters"]["ScheduleExpression"]["Default"],
        "rate(1 day)"
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
}
