# METADATA
# title: REST API stage has execution logging off
# description: Execution logging is the log API Gateway writes itself for each request (authorizer, integration request and response, errors) at level ERROR or INFO, set in the stage's method settings; it is what FSBP APIGateway.1 asks for (which also covers WebSocket stages; vigil checks REST stages), and it is not access logging (one line per request, VGL-APIGW-002), which neither satisfies this rule nor is satisfied by it. A stage fails when its default method settings (methodSettings "*/*") have no loggingLevel or loggingLevel OFF, and once more for each per-method override (methodSettings "<resource path>/<HTTP method>") whose loggingLevel is OFF, because that method then logs nothing whatever the default says. An API with no stages is not flagged; stages that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-APIGW-004
#   severity: medium
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Set the stage's CloudWatch logging level to ERROR or INFO (aws apigateway update-stage --rest-api-id ID --stage-name NAME --patch-operations op=replace,path=/*/*/logging/loglevel,value=ERROR), remove per-method overrides that set it to OFF, and give API Gateway a CloudWatch Logs role in the account settings.
#   related:
#     fsbp: [APIGateway.1]
#     aws_config: [api-gw-execution-logging-enabled]
#     prowler: [apigateway_restapi_logging_enabled]
package vigil.rules.apigateway.stage_execution_logging

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

method_settings(stage) := s if {
	s := stage.methodSettings
	is_object(s)
} else := {}

# The stage-wide default, as shown in messages.
default_level(stage) := level if {
	level := method_settings(stage)["*/*"].loggingLevel
	is_string(level)
} else := "not set"

logging_on(level) if upper(level) in {"ERROR", "INFO"}

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	level := default_level(stage)
	not logging_on(level)
	msg := sprintf("REST API %s: stage %s has execution logging off (methodSettings */* loggingLevel: %s)", [api_label, stage_name(stage), level])
}

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	some key, setting in method_settings(stage)
	key != "*/*"
	is_object(setting)
	level := setting.loggingLevel
	is_string(level)
	upper(level) == "OFF"
	msg := sprintf("REST API %s: stage %s turns execution logging off for method %s (methodSettings loggingLevel: OFF)", [api_label, stage_name(stage), key])
}
