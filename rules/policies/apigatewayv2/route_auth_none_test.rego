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

test_open_options_preflight_route_passes if {
	doc := with_routes(compliant, [route("OPTIONS /me", "NONE"), route("OPTIONS /{proxy+}", "NONE"), route("GET /me", "AWS_IAM")])
	route_auth_none.deny == set() with input as req(doc)
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

test_unknown_routes_pass if {
	# GetRoutes failed: the collector leaves null and records an error of its own.
	route_auth_none.deny == set() with input as req(with_routes(open_route, null))
}
