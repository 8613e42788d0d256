# METADATA
# title: A rule with a Rego syntax error
# description: Line 15 is not Rego.
# custom:
#   id: VGL-CUSTOM-101
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: None.
package vigil.rules.lambda.user_broken

import rego.v1

deny contains msg if {
	input.resource.resourceId == "x"
	msg := sprintf("bad %s" [input.resource.resourceId])
}
