# METADATA
# title: User rule first, sharing its id with the other file
# description: Two user files declare the same new id.
# custom:
#   id: VGL-CUSTOM-102
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: None.
package vigil.rules.lambda.user_first

import rego.v1

deny contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
