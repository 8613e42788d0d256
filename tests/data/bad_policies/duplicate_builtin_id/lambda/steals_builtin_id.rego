# METADATA
# title: A user rule that reuses a built-in rule id
# description: VGL-LAMBDA-001 belongs to the built-in library.
# custom:
#   id: VGL-LAMBDA-001
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: None.
package vigil.rules.lambda.user_steals_builtin_id

import rego.v1

deny contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
