package vigil.rules.apigateway.stage_tracing_test

import rego.v1

import data.vigil.rules.apigateway.stage_tracing

compliant := data.fixtures.apigateway.compliant

stage_unlogged := data.fixtures.apigateway.stage_unlogged

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

stage(name, tracing) := object.union(compliant.supplementaryConfiguration.stages[0], {"stageName": name, "tracingEnabled": tracing})

test_traced_stage_passes if {
	compliant.supplementaryConfiguration.stages[0].tracingEnabled == true
	stage_tracing.deny == set() with input as req(compliant)
}

test_untraced_stages_fail if {
	stage_tracing.deny == {
		"REST API reports-rest (7fpcwabfdc): stage dev has X-Ray tracing off",
		"REST API reports-rest (7fpcwabfdc): stage prod has X-Ray tracing off",
	} with input as req(stage_unlogged)
}

test_tracing_not_reported_or_not_a_boolean_fails if {
	doc := with_stages(compliant, [
		object.remove(stage("a", true), ["tracingEnabled"]),
		stage("b", null),
		stage("c", "true"),
		stage("d", true),
	])
	stage_tracing.deny == {
		"REST API orders-rest (k1drhlrj5u): stage a has X-Ray tracing off",
		"REST API orders-rest (k1drhlrj5u): stage b has X-Ray tracing off",
		"REST API orders-rest (k1drhlrj5u): stage c has X-Ray tracing off",
	} with input as req(doc)
}

test_api_without_stages_passes if {
	stage_tracing.deny == set() with input as req(data.fixtures.apigateway.custom_authorizer)
	stage_tracing.deny == set() with input as req(with_stages(compliant, null))
}

test_unreadable_stages_are_an_error if {
	e := {"operation": "GetStages", "code": "TooManyRequestsException", "message": "Rate exceeded"}
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["stages"]),
		"collectionErrors": {"supplementaryConfiguration.stages": e},
	})
	stage_tracing.deny == set() with input as req(doc)
	stage_tracing.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with TooManyRequestsException: Rate exceeded"} with input as req(doc)
}
