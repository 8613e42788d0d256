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

autoscaled := data.fixtures.dynamodb.autoscaled

autoscaled_msg(suffix) := {sprintf("table payments-fx uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST)%s", [suffix])}

with_scaling(doc, scaling) := object.union(doc, {"supplementaryConfiguration": {"autoScaling": scaling}})

test_autoscaled_table_fails_by_default if {
	data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed == false
	on_demand_billing.deny == autoscaled_msg("") with input as req(autoscaled)
}

test_autoscaled_table_passes_when_allowed if {
	on_demand_billing.deny == set() with input as req(autoscaled)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
	on_demand_billing.error == set() with input as req(autoscaled)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
}

test_partial_autoscaling_fails_when_allowed if {
	t := autoscaled.supplementaryConfiguration.autoScaling.readCapacityUnits
	on_demand_billing.deny == autoscaled_msg("; auto scaling covers its read capacity only") with input as req(with_scaling(autoscaled, {"readCapacityUnits": t, "writeCapacityUnits": null}))
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
	on_demand_billing.deny == autoscaled_msg("; auto scaling covers its write capacity only") with input as req(with_scaling(autoscaled, {"readCapacityUnits": null, "writeCapacityUnits": t}))
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
}

test_no_autoscaling_fails_when_allowed if {
	on_demand_billing.deny == {"table payments-rates uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST); auto scaling covers neither its read nor its write capacity"} with input as req(provisioned)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
}

test_suspended_scale_out_does_not_count if {
	t := autoscaled.supplementaryConfiguration.autoScaling.writeCapacityUnits
	suspended := object.union(t, {"suspendedState": {"dynamicScalingOutSuspended": true}})
	on_demand_billing.deny == autoscaled_msg("; auto scaling covers its read capacity only") with input as req(with_scaling(autoscaled, {"readCapacityUnits": t, "writeCapacityUnits": suspended}))
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
}

scaling_error := {"operation": "DescribeScalableTargets", "code": "AccessDeniedException", "message": "denied"}

unreadable_scaling_doc := object.union(
	object.union(autoscaled, {"supplementaryConfiguration": object.remove(autoscaled.supplementaryConfiguration, ["autoScaling"])}),
	{"collectionErrors": {"supplementaryConfiguration.autoScaling": scaling_error}},
)

test_unreadable_scaling_is_an_error_only_when_allowed if {
	on_demand_billing.error == {"supplementaryConfiguration.autoScaling could not be read: DescribeScalableTargets failed with AccessDeniedException: denied"} with input as req(unreadable_scaling_doc)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
	on_demand_billing.deny == set() with input as req(unreadable_scaling_doc)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true

	# By default the scaling targets do not matter: the provisioned table fails as before.
	on_demand_billing.error == set() with input as req(unreadable_scaling_doc)
	on_demand_billing.deny == autoscaled_msg("") with input as req(unreadable_scaling_doc)
}

test_unreadable_scaling_of_an_exempt_table_is_no_error if {
	on_demand_billing.error == set() with input as req(unreadable_scaling_doc)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as true
		with data.vigil.params.dynamodb.provisioned_allowed as ["payments-fx"]
}

test_non_boolean_allowance_is_not_an_allowance if {
	on_demand_billing.deny == autoscaled_msg("") with input as req(autoscaled)
		with data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed as "true"
}
