# METADATA
# title: DynamoDB table has point-in-time recovery disabled
# description: Without point-in-time recovery a table cannot be restored to any second of the last 35 days after a bad write or delete. A table whose continuous-backups status could not be read gives an error instead of a verdict.
# custom:
#   id: VGL-DDB-001
#   severity: high
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Enable point-in-time recovery (aws dynamodb update-continuous-backups --table-name NAME --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true).
#   related:
#     fsbp: [DynamoDB.2]
#     aws_config: [dynamodb-pitr-enabled]
#     prowler: [dynamodb_tables_pitr_enabled]
package vigil.rules.dynamodb.pitr_enabled

import rego.v1

import data.vigil.lib.document

table_name := name if {
	name := input.resource.configuration.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

backups := input.resource.supplementaryConfiguration.continuousBackups

pitr_status := status if {
	status := backups.pointInTimeRecoveryDescription.pointInTimeRecoveryStatus
	is_string(status)
} else := "not reported"

# A continuous-backups status that could not be read is not "disabled".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.continuousBackups"})
}

deny contains msg if {
	is_object(backups)
	pitr_status != "ENABLED"
	msg := sprintf("table %s has point-in-time recovery disabled (status: %s)", [table_name, pitr_status])
}
