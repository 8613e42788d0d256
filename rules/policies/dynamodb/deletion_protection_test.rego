package vigil.rules.dynamodb.deletion_protection_test

import rego.v1

import data.vigil.rules.dynamodb.deletion_protection

compliant := data.fixtures.dynamodb.compliant

legacy := data.fixtures.dynamodb.legacy_unprotected

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_protection(doc, value) := object.union(doc, {"configuration": {"deletionProtectionEnabled": value}})

test_protected_table_passes if {
	compliant.configuration.deletionProtectionEnabled == true
	deletion_protection.deny == set() with input as req(compliant)
}

test_unprotected_table_fails if {
	legacy.configuration.deletionProtectionEnabled == false
	deletion_protection.deny == {"table payments-sessions has deletion protection disabled"} with input as req(legacy)
}

test_null_protection_fails if {
	deletion_protection.deny == {"table payments-ledger has deletion protection disabled"} with input as req(with_protection(compliant, null))
}

test_absent_protection_fails if {
	doc := object.union(object.remove(compliant, ["configuration"]), {"configuration": object.remove(compliant.configuration, ["deletionProtectionEnabled"])})
	deletion_protection.deny == {"table payments-ledger has deletion protection disabled"} with input as req(doc)
}

# Only the boolean true protects: a string is not a setting DescribeTable would report.
test_non_boolean_protection_fails if {
	deletion_protection.deny == {"table payments-ledger has deletion protection disabled"} with input as req(with_protection(compliant, "true"))
}

test_table_named_by_resource_id_without_configuration_name if {
	doc := object.union(legacy, {"configuration": {"tableName": null}})
	deletion_protection.deny == {"table payments-sessions has deletion protection disabled"} with input as req(doc)
}
