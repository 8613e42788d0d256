# METADATA
# title: A rule whose remediation key is misspelled
# description: remediaton is not a key vigil knows; it must not be silently ignored.
# custom:
#   id: VGL-CUSTOM-104
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediaton: Tag it.
package vigil.rules.lambda.user_typo

import rego.v1

deny contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
