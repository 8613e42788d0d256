# METADATA
# title: HTTP API route has no authorization
# description: A route with authorizationType NONE can be called by anyone who can reach the API; in this platform APIs sit behind IAM auth (or a JWT or Lambda authorizer). OPTIONS routes are not flagged (CORS preflight requests never carry credentials). WebSocket APIs authorize when a client connects, so only their $connect route is checked; their other routes cannot carry an authorizer.
# custom:
#   id: VGL-APIGW-003
#   severity: high
#   resource_types: [AWS::ApiGatewayV2::Api]
#   remediation: Set the route's authorization to AWS_IAM (or a JWT or Lambda authorizer); for a WebSocket API, set it on the $connect route.
package vigil.rules.apigatewayv2.route_auth_none

import rego.v1

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

websocket if input.resource.configuration.protocolType == "WEBSOCKET"

kind := "WebSocket" if websocket else := "HTTP"

as_array(x) := x if {
	is_array(x)
} else := []

checked(route) if {
	not websocket
	not startswith(upper(route.routeKey), "OPTIONS ")
}

checked(route) if {
	websocket
	route.routeKey == "$connect"
}

deny contains msg if {
	some route in as_array(input.resource.supplementaryConfiguration.routes)
	route.authorizationType == "NONE"
	checked(route)
	msg := sprintf("%s API %s: route %s has authorizationType NONE", [kind, api_label, route.routeKey])
}
