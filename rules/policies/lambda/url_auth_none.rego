# METADATA
# title: Lambda function URL has no authentication
# description: A function URL with AuthType NONE can be called by anyone on the internet who knows the URL. Function URL configs that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-LAMBDA-005
#   severity: high
#   resource_types: [AWS::Lambda::Function]
#   remediation: Set the function URL AuthType to AWS_IAM, or delete the function URL and front the function with API Gateway.
#   related:
#     prowler: [awslambda_function_url_public]
package vigil.rules.lambda.url_auth_none

import rego.v1

import data.vigil.lib.document

function_name := name if {
	name := input.resource.configuration.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

url_configs := c if {
	c := input.resource.supplementaryConfiguration.functionUrlConfigs
	is_array(c)
} else := []

# URL configs that could not be listed are not "no URL".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.functionUrlConfigs"})
}

qualifier_note(c) := sprintf(" (qualifier %s)", [c.qualifier]) if {
	is_string(c.qualifier)
	c.qualifier != ""
} else := ""

url(c) := c.functionUrl if is_string(c.functionUrl) else := "(unknown URL)"

deny contains msg if {
	some c in url_configs
	c.authType == "NONE"
	msg := sprintf("function %s has function URL %s%s with AuthType NONE", [
		function_name, url(c), qualifier_note(c),
	])
}
