package vigil.rules.apigateway.stage_access_logging_test

import rego.v1

import data.vigil.rules.apigateway.stage_access_logging

compliant := data.fixtures.apigateway.compliant

custom_authorizer := data.fixtures.apigateway.custom_authorizer

open_method := data.fixtures.apigateway.open_method

stage_unlogged := data.fixtures.apigateway.stage_unlogged

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

# object.union merges nested objects: drop the fixture's settings first so that they are replaced.
stage(name, settings) := object.union(
	object.remove(compliant.supplementaryConfiguration.stages[0], ["stageName", "accessLogSettings"]),
	{"stageName": name, "accessLogSettings": settings},
)

logs := {"destinationArn": "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/apigateway/orders-rest", "format": "$context.requestId"}

test_logged_stage_passes if {
	startswith(compliant.supplementaryConfiguration.stages[0].accessLogSettings.destinationArn, "arn:aws:logs:")
	stage_access_logging.deny == set() with input as req(compliant)
}

test_open_method_is_not_this_rules_business if {
	stage_access_logging.deny == set() with input as req(open_method)
}

test_api_without_stages_passes if {
	custom_authorizer.supplementaryConfiguration.stages == []
	stage_access_logging.deny == set() with input as req(custom_authorizer)
}

test_stage_without_access_log_settings_fails if {
	stage_access_logging.deny == {"REST API reports-rest (7fpcwabfdc): stage dev has no access logging"} with input as req(stage_unlogged)
}

test_settings_without_destination_fail if {
	doc := with_stages(compliant, [stage("prod", {"format": "$context.requestId"}), stage("beta", {"destinationArn": "", "format": "x"}), stage("v1", logs)])
	stage_access_logging.deny == {
		"REST API orders-rest (k1drhlrj5u): stage prod has no access logging",
		"REST API orders-rest (k1drhlrj5u): stage beta has no access logging",
	} with input as req(doc)
}

test_one_finding_per_unlogged_stage if {
	doc := with_stages(compliant, [stage("prod", null), stage("dev", null), stage("v2", logs)])
	stage_access_logging.deny == {
		"REST API orders-rest (k1drhlrj5u): stage prod has no access logging",
		"REST API orders-rest (k1drhlrj5u): stage dev has no access logging",
	} with input as req(doc)
}

test_null_stages_pass if {
	stage_access_logging.deny == set() with input as req(with_stages(stage_unlogged, null))
}

# Issue 12, item 1: stages that could not be read are an error, not "no stage".
test_unreadable_stages_are_an_error if {
	e := {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(stage_unlogged, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(stage_unlogged.supplementaryConfiguration, ["stages"]),
		"collectionErrors": {"supplementaryConfiguration.stages": e},
	})
	stage_access_logging.deny == set() with input as req(doc)
	stage_access_logging.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with AccessDeniedException: denied"} with input as req(doc)
	others := object.union(compliant, {"collectionErrors": {"supplementaryConfiguration.resources": e}})
	stage_access_logging.error == set() with input as req(others)
}

test_stage_without_a_name_is_still_flagged if {
	doc := with_stages(compliant, [object.remove(stage("prod", null), ["stageName"])])
	stage_access_logging.deny == {"REST API orders-rest (k1drhlrj5u): stage ? has no access logging"} with input as req(doc)
}
