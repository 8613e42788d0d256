# METADATA
# title: REST API stage has no access logging
# description: A stage without access log settings (or without a destination) leaves no record of who called the API, so incidents cannot be investigated. An API with no stages is not deployed and is not flagged. Stages that could not be read give an error instead of a verdict. This is access logging; execution logging, which Security Hub APIGateway.1 and Prowler apigateway_restapi_logging_enabled check, is VGL-APIGW-004's finding.
# custom:
#   id: VGL-APIGW-002
#   severity: medium
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Turn on access logging for the stage (stage settings, Logs/Tracing, Custom access logging) with a CloudWatch Logs group or Firehose stream as destination.
package vigil.rules.apigateway.stage_access_logging

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

logged(stage) if {
	destination := stage.accessLogSettings.destinationArn
	is_string(destination)
	destination != ""
}

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

stage_name(stage) := stage.stageName if is_string(stage.stageName) else := "?"

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	not logged(stage)
	msg := sprintf("REST API %s: stage %s has no access logging", [api_label, stage_name(stage)])
}
