package vigil.rules.lambda.env_kms_test

import rego.v1

import data.vigil.rules.lambda.env_kms

compliant := data.fixtures.lambda.compliant

no_kms := data.fixtures.lambda.env_no_kms

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "r-ab12/ou-ab12-prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

no_kms_msg := "function orders-report has 3 environment variable(s) (API_TOKEN, DB_PASSWORD, TABLE_NAME) and no customer-managed KMS key"

test_variables_with_customer_key_pass if {
	count(compliant.configuration.environment.variableNames) > 0
	env_kms.deny == set() with input as req(compliant)
}

test_variables_without_key_fail if {
	env_kms.deny == {no_kms_msg} with input as req(no_kms)
}

test_variables_with_empty_key_fail if {
	doc := object.union(no_kms, {"configuration": {"kmsKeyArn": ""}})
	env_kms.deny == {no_kms_msg} with input as req(doc)
}

test_variables_with_absent_key_fail if {
	doc := object.union(object.remove(no_kms, ["configuration"]), {"configuration": object.remove(no_kms.configuration, ["kmsKeyArn"])})
	not "kmsKeyArn" in object.keys(doc.configuration)
	env_kms.deny == {no_kms_msg} with input as req(doc)
}

test_no_variables_without_key_pass if {
	doc := object.union(no_kms, {"configuration": {"environment": {"variableNames": []}}})
	env_kms.deny == set() with input as req(doc)
}

test_null_environment_passes if {
	doc := object.union(no_kms, {"configuration": {"environment": null}})
	env_kms.deny == set() with input as req(doc)
}
