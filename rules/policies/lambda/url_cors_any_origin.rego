# METADATA
# title: Public Lambda function URL allows browsers of any origin
# description: A function URL with AuthType NONE whose CORS configuration allows any origin (AllowOrigins contains "*") can be called from a script on any web page, in the browser of whoever visits it, on top of being callable by anyone directly. Every URL of the function is checked, those of its aliases included. A URL with AWS_IAM auth, or one whose CORS configuration lists specific origins or has none (browsers then refuse cross-origin reads), is not flagged (Prowler's awslambda_function_url_cors_policy flags a wildcard origin whatever the auth type). Function URL configs that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-LAMBDA-007
#   severity: high
#   resource_types: [AWS::Lambda::Function]
#   remediation: Set the function URL AuthType to AWS_IAM, or list the origins that may call it (aws lambda update-function-url-config --function-name NAME [--qualifier ALIAS] --cors AllowOrigins=https://app.example.com).
#   related:
#     prowler: [awslambda_function_url_cors_policy]
package vigil.rules.lambda.url_cors_any_origin

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

# Any origin: "*" among the allowed origins (AWS accepts it only on its own, but a list
# holding it allows every origin all the same).
any_origin(c) if {
	is_object(c.cors)
	origins := c.cors.allowOrigins
	is_array(origins)
	"*" in origins
}

deny contains msg if {
	some c in url_configs
	is_object(c)
	c.authType == "NONE"
	any_origin(c)
	msg := sprintf("function %s has function URL %s%s with AuthType NONE and CORS allowing any origin (*)", [
		function_name, url(c), qualifier_note(c),
	])
}
