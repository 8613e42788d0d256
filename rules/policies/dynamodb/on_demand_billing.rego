# METADATA
# title: DynamoDB table does not use on-demand capacity
# description: Tables in this platform use on-demand capacity (PAY_PER_REQUEST), which scales with traffic and never throttles on a forgotten capacity setting. A table without a billing mode summary is provisioned (DescribeTable omits it for tables that were never switched). Tables named, by name or ARN, in params.dynamodb.provisioned_allowed are exempt. With params.dynamodb.provisioned_with_autoscaling_allowed = true, a provisioned table also passes when Application Auto Scaling targets cover both its read and its write capacity (table-level scalable dimensions, dynamic scale-out not suspended); the scaling targets that could not be read then give an error instead of a verdict. By default (false) stricter than Security Hub DynamoDB.1, AWS Config dynamodb-autoscaling-enabled and Prowler dynamodb_table_autoscaling_enabled, which pass any provisioned table with auto scaling; here a provisioned table passes only when params exempt it.
# custom:
#   id: VGL-DDB-003
#   severity: low
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Switch the table to on-demand (aws dynamodb update-table --table-name NAME --billing-mode PAY_PER_REQUEST) or add its name or ARN to params.dynamodb.provisioned_allowed (or register auto scaling targets for its read and write capacity and set params.dynamodb.provisioned_with_autoscaling_allowed).
#   related:
#     fsbp: [DynamoDB.1]
#     aws_config: [dynamodb-autoscaling-enabled]
#     prowler: [dynamodb_table_autoscaling_enabled]
package vigil.rules.dynamodb.on_demand_billing

import rego.v1

import data.vigil.lib.document

cfg := input.resource.configuration

table_name := name if {
	name := cfg.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

billing_mode := mode if {
	mode := cfg.billingModeSummary.billingMode
	is_string(mode)
} else := "PROVISIONED"

provisioned_allowed := object.get(data.vigil.params, ["dynamodb", "provisioned_allowed"], [])

# Exempt by name or by full ARN (the ARN singles out one table among same-named ones).
exempt if table_name in provisioned_allowed

exempt if input.resource.arn in provisioned_allowed

capacity := sprintf(" (%v read / %v write capacity units)", [cfg.provisionedThroughput.readCapacityUnits, cfg.provisionedThroughput.writeCapacityUnits]) if {
	is_number(cfg.provisionedThroughput.readCapacityUnits)
	is_number(cfg.provisionedThroughput.writeCapacityUnits)
} else := ""

autoscaling_allowed if data.vigil.params.dynamodb.provisioned_with_autoscaling_allowed == true

auto_scaling := input.resource.supplementaryConfiguration.autoScaling

# A scaling target that can scale the capacity up.
scales(target) if {
	is_object(target)
	not object.get(target, ["suspendedState", "dynamicScalingOutSuspended"], false) == true
}

auto_scaled if {
	scales(auto_scaling.readCapacityUnits)
	scales(auto_scaling.writeCapacityUnits)
}

scaled_dimensions := [name |
	some name, dimension in {"read": "readCapacityUnits", "write": "writeCapacityUnits"}
	scales(object.get(auto_scaling, dimension, null))
] if is_object(auto_scaling) else := []

coverage := "; auto scaling covers neither its read nor its write capacity" if {
	count(scaled_dimensions) == 0
} else := sprintf("; auto scaling covers its %s capacity only", [scaled_dimensions[0]])

unreadable_scaling := document.unreadable({"supplementaryConfiguration.autoScaling"})

provisioned_by_billing if {
	billing_mode != "PAY_PER_REQUEST"
	not exempt
}

# The scaling targets decide only when params let auto scaling exempt a provisioned table.
error contains reason if {
	autoscaling_allowed
	provisioned_by_billing
	some reason in unreadable_scaling
}

deny contains msg if {
	provisioned_by_billing
	not autoscaling_allowed
	msg := sprintf("table %s uses %s billing%s, not on-demand (PAY_PER_REQUEST)", [table_name, billing_mode, capacity])
}

deny contains msg if {
	provisioned_by_billing
	autoscaling_allowed
	count(unreadable_scaling) == 0
	not auto_scaled
	msg := sprintf("table %s uses %s billing%s, not on-demand (PAY_PER_REQUEST)%s", [table_name, billing_mode, capacity, coverage])
}
