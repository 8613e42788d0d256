package vigil.rules.apigatewayv2.stage_access_logging_test

import rego.v1

import data.vigil.rules.apigatewayv2.stage_access_logging

compliant := data.fixtures.apigatewayv2.compliant

open_route := data.fixtures.apigatewayv2.open_route

websocket := data.fixtures.apigatewayv2.websocket

ws_unlogged := data.fixtures.apigatewayv2.websocket_stage_unlogged

req(doc) := {
	"resource": doc,
	"account": {"id": "777788889999", "name": "sandbox", "email": "aws+sandbox@example.com", "ouPath": "Root/Sandbox", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

stage(name, settings) := object.union(
	object.remove(compliant.supplementaryConfiguration.stages[0], ["stageName", "accessLogSettings"]),
	{"stageName": name, "accessLogSettings": settings},
)

logs := compliant.supplementaryConfiguration.stages[0].accessLogSettings

test_logged_stages_pass if {
	stage_access_logging.deny == set() with input as req(compliant)
	stage_access_logging.deny == set() with input as req(websocket)
}

test_unlogged_http_stage_fails if {
	stage_access_logging.deny == {"HTTP API public-http (pybhgedr): stage $default has no access logging"} with input as req(open_route)
}

test_unlogged_websocket_stage_fails if {
	stage_access_logging.deny == {"WebSocket API quotes-ws (wq3x5z7b): stage dev has no access logging"} with input as req(ws_unlogged)
}

test_settings_without_destination_fail if {
	doc := with_stages(compliant, [stage("prod", {"format": "$context.requestId"}), stage("beta", {"destinationArn": "", "format": "x"}), stage("v1", logs), stage("v2", {"destinationArn": 7})])
	stage_access_logging.deny == {
		"HTTP API jwt-http (kpjzhhmq): stage prod has no access logging",
		"HTTP API jwt-http (kpjzhhmq): stage beta has no access logging",
		"HTTP API jwt-http (kpjzhhmq): stage v2 has no access logging",
	} with input as req(doc)
}

test_api_without_stages_passes if {
	stage_access_logging.deny == set() with input as req(with_stages(compliant, []))
	stage_access_logging.deny == set() with input as req(with_stages(compliant, null))
}

test_unreadable_stages_are_an_error if {
	e := {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(open_route, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(open_route.supplementaryConfiguration, ["stages"]),
		"collectionErrors": {"supplementaryConfiguration.stages": e},
	})
	stage_access_logging.deny == set() with input as req(doc)
	stage_access_logging.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with AccessDeniedException: denied"} with input as req(doc)

	# routes are not this rule's business
	stage_access_logging.error == set() with input as req(data.fixtures.apigatewayv2.routes_unreadable)
}

test_stage_without_a_name_is_still_flagged if {
	doc := with_stages(compliant, [object.remove(stage("x", null), ["stageName"])])
	stage_access_logging.deny == {"HTTP API jwt-http (kpjzhhmq): stage ? has no access logging"} with input as req(doc)
}
