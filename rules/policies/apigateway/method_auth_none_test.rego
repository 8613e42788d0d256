package vigil.rules.apigateway.method_auth_none_test

import rego.v1

import data.vigil.rules.apigateway.method_auth_none

compliant := data.fixtures.apigateway.compliant

custom_authorizer := data.fixtures.apigateway.custom_authorizer

open_method := data.fixtures.apigateway.open_method

open_method_unlogged_stage := data.fixtures.apigateway.open_method_unlogged_stage

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_resources(doc, resources) := object.union(doc, {"supplementaryConfiguration": {"resources": resources}})

method(http_method, auth) := {
	"httpMethod": http_method,
	"authorizationType": auth,
	"authorizerId": null,
	"authorizationScopes": [],
	"apiKeyRequired": false,
	"operationName": null,
}

open_reports_msg := "REST API reports-rest (7fpcwabfdc): method GET /reports has authorizationType NONE"

test_iam_methods_and_open_options_preflight_pass if {
	some r in compliant.supplementaryConfiguration.resources
	some m in r.methods
	m.httpMethod == "OPTIONS"
	m.authorizationType == "NONE"
	method_auth_none.deny == set() with input as req(compliant)
}

test_custom_authorizer_passes if {
	custom_authorizer.supplementaryConfiguration.resources[0].methods[0].authorizationType == "CUSTOM"
	method_auth_none.deny == set() with input as req(custom_authorizer)
}

test_open_method_fails if {
	method_auth_none.deny == {open_reports_msg} with input as req(open_method)
}

test_unlogged_stage_is_not_this_rules_business if {
	method_auth_none.deny == {open_reports_msg} with input as req(open_method_unlogged_stage)
}

test_any_method_without_auth_fails if {
	doc := with_resources(compliant, [{"id": "r0", "parentId": null, "path": "/", "methods": [method("ANY", "NONE")]}])
	method_auth_none.deny == {"REST API orders-rest (k1drhlrj5u): method ANY / has authorizationType NONE"} with input as req(doc)
}

test_one_finding_per_open_method if {
	doc := with_resources(compliant, [
		{"id": "r0", "parentId": null, "path": "/", "methods": [method("GET", "NONE"), method("OPTIONS", "NONE")]},
		{"id": "r1", "parentId": "r0", "path": "/orders", "methods": [method("DELETE", "NONE"), method("GET", "AWS_IAM"), method("POST", "COGNITO_USER_POOLS")]},
	])
	method_auth_none.deny == {
		"REST API orders-rest (k1drhlrj5u): method GET / has authorizationType NONE",
		"REST API orders-rest (k1drhlrj5u): method DELETE /orders has authorizationType NONE",
	} with input as req(doc)
}

test_unknown_resources_pass if {
	# GetResources failed: the collector leaves null and records an error of its own.
	method_auth_none.deny == set() with input as req(with_resources(open_method, null))
	method_auth_none.deny == set() with input as req(with_resources(open_method, [{"id": "r0", "path": "/", "methods": null}]))
}

test_api_without_name_is_named_by_id if {
	doc := object.union(open_method, {"configuration": {"name": null}})
	method_auth_none.deny == {"REST API 7fpcwabfdc: method GET /reports has authorizationType NONE"} with input as req(doc)
}
