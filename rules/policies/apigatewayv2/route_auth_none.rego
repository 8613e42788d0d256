# METADATA
# title: HTTP API route has no authorization
# description: A route with authorizationType NONE can be called by anyone who can reach the API; in this platform APIs sit behind IAM auth (or a JWT or Lambda authorizer). An OPTIONS route is not flagged only when it has no integration target, as API Gateway then answers the CORS preflight itself (preflight requests never carry credentials); an OPTIONS route with a target sends the request to a backend and is flagged like any other, and one whose target was not collected gives an error. WebSocket APIs authorize when a client connects, so only their $connect route is checked; their other routes cannot carry an authorizer. Routes that could not be read give an error instead of a verdict. Unlike Security Hub APIGateway.8, which checks every route, WebSocket routes other than $connect and OPTIONS routes without a target are not flagged; Prowler's apigatewayv2_api_authorizers_enabled only asks whether the API has an authorizer at all.
# custom:
#   id: VGL-APIGW-003
#   severity: high
#   resource_types: [AWS::ApiGatewayV2::Api]
#   remediation: Set the route's authorization to AWS_IAM (or a JWT or Lambda authorizer); for a WebSocket API, set it on the $connect route.
#   related:
#     fsbp: [APIGateway.8]
#     aws_config: [api-gwv2-authorization-type-configured]
#     prowler: [apigatewayv2_api_authorizers_enabled]
package vigil.rules.apigatewayv2.route_auth_none

import rego.v1

import data.vigil.lib.document

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

route_key(route) := route.routeKey if is_string(route.routeKey) else := "?"

options(route) if startswith(upper(route_key(route)), "OPTIONS ")

# No target: API Gateway answers the preflight itself and nothing behind it runs.
preflight(route) if {
	"target" in object.keys(route)
	route.target in {null, ""}
}

checked(route) if {
	not websocket
	not options(route)
}

checked(route) if {
	not websocket
	options(route)
	"target" in object.keys(route)
	not preflight(route)
}

checked(route) if {
	websocket
	route.routeKey == "$connect"
}

# GetRoutes failed: the routes are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.routes"})
}

open_routes := [route |
	some route in as_array(input.resource.supplementaryConfiguration.routes)
	route.authorizationType == "NONE"
]

deny contains msg if {
	some route in open_routes
	checked(route)
	msg := sprintf("%s API %s: route %s has authorizationType NONE%s", [kind, api_label, route_key(route), target_note(route)])
}

target_note(route) := sprintf(" and target %s, not a CORS preflight answered by API Gateway", [route.target]) if {
	not websocket
	options(route)
	is_string(route.target)
} else := " and a target, not a CORS preflight answered by API Gateway" if {
	not websocket
	options(route)
} else := ""

# A document without the route's target (written by hand, or by an older collector): an open
# OPTIONS route may be a preflight or go to a backend.
error contains msg if {
	not websocket
	some route in open_routes
	options(route)
	not "target" in object.keys(route)
	msg := sprintf("HTTP API %s: route %s has authorizationType NONE and its target was not collected, so whether it is a CORS preflight is unknown", [api_label, route_key(route)])
}
