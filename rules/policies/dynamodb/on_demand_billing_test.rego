package vigil.rules.dynamodb.on_demand_billing_test

import rego.v1

import data.vigil.rules.dynamodb.on_demand_billing

compliant := data.fixtures.dynamodb.compliant

provisioned := data.fixtures.dynamodb.provisioned

legacy := data.fixtures.dynamodb.legacy_unprotected

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

provisioned_msg := "table payments-rates uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST)"

test_on_demand_passes if {
	compliant.configuration.billingModeSummary.billingMode == "PAY_PER_REQUEST"
	on_demand_billing.deny == set() with input as req(compliant)
}

test_provisioned_fails if {
	data.vigil.params.dynamodb.provisioned_allowed == []
	on_demand_billing.deny == {provisioned_msg} with input as req(provisioned)
}

# DescribeTable omits BillingModeSummary for tables that were always provisioned.
test_missing_billing_summary_is_provisioned if {
	legacy.configuration.billingModeSummary == null
	on_demand_billing.deny == {"table payments-sessions uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST)"} with input as req(legacy)
}

test_absent_billing_summary_is_provisioned if {
	doc := object.union(object.remove(legacy, ["configuration"]), {"configuration": object.remove(legacy.configuration, ["billingModeSummary"])})
	on_demand_billing.deny == {"table payments-sessions uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST)"} with input as req(doc)
}

test_capacity_left_out_when_unknown if {
	doc := object.union(provisioned, {"configuration": {"provisionedThroughput": null}})
	on_demand_billing.deny == {"table payments-rates uses PROVISIONED billing, not on-demand (PAY_PER_REQUEST)"} with input as req(doc)
}

test_allowed_by_name_passes if {
	on_demand_billing.deny == set() with input as req(provisioned)
		with data.vigil.params.dynamodb.provisioned_allowed as ["other-table", "payments-rates"]
}

test_allowed_by_arn_passes if {
	on_demand_billing.deny == set() with input as req(provisioned)
		with data.vigil.params.dynamodb.provisioned_allowed as [provisioned.arn]
}

test_other_table_allowed_still_fails if {
	on_demand_billing.deny == {provisioned_msg} with input as req(provisioned)
		with data.vigil.params.dynamodb.provisioned_allowed as ["payments-ledger", "arn:aws:dynamodb:eu-west-1:111122223333:table/payments-rates"]
}

test_missing_params_still_fails if {
	on_demand_billing.deny == {provisioned_msg} with input as req(provisioned)
		with data.vigil.params as {}
}
