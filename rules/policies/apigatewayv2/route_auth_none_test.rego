package vigil.rules.apigatewayv2.route_auth_none_test

import rego.v1

import data.vigil.rules.apigatewayv2.route_auth_none

compliant := data.fixtures.apigatewayv2.compliant

open_route := data.fixtures.apigatewayv2.open_route

websocket := data.fixtures.apigatewayv2.websocket

websocket_open_connect := data.fixtures.apigatewayv2.websocket_open_connect

req(doc) := {
	"resource": doc,
	"account": {"id": "777788889999", "name": "sandbox", "email": "aws+sandbox@example.com", "ouPath": "Root/Sandbox", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_routes(doc, routes) := object.union(doc, {"supplementaryConfiguration": {"routes": routes}})

route(key, auth) := object.union(compliant.supplementaryConfiguration.routes[0], {"routeKey": key, "authorizationType": auth, "authorizerId": null})

test_jwt_and_iam_routes_pass if {
	{r.authorizationType | some r in compliant.supplementaryConfiguration.routes} == {"AWS_IAM", "JWT"}
	route_auth_none.deny == set() with input as req(compliant)
}

test_open_http_route_fails if {
	route_auth_none.deny == {"HTTP API public-http (pybhgedr): route GET /status has authorizationType NONE"} with input as req(open_route)
}

test_open_default_route_fails if {
	doc := with_routes(compliant, [route("$default", "NONE"), route("GET /me", "JWT")])
	route_auth_none.deny == {"HTTP API jwt-http (kpjzhhmq): route $default has authorizationType NONE"} with input as req(doc)
}

preflight(key) := object.union(route(key, "NONE"), {"target": null})

test_open_options_preflight_route_passes if {
	doc := with_routes(compliant, [preflight("OPTIONS /me"), preflight("OPTIONS /{proxy+}"), route("GET /me", "AWS_IAM")])
	route_auth_none.deny == set() with input as req(doc)
	route_auth_none.error == set() with input as req(doc)
}

# Issue 12, item 7: an OPTIONS route with a target sends the request to a backend.
test_open_options_route_with_a_target_fails if {
	doc := data.fixtures.apigatewayv2.options_proxied
	route_auth_none.deny == {"HTTP API admin-http (mzq4tr8c): route OPTIONS /admin has authorizationType NONE and target integrations/k8d2m4q, not a CORS preflight answered by API Gateway"} with input as req(doc)
	route_auth_none.error == set() with input as req(doc)
	doc2 := with_routes(compliant, [route("options /me", "NONE"), object.union(route("OPTIONS /x", "NONE"), {"target": 5}), object.union(route("OPTIONS /y", "NONE"), {"target": ""})])
	route_auth_none.deny == {
		"HTTP API jwt-http (kpjzhhmq): route options /me has authorizationType NONE and target integrations/zraeotqj, not a CORS preflight answered by API Gateway",
		"HTTP API jwt-http (kpjzhhmq): route OPTIONS /x has authorizationType NONE and a target, not a CORS preflight answered by API Gateway",
	} with input as req(doc2)
}

test_options_route_without_target_field_is_an_error if {
	doc := with_routes(compliant, [object.remove(route("OPTIONS /me", "NONE"), ["target"])])
	route_auth_none.deny == set() with input as req(doc)
	route_auth_none.error == {"HTTP API jwt-http (kpjzhhmq): route OPTIONS /me has authorizationType NONE and its target was not collected, so whether it is a CORS preflight is unknown"} with input as req(doc)
}

test_route_key_of_the_wrong_type_does_not_hide_an_open_route if {
	doc := with_routes(compliant, [route(42, "NONE")])
	route_auth_none.deny == {"HTTP API jwt-http (kpjzhhmq): route ? has authorizationType NONE"} with input as req(doc)
}

test_websocket_routes_after_an_authorized_connect_pass if {
	{r.routeKey | some r in websocket.supplementaryConfiguration.routes; r.authorizationType == "NONE"} == {"$default", "$disconnect"}
	route_auth_none.deny == set() with input as req(websocket)
}

test_websocket_open_connect_fails if {
	route_auth_none.deny == {"WebSocket API chat-ws (thhppwce): route $connect has authorizationType NONE"} with input as req(websocket_open_connect)
}

test_one_finding_per_open_route if {
	doc := with_routes(open_route, [route("GET /status", "NONE"), route("POST /ingest", "NONE"), route("GET /health", "AWS_IAM")])
	route_auth_none.deny == {
		"HTTP API public-http (pybhgedr): route GET /status has authorizationType NONE",
		"HTTP API public-http (pybhgedr): route POST /ingest has authorizationType NONE",
	} with input as req(doc)
}

test_null_routes_pass if {
	route_auth_none.deny == set() with input as req(with_routes(open_route, null))
}

# Issue 12, item 1: routes that could not be read are an error, not "no route".
test_unreadable_routes_are_an_error if {
	doc := data.fixtures.apigatewayv2.routes_unreadable
	route_auth_none.deny == set() with input as req(doc)
	route_auth_none.error == {"supplementaryConfiguration.routes could not be read: GetRoutes failed with TooManyRequestsException: Rate exceeded"} with input as req(doc)
	e := {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}
	route_auth_none.error == set() with input as req(object.union(compliant, {"collectionErrors": {"supplementaryConfiguration.stages": e}}))
}
