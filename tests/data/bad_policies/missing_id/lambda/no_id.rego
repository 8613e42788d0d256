# METADATA
# title: A rule whose METADATA has no custom.id
# description: custom has severity and resource types but no id.
# custom:
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: None.
package vigil.rules.lambda.user_no_id

import rego.v1

deny contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
