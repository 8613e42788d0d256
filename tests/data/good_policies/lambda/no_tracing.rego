# METADATA
# title: Lambda function has no active X-Ray tracing
# description: A user rule used by vigil's CLI tests; it must load beside the built-in library.
# custom:
#   id: VGL-CUSTOM-001
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: Set TracingConfig.Mode to Active.
package vigil.rules.lambda.user_no_tracing

import rego.v1

deny contains msg if {
	object.get(input.resource.configuration, ["tracingConfig", "mode"], "PassThrough") != "Active"
	msg := sprintf("function %s has no active tracing", [input.resource.resourceId])
}
