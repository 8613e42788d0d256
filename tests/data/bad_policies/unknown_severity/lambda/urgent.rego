# METADATA
# title: A rule with an unknown severity
# description: urgent is not one of critical, high, medium, low, info.
# custom:
#   id: VGL-CUSTOM-103
#   resource_types: [AWS::Lambda::Function]
#   severity: urgent
#   remediation: None.
package vigil.rules.lambda.user_urgent

import rego.v1

deny contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
