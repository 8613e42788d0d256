package vigil.rules.apigateway.stage_waf_test

import rego.v1

import data.vigil.rules.apigateway.stage_waf

compliant := data.fixtures.apigateway.compliant

stage_unlogged := data.fixtures.apigateway.stage_unlogged

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

stage(name, acl) := object.union(compliant.supplementaryConfiguration.stages[0], {"stageName": name, "webAclArn": acl})

test_stage_with_web_acl_passes if {
	startswith(compliant.supplementaryConfiguration.stages[0].webAclArn, "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/")
	stage_waf.deny == set() with input as req(compliant)
}

test_stages_without_web_acl_fail if {
	stage_waf.deny == {
		"REST API reports-rest (7fpcwabfdc): stage dev is not associated with an AWS WAF web ACL",
		"REST API reports-rest (7fpcwabfdc): stage prod is not associated with an AWS WAF web ACL",
	} with input as req(stage_unlogged)
}

test_empty_missing_or_malformed_acl_fails if {
	doc := with_stages(compliant, [
		stage("a", ""),
		object.remove(stage("b", null), ["webAclArn"]),
		stage("c", ["arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/x/1"]),
		stage("d", "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/x/1"),
	])
	stage_waf.deny == {
		"REST API orders-rest (k1drhlrj5u): stage a is not associated with an AWS WAF web ACL",
		"REST API orders-rest (k1drhlrj5u): stage b is not associated with an AWS WAF web ACL",
		"REST API orders-rest (k1drhlrj5u): stage c is not associated with an AWS WAF web ACL",
	} with input as req(doc)
}

test_private_api_is_flagged_too if {
	doc := data.fixtures.apigateway.private_vpce
	doc.configuration.endpointConfiguration.types == ["PRIVATE"]
	stage_waf.deny == set() with input as req(doc)
	stage_waf.deny == {"REST API ledger-private (v7pq2r4s6t): stage prod is not associated with an AWS WAF web ACL"} with input as req(with_stages(doc, [stage("prod", null)]))
}

test_api_without_stages_passes if {
	stage_waf.deny == set() with input as req(data.fixtures.apigateway.custom_authorizer)
}

test_unreadable_stages_are_an_error if {
	e := {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["stages"]),
		"collectionErrors": {"supplementaryConfiguration.stages": e},
	})
	stage_waf.deny == set() with input as req(doc)
	stage_waf.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with AccessDeniedException: denied"} with input as req(doc)
}
