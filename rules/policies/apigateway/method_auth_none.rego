# METADATA
# title: REST API method has no authorization
# description: A method with authorizationType NONE can be called by anyone who can reach the API; in this platform APIs sit behind IAM auth (or a Cognito or Lambda authorizer). An OPTIONS method is not flagged only when its integration is MOCK, the CORS preflight answered by API Gateway itself (preflight requests never carry credentials, so they have to be open); an OPTIONS method proxied to a backend (AWS_PROXY, HTTP, ...) or with no integration is flagged like any other, and one whose integration type was not collected gives an error. A method with NONE is flagged even when a resource policy narrows who can call the API, because the resource policy is a second line of defence, not the first. Resources that could not be read give an error instead of a verdict. Prowler's apigateway_restapi_authorizers_enabled passes a whole API that defines an API-level authorizer; this rule judges each method.
# custom:
#   id: VGL-APIGW-001
#   severity: high
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Set the method's authorization to AWS_IAM (or a Cognito user pool or Lambda authorizer) and redeploy the API to its stages; answer CORS preflight with a MOCK integration.
#   related:
#     prowler: [apigateway_restapi_authorizers_enabled]
package vigil.rules.apigateway.method_auth_none

import rego.v1

import data.vigil.lib.document

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

as_array(x) := x if {
	is_array(x)
} else := []

text(x) := x if is_string(x) else := "?"

# GetResources failed: the methods are unknown, not open or closed.
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.resources"})
}

# Open methods, with the path of the resource they are on.
open_methods contains {"path": text(object.get(r, "path", null)), "method": m} if {
	some r in as_array(input.resource.supplementaryConfiguration.resources)
	some m in as_array(object.get(r, "methods", []))
	m.authorizationType == "NONE"
}

options(m) if {
	is_string(m.httpMethod)
	upper(m.httpMethod) == "OPTIONS"
}

# A CORS preflight: API Gateway answers it itself, nothing behind it runs.
preflight(m) if m.integrationType == "MOCK"

deny contains msg if {
	some o in open_methods
	not options(o.method)
	msg := sprintf("REST API %s: method %s %s has authorizationType NONE", [api_label, text(o.method.httpMethod), o.path])
}

deny contains msg if {
	some o in open_methods
	options(o.method)
	"integrationType" in object.keys(o.method)
	not preflight(o.method)
	msg := sprintf("REST API %s: method %s %s has authorizationType NONE and integration %s, not a MOCK CORS preflight", [
		api_label, o.method.httpMethod, o.path, integration(o.method),
	])
}

integration(m) := m.integrationType if is_string(m.integrationType) else := "none"

# A document collected before integration types were (or written by hand without one): an
# open OPTIONS method may be a preflight or a proxy to a backend.
error contains msg if {
	some o in open_methods
	options(o.method)
	not "integrationType" in object.keys(o.method)
	msg := sprintf("REST API %s: method %s %s has authorizationType NONE and its integration type was not collected, so whether it is a CORS preflight is unknown", [
		api_label, o.method.httpMethod, o.path,
	])
}
