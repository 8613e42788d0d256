package vigil.rules.apigateway.stage_execution_logging_test

import rego.v1

import data.vigil.rules.apigateway.stage_execution_logging

compliant := data.fixtures.apigateway.compliant

custom_authorizer := data.fixtures.apigateway.custom_authorizer

stage_unlogged := data.fixtures.apigateway.stage_unlogged

cache_unencrypted := data.fixtures.apigateway.stage_cache_unencrypted

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

base_stage := compliant.supplementaryConfiguration.stages[0]

# object.union merges nested objects: drop the fixture's settings first so that they are replaced.
stage(name, settings) := object.union(object.remove(base_stage, ["stageName", "methodSettings"]), {"stageName": name, "methodSettings": settings})

level(l) := object.union(base_stage.methodSettings["*/*"], {"loggingLevel": l})

test_info_and_error_pass if {
	compliant.supplementaryConfiguration.stages[0].methodSettings["*/*"].loggingLevel == "INFO"
	stage_execution_logging.deny == set() with input as req(compliant)
	doc := with_stages(compliant, [stage("prod", {"*/*": level("ERROR")}), stage("beta", {"*/*": level("info")})])
	stage_execution_logging.deny == set() with input as req(doc)
}

test_stage_without_method_settings_fails if {
	stage_execution_logging.deny == {
		"REST API reports-rest (7fpcwabfdc): stage dev has execution logging off (methodSettings */* loggingLevel: not set)",
		"REST API reports-rest (7fpcwabfdc): stage prod has execution logging off (methodSettings */* loggingLevel: not set)",
	} with input as req(stage_unlogged)
}

test_level_off_fails if {
	doc := with_stages(compliant, [stage("prod", {"*/*": level("OFF")})])
	stage_execution_logging.deny == {"REST API orders-rest (k1drhlrj5u): stage prod has execution logging off (methodSettings */* loggingLevel: OFF)"} with input as req(doc)
}

# moto and hand-written documents: method settings without a loggingLevel, or of the wrong type.
test_missing_or_malformed_level_fails if {
	doc := with_stages(compliant, [
		stage("a", {"*/*": object.remove(level("INFO"), ["loggingLevel"])}),
		stage("b", {"*/*": level(null)}),
		stage("c", {"*/*": "INFO"}),
		stage("d", null),
	])
	stage_execution_logging.deny == {
		"REST API orders-rest (k1drhlrj5u): stage a has execution logging off (methodSettings */* loggingLevel: not set)",
		"REST API orders-rest (k1drhlrj5u): stage b has execution logging off (methodSettings */* loggingLevel: not set)",
		"REST API orders-rest (k1drhlrj5u): stage c has execution logging off (methodSettings */* loggingLevel: not set)",
		"REST API orders-rest (k1drhlrj5u): stage d has execution logging off (methodSettings */* loggingLevel: not set)",
	} with input as req(doc)
}

test_override_turning_logging_off_fails if {
	stage_execution_logging.deny == {"REST API catalog-rest (h3x9c0a7qe): stage prod turns execution logging off for method ~1products/GET (methodSettings loggingLevel: OFF)"} with input as req(cache_unencrypted)
}

test_override_without_level_or_with_logging_on_passes if {
	doc := with_stages(compliant, [stage("prod", {
		"*/*": level("ERROR"),
		"~1orders/GET": level("INFO"),
		"~1orders/POST": object.remove(level("INFO"), ["loggingLevel"]),
	})])
	stage_execution_logging.deny == set() with input as req(doc)
}

test_default_off_and_override_off_are_two_findings if {
	doc := with_stages(compliant, [stage("prod", {"*/*": level("OFF"), "~1orders/DELETE": level("OFF"), "~1orders/GET": level("ERROR")})])
	stage_execution_logging.deny == {
		"REST API orders-rest (k1drhlrj5u): stage prod has execution logging off (methodSettings */* loggingLevel: OFF)",
		"REST API orders-rest (k1drhlrj5u): stage prod turns execution logging off for method ~1orders/DELETE (methodSettings loggingLevel: OFF)",
	} with input as req(doc)
}

test_api_without_stages_passes if {
	custom_authorizer.supplementaryConfiguration.stages == []
	stage_execution_logging.deny == set() with input as req(custom_authorizer)
	stage_execution_logging.deny == set() with input as req(with_stages(compliant, null))
}

test_unreadable_stages_are_an_error if {
	e := {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(stage_unlogged, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(stage_unlogged.supplementaryConfiguration, ["stages"]),
		"collectionErrors": {"supplementaryConfiguration.stages": e},
	})
	stage_execution_logging.deny == set() with input as req(doc)
	stage_execution_logging.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with AccessDeniedException: denied"} with input as req(doc)
	stage_execution_logging.error == set() with input as req(object.union(compliant, {"collectionErrors": {"supplementaryConfiguration.resources": e}}))
}

test_stage_without_a_name_is_still_flagged if {
	doc := with_stages(compliant, [object.remove(stage("x", {"*/*": level("OFF")}), ["stageName"])])
	stage_execution_logging.deny == {"REST API orders-rest (k1drhlrj5u): stage ? has execution logging off (methodSettings */* loggingLevel: OFF)"} with input as req(doc)
}
