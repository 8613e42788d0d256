# METADATA
# title: DynamoDB table has deletion protection disabled
# description: Without deletion protection one DeleteTable call (a mistaken script, a stack teardown) removes the table and its items. DescribeTable reports deletionProtectionEnabled; a table that does not report it is treated as unprotected, as AWS creates tables without protection by default.
# custom:
#   id: VGL-DDB-004
#   severity: medium
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Enable deletion protection (aws dynamodb update-table --table-name NAME --deletion-protection-enabled).
#   related:
#     fsbp: [DynamoDB.6]
#     aws_config: [dynamodb-table-deletion-protection-enabled]
#     prowler: [dynamodb_table_deletion_protection_enabled]
package vigil.rules.dynamodb.deletion_protection

import rego.v1

table_name := name if {
	name := input.resource.configuration.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

protected if input.resource.configuration.deletionProtectionEnabled == true

deny contains msg if {
	not protected
	msg := sprintf("table %s has deletion protection disabled", [table_name])
}
