# METADATA
# title: DynamoDB table has point-in-time recovery disabled
# description: Without point-in-time recovery a table cannot be restored to any second of the last 35 days after a bad write or delete. A table whose continuous-backups status could not be read is not assessed here (the failed call is reported as a scan error).
# custom:
#   id: VGL-DDB-001
#   severity: high
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Enable point-in-time recovery (aws dynamodb update-continuous-backups --table-name NAME --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true).
package vigil.rules.dynamodb.pitr_enabled

import rego.v1

table_name := name if {
	name := input.resource.configuration.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

backups := input.resource.supplementaryConfiguration.continuousBackups

pitr_status := status if {
	status := backups.pointInTimeRecoveryDescription.pointInTimeRecoveryStatus
	is_string(status)
} else := "not reported"

deny contains msg if {
	is_object(backups)
	pitr_status != "ENABLED"
	msg := sprintf("table %s has point-in-time recovery disabled (status: %s)", [table_name, pitr_status])
}
