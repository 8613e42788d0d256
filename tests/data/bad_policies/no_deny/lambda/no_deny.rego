# METADATA
# title: A rule that declares no deny
# description: It has a violation rule instead, which vigil never reads.
# custom:
#   id: VGL-CUSTOM-104
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: None.
package vigil.rules.lambda.user_no_deny

import rego.v1

violation contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
