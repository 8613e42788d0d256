package vigil.rules.lambda.code_signing_enforced_test

import rego.v1

import data.vigil.rules.lambda.code_signing_enforced as rule

compliant := data.fixtures.lambda.compliant

enforced := data.fixtures.lambda.code_signing_enforced

warn := data.fixtures.lambda.code_signing_warn

account := {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}}

req(doc) := {
	"resource": doc,
	"account": account,
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

req_in(doc, ou) := object.union(req(doc), {"account": {"ouPath": ou}})

params(list) := {"lambda": {"code_signing_required_for": list}}

test_not_required_by_default if {
	rule.deny == set() with input as req(compliant)
	rule.deny == set() with input as req(warn)
	rule.error == set() with input as req(data.fixtures.lambda.code_signing_unreadable)
}

test_not_required_in_other_accounts_or_units if {
	p := params(["444455556666", "Root/Workloads/Dev", "Root/Sandbox", "Root/Work"])
	rule.deny == set() with input as req(compliant) with data.vigil.params as p
	rule.error == set() with input as req(data.fixtures.lambda.code_signing_unreadable) with data.vigil.params as p
}

test_enforced_passes_where_required if {
	rule.deny == set() with input as req(enforced) with data.vigil.params as params(["*"])
	rule.error == set() with input as req(enforced) with data.vigil.params as params(["*"])
}

test_no_config_fails_where_required if {
	rule.deny == {"function orders-api has no code signing config (required here by params.lambda.code_signing_required_for: *)"} with input as req(compliant) with data.vigil.params as params(["*"])
	rule.deny == {"function orders-api has no code signing config (required here by params.lambda.code_signing_required_for: 111122223333)"} with input as req(compliant) with data.vigil.params as params(["111122223333", "444455556666"])
}

test_empty_arn_is_no_config if {
	doc := object.union(compliant, {"supplementaryConfiguration": {"codeSigningConfigArn": ""}})
	rule.deny == {"function orders-api has no code signing config (required here by params.lambda.code_signing_required_for: 111122223333)"} with input as req(doc) with data.vigil.params as params(["111122223333"])
}

test_unit_path_covers_the_units_below_it if {
	msg := "function orders-api has no code signing config (required here by params.lambda.code_signing_required_for: Root/Workloads, Root/Workloads/Prod/)"
	rule.deny == {msg} with input as req(compliant) with data.vigil.params as params(["Root/Workloads/Prod/", "Root/Workloads"])
	rule.deny == {"function orders-api has no code signing config (required here by params.lambda.code_signing_required_for: Root/Workloads/Prod)"} with input as req(compliant) with data.vigil.params as params(["Root/Workloads/Prod"])
}

test_unit_path_is_matched_by_whole_names if {
	rule.deny == set() with input as req_in(compliant, "Root/Workloads-Legacy") with data.vigil.params as params(["Root/Workloads"])
}

test_warn_only_fails_where_required if {
	rule.deny == {"function payments-warn-only: code signing config arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0a1b2c3d4e5f6a7b8 does not block untrusted code (UntrustedArtifactOnDeployment: Warn; required here by params.lambda.code_signing_required_for: Root)"} with input as req(warn) with data.vigil.params as params(["Root"])
}

test_policy_not_reported_fails_where_required if {
	doc := object.union(enforced, {"supplementaryConfiguration": {"codeSigningConfig": {"codeSigningPolicies": null}}})
	rule.deny == {"function payments-signed: code signing config arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0a1b2c3d4e5f6a7b8 does not block untrusted code (UntrustedArtifactOnDeployment: not reported; required here by params.lambda.code_signing_required_for: *)"} with input as req(doc) with data.vigil.params as params(["*"])
}

test_unreadable_config_is_an_error_where_required if {
	doc := data.fixtures.lambda.code_signing_unreadable
	rule.deny == set() with input as req(doc) with data.vigil.params as params(["*"])
	rule.error == {"supplementaryConfiguration.codeSigningConfig could not be read: GetCodeSigningConfig failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: lambda:GetCodeSigningConfig on resource: arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0a1b2c3d4e5f6a7b8 because no identity-based policy allows the lambda:GetCodeSigningConfig action"} with input as req(doc) with data.vigil.params as params(["*"])
}

test_unreadable_arn_is_an_error_where_required if {
	e := {"operation": "GetFunctionCodeSigningConfig", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["codeSigningConfigArn"]),
		"collectionErrors": {"supplementaryConfiguration.codeSigningConfigArn": e},
	})
	rule.deny == set() with input as req(doc) with data.vigil.params as params(["*"])
	rule.error == {"supplementaryConfiguration.codeSigningConfigArn could not be read: GetFunctionCodeSigningConfig failed with AccessDeniedException: denied"} with input as req(doc) with data.vigil.params as params(["*"])
}

test_config_not_collected_is_an_error_where_required if {
	doc := object.union(object.remove(enforced, ["supplementaryConfiguration"]), {"supplementaryConfiguration": object.remove(enforced.supplementaryConfiguration, ["codeSigningConfig"])})
	rule.deny == set() with input as req(doc) with data.vigil.params as params(["*"])
	rule.error == {"function payments-signed: code signing config arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0a1b2c3d4e5f6a7b8 was not collected, so whether it enforces signatures is unknown (required here by params.lambda.code_signing_required_for: *)"} with input as req(doc) with data.vigil.params as params(["*"])
}

test_entries_that_are_not_strings_are_ignored if {
	rule.deny == set() with input as req(compliant) with data.vigil.params as params([111122223333, null, ["*"]])
	rule.deny == set() with input as req(compliant) with data.vigil.params as {"lambda": {"code_signing_required_for": "*"}}
}

test_account_id_from_the_document_when_the_context_has_none if {
	r := object.union(req(compliant), {"account": {"id": null, "ouPath": null}})
	rule.deny == {"function orders-api has no code signing config (required here by params.lambda.code_signing_required_for: 111122223333)"} with input as r with data.vigil.params as params(["111122223333", "Root"])
}
