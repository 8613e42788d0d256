//! Every API Gateway fixture document (REST and v2) through the real evaluator with the
//! default parameters: each fails exactly the authorization and access-logging rules
//! (VGL-APIGW-001/002/003) it was written to fail, with the message naming the offending
//! method, stage or route. (These documents predate the stage-settings rules
//! VGL-APIGW-004..011, which most of them fail; those rules' own Rego tests cover them.)

use std::collections::BTreeSet;
use vigil_model::{AccountContext, Document, OrgInfo, Status};
use vigil_rules::{LoadOptions, PolicySet};

fn fixture(name: &str) -> Document {
    let path = format!(
        "{}/../fixtures/documents/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The rules these fixtures were written for.
const RULES: [&str; 3] = ["VGL-APIGW-001", "VGL-APIGW-002", "VGL-APIGW-003"];

/// (rule id, message) of every failing finding of `RULES`.
fn failing(doc: &Document) -> BTreeSet<(String, String)> {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let mut ev = set.evaluator();
    let mut out = Vec::new();
    let applied = ev.evaluate(
        doc,
        &AccountContext::default(),
        &OrgInfo::default(),
        &mut out,
    );
    assert_eq!(applied, set.rules_for(&doc.resource_type).count());
    assert!(out.iter().all(|f| f.status != Status::Error), "{out:?}");
    out.into_iter()
        .filter(|f| f.status == Status::Fail && RULES.contains(&f.rule_id.as_str()))
        .map(|f| (f.rule_id.to_string(), f.message))
        .collect()
}

#[test]
fn api_gateway_fixtures_fail_exactly_their_rules() {
    let open_get =
        "REST API reports-rest (7fpcwabfdc): method GET /reports has authorizationType NONE";
    let dev_unlogged = "REST API reports-rest (7fpcwabfdc): stage dev has no access logging";
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("apigateway/compliant", &[]),
        ("apigateway/custom_authorizer", &[]),
        ("apigateway/open_method", &[("VGL-APIGW-001", open_get)]),
        (
            "apigateway/stage_unlogged",
            &[("VGL-APIGW-002", dev_unlogged)],
        ),
        (
            "apigateway/open_method_unlogged_stage",
            &[("VGL-APIGW-001", open_get), ("VGL-APIGW-002", dev_unlogged)],
        ),
        (
            "apigateway/options_proxied",
            &[(
                "VGL-APIGW-001",
                "REST API admin-rest (q7ms2xk4ad): method OPTIONS /admin has authorizationType NONE and integration AWS_PROXY, not a MOCK CORS preflight",
            )],
        ),
        ("apigatewayv2/compliant", &[]),
        (
            "apigatewayv2/options_proxied",
            &[(
                "VGL-APIGW-003",
                "HTTP API admin-http (mzq4tr8c): route OPTIONS /admin has authorizationType NONE and target integrations/k8d2m4q, not a CORS preflight answered by API Gateway",
            )],
        ),
        ("apigatewayv2/websocket", &[]),
        (
            "apigatewayv2/open_route",
            &[(
                "VGL-APIGW-003",
                "HTTP API public-http (pybhgedr): route GET /status has authorizationType NONE",
            )],
        ),
        (
            "apigatewayv2/websocket_open_connect",
            &[(
                "VGL-APIGW-003",
                "WebSocket API chat-ws (thhppwce): route $connect has authorizationType NONE",
            )],
        ),
    ];
    for (name, expected) in cases {
        let got = failing(&fixture(name));
        let want: BTreeSet<(String, String)> = expected
            .iter()
            .map(|(r, m)| (r.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, want, "fixture {name}");
    }
}

#[test]
fn api_gateway_rules_apply_to_their_own_resource_type_only() {
    let set = PolicySet::load(&LoadOptions::default()).unwrap();
    let ids = |t: &str| -> BTreeSet<String> { set.rules_for(t).map(|r| r.id.clone()).collect() };
    let rest = ids("AWS::ApiGateway::RestApi");
    let v2 = ids("AWS::ApiGatewayV2::Api");
    let set_of = |ids: &[&str]| -> BTreeSet<String> { ids.iter().map(|i| i.to_string()).collect() };
    assert_eq!(
        rest,
        set_of(&[
            "VGL-APIGW-001",
            "VGL-APIGW-002",
            "VGL-APIGW-004",
            "VGL-APIGW-005",
            "VGL-APIGW-006",
            "VGL-APIGW-007",
            "VGL-APIGW-008",
            "VGL-APIGW-009",
        ])
    );
    assert_eq!(v2, set_of(&["VGL-APIGW-003", "VGL-APIGW-011"]));
    assert_eq!(
        ids("AWS::ApiGateway::DomainName"),
        set_of(&["VGL-APIGW-010"])
    );
}
