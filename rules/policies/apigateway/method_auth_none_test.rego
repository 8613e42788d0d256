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
	"integrationType": integration_of(http_method),
}

integration_of(http_method) := "MOCK" if http_method == "OPTIONS" else := "AWS_PROXY"

method_with(http_method, auth, integration) := object.union(method(http_method, auth), {"integrationType": integration})

open_reports_msg := "REST API reports-rest (7fpcwabfdc): method GET /reports has authorizationType NONE"

test_iam_methods_and_open_options_preflight_pass if {
	some r in compliant.supplementaryConfiguration.resources
	some m in r.methods
	m.httpMethod == "OPTIONS"
	m.authorizationType == "NONE"
	m.integrationType == "MOCK"
	method_auth_none.deny == set() with input as req(compliant)
	method_auth_none.error == set() with input as req(compliant)
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

test_null_resources_and_methods_pass if {
	method_auth_none.deny == set() with input as req(with_resources(open_method, null))
	method_auth_none.deny == set() with input as req(with_resources(open_method, [{"id": "r0", "path": "/", "methods": null}]))
}

# Issue 12, item 1: resources that could not be read are an error, not a pass.
test_unreadable_resources_are_an_error if {
	e := {"operation": "GetResources", "code": "TooManyRequestsException", "message": "Rate exceeded"}
	doc := object.union(object.remove(open_method, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(open_method.supplementaryConfiguration, ["resources"]),
		"collectionErrors": {"supplementaryConfiguration.resources": e},
	})
	method_auth_none.deny == set() with input as req(doc)
	method_auth_none.error == {"supplementaryConfiguration.resources could not be read: GetResources failed with TooManyRequestsException: Rate exceeded"} with input as req(doc)

	# the stages and the resource policy are not this rule's business
	others := object.union(compliant, {"collectionErrors": {"supplementaryConfiguration.stages": e, "supplementaryConfiguration.policy": e}})
	method_auth_none.error == set() with input as req(others)
}

# Issue 12, item 7: OPTIONS is exempt only as a CORS preflight that API Gateway answers itself.
test_options_proxied_to_a_backend_fails if {
	method_auth_none.deny == {"REST API admin-rest (q7ms2xk4ad): method OPTIONS /admin has authorizationType NONE and integration AWS_PROXY, not a MOCK CORS preflight"} with input as req(data.fixtures.apigateway.options_proxied)
	method_auth_none.error == set() with input as req(data.fixtures.apigateway.options_proxied)
}

test_options_of_every_non_mock_integration_fails if {
	every pair in [["AWS_PROXY", "AWS_PROXY"], ["AWS", "AWS"], ["HTTP", "HTTP"], ["HTTP_PROXY", "HTTP_PROXY"], ["mock", "mock"], [null, "none"]] {
		integration := pair[0]
		shown := pair[1]
		doc := with_resources(compliant, [{"id": "r1", "parentId": null, "path": "/admin", "methods": [method_with("options", "NONE", integration)]}])
		method_auth_none.deny == {sprintf("REST API orders-rest (k1drhlrj5u): method options /admin has authorizationType NONE and integration %s, not a MOCK CORS preflight", [shown])} with input as req(doc)
	}
}

test_options_with_auth_passes_whatever_its_integration if {
	doc := with_resources(compliant, [{"id": "r1", "parentId": null, "path": "/admin", "methods": [method_with("OPTIONS", "AWS_IAM", "AWS_PROXY")]}])
	method_auth_none.deny == set() with input as req(doc)
}

# A document without integration types (collected by an older vigil, or written by hand): an
# open OPTIONS method may be a preflight or a proxy.
test_options_without_integration_type_is_an_error if {
	m := object.remove(method("OPTIONS", "NONE"), ["integrationType"])
	doc := with_resources(compliant, [{"id": "r1", "parentId": null, "path": "/admin", "methods": [m, object.remove(method("GET", "AWS_IAM"), ["integrationType"])]}])
	method_auth_none.deny == set() with input as req(doc)
	method_auth_none.error == {"REST API orders-rest (k1drhlrj5u): method OPTIONS /admin has authorizationType NONE and its integration type was not collected, so whether it is a CORS preflight is unknown"} with input as req(doc)
}

test_method_fields_of_the_wrong_type_do_not_hide_an_open_method if {
	doc := with_resources(compliant, [{"id": "r1", "parentId": null, "path": 3, "methods": [method(7, "NONE")]}])
	method_auth_none.deny == {"REST API orders-rest (k1drhlrj5u): method ? ? has authorizationType NONE"} with input as req(doc)
}

test_api_without_name_is_named_by_id if {
	doc := object.union(open_method, {"configuration": {"name": null}})
	method_auth_none.deny == {"REST API 7fpcwabfdc: method GET /reports has authorizationType NONE"} with input as req(doc)
}
