package vigil.rules.lambda.layer_shared_outside_org_test

import rego.v1

import data.vigil.rules.lambda.layer_shared_outside_org as rule

org := {"id": "o-a1b2c3d4e5", "management_account_id": "999988887777", "account_ids": {"999988887777": true, "111122223333": true, "222233334444": true}}

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny(doc) := d if {
	d := rule.deny with input as req(doc) with data.vigil.organization as org with data.vigil.params.trusted_accounts as []
}

errors(doc) := e if {
	e := rule.error with input as req(doc) with data.vigil.organization as org with data.vigil.params.trusted_accounts as []
}

public := data.fixtures.lambda.layer_public

with_statements(sts) := object.union(public, {"supplementaryConfiguration": {"policy": {"Version": "2012-10-17", "Statement": sts}}})

grant(principal, action) := {"Sid": "s", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}

test_private_layer_passes if {
	deny(data.fixtures.lambda.layer_private) == set()
	errors(data.fixtures.lambda.layer_private) == set()
}

test_public_layer_fails if {
	deny(public) == {"layer otel-collector version 2: policy statement public lets anyone (*) fetch it (lambda:GetLayerVersion)"}
}

test_shared_with_the_organization_passes if {
	deny(data.fixtures.lambda.layer_org_shared) == set()
}

test_shared_with_another_organization_fails if {
	doc := data.fixtures.lambda.layer_org_shared
	d := rule.deny with input as req(doc) with data.vigil.organization as object.union(org, {"id": "o-zzzzzzzzzz"}) with data.vigil.params.trusted_accounts as []
	d == {"layer shared-utils version 7: policy statement org lets organization o-a1b2c3d4e5 fetch it (lambda:GetLayerVersion)"}
}

test_account_outside_the_organization_fails_and_member_passes if {
	deny(data.fixtures.lambda.layer_account_shared) == {"layer shared-utils version 6: policy statement vendor lets account 777788889999 fetch it (lambda:GetLayerVersion)"}
}

test_trusted_account_passes if {
	d := rule.deny with input as req(data.fixtures.lambda.layer_account_shared) with data.vigil.organization as org with data.vigil.params.trusted_accounts as ["777788889999"]
	d == set()
}

test_wildcard_actions_count if {
	deny(with_statements([grant("*", "lambda:Get*")])) == {"layer otel-collector version 2: policy statement s lets anyone (*) fetch it (lambda:GetLayerVersion)"}
	deny(with_statements([grant("*", ["lambda:*"])])) == {"layer otel-collector version 2: policy statement s lets anyone (*) fetch it (lambda:GetLayerVersion)"}
	deny(with_statements([grant("*", "LAMBDA:GETLAYERVERSION")])) == {"layer otel-collector version 2: policy statement s lets anyone (*) fetch it (lambda:GetLayerVersion)"}
}

test_other_actions_do_not_count if {
	deny(with_statements([grant("*", "lambda:ListLayerVersions")])) == set()
	deny(with_statements([object.union(object.remove(grant("*", ""), ["Action"]), {"NotAction": "lambda:GetLayerVersion"})])) == set()
}

test_not_action_leaving_it_in_counts if {
	deny(with_statements([object.union(object.remove(grant("*", ""), ["Action"]), {"NotAction": "lambda:DeleteLayerVersion"})])) == {"layer otel-collector version 2: policy statement s lets anyone (*) fetch it (lambda:GetLayerVersion)"}
}

test_deny_statement_passes if {
	deny(with_statements([object.union(grant("*", "lambda:GetLayerVersion"), {"Effect": "Deny"})])) == set()
}

test_unreadable_policy_is_an_error if {
	doc := data.fixtures.lambda.layer_policy_unreadable
	deny(doc) == set()
	errors(doc) == {"supplementaryConfiguration.policy could not be read: GetLayerVersionPolicy failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: lambda:GetLayerVersionPolicy on resource: arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils:5 because no identity-based policy allows the lambda:GetLayerVersionPolicy action"}
}

test_malformed_statement_is_an_error if {
	# What moto stores for add-layer-version-permission --principal 123456789012: not AWS's form.
	doc := with_statements([{"Sid": "acct", "Effect": "Allow", "Principal": "777788889999", "Action": "lambda:GetLayerVersion", "Resource": "*"}])
	deny(doc) == set()
	errors(doc) == {"layer otel-collector version 2: the layer version policy cannot be judged: statement acct: Principal is not \"*\" or an object of strings or lists of strings"}
}

test_label_falls_back_to_the_resource_id if {
	doc := object.union(public, {"configuration": {"version": "2"}})
	deny(doc) == {"layer otel-collector:2: policy statement public lets anyone (*) fetch it (lambda:GetLayerVersion)"}
}
