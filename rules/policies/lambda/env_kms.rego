# METADATA
# title: Lambda environment variables are not encrypted with a customer-managed KMS key
# description: A function that has environment variables must encrypt them with a customer-managed KMS key (kmsKeyArn); without one Lambda uses the AWS managed key, whose use cannot be restricted or audited per function.
# custom:
#   id: VGL-LAMBDA-002
#   severity: high
#   resource_types: [AWS::Lambda::Function]
#   remediation: Set KMSKeyArn on the function to a customer-managed KMS key, or move the values to Secrets Manager or SSM Parameter Store.
#   related:
#     prowler: [awslambda_function_env_vars_not_encrypted_with_cmk]
package vigil.rules.lambda.env_kms

import rego.v1

cfg := input.resource.configuration

function_name := name if {
	name := cfg.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

variable_names := names if {
	names := cfg.environment.variableNames
	is_array(names)
} else := []

has_customer_key if {
	is_string(cfg.kmsKeyArn)
	cfg.kmsKeyArn != ""
}

deny contains msg if {
	count(variable_names) > 0
	not has_customer_key
	msg := sprintf("function %s has %d environment variable(s) (%s) and no customer-managed KMS key", [
		function_name, count(variable_names), concat(", ", sort(variable_names)),
	])
}
