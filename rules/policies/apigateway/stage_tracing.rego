# METADATA
# title: REST API stage has X-Ray tracing off
# description: Without X-Ray tracing (tracingEnabled) the stage starts no trace for the requests it receives, so a slow or failing call cannot be followed from API Gateway into the Lambda functions and services behind it. A stage whose tracing setting is not reported is flagged too. An API with no stages is not flagged; stages that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-APIGW-005
#   severity: low
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Turn on X-Ray tracing for the stage (aws apigateway update-stage --rest-api-id ID --stage-name NAME --patch-operations op=replace,path=/tracingEnabled,value=true).
#   related:
#     fsbp: [APIGateway.3]
#     aws_config: [api-gw-xray-enabled]
#     prowler: [apigateway_restapi_tracing_enabled]
package vigil.rules.apigateway.stage_tracing

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

stage_name(stage) := stage.stageName if is_string(stage.stageName) else := "?"

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	not stage.tracingEnabled == true
	msg := sprintf("REST API %s: stage %s has X-Ray tracing off", [api_label, stage_name(stage)])
}
