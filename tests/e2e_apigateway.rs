//! End-to-end: REST and HTTP/WebSocket APIs seeded from fixtures/scenarios/apigateway.json into
//! a real moto organization, scanned by the vigil binary across accounts and regions.
//!
//! moto 5.2.5 ignores `limit`/`position` and `maxResults`/`nextToken` on every API Gateway
//! list call (it always answers with one page holding everything). So that `--page-size`
//! really walks several pages, the paging tests put [`PagingProxy`] between vigil and moto:
//! it slices moto's full lists into pages of the requested size with opaque continuation
//! tokens, exactly as API Gateway pages them.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use support::{
    closed_accounts, comparable_findings as comparable, read_json, run, stderr, vigil, Moto,
    Seeded, TempDir,
};

const SCENARIO: &str = "fixtures/scenarios/apigateway.json";
const REST: &str = "AWS::ApiGateway::RestApi";
const HTTP: &str = "AWS::ApiGatewayV2::Api";
const DOMAIN: &str = "AWS::ApiGateway::DomainName";
/// Rules judged on every document of each type (the seeded failures aside, each passes).
const REST_RULES: [&str; 8] = [
    "VGL-APIGW-001",
    "VGL-APIGW-002",
    "VGL-APIGW-004",
    "VGL-APIGW-005",
    "VGL-APIGW-006",
    "VGL-APIGW-007",
    "VGL-APIGW-008",
    "VGL-APIGW-009",
];
const HTTP_RULES: [&str; 2] = ["VGL-APIGW-003", "VGL-APIGW-011"];
const DOMAIN_RULES: [&str; 1] = ["VGL-APIGW-010"];
/// The format the seeders give every access log (tests/support/seeders/rest_apis.py).
const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","status":"$context.status"}"#;
const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];

fn scenario() -> Value {
    read_json(&support::root().join(SCENARIO))
}

/// Scenario entries of `section` in accounts that are scanned (not closed).
fn scanned(sc: &Value, section: &str) -> Vec<Value> {
    let closed = closed_accounts(sc);
    sc[section]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !closed.contains(a["account"].as_str().unwrap()))
        .cloned()
        .collect()
}

/// (resource type, account key, region, API or domain name) → document.
type DocKey = (String, String, String, String);

fn documents_by_name(snap: &Value, seeded: &Seeded) -> BTreeMap<DocKey, Value> {
    let mut out = BTreeMap::new();
    for d in snap["documents"].as_array().unwrap() {
        let key = (
            d["resourceType"].as_str().unwrap().to_string(),
            seeded.key_of(d["awsAccountId"].as_str().unwrap()),
            d["awsRegion"].as_str().unwrap().to_string(),
            d["configuration"]["name"]
                .as_str()
                .or(d["configuration"]["domainName"].as_str())
                .unwrap()
                .to_string(),
        );
        assert!(
            out.insert(key.clone(), d.clone()).is_none(),
            "twice: {key:?}"
        );
    }
    out
}

fn key(kind: &str, api: &Value) -> DocKey {
    (
        kind.to_string(),
        api["account"].as_str().unwrap().to_string(),
        api["region"].as_str().unwrap().to_string(),
        api["name"].as_str().unwrap().to_string(),
    )
}

/// Replaces `{org_id}` in every string of a scenario value, as the seeder does.
fn fill(v: &Value, org_id: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("{org_id}", org_id)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, org_id)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), fill(x, org_id)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn access_log(api: &Value, stage: &Value, account_id: &str) -> Value {
    if stage["access_log"].as_bool().unwrap_or(false) {
        json!({
            "destinationArn": format!(
                "arn:aws:logs:{}:{account_id}:log-group:/aws/apigateway/{}",
                api["region"].as_str().unwrap(),
                api["name"].as_str().unwrap()
            ),
            "format": ACCESS_LOG_FORMAT,
        })
    } else {
        Value::Null
    }
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// The per-method overrides of a stage's method settings (every key but `*/*`), sorted.
fn overrides(settings: &Value) -> Vec<String> {
    let mut k = sorted_keys(settings);
    k.retain(|k| k != "*/*");
    k
}

/// What the scenario says a REST API document must hold, in the shape of [`rest_actual`].
fn rest_expected(api: &Value, seeded: &Seeded) -> Value {
    let account_id = seeded.id(api["account"].as_str().unwrap());
    let mut resources: BTreeMap<String, Vec<Value>> = BTreeMap::from([("/".into(), vec![])]);
    for r in api["resources"].as_array().unwrap() {
        let mut methods: Vec<Value> = r["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                json!({
                    "httpMethod": m["method"],
                    "authorizationType": m["auth"],
                    "hasAuthorizer": m.get("authorizer").is_some(),
                    "apiKeyRequired": m["api_key"].as_bool().unwrap_or(false),
                })
            })
            .collect();
        methods.sort_by_key(|m| m["httpMethod"].as_str().unwrap().to_string());
        resources.insert(r["path"].as_str().unwrap().to_string(), methods);
    }
    let mut stages: Vec<Value> = api["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!({
                "stageName": s["name"],
                "accessLogSettings": access_log(api, s, account_id),
                "tracingEnabled": s["tracing"].as_bool().unwrap_or(false),
                "loggingLevel": s
                    .get("logging_level")
                    .or(s["method_settings"]["*/*"].get("logging/loglevel"))
                    .cloned()
                    .unwrap_or(Value::Null),
                "overrides": overrides(&s["method_settings"]),
                "webAcl": s["waf"].as_bool().unwrap_or(false),
                "cacheClusterEnabled": s["cache_cluster"].as_bool().unwrap_or(false),
                "variableNames": sorted_keys(&s["variables"]),
            })
        })
        .collect();
    stages.sort_by_key(|s| s["stageName"].as_str().unwrap().to_string());
    json!({
        "arn": "arn:aws:apigateway:<region>::/restapis/<id>",
        "tags": api.get("tags").cloned().unwrap_or(json!({})),
        "resources": resources,
        "stages": stages,
        "policy": api.get("policy").map(|p| fill(p, &seeded.org_id)).unwrap_or(Value::Null),
    })
}

/// The same fields read from a collected REST API document.
fn rest_actual(doc: &Value) -> Value {
    let id = doc["resourceId"].as_str().unwrap();
    assert_eq!(doc["configuration"]["id"], id);
    let region = doc["awsRegion"].as_str().unwrap();
    let arn = doc["arn"]
        .as_str()
        .unwrap()
        .replace(&format!(":{region}:"), ":<region>:")
        .replace(id, "<id>");
    let sup = &doc["supplementaryConfiguration"];
    let resources: BTreeMap<String, Vec<Value>> = sup["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let methods = r["methods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    json!({
                        "httpMethod": m["httpMethod"],
                        "authorizationType": m["authorizationType"],
                        "hasAuthorizer": m["authorizerId"].as_str().is_some_and(|s| !s.is_empty()),
                        "apiKeyRequired": m["apiKeyRequired"],
                    })
                })
                .collect();
            (r["path"].as_str().unwrap().to_string(), methods)
        })
        .collect();
    let stages: Vec<Value> = sup["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!({
                "stageName": s["stageName"],
                "accessLogSettings": s["accessLogSettings"],
                "tracingEnabled": s["tracingEnabled"],
                "loggingLevel": s["methodSettings"]["*/*"]["loggingLevel"],
                "overrides": overrides(&s["methodSettings"]),
                "webAcl": s["webAclArn"].as_str().is_some_and(|a| a.starts_with(&format!(
                    "arn:aws:wafv2:{}:{}:regional/webacl/",
                    doc["awsRegion"].as_str().unwrap(),
                    doc["awsAccountId"].as_str().unwrap()
                ))),
                "cacheClusterEnabled": s["cacheClusterEnabled"],
                "variableNames": s["variableNames"],
            })
        })
        .collect();
    json!({
        "arn": arn,
        "tags": doc["tags"],
        "resources": resources,
        "stages": stages,
        "policy": sup["policy"],
    })
}

/// What the scenario says an HTTP/WebSocket API document must hold, in the shape of [`http_actual`].
fn http_expected(api: &Value, seeded: &Seeded) -> Value {
    let account_id = seeded.id(api["account"].as_str().unwrap());
    let mut routes: Vec<Value> = api["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({
                "routeKey": r["key"],
                "authorizationType": r["auth"],
                "hasAuthorizer": r.get("authorizer").is_some(),
                "authorizationScopes": r.get("scopes").cloned().unwrap_or(json!([])),
                "targetsIntegration": r["target"].as_bool().unwrap_or(true),
            })
        })
        .collect();
    routes.sort_by_key(|r| r["routeKey"].as_str().unwrap().to_string());
    let mut stages: Vec<Value> = api["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!({
                "stageName": s["name"],
                "accessLogSettings": access_log(api, s, account_id),
                "stageVariableNames": sorted_keys(&s["variables"]),
            })
        })
        .collect();
    stages.sort_by_key(|s| s["stageName"].as_str().unwrap().to_string());
    json!({
        "arn": "arn:aws:apigateway:<region>::/apis/<id>",
        "protocolType": api["protocol"],
        "tags": api.get("tags").cloned().unwrap_or(json!({})),
        "routes": routes,
        "stages": stages,
    })
}

/// The same fields read from a collected v2 API document.
fn http_actual(doc: &Value) -> Value {
    let id = doc["resourceId"].as_str().unwrap();
    assert_eq!(doc["configuration"]["apiId"], id);
    let region = doc["awsRegion"].as_str().unwrap();
    let arn = doc["arn"]
        .as_str()
        .unwrap()
        .replace(&format!(":{region}:"), ":<region>:")
        .replace(id, "<id>");
    let sup = &doc["supplementaryConfiguration"];
    let routes: Vec<Value> = sup["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({
                "routeKey": r["routeKey"],
                "authorizationType": r["authorizationType"],
                "hasAuthorizer": r["authorizerId"].as_str().is_some_and(|s| !s.is_empty()),
                "authorizationScopes": r["authorizationScopes"],
                "targetsIntegration": r["target"].as_str().is_some_and(|t| t.starts_with("integrations/")),
            })
        })
        .collect();
    let stages: Vec<Value> = sup["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!({
                "stageName": s["stageName"],
                "accessLogSettings": s["accessLogSettings"],
                "stageVariableNames": s["stageVariableNames"],
            })
        })
        .collect();
    json!({
        "arn": arn,
        "protocolType": doc["configuration"]["protocolType"],
        "tags": doc["tags"],
        "routes": routes,
        "stages": stages,
    })
}

/// Runs `vigil scan` over both API services and both regions; returns (exit code, report, snapshot).
fn scan(endpoint: &str, tmp: &TempDir, tag: &str, extra: &[&str]) -> (Option<i32>, Value, Value) {
    let (report, snap) = (
        tmp.path(&format!("{tag}-report.json")),
        tmp.path(&format!("{tag}-snap.json")),
    );
    let out = run(vigil()
        .args(["scan", "--endpoint-url", endpoint, "--regions"])
        .arg(REGIONS.join(","))
        .args(["--services", "apigateway,apigatewayv2,apigateway-domains"])
        .args(extra)
        .args(["--format", "json", "--output"])
        .arg(&report)
        .arg("--snapshot-out")
        .arg(&snap));
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{tag}: exit {:?}, stderr: {}",
        out.status.code(),
        stderr(&out)
    );
    (out.status.code(), read_json(&report), read_json(&snap))
}

/// Documents in a stable order (by ARN), for comparing two scans.
fn sorted_documents(snap: &Value) -> Vec<Value> {
    let mut docs = snap["documents"].as_array().unwrap().clone();
    docs.sort_by_key(|d| d["arn"].as_str().unwrap().to_string());
    docs
}

/// (account key, region, API name, rule id, message) of every finding with `status`; the
/// API id in messages is replaced by `<id>` so that they can be compared to the scenario.
fn findings(
    report: &Value,
    seeded: &Seeded,
    names: &BTreeMap<String, String>,
    status: &str,
) -> BTreeSet<(String, String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| {
            let id = f["resource_id"].as_str().unwrap();
            (
                seeded.key_of(f["account_id"].as_str().unwrap()),
                f["region"].as_str().unwrap().to_string(),
                names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| panic!("finding on unknown API {id}")),
                f["rule_id"].as_str().unwrap().to_string(),
                mask_integration(&f["message"].as_str().unwrap().replace(id, "<id>")),
            )
        })
        .collect()
}

/// `target integrations/abc123` → `target integrations/<integration>` (ids are random).
fn mask_integration(message: &str) -> String {
    match message.split_once("target integrations/") {
        Some((head, tail)) => {
            let rest = tail.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
            format!("{head}target integrations/<integration>{rest}")
        }
        None => message.to_string(),
    }
}

/// The message each rule gives for one offending method, stage or route.
fn expected_message(sc: &Value, rule: &str, api: &str, detail: &str) -> String {
    match rule {
        "VGL-APIGW-001" => {
            format!("REST API {api} (<id>): method {detail} has authorizationType NONE")
        }
        "VGL-APIGW-002" => format!("REST API {api} (<id>): stage {detail} has no access logging"),
        "VGL-APIGW-003" => {
            let protocol = sc["http_apis"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == api)
                .map(|a| a["protocol"].as_str().unwrap())
                .unwrap();
            let kind = if protocol == "WEBSOCKET" {
                "WebSocket"
            } else {
                "HTTP"
            };
            if detail.starts_with("OPTIONS ") {
                // Proxied, not a preflight: the message names the integration (its id masked).
                return format!("{kind} API {api} (<id>): route {detail} has authorizationType NONE and target integrations/<integration>, not a CORS preflight answered by API Gateway");
            }
            format!("{kind} API {api} (<id>): route {detail} has authorizationType NONE")
        }
        // The domain name is the resource id, masked like API ids.
        "VGL-APIGW-010" => detail.replace(api, "<id>"),
        "VGL-APIGW-011" => {
            let protocol = sc["http_apis"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == api)
                .map(|a| a["protocol"].as_str().unwrap())
                .unwrap();
            let kind = if protocol == "WEBSOCKET" {
                "WebSocket"
            } else {
                "HTTP"
            };
            format!("{kind} API {api} (<id>): {detail}")
        }
        // VGL-APIGW-004..009: the scenario gives the message after the API's label.
        _ => format!("REST API {api} (<id>): {detail}"),
    }
}

#[test]
fn scan_collects_exactly_the_seeded_apis_and_fails_exactly_the_seeded_violations() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-apigw");
    let (code, report, snap) = scan(&moto.endpoint, &tmp, "default", &[]);

    // Exactly the APIs of active accounts, per type × account × region, nothing of the
    // closed account.
    let rest = scanned(&sc, "rest_apis");
    let http = scanned(&sc, "http_apis");
    let domains = scanned(&sc, "domain_names");
    let docs = documents_by_name(&snap, &seeded);
    let expected_keys: BTreeSet<DocKey> = rest
        .iter()
        .map(|a| key(REST, a))
        .chain(http.iter().map(|a| key(HTTP, a)))
        .chain(domains.iter().map(|d| key(DOMAIN, d)))
        .collect();
    assert_eq!(docs.keys().cloned().collect::<BTreeSet<_>>(), expected_keys);
    let per_scope: BTreeMap<(String, String, String), usize> =
        docs.keys().fold(BTreeMap::new(), |mut m, (t, a, r, _)| {
            *m.entry((t.clone(), a.clone(), r.clone())).or_default() += 1;
            m
        });
    assert_eq!(
        per_scope,
        BTreeMap::from([
            ((REST.into(), "analytics".into(), "eu-west-1".into()), 1),
            ((REST.into(), "analytics".into(), "us-east-1".into()), 1),
            ((REST.into(), "payments".into(), "eu-west-1".into()), 1),
            ((REST.into(), "payments".into(), "us-east-1".into()), 3),
            ((REST.into(), "sandbox".into(), "eu-west-1".into()), 1),
            ((HTTP.into(), "analytics".into(), "eu-west-1".into()), 1),
            ((HTTP.into(), "analytics".into(), "us-east-1".into()), 1),
            ((HTTP.into(), "payments".into(), "eu-west-1".into()), 1),
            ((HTTP.into(), "payments".into(), "us-east-1".into()), 3),
            ((HTTP.into(), "sandbox".into(), "us-east-1".into()), 1),
            ((DOMAIN.into(), "analytics".into(), "eu-west-1".into()), 1),
            ((DOMAIN.into(), "payments".into(), "eu-west-1".into()), 1),
            ((DOMAIN.into(), "payments".into(), "us-east-1".into()), 1),
        ])
    );

    // Every document holds what was seeded: methods and routes with their authorization,
    // stages with or without access logs, the resource policy parsed (plain and escaped).
    for api in &rest {
        let doc = &docs[&key(REST, api)];
        assert_eq!(
            rest_actual(doc),
            rest_expected(api, &seeded),
            "{}",
            api["name"]
        );
    }
    for api in &http {
        let doc = &docs[&key(HTTP, api)];
        assert_eq!(
            http_actual(doc),
            http_expected(api, &seeded),
            "{}",
            api["name"]
        );
    }

    // Custom domain names: one document each, with the seeded TLS policy and endpoint type,
    // named by the domain name, and never any certificate material.
    for d in &domains {
        let doc = &docs[&key(DOMAIN, d)];
        let name = d["name"].as_str().unwrap();
        assert_eq!(doc["resourceId"], name);
        assert_eq!(
            doc["arn"],
            format!(
                "arn:aws:apigateway:{}::/domainnames/{name}",
                d["region"].as_str().unwrap()
            )
        );
        assert_eq!(doc["configuration"]["securityPolicy"], d["security_policy"]);
        assert_eq!(
            doc["configuration"]["endpointConfiguration"]["types"],
            json!([d["endpoint"]])
        );
        assert_eq!(doc["tags"], d.get("tags").cloned().unwrap_or(json!({})));
        assert_eq!(doc["supplementaryConfiguration"], json!({"policy": null}));
        let cert = if d["endpoint"] == "EDGE" {
            "certificateArn"
        } else {
            "regionalCertificateArn"
        };
        assert!(doc["configuration"][cert]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:acm:"));
        for secret in [
            "certificateBody",
            "certificatePrivateKey",
            "certificateChain",
        ] {
            assert!(doc["configuration"].get(secret).is_none(), "{secret}");
        }
    }

    // A few fields spelled out, so that a wrong expectation builder cannot hide them.
    let orders = &docs[&key(
        REST,
        &json!({"account": "payments", "region": "eu-west-1", "name": "orders-rest"}),
    )];
    let orders_methods = &orders["supplementaryConfiguration"]["resources"][1];
    assert_eq!(orders_methods["path"], "/orders");
    assert_eq!(orders_methods["methods"][1]["httpMethod"], "OPTIONS");
    assert_eq!(orders_methods["methods"][1]["authorizationType"], "NONE");
    assert_eq!(
        orders["supplementaryConfiguration"]["policy"]["Statement"][0]["Condition"]["StringEquals"]
            ["aws:PrincipalOrgID"],
        seeded.org_id.as_str()
    );
    let escaped = &docs[&key(
        REST,
        &json!({"account": "payments", "region": "us-east-1", "name": "ledger-rest-a"}),
    )];
    assert_eq!(
        escaped["supplementaryConfiguration"]["policy"]["Statement"][0]["Sid"],
        "vpce-only"
    );
    let reports = &docs[&key(
        REST,
        &json!({"account": "analytics", "region": "us-east-1", "name": "reports-rest"}),
    )];
    assert_eq!(
        reports["supplementaryConfiguration"]["stages"][0]["stageName"],
        "dev"
    );
    assert_eq!(
        reports["supplementaryConfiguration"]["stages"][0]["accessLogSettings"],
        Value::Null
    );
    assert_eq!(reports["supplementaryConfiguration"]["policy"], Value::Null);
    let public = &docs[&key(
        HTTP,
        &json!({"account": "analytics", "region": "eu-west-1", "name": "public-http"}),
    )];
    assert_eq!(
        public["supplementaryConfiguration"]["routes"][0],
        json!({
            "routeId": public["supplementaryConfiguration"]["routes"][0]["routeId"],
            "routeKey": "GET /status",
            "authorizationType": "NONE",
            "authorizerId": null,
            "authorizationScopes": [],
            "apiKeyRequired": false,
            "target": public["supplementaryConfiguration"]["routes"][0]["target"],
            "operationName": null,
            "apiGatewayManaged": null,
        })
    );
    assert_eq!(
        public["arn"],
        format!(
            "arn:aws:apigateway:eu-west-1::/apis/{}",
            public["resourceId"].as_str().unwrap()
        )
    );

    // Stage variable values are secrets: never in the snapshot or the report.
    let snap_text = snap.to_string();
    assert!(snap_text.contains("BACKEND_TOKEN") && snap_text.contains("UPSTREAM_KEY"));
    for text in [&snap_text, &report.to_string()] {
        assert!(
            !text.contains("s3cr3t-stage-value"),
            "stage variable value leaked"
        );
        assert!(
            !text.contains("retired-rest") && !text.contains("retired-http"),
            "closed account scanned"
        );
    }

    // Counts: evaluated == collected == seeded APIs of active accounts, and no errors.
    assert_eq!(
        report["scan"]["resources"],
        rest.len() + http.len() + domains.len()
    );
    assert_eq!(report["scan"]["evaluated"], report["scan"]["resources"]);
    assert_eq!(report["errors"], json!([]));

    // Findings: exactly the seeded failures; every other (API, rule) pair passes.
    // Domain names are their own resource id.
    let names: BTreeMap<String, String> = docs
        .iter()
        .map(|((_, _, _, name), d)| (d["resourceId"].as_str().unwrap().to_string(), name.clone()))
        .collect();
    let expected_fail: BTreeSet<_> = sc["expected_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (
                s("account"),
                s("region"),
                s("resource"),
                s("rule"),
                expected_message(&sc, &s("rule"), &s("resource"), &s("detail")),
            )
        })
        .collect();
    assert_eq!(findings(&report, &seeded, &names, "fail"), expected_fail);
    let failing_pairs: BTreeSet<(String, String, String, String)> = expected_fail
        .iter()
        .map(|(a, r, n, rule, _)| (a.clone(), r.clone(), n.clone(), rule.clone()))
        .collect();
    let mut all_pairs = BTreeSet::new();
    for (kind, items, rules) in [
        (REST, &rest, &REST_RULES[..]),
        (HTTP, &http, &HTTP_RULES[..]),
        (DOMAIN, &domains, &DOMAIN_RULES[..]),
    ] {
        for item in items {
            for rule in rules {
                let (_, a, r, n) = key(kind, item);
                all_pairs.insert((a, r, n, rule.to_string()));
            }
        }
    }
    let passing: BTreeSet<(String, String, String, String)> =
        findings(&report, &seeded, &names, "pass")
            .into_iter()
            .map(|(a, r, n, rule, _)| (a, r, n, rule))
            .collect();
    assert_eq!(
        passing,
        all_pairs
            .difference(&failing_pairs)
            .cloned()
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        all_pairs.len() + expected_fail.len() - failing_pairs.len(),
        "one finding per passing (API, rule) pair and per failing message"
    );
    assert_eq!(report["summary"]["fail"], expected_fail.len());
    let severity = |rule: &str| match rule {
        "VGL-APIGW-001" | "VGL-APIGW-003" => "high",
        "VGL-APIGW-005" | "VGL-APIGW-008" => "low",
        "VGL-APIGW-009" => "critical",
        _ => "medium",
    };
    let mut by_severity: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, _, rule, _) in &expected_fail {
        *by_severity.entry(severity(rule)).or_default() += 1;
    }
    assert_eq!(
        by_severity,
        BTreeMap::from([("critical", 1), ("high", 5), ("low", 4), ("medium", 15)])
    );
    for (sev, n) in &by_severity {
        assert_eq!(report["summary"]["by_severity"][sev], *n, "{sev}");
    }
    assert_eq!(code, Some(1));
}

/// VGL-APIGW-008 is off by default (every stage passes, above); with
/// `params.apigateway.client_certificate_required` it fails every REST stage, as moto cannot
/// store a client certificate on a stage (the passing case is covered by the Rego tests).
#[test]
fn client_certificates_are_required_only_when_the_parameter_says_so() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-apigw-cert");
    let params = tmp.path("params.json");
    std::fs::write(
        &params,
        r#"{"apigateway": {"client_certificate_required": true}}"#,
    )
    .unwrap();
    let (_, report, snap) = scan(
        &moto.endpoint,
        &tmp,
        "cert",
        &["--params", params.to_str().unwrap()],
    );
    let docs = documents_by_name(&snap, &seeded);
    let names: BTreeMap<String, String> = docs
        .iter()
        .map(|((_, _, _, name), d)| (d["resourceId"].as_str().unwrap().to_string(), name.clone()))
        .collect();
    let mut want = BTreeSet::new();
    for api in scanned(&sc, "rest_apis") {
        for stage in api["stages"].as_array().unwrap() {
            let (_, a, r, n) = key(REST, &api);
            let msg = format!(
                "REST API {n} (<id>): stage {} has no client certificate for backend authentication",
                stage["name"].as_str().unwrap()
            );
            want.insert((a, r, n, "VGL-APIGW-008".to_string(), msg));
        }
    }
    let got: BTreeSet<_> = findings(&report, &seeded, &names, "fail")
        .into_iter()
        .filter(|f| f.3 == "VGL-APIGW-008")
        .collect();
    assert_eq!(got.len(), 8);
    assert_eq!(got, want);
    // An API without stages still passes.
    let passing: BTreeSet<String> = findings(&report, &seeded, &names, "pass")
        .into_iter()
        .filter(|f| f.3 == "VGL-APIGW-008")
        .map(|f| f.2)
        .collect();
    assert_eq!(passing, BTreeSet::from(["export-rest".to_string()]));
}

#[test]
fn page_size_one_walks_every_page_and_collects_the_same_documents() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-apigw-pages");
    let (_, base_report, base) = scan(&moto.endpoint, &tmp, "default", &[]);

    let proxy = PagingProxy::start(&moto.endpoint, false);
    let (_, report, paged) = scan(&proxy.endpoint, &tmp, "paged", &["--page-size", "1"]);
    assert_eq!(sorted_documents(&paged), sorted_documents(&base));
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["scan"]["evaluated"], report["scan"]["resources"]);
    assert_eq!(comparable(&report), comparable(&base_report));

    // One page per item (at least one per call): the calls vigil counted prove it walked
    // every page.
    let docs = documents_by_name(&base, &seeded);
    let active: BTreeSet<String> = seeded
        .accounts
        .keys()
        .filter(|k| !closed_accounts(&sc).contains(*k))
        .cloned()
        .collect();
    let mut want: BTreeMap<&str, usize> = BTreeMap::new();
    for account in &active {
        for region in REGIONS {
            let n = |t: &str| {
                docs.keys()
                    .filter(|(dt, a, r, _)| dt == t && a == account && r == region)
                    .count()
            };
            *want.entry("API Gateway:GetRestApis").or_default() += n(REST).max(1);
            *want.entry("ApiGatewayV2:GetApis").or_default() += n(HTTP).max(1);
            // One GetDomainNames per scope: the REST paging proxy does not page domain names.
            *want.entry("API Gateway:GetDomainNames").or_default() += 1;
        }
    }
    for d in docs.values() {
        let sup = &d["supplementaryConfiguration"];
        if d["resourceType"] == REST {
            // GetStages is not paginated in the REST API.
            *want.entry("API Gateway:GetStages").or_default() += 1;
            *want.entry("API Gateway:GetResources").or_default() +=
                sup["resources"].as_array().unwrap().len();
        } else if d["resourceType"] == HTTP {
            *want.entry("ApiGatewayV2:GetStages").or_default() +=
                sup["stages"].as_array().unwrap().len().max(1);
            *want.entry("ApiGatewayV2:GetRoutes").or_default() +=
                sup["routes"].as_array().unwrap().len().max(1);
        }
    }
    let calls = &report["scan"]["api_calls_by_operation"];
    for (op, n) in &want {
        assert_eq!(calls[*op], *n, "{op}: {calls}");
    }
    assert!(
        proxy.continued() >= 10,
        "the proxy handed out continuation tokens: {}",
        proxy.continued()
    );
}

#[test]
fn methods_are_fetched_one_by_one_where_get_resources_does_not_embed_them() {
    let moto = Moto::start();
    moto.seed(SCENARIO);
    let tmp = TempDir::new("e2e-apigw-bare");
    let (_, _, base) = scan(&moto.endpoint, &tmp, "default", &[]);

    // An endpoint that ignores `embed=methods` lists method names only; vigil then asks
    // GetMethod for each and must end up with the same documents.
    let proxy = PagingProxy::start(&moto.endpoint, true);
    let (_, report, bare) = scan(&proxy.endpoint, &tmp, "bare", &["--page-size", "2"]);
    assert_eq!(sorted_documents(&bare), sorted_documents(&base));
    let methods: usize = base["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["resourceType"] == REST)
        .flat_map(|d| {
            d["supplementaryConfiguration"]["resources"]
                .as_array()
                .unwrap()
                .clone()
        })
        .map(|r| r["methods"].as_array().unwrap().len())
        .sum();
    let seeded_methods: usize = scanned(&scenario(), "rest_apis")
        .iter()
        .flat_map(|a| a["resources"].as_array().unwrap().clone())
        .map(|r| r["methods"].as_array().unwrap().len())
        .sum();
    assert_eq!(methods, seeded_methods);
    assert_eq!(
        report["scan"]["api_calls_by_operation"]["API Gateway:GetMethod"],
        methods
    );
    assert_eq!(report["errors"], json!([]));
}

/// A proxy on 127.0.0.1 that pages API Gateway list responses the way API Gateway does
/// (`limit`/`position` for REST, `maxResults`/`nextToken` for v2) and passes every other
/// request through to moto unchanged. With `bare_methods`, GetResources answers carry method
/// names only, like an endpoint that does not honour `embed=methods`.
struct PagingProxy {
    endpoint: String,
    stop: Arc<AtomicBool>,
    continued: Arc<Mutex<usize>>,
}

impl PagingProxy {
    fn start(upstream: &str, bare_methods: bool) -> PagingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let continued = Arc::new(Mutex::new(0));
        let (stop2, continued2) = (stop.clone(), continued.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (upstream, continued) = (upstream.clone(), continued2.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, bare_methods, &continued);
                });
            }
        });
        PagingProxy {
            endpoint,
            stop,
            continued,
        }
    }

    /// Responses that carried a continuation token.
    fn continued(&self) -> usize {
        *self.continued.lock().unwrap()
    }
}

impl Drop for PagingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
    }
}

/// One request per connection: read it, forward it with `Connection: close`, page the answer.
fn serve(
    conn: TcpStream,
    upstream: &str,
    bare_methods: bool,
    continued: &Mutex<usize>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            headers.push(line);
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;

    let mut up = TcpStream::connect(upstream)?;
    let mut head = request_line.clone();
    for h in &headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&body)?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;

    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP response head");
    let resp_head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut resp_body = raw[split + 4..].to_vec();
    let mut parts = request_line.split_whitespace();
    let (verb, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let ok = resp_head.starts_with("HTTP/1.1 200") || resp_head.starts_with("HTTP/1.0 200");
    if verb == "GET" && ok {
        if let Some(paged) = page(target, &resp_body, bare_methods, continued) {
            resp_body = paged;
        }
    }
    let mut lines = resp_head.lines();
    let mut out = format!("{}\r\n", lines.next().unwrap_or("HTTP/1.1 502 Bad Gateway"));
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if !lower.starts_with("content-length:") && !lower.starts_with("connection:") {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        resp_body.len()
    ));
    let mut conn = conn;
    conn.write_all(out.as_bytes())?;
    conn.write_all(&resp_body)?;
    conn.flush()
}

/// The page a list call asked for, or None when the call is not a paged list or asked for
/// no page size.
fn page(
    target: &str,
    body: &[u8],
    bare_methods: bool,
    continued: &Mutex<usize>,
) -> Option<Vec<u8>> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: BTreeMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (items_key, size_param, token_param, next_key) = match segs.as_slice() {
        ["restapis"] | ["restapis", _, "resources"] => ("item", "limit", "position", "position"),
        ["v2", "apis"] | ["v2", "apis", _, "routes" | "stages"] => {
            ("items", "maxResults", "nextToken", "nextToken")
        }
        _ => return None,
    };
    let mut doc: Value = serde_json::from_slice(body).ok()?;
    if bare_methods && segs.len() == 3 && segs[0] == "restapis" {
        for r in doc["item"].as_array_mut()? {
            if let Some(methods) = r.get_mut("resourceMethods").and_then(Value::as_object_mut) {
                for m in methods.values_mut() {
                    *m = json!({});
                }
            }
        }
    }
    if let Some(size) = params.get(size_param).and_then(|s| s.parse::<usize>().ok()) {
        let all = doc[items_key].as_array().cloned().unwrap_or_default();
        let start: usize = params
            .get(token_param)
            .and_then(|t| t.strip_prefix("pg-"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let end = (start + size).min(all.len());
        doc[items_key] = Value::Array(all[start.min(end)..end].to_vec());
        if end < all.len() {
            doc[next_key] = json!(format!("pg-{end}"));
            *continued.lock().unwrap() += 1;
        }
    }
    serde_json::to_vec(&doc).ok()
}
