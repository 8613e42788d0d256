# METADATA
# title: REST API method has no authorization
# description: A method with authorizationType NONE can be called by anyone who can reach the API; in this platform APIs sit behind IAM auth (or a Cognito or Lambda authorizer). OPTIONS methods are not flagged (CORS preflight requests never carry credentials, so they have to be open). A method with NONE is flagged even when a resource policy narrows who can call the API, because the resource policy is a second line of defence, not the first.
# custom:
#   id: VGL-APIGW-001
#   severity: high
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Set the method's authorization to AWS_IAM (or a Cognito user pool or Lambda authorizer) and redeploy the API to its stages.
package vigil.rules.apigateway.method_auth_none

import rego.v1

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

as_array(x) := x if {
	is_array(x)
} else := []

deny contains msg if {
	some r in as_array(input.resource.supplementaryConfiguration.resources)
	some m in as_array(object.get(r, "methods", []))
	m.authorizationType == "NONE"
	upper(m.httpMethod) != "OPTIONS"
	msg := sprintf("REST API %s: method %s %s has authorizationType NONE", [api_label, m.httpMethod, r.path])
}
