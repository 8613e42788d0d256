# METADATA
# title: DynamoDB table is encrypted with the AWS-owned key, not KMS
# description: A table encrypted with the AWS-owned key (no SSE description, or SSE not enabled) cannot have its key use restricted by key policy or audited in CloudTrail. Tables encrypted with a KMS key, customer-managed or the AWS managed aws/dynamodb key, pass.
# custom:
#   id: VGL-DDB-002
#   severity: medium
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Switch the table's encryption to a customer-managed KMS key (aws dynamodb update-table --table-name NAME --sse-specification Enabled=true,SSEType=KMS,KMSMasterKeyId=KEY_ARN).
#   related:
#     aws_config: [dynamodb-table-encrypted-kms]
#     prowler: [dynamodb_tables_kms_cmk_encryption_enabled]
package vigil.rules.dynamodb.kms_encryption

import rego.v1

table_name := name if {
	name := input.resource.configuration.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

sse := object.get(input.resource.configuration, "sseDescription", null)

# A switch to or between KMS keys in progress still encrypts with KMS.
kms_statuses := {"ENABLED", "ENABLING", "UPDATING"}

encrypted_with_kms if {
	sse.sseType == "KMS"
	sse.status in kms_statuses
}

detail := "no SSE description" if {
	not is_object(sse)
} else := sprintf("SSE type %v, status %v", [object.get(sse, "sseType", null), object.get(sse, "status", null)])

deny contains msg if {
	not encrypted_with_kms
	msg := sprintf("table %s is encrypted with the AWS-owned key, not a KMS key (%s)", [table_name, detail])
}
