# METADATA
# title: A rule for a resource type vigil does not collect
# description: EC2 is not part of the platform.
# custom:
#   id: VGL-CUSTOM-105
#   severity: low
#   resource_types: [AWS::EC2::Instance]
#   remediation: None.
package vigil.rules.lambda.user_ec2

import rego.v1

deny contains msg if {
	input.resource.resourceId == "never"
	msg := "never"
}
