# METADATA
# title: HTTP or WebSocket API stage has no access logging
# description: A stage of an HTTP or WebSocket API without access log settings (or without a destination) leaves no record of who called the API, so incidents cannot be investigated; VGL-APIGW-002 checks the same for REST APIs. An API with no stages is not deployed and is not flagged. Stages that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-APIGW-011
#   severity: medium
#   resource_types: [AWS::ApiGatewayV2::Api]
#   remediation: Turn on access logging for the stage with a CloudWatch Logs group as destination (aws apigatewayv2 update-stage --api-id ID --stage-name NAME --access-log-settings DestinationArn=ARN,Format=FORMAT).
#   related:
#     fsbp: [APIGateway.9]
#     aws_config: [api-gwv2-access-logs-enabled]
#     prowler: [apigatewayv2_api_access_logging_enabled]
package vigil.rules.apigatewayv2.stage_access_logging

import rego.v1

import data.vigil.lib.document

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

kind := "WebSocket" if input.resource.configuration.protocolType == "WEBSOCKET" else := "HTTP"

as_array(x) := x if {
	is_array(x)
} else := []

stage_name(stage) := stage.stageName if is_string(stage.stageName) else := "?"

logged(stage) if {
	destination := stage.accessLogSettings.destinationArn
	is_string(destination)
	destination != ""
}

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	not logged(stage)
	msg := sprintf("%s API %s: stage %s has no access logging", [kind, api_label, stage_name(stage)])
}
