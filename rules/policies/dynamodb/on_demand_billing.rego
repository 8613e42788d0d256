# METADATA
# title: DynamoDB table does not use on-demand capacity
# description: Tables in this platform use on-demand capacity (PAY_PER_REQUEST), which scales with traffic and never throttles on a forgotten capacity setting. A table without a billing mode summary is provisioned (DescribeTable omits it for tables that were never switched). Tables named, by name or ARN, in params.dynamodb.provisioned_allowed are exempt. Stricter than Security Hub DynamoDB.1, AWS Config dynamodb-autoscaling-enabled and Prowler dynamodb_table_autoscaling_enabled, which pass any provisioned table with auto scaling; here a provisioned table passes only when params exempt it.
# custom:
#   id: VGL-DDB-003
#   severity: low
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Switch the table to on-demand (aws dynamodb update-table --table-name NAME --billing-mode PAY_PER_REQUEST) or add its name or ARN to params.dynamodb.provisioned_allowed.
#   related:
#     fsbp: [DynamoDB.1]
#     aws_config: [dynamodb-autoscaling-enabled]
#     prowler: [dynamodb_table_autoscaling_enabled]
package vigil.rules.dynamodb.on_demand_billing

import rego.v1

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

deny contains msg if {
	billing_mode != "PAY_PER_REQUEST"
	not exempt
	msg := sprintf("table %s uses %s billing%s, not on-demand (PAY_PER_REQUEST)", [table_name, billing_mode, capacity])
}
